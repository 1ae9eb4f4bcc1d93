"""The partial first pass: which statements it keeps, and that findings never change."""

from __future__ import annotations

import textwrap

import pytest

import memlint.engine.checker as checker
from library_settings import check_source, fix_source  # MEM101 with require-sink = false
from memlint.engine.partial import reduce_source


def filler(n: int = 120) -> str:
    """Unrelated top-level code, enough to make the file worth a partial pass."""
    return "".join(
        f"def helper_{i}(a, b):\n    total = a + b * {i}\n    return [total for _ in range(3)]\n\n\n"
        for i in range(n)
    )


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def test_keeps_trigger_statements_imports_and_docstring():
    text = src(
        '''
        """Module docstring."""
        from __future__ import annotations
        import numpy as np
        from joblib import Parallel
        from helpers import *

        def unrelated():
            return 1

        def opens(path):
            return np.memmap(path, mode="r")

        class Other:
            pass
        '''
    )
    reduced = reduce_source(text + filler(), [("memmap",)])
    assert reduced is not None
    assert reduced.startswith('""\n')  # the module docstring's place, its text left out
    assert "import numpy as np" in reduced
    # An import no kept statement uses is left out; star and __future__ imports bind no
    # name that could be followed, and stay.
    assert "from joblib import Parallel" not in reduced
    assert "from __future__ import annotations" in reduced and "from helpers import *" in reduced
    assert "def opens(path):" in reduced and "np.memmap(path" in reduced
    assert "def unrelated" not in reduced
    assert "class Other" not in reduced
    assert "helper_3" not in reduced


def test_docstrings_are_emptied_and_code_strings_kept():
    text = src(
        '''
        import numpy as np

        def opens(path):
            """Open `path` with np.memmap.

            A long description that no rule reads.
            """
            note = "kept: a string in code"
            return np.memmap(path, dtype=">f8", mode="r")  # a comment
        '''
    )
    reduced = reduce_source(text + filler(), [("memmap",)])
    assert reduced is not None
    assert "def opens(path):\n    \"\"\n    note = " in reduced
    assert "no rule reads" not in reduced
    assert '"kept: a string in code"' in reduced and '">f8"' in reduced


def test_follows_module_level_assignments_of_used_names():
    text = src(
        '''
        import numpy as np
        raw = np.memmap("d.bin", mode="r")
        alias = raw
        unrelated = 3
        other_alias = alias

        def use():
            return other_alias.reshape(5, 3)
        '''
    )
    reduced = reduce_source(text + filler(), [("memmap", "reshape")])
    assert "alias = raw" in reduced
    assert "other_alias = alias" in reduced
    assert "unrelated = 3" not in reduced


def test_a_def_joins_module_level_flows_only_through_its_global_names():
    text = src(
        """
        import dask
        import numpy as np
        calls = 0
        table = np.ones(3)

        def build(name):
            global calls, other
            calls += 1
            return dask.delayed(np.sum)(name)

        def count():
            return calls

        def unrelated(name):
            return dask.array.ones(3) + np.sum(table) + len(name)
        """
    )
    reduced = reduce_source(text + filler(), [("dask", "delayed")], names=["delayed"])
    assert "def build(name):" in reduced and "def count():" in reduced
    # `np` and `name` are in build too, but it binds neither at module level.
    assert "def unrelated" not in reduced


def test_keeps_compound_statements_that_import():
    text = src(
        '''
        try:
            import numpy as np
        except ImportError:
            np = None
        if TYPE_CHECKING:
            from joblib import Parallel
        x = np.memmap("f")
        '''
    )
    reduced = reduce_source(text + filler(), [("memmap",)])
    assert "import numpy as np" in reduced and "np = None" in reduced
    assert "TYPE_CHECKING" not in reduced  # what it imports is not used


def test_semicolon_statements_and_decorators_stay_whole():
    text = "import numpy as np\nm = 1; n = np.memmap('f')\n@deco\n@other(memmap=1)\ndef f():\n    pass\n"
    reduced = reduce_source(text + filler(), [("memmap",)])
    assert "m = 1; n = np.memmap('f')\n" in reduced
    assert "@deco\n@other(memmap=1)\ndef f():\n    pass\n" in reduced


def test_statements_that_hold_only_part_of_a_group_are_dropped():
    text = src(
        """
        import numpy as np

        def only_reshapes(a):
            return a.reshape(2, 2)

        def both():
            return np.memmap("f", mode="r").reshape(2, 2)
        """
    )
    reduced = reduce_source(text + filler(), [("memmap", "reshape")])
    assert "def both" in reduced and "only_reshapes" not in reduced


def test_nothing_can_match_gives_an_empty_module():
    text = "# memmap\nimport numpy as np\n\ndef f(a):\n    return a.reshape(2, 2)\n" + filler()
    assert reduce_source(text, [("memmap", "reshape")]) == ""


def test_gives_up_when_python_cannot_parse_or_little_would_go():
    assert reduce_source("def broken(:\n    memmap\n" + filler(), [("memmap",)]) is None
    assert reduce_source("import numpy as np\nx = np.memmap('f')\n", [("memmap",)]) is None
    assert reduce_source("", [("memmap",)]) == ""  # nothing to match: nothing to parse


def test_last_line_without_newline_does_not_join_the_next():
    text = filler(40) + "x = np.memmap('f')"
    reduced = reduce_source("import numpy as np" + "\n" + text, [("memmap",)])
    assert reduced.endswith("x = np.memmap('f')\n")


# -- the result never depends on the pass --------------------------------------------------

SCENARIOS = {
    "module-level memmap, alias chain, reshape in a function": """
        import numpy as np
        from joblib import Parallel, delayed

        data = np.memmap("data.bin", dtype=np.float64, mode="r")
        view = data
        FILLER

        def work():
            table = view.reshape(5, 3)
            return Parallel(n_jobs=2)(delayed(np.sum)(table, axis=1) for _ in range(2))
        """,
    "memmap and transpose to workers in one function among many": """
        import numpy as np
        from joblib import Parallel, delayed
        FILLER

        def run(path):
            data = np.memmap(path, dtype=np.float64, mode="r", shape=(3, 4))
            return Parallel(n_jobs=2)(delayed(np.sum)(data.T) for _ in range(2))
        """,
    "aliased import inside try, memmap at the end": """
        try:
            import numpy as xp
        except ImportError:
            raise SystemExit("numpy is needed")
        FILLER
        arr = xp.memmap("x.bin", mode="r").reshape(4, 4)
        """,
    "memmap imported under another name, used in a function": """
        from numpy import memmap as M
        FILLER

        def load():
            return M("x.bin", mode="r").reshape(4, 4)
        """,
    "memmap bound through a global statement in another function": """
        import numpy as np
        DATA = None
        FILLER

        def init(path):
            global DATA
            DATA = np.memmap(path, mode="r")

        def use():
            return DATA.reshape(5, 3)
        """,
    "memmap bound through a global statement declaring two names": """
        import numpy as np
        DATA = None
        FILLER

        def init(path):
            global COUNT, DATA
            COUNT = 0
            DATA = np.memmap(path, mode="r")

        def use():
            return DATA.reshape(5, 3)
        """,
    "transposed module-level view sent to workers from a function": """
        import numpy as np
        from joblib import Parallel, delayed

        DATA = np.memmap("d.bin", dtype=np.float64, mode="r", shape=(3, 4))
        VIEW = DATA.T
        FILLER

        def run(f):
            return Parallel(n_jobs=2)(delayed(f)(VIEW) for _ in range(2))
        """,
    "attribute set in one method, reshaped in another": """
        import numpy as np
        FILLER

        class Store:
            def __init__(self, path):
                self.raw = np.memmap(path, mode="r")

            def table(self):
                return self.raw.reshape(5, 3)
        """,
    "safe: shape given to memmap": """
        import numpy as np
        FILLER
        data = np.memmap("data.bin", dtype=np.float64, mode="r", shape=(5, 3))
        rows = data.reshape(3, 5)
        """,
    "finding suppressed by noqa": """
        import numpy as np
        FILLER
        data = np.memmap("data.bin", mode="r").reshape(5, 3)  # noqa: MEM101
        """,
    "fix needs every use of the name": """
        import numpy as np
        data = np.memmap("data.bin", mode="r")
        FILLER
        rows = data.reshape(5, 3)
        print(data.sum())
        """,
}


def build(template: str) -> str:
    return src(template).replace("FILLER", filler(), 1)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_same_findings_with_and_without_the_partial_pass(name, monkeypatch):
    text = build(SCENARIOS[name])
    assert len(text) >= checker.PARTIAL_MIN_CHARS
    with_pass = check_source(text, "big.py")
    monkeypatch.setattr(checker, "PARTIAL_MIN_CHARS", 10**12)
    whole = check_source(text, "big.py")
    assert with_pass == whole
    if not name.startswith(("safe", "finding suppressed")):
        assert whole, "the scenario should produce a finding"


def test_the_pass_really_skips_the_whole_parse(monkeypatch):
    """A large file whose trigger statements are clean is never parsed whole."""
    parsed = _parsed_sizes(monkeypatch)
    text = build(SCENARIOS["safe: shape given to memmap"])
    assert check_source(text, "big.py") == []
    assert parsed and max(parsed) < len(text) / 4


def test_a_file_with_findings_is_reported_from_the_whole_parse():
    text = build(SCENARIOS["fix needs every use of the name"])
    [finding] = check_source(text, "big.py")
    row = text.splitlines().index("rows = data.reshape(5, 3)") + 1
    assert finding.code == "MEM101" and finding.location.row == row
    # `data` is used again after the reshape, so moving the shape into np.memmap would
    # change that use: the whole-file check sees it and offers no fix.
    assert finding.fix is None


# -- the lexical scan finds the statements Python's parser finds ----------------------------

SCAN_CASES = [
    'x = "a ( [ {"  # ) ] } \' "\ny = 1\n',
    "s = '''\nnot = a statement\n''' ; t = 2\nu = 3\n",
    'd = """\n\\"""\nstill = "in string"\n"""\ne = 4\n',
    "total = 1 + \\\n2\nnext_ = 3\n",
    "if a:\n    pass\nelif b:\n    pass\nelse:\n    pass\ntry:\n    pass\nexcept E:\n    pass\nfinally:\n    pass\nz = 1\n",
    "@a\n@b(\n  c)\n# comment\ndef f():\n    return 1\n@d\nclass K:\n    pass\nafter = 1\n",
    "call(\nx,\ny)\nw = [\n1,\n]\n",
    "# only a comment\n\n'''doc'''\nimport os\n",
    "a = 1\r\nb = (\r\n 2)\r\nc = 3\r\n",
    "r = r'\\'' + b\"\\\"\" + f'{x!r}'\nq = 1\n",
    "async def f():\n    await g()\nx = 1\n",
]


def ast_starts(text: str) -> list[int]:
    import ast

    rows = []
    for stmt in ast.parse(text).body:
        first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
        if rows and first <= rows[-1][1]:
            rows[-1][1] = max(rows[-1][1], stmt.end_lineno)
        else:
            rows.append([first, stmt.end_lineno])
    return [r[0] for r in rows]


def scan_rows(text: str) -> list[int]:
    from memlint.engine.partial import statement_starts

    starts = statement_starts(text)
    assert starts is not None
    rows = [len(re.findall(r"\r\n|\r|\n", text[:s])) + 1 for s in starts]
    # The scan's first span may be leading comments only.
    expected_first = ast_starts(text)[0]
    return [r for r in rows if r >= expected_first]


import re  # noqa: E402


@pytest.mark.parametrize("text", SCAN_CASES)
def test_scan_agrees_with_pythons_parser(text):
    assert scan_rows(text) == ast_starts(text)


def test_scan_agrees_with_pythons_parser_on_real_code():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    paths = sorted((root / "memlint").rglob("*.py")) + sorted((root / "tests").rglob("*.py"))
    for path in paths:
        text = path.read_text(encoding="utf-8")
        if text.strip():
            assert scan_rows(text) == ast_starts(text), path


@pytest.mark.parametrize("text", ["x = (1,\n", "s = '''never closed\n", "t = 'cut\nu = 1\n"])
def test_scan_gives_up_on_unclosed_brackets_and_strings(text):
    from memlint.engine.partial import statement_starts

    assert statement_starts(text) is None


# -- every rule's examples, padded to a size the first pass works on -----------------------

def _example_cases():
    from memlint.engine.registry import all_rules

    for rule in all_rules().values():
        if rule.judges_suppressions or not rule.triggers:
            continue
        for kind in ("invalid", "valid"):
            for i, example in enumerate(getattr(rule, kind)):
                yield pytest.param(rule, example, id=f"{rule.code}-{kind}-{i}")


def _light_filler() -> str:
    """Unrelated functions that are cheap to parse (mostly docstrings), just enough to
    make a file worth the first pass."""
    doc = "Unrelated text. " * 6
    return "".join(f'def unrelated_{i}():\n    """{doc}"""\n\n\n' for i in range(70))


@pytest.mark.parametrize("rule, example", list(_example_cases()))
def test_examples_padded_give_the_same_findings_with_the_pass(rule, example):
    """Each example with unrelated code after it (and, when it has no `__future__`
    import, before it), with the first pass: the rule alone finds what it finds in the
    example alone (which is too small for the pass)."""
    select = [rule.code, *example.extend_select]
    kwargs = dict(select=select, versions=example.versions, options={rule.code: example.options})
    alone = check_source(example.source, "big.py", **kwargs)
    padding = _light_filler()
    after = example.source + "\n\n" + padding
    assert len(after) >= checker.PARTIAL_MIN_CHARS > len(example.source)
    assert check_source(after, "big.py", **kwargs) == alone
    if "__future__" not in example.source:
        shift = padding.count("\n")
        before = check_source(padding + example.source, "big.py", **kwargs)
        assert [(d.code, d.location.row - shift, d.location.column, d.message) for d in before] == [
            (d.code, d.location.row, d.location.column, d.message) for d in alone
        ]


@pytest.mark.parametrize("rule, example", list(_example_cases()))
def test_examples_padded_give_the_same_findings_when_findings_are_expected(rule, example):
    """`expect_findings` (the language server's documents) skips the first pass and checks
    the statements it would keep at their own positions: the same findings, fixes too."""
    from dataclasses import replace

    from memlint.api import _settings

    settings = _settings([rule.code, *example.extend_select], {rule.code: example.options}, example.versions,
                         "assume-affected", "big.py")
    for text in (example.source + "\n\n" + _light_filler(), _light_filler() + example.source):
        if "__future__" in example.source and not text.startswith(example.source):
            continue
        expected = checker.check_text(text, "big.py", settings)
        assert checker.check_text(text, "big.py", replace(settings, expect_findings=True)) == expected


# -- classes, aliases and names the first pass must follow ----------------------------------

def class_filler(n: int = 90) -> str:
    """Unrelated methods, enough to make a class worth cutting."""
    return "".join(
        f"    def helper_{i}(self, a, b):\n        total = a + b * {i}\n        return [total for _ in range(3)]\n\n"
        for i in range(n)
    )


# (the rule that must report, the file); FILLER is unrelated top-level code, METHODS
# unrelated methods inside the class.
CLASS_SCENARIOS = {
    "memmap stored in __init__, reshaped in another method": ("MEM101", """
        import numpy as np

        class Store:
            def __init__(self, path):
                self.raw = np.memmap(path, mode="r")
        METHODS
            def table(self):
                return self.raw.reshape(5, 3)
        FILLER
        """),
    "self passed to map_blocks, its data stored by __init__": ("MEM203", """
        import numpy as np
        import dask.array as da

        class Model:
            def __init__(self):
                self.table = np.ones((1000, 1000))
        METHODS
            def apply(self, x):
                return x.map_blocks(score, self)
        FILLER
        """),
    "bound method of a data-holding instance mapped over blocks": ("MEM203", """
        import numpy as np
        import dask.array as da

        class Model:
            def __init__(self):
                self.table = np.ones((1000, 1000))
        METHODS
            def score(self, block):
                return block * 2

            def apply(self, x):
                return x.map_blocks(self.score)
        FILLER
        """),
    "lambda in a method captures an attribute another method stores": ("MEM203", """
        import numpy as np
        import dask.array as da

        class Model:
            def load(self, path):
                self.lookup = np.load(path)
        METHODS
            def apply(self, x):
                return x.map_blocks(lambda b: b + self.lookup[0])
        FILLER
        """),
    "delayed on a dask collection another method stores": ("MEM205", """
        import dask
        import dask.dataframe as dd

        class Job:
            def __init__(self, path):
                self.frame = dd.read_parquet(path)
        METHODS
            def run(self):
                return dask.delayed(len)(self.frame)
        FILLER
        """),
    "delayed in a loop on data stored as an annotated attribute": ("MEM204", """
        import dask
        import numpy as np

        class Job:
            def __init__(self):
                self.table: np.ndarray = np.ones((1000, 1000))
        METHODS
            def run(self, items):
                return [dask.delayed(work)(self.table, i) for i in items]
        FILLER
        """),
    "instance of a module class holding data, built in a function": ("MEM203", """
        import numpy as np
        import dask.array as da

        class Holder:
            def __init__(self, path):
                self.data = np.load(path)
        METHODS
        FILLER

        def run(x, path):
            return x.map_blocks(score, Holder(path))
        """),
    "instance of a module class storing through a tuple target": ("MEM203", """
        import dask.array as da
        import numpy as np

        class Holder:
            def __init__(self, source):
                (self.data, self.count) = (np.load(source), 0)
        METHODS
        FILLER

        def run(x, source):
            return x.map_blocks(score, Holder(source))
        """),
    "fitted model stored on self, mapped over blocks": ("MEM203", """
        import dask.array as da

        class Pipeline:
            def train(self, X, y):
                self.model.fit(X, y)
        METHODS
            def predict(self, x):
                return x.map_blocks(predict_block, self.model)
        FILLER
        """),
    "ray actor class with many methods returns a list": ("MEM401", """
        import ray

        @ray.remote
        class Worker:
        METHODS
            def split(self, df, n):
                parts = []
                for i in range(n):
                    parts.append(df.iloc[i::n])
                return parts
        FILLER
        """),
    "class made an actor by ray.remote at module level": ("MEM401", """
        import ray

        class Worker:
        METHODS
            def split(self, df, n):
                parts = []
                for i in range(n):
                    parts.append(df.iloc[i::n])
                return parts
        FILLER
        RemoteWorker = ray.remote(Worker)
        """),
    "actor method capturing a large global": ("MEM403", """
        import numpy as np
        import ray

        TABLE = np.ones((1000, 1000))

        @ray.remote
        class Worker:
        METHODS
            def lookup(self, i):
                return TABLE[i]
        FILLER
        """),
    "function made remote inside another function": ("MEM401", """
        import ray

        def split(df, n):
            parts = []
            for i in range(n):
                parts.append(df.iloc[i::n])
            return parts
        FILLER

        def main(df):
            task = ray.remote(split)
            return ray.get(task.remote(df, 4))
        """),
    "dask.delayed imported under another name": ("MEM205", """
        import dask.dataframe as dd
        from dask import delayed as dl
        FILLER

        def f(pdf):
            ddf = dd.from_pandas(pdf, npartitions=2)
            return dl(len)(ddf)
        """),
    "module-level alias of dask.delayed used in a function": ("MEM205", """
        import dask
        import dask.dataframe as dd

        lazy = dask.delayed
        FILLER

        def f(pdf):
            ddf = dd.from_pandas(pdf, npartitions=2)
            return lazy(len)(ddf)
        """),
    "remote call in a module that imports ray inside a function": ("MEM402", """
        import numpy as np

        def setup():
            import ray
            ray.init()
        FILLER

        def run(score):
            table = np.load("table.npy")
            return [score.remote(table, i) for i in range(10)]
        """),
    "memmap read by a method a cached_property calls, then from_array": ("MEM201", """
        from functools import cached_property
        import dask.array as da
        import numpy as np
        FILLER

        class Reader:
        METHODS
            @cached_property
            def _data(self):
                return self.read()

            def read(self):
                return np.memmap(self.filename, dtype="u2", mode="r")

            def channel(self, i):
                return da.from_array(self._data[:, i], chunks=1024)
        """),
    "memmap returned by a module-level helper, then from_array": ("MEM201", """
        import dask.array as da
        import numpy as np

        def read_raw(path, shape):
            return np.memmap(path, dtype="f4", mode="r", shape=shape)
        FILLER

        def lazy(path):
            return da.from_array(read_raw(path, (10, 10)), chunks=5)
        """),
    "reshaped memmap sent to thread and process workers from two functions": ("MEM101", """
        import numpy as np
        from joblib import Parallel, delayed

        data = np.memmap("d.bin", dtype=np.float64, mode="r")
        grid = data.reshape(5, 3)
        FILLER

        def threads():
            return Parallel(n_jobs=2, prefer="threads")(delayed(np.sum)(grid) for _ in range(2))

        def processes():
            return Parallel(n_jobs=2)(delayed(np.sum)(grid) for _ in range(2))
        """),
}


def build_class_scenario(template: str) -> str:
    text = src(template)
    text = text.replace("METHODS\n", class_filler(30), 1)
    return text.replace("FILLER", filler(30), 1)


@pytest.mark.parametrize("name", list(CLASS_SCENARIOS))
def test_class_and_name_scenarios_give_the_same_findings(name, monkeypatch):
    code, template = CLASS_SCENARIOS[name]
    text = build_class_scenario(template)
    compile(text, "big.py", "exec")
    assert len(text) >= checker.PARTIAL_MIN_CHARS
    whole_all, alone = [], []
    for select in (None, [code]):
        with monkeypatch.context() as m:
            m.setattr(checker, "PARTIAL_MIN_CHARS", 10**12)
            whole = check_source(text, "big.py", select=select)
        assert check_source(text, "big.py", select=select) == whole
        (whole_all if select is None else alone).extend(whole)
    # The scenario really holds a finding of the rule it is about.
    assert code in {d.code for d in alone}, [d.code for d in whole_all]


@pytest.mark.parametrize("rule, example", list(_example_cases()))
def test_examples_through_the_first_pass_give_the_same_findings(rule, example, monkeypatch):
    """Each example checked with the first pass forced on it, however small, whatever share
    it keeps: the findings are those of the example checked at once."""
    import memlint.engine.partial as partial

    kwargs = dict(select=[rule.code, *example.extend_select], versions=example.versions,
                  options={rule.code: example.options})
    direct = check_source(example.source, "example.py", **kwargs)
    reduced: list[str] = []
    real = partial.reduce_source
    monkeypatch.setattr(checker, "PARTIAL_MIN_CHARS", 0)
    monkeypatch.setattr(partial, "MAX_KEPT_SHARE", 10.0)
    monkeypatch.setattr(partial, "reduce_source", lambda *a, **k: reduced.append(real(*a, **k)) or reduced[-1])
    assert check_source(example.source, "example.py", **kwargs) == direct
    configured = rule.configured({**{k: o.default for k, o in rule.options.items()}, **example.options})
    if rule.partial_parse and checker.could_match(example.source.encode(), [configured], project=False):
        assert reduced and reduced[0] is not None, "the first pass should have run"


def test_the_whole_file_is_checked_by_the_rules_that_reported_only(monkeypatch):
    """MEM203 and MEM205 can match this file; only MEM205 reports in the first pass, so
    only MEM205 checks the whole file (and the findings are those of every rule)."""
    text = src(
        """
        import dask
        import dask.array as da
        FILLER

        def run(f):
            x = da.ones((1000, 1000), chunks=100)
            y = x.map_blocks(f, 2)
            return dask.delayed(sum)(x)
        """
    ).replace("FILLER", filler(), 1)
    calls: list[list[str]] = []
    real = checker._dispatch

    def spy(module, text, filename, rules, settings, **kwargs):
        calls.append(sorted(r.code for r in rules))
        return real(module, text, filename, rules, settings, **kwargs)

    monkeypatch.setattr(checker, "_dispatch", spy)
    found = check_source(text, "big.py", select=["MEM203", "MEM205"])
    assert [d.code for d in found] == ["MEM205"]
    assert calls == [["MEM203", "MEM205"], ["MEM205"]]
    monkeypatch.setattr(checker, "PARTIAL_MIN_CHARS", 10**12)
    assert check_source(text, "big.py", select=["MEM203", "MEM205"]) == found


# -- findings reported from the first pass's statements at their own rows ----------------------

DELAYED_ON_COLLECTION = """
import dask
import dask.array as da
FILLER

def run(f):
    # a comment the padded pass keeps in place
    x = da.ones((1000, 1000), chunks=100)
    return dask.delayed(sum)(x){noqa}

FILLER
"""


def _parsed_sizes(monkeypatch) -> list[int]:
    import sys

    import libcst

    libcst.Module  # loads the real module behind memlint's lazy stand-in
    cst = sys.modules["libcst"]
    parsed: list[int] = []
    real = cst.parse_module
    monkeypatch.setattr(cst, "parse_module", lambda text, *a, **k: parsed.append(len(text)) or real(text, *a, **k))
    return parsed


def test_padded_reduction_keeps_each_kept_line_at_its_row():
    text = build(DELAYED_ON_COLLECTION.format(noqa=""))
    padded = reduce_source(text, [("dask", "delayed")], names=["delayed"], padded=True)
    assert padded is not None
    original, kept = text.splitlines(), padded.splitlines()
    assert len(kept) == len(original)
    for before, after in zip(original, kept):
        assert after in (before, "") or after.strip() in ("...", "pass"), (before, after)
    row = original.index("    return dask.delayed(sum)(x)")
    assert kept[row] == original[row] and kept[row - 2] == "    # a comment the padded pass keeps in place"
    assert "def helper_3" not in padded


def test_findings_of_a_rule_without_fixes_come_from_the_first_pass(monkeypatch):
    """A large file with a MEM205 finding: the finding, its position and its suppression
    are those of the whole-file check, and no parse covers the whole file."""
    text = build(DELAYED_ON_COLLECTION.format(noqa=""))
    parsed = _parsed_sizes(monkeypatch)
    [finding] = check_source(text, "big.py", select=["MEM205"])
    assert parsed and max(parsed) < len(text) / 2
    row = text.splitlines().index("    return dask.delayed(sum)(x)") + 1
    assert (finding.code, finding.location.row, finding.location.column) == ("MEM205", row, 30)
    monkeypatch.setattr(checker, "PARTIAL_MIN_CHARS", 10**12)
    assert check_source(text, "big.py", select=["MEM205"]) == [finding]
    suppressed = build(DELAYED_ON_COLLECTION.format(noqa="  # noqa: MEM205"))
    assert check_source(suppressed, "big.py", select=["MEM205"]) == []


def test_a_syntax_error_outside_the_kept_statements_is_still_mem001():
    text = build(DELAYED_ON_COLLECTION.format(noqa="")) + "def broken(:\n    pass\n"
    [finding] = check_source(text, "big.py", select=["MEM001", "MEM205"])
    assert finding.code == "MEM001"


def test_fixing_parses_the_whole_file(monkeypatch):
    """--fix edits what the whole module says, even for a rule whose fixes are local."""
    from memlint.api import fix_source

    text = src(
        """
        import dask.array as da
        import pandas as pd
        FILLER

        def run(x):
            table = pd.read_csv("lookup.csv")
            return x.map_partitions(lookup, table, meta=("v", "f8"))
        """
    ).replace("FILLER", filler(), 1).replace("x.map_partitions", "dd.from_pandas(x, 2).map_partitions")
    text = text.replace("import pandas as pd", "import pandas as pd\nimport dask.dataframe as dd")
    found = check_source(text, "big.py", select=["MEM203"])
    assert [d.code for d in found] == ["MEM203"] and found[0].fix is not None
    parsed = _parsed_sizes(monkeypatch)
    fixed = fix_source(text, "big.py", select=["MEM203"])
    assert max(parsed) >= len(text)
    assert 'map_partitions(lookup, dask.delayed(table), meta=("v", "f8"))' in fixed


def test_the_compile_check_prints_no_warning(capfd):
    text = build(DELAYED_ON_COLLECTION.format(noqa="")) + "\nflag = 1 if filler_value is 1 else 2\n"
    [finding] = check_source(text, "big.py", select=["MEM205"])
    assert finding.code == "MEM205"
    assert capfd.readouterr().err == ""


def test_a_file_where_a_name_trigger_is_only_part_of_longer_names_is_not_read_further():
    from memlint.engine.registry import get_rule

    mem205 = get_rule("MEM205")
    text = b"import dask\nparts = ddf.to_delayed()\nlazy = isinstance(parts[0], Delayed)\n"
    assert not mem205.could_match(text)
    assert mem205.could_match(text + b"from dask import delayed as dl\n")
    assert mem205.could_match(b"import dask\nout = dask.delayed(f)(x)\n")
    mem203 = get_rule("MEM203")
    assert not mem203.could_match(b"layer = core_blockwise(f, 'i', x, 'i')\n")
    assert mem203.could_match(b"import dask.array as da\nlayer = da.blockwise(f, 'i', x, 'i')\n")


def test_padded_pass_positions_in_a_crlf_file_with_tabs_and_form_feeds(monkeypatch):
    text = build(DELAYED_ON_COLLECTION.format(noqa="")).replace("\n", "\r\n")
    text = text.replace("def helper_5(a, b):", "\f\r\ndef helper_5(a, b):")
    text = text.replace("    total = a + b * 7\r\n    return", "\ttotal = a + b * 7\r\n\treturn")
    with_pass = check_source(text, "big.py", select=["MEM205"])
    monkeypatch.setattr(checker, "PARTIAL_MIN_CHARS", 10**12)
    whole = check_source(text, "big.py", select=["MEM205"])
    assert with_pass == whole and len(whole) == 1
    row = text.split("\r\n").index("    return dask.delayed(sum)(x)") + 1
    assert whole[0].location.row == row


def test_a_delayed_alias_is_followed_through_its_import():
    text = src(
        """
        from dask import delayed as lazy
        import dask.array as da
        FILLER

        def run(f):
            x = da.ones((1000, 1000), chunks=100)
            return lazy(f)(x)
        """
    ).replace("FILLER", filler(), 1)
    [finding] = check_source(text, "big.py", select=["MEM205"])
    assert finding.location.row == text.splitlines().index("    return lazy(f)(x)") + 1


def test_a_name_trigger_only_in_a_string_literal_makes_no_seed():
    text = src(
        '''
        import dask

        def warns(size):
            if size > dask.config.get("large-graph"):
                raise ValueError("use delayed objects to embed the data")

        def calls(x):
            return dask.delayed(sum)(x)
        '''
    )
    reduced = reduce_source(text + filler(), [("dask", "delayed")], names=["delayed"])
    assert "def calls" in reduced and "def warns" not in reduced


def test_a_def_importing_what_a_top_level_import_already_says_is_not_kept_for_it():
    text = src(
        """
        from dask.array import map_blocks

        def imports_locally(x):
            from dask.array.core import normalize_chunks
            return normalize_chunks(x)

        def seeds(x, f):
            return map_blocks(f, x)
        """
    )
    groups = [("map_blocks(", "from dask")]
    reduced = reduce_source(text + filler(), groups, names=["map_blocks("])
    assert "def seeds" in reduced and "imports_locally" not in reduced
    # Without a top-level import saying so, the local one is what tells the rule.
    text = text.replace("from dask.array import map_blocks", "import dask.array as da")
    text = text.replace("return map_blocks(f, x)", "return da.map_blocks(f, x)")
    reduced = reduce_source(text + filler(), groups, names=["map_blocks("])
    assert "def seeds" in reduced and "imports_locally" in reduced


def test_a_rules_unit_shape_keeps_only_the_defs_that_hold_it(monkeypatch):
    from memlint.engine.registry import get_rule

    text = src(
        """
        from joblib import Parallel, delayed

        def only_runs(xs):
            return Parallel(n_jobs=2)(delayed(abs)(x) for x in xs)

        def reduces(xs):
            return sum(Parallel(n_jobs=2)(delayed(abs)(x) for x in xs))

        def reduces_later(xs):
            out = Parallel(n_jobs=2)(delayed(abs)(x) for x in xs)
            return max(out)
        """
    ) + filler()
    mem304 = get_rule("MEM304")
    reduced = checker.first_pass_source(text, [mem304])
    assert "def reduces(" in reduced and "def reduces_later(" in reduced and "only_runs" not in reduced
    with_pass = check_source(text, "big.py", select=["MEM304"])
    monkeypatch.setattr(checker, "PARTIAL_MIN_CHARS", 10**12)
    assert with_pass == check_source(text, "big.py", select=["MEM304"]) and len(with_pass) == 2
