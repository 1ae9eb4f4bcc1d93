"""MEM203 large-object-in-task: each call form, each argument kind, dask.array's lifting,
the look-alikes that must stay quiet, and the fixes."""

from __future__ import annotations

import json
import textwrap

import pytest

from memlint.api import check_source, fix_source

HEADER = """\
import functools
import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd

class Mapper:
    def __init__(self, table):
        self.table = table

mapper = Mapper(pd.Series(range(30_000)))
frame = pd.read_csv("lookup.csv")
array = np.load("lookup.npy")
x = da.ones((1000, 1000), chunks=100)
ddf = dd.read_parquet("events/")
"""
HEADER_LINES = HEADER.count("\n")


def findings(body: str, versions=None, options=None):
    source = HEADER + textwrap.dedent(body).lstrip("\n")
    found = check_source(source, "t.py", select=["MEM203"], versions=versions or {},
                         options={"MEM203": options or {}})
    return [(d.location.row - HEADER_LINES, d.message) for d in found]


def rows(body: str, **kw) -> list[int]:
    return [row for row, _ in findings(body, **kw)]


@pytest.mark.parametrize(
    "call",
    [
        "x.map_blocks(f, mapper)",
        "x.map_blocks(f, table=mapper)",
        "da.map_blocks(f, x, mapper)",
        "da.map_blocks(f, x, extra=mapper, dtype=float)",
        "da.core.map_blocks(f, x, mapper)",
        "da.blockwise(f, 'ij', x, 'ij', mapper, None, dtype=float)",
        "x.map_overlap(f, 1, boundary='none', table=mapper)",
        "da.map_overlap(f, x, mapper, depth=1)",
        "ddf.map_partitions(f, mapper)",
        "ddf.map_partitions(f, lookup=mapper, meta=ddf._meta)",
        "dd.map_partitions(f, ddf, mapper)",
    ],
)
def test_each_call_form_reports_the_instance(call):
    found = findings(call)
    assert [row for row, _ in found] == [1]
    assert "is an instance of `Mapper`" in found[0][1]


@pytest.mark.parametrize(
    "call",
    [
        "x.map_blocks(f, meta=mapper, dtype=mapper, chunks=mapper, drop_axis=mapper, new_axis=mapper)",
        "x.map_blocks(f, token=mapper, name=mapper)",
        "ddf.map_partitions(f, enforce_metadata=mapper, align_dataframes=mapper)",
        "da.blockwise(f, 'ij', mapper, 'ij')",  # an indexed argument is an array
        "x.map_overlap(f, mapper)",  # the depth
        "x.map_blocks(f, *mapper)",
        "x.map_blocks(f, dask.delayed(mapper))",
        "ddf.map_partitions(f, x)",
        "x.sum(mapper)",
        "mapper.map_blocks(f)",
    ],
)
def test_quiet_slots(call):
    assert findings(call) == []


def test_bound_method_of_data_like_instance():
    found = findings("y = x.map_blocks(mapper.apply, dtype=float)")
    assert [row for row, _ in found] == [1]
    assert "bound method of `mapper`" in found[0][1]
    assert "client.scatter(obj, broadcast=True)" in found[0][1]
    # a module function or a method of a library object is not a bound method of data
    assert findings("y = x.map_blocks(np.sqrt)\nz = x.map_blocks(da.core.asarray)") == []


def test_bound_method_found_through_a_name():
    assert rows("fn = mapper.apply\ny = x.map_blocks(fn)") == [2]


def test_lambda_and_partial_capturing_data():
    assert rows("y = ddf.map_partitions(lambda df: df.merge(frame, on='id'))") == [1]
    assert rows("y = x.map_blocks(lambda b: b + array.sum())") == [1]  # no lifting for closures
    assert rows("fn = lambda b: mapper.table[b]\ny = x.map_blocks(fn)") == [2]
    found = findings("y = x.map_blocks(functools.partial(g, array))")
    assert "`functools.partial` binds `array`" in found[0][1]
    # a partial of a bound method
    assert rows("y = x.map_blocks(functools.partial(mapper.apply, k=1))") == [1]
    # a lambda capturing small things, a partial of small things
    assert findings("y = x.map_blocks(lambda b: b * 2)\nz = x.map_blocks(functools.partial(g, 3))") == []


def test_module_level_function_is_not_a_closure():
    assert findings("def apply(b):\n    return mapper.table[b]\ny = x.map_blocks(apply)") == []


def test_dask_array_lifts_sized_objects_and_long_lists():
    body = """
    y = x.map_blocks(f, frame, array, lut=np.zeros((1000, 1000)))
    z = x.map_blocks(f, [i for i in range(500)], list(range(20)))
    """
    assert findings(body) == []
    # Short lists and tuples of instances are not lifted; neither are tuples of numbers.
    assert rows("y = x.map_blocks(f, [mapper, mapper])\nz = x.map_blocks(f, (mapper,))") == [1, 2]
    assert rows("y = x.map_blocks(f, tuple(range(500)))") == [1]
    # a list of 10 or more items is lifted whatever it holds
    assert findings("y = x.map_blocks(f, [mapper] * 1)") == []  # unknown: not a literal
    ten = ", ".join(["mapper"] * 10)
    assert findings(f"y = x.map_blocks(f, [{ten}])", options={"large-literal-min-items": 5}) == []


def test_map_partitions_lifts_nothing_from_2024_3():
    body = "y = ddf.map_partitions(f, frame, arr=array, ids=list(range(500)))"
    found = findings(body, versions={"dask": "2024.3.0"})
    assert [row for row, _ in found] == [1, 1, 1]
    assert all("dask 2024.3.0" in m for _, m in found)
    assert findings(body, versions={"dask": "2024.2.1"}) == []
    # unknown version: assumed affected
    assert rows(body) == [1, 1, 1]
    # instances are reported whatever the version
    assert rows("y = ddf.map_partitions(f, mapper)", versions={"dask": "2023.1.0"}) == [1]


def test_bag_map_partitions_lifts_nothing():
    body = "import dask.bag as db\nb = db.from_sequence(range(10))\ny = b.map_partitions(f, frame)"
    assert rows(body, versions={"dask": "2023.1.0"}) == [3]


def test_look_alikes_from_the_research_notes_stay_quiet():
    body = """
    y = da.map_blocks(read_segment, x, filename, hdr_size=450, dtype=np.float32, chunks=x.chunks)
    vocabulary_for_transform = dask.delayed(frame)
    z = ddf.map_partitions(count_vectorize, vocabulary_for_transform, {"lowercase": True})
    _es = client.scatter([mapper])[0]
    w = ddf.map_partitions(compute_chunk, entityset=_es)
    v = ddf.map_partitions(lambda df: df.sort_values("UTCDtTm"))
    u = da.map_blocks(np.add, x, x)
    """
    assert findings(body) == []


def test_may_when_only_some_paths_hold_data():
    body = """
    def run(flag):
        table = None
        if flag:
            table = frame
        return ddf.map_partitions(f, table)
    """
    found = findings(body)
    assert [row for row, _ in found] == [5]
    assert "`table` may be a pandas object" in found[0][1]


def test_option_changes_the_literal_size():
    body = "y = x.map_blocks(f, {'a': 1, 'b': 2, 'c': 3})"
    assert findings(body) == []
    assert rows(body, options={"large-literal-min-items": 3}) == [1]


def test_noqa_suppresses():
    assert findings("y = x.map_blocks(f, mapper)  # noqa: MEM203") == []


# -- fixes ----------------------------------------------------------------------------------
def fixed(source: str, **kw) -> str:
    return fix_source(textwrap.dedent(source).lstrip("\n"), "t.py", select=["MEM203"], **kw)


def test_fix_adds_import_dask_after_the_imports():
    source = """
        \"\"\"Doc.\"\"\"
        from __future__ import annotations

        import dask.array as da
        from scipy.spatial import cKDTree

        model = cKDTree(points)
        x = da.ones(10, chunks=5)
        y = x.map_blocks(predict, model=model, meta=meta)
        """
    assert fixed(source) == textwrap.dedent("""
        \"\"\"Doc.\"\"\"
        from __future__ import annotations

        import dask.array as da
        from scipy.spatial import cKDTree
        import dask

        model = cKDTree(points)
        x = da.ones(10, chunks=5)
        y = x.map_blocks(predict, model=dask.delayed(model), meta=meta)
        """).lstrip("\n")


def test_fix_reuses_imports_and_keeps_spacing():
    source = """
        import dask
        import dask.dataframe as dd
        import pandas as pd
        lookup = pd.read_csv("l.csv")
        ddf = dd.read_csv("*.csv")
        out = ddf.map_partitions(
            join,
            (lookup),
            other = lookup,
            meta=meta,
        )
        """
    assert fixed(source) == textwrap.dedent("""
        import dask
        import dask.dataframe as dd
        import pandas as pd
        lookup = pd.read_csv("l.csv")
        ddf = dd.read_csv("*.csv")
        out = ddf.map_partitions(
            join,
            dask.delayed((lookup)),
            other = dask.delayed(lookup),
            meta=meta,
        )
        """).lstrip("\n")


def test_no_fix_for_functions():
    source = "import dask.array as da\nimport numpy as np\nclass M:\n    def __init__(self, t):\n        self.t = np.load(t)\nm = M(t)\ny = da.ones(3).map_blocks(m.f)\n"
    found = check_source(source, "t.py", select=["MEM203"])
    assert len(found) == 1 and found[0].fix is None
    assert fixed(source) == source


def test_fix_when_dask_names_something_else_is_withheld():
    source = "import dask.array as da\nimport numpy as np\ndask = None\nclass M:\n    def __init__(self, t):\n        self.t = np.load(t)\ny = da.ones(3).map_blocks(f, M(t))\n"
    found = check_source(source, "t.py", select=["MEM203"])
    assert len(found) == 1 and found[0].fix is None
    assert "Wrap it once in `dask.delayed(...)`" in found[0].message


def test_cli_reports_json_and_fixes(memlint, project):
    root = project({
        "pyproject.toml": """
            [tool.memlint]
            select = ["MEM203"]
            [tool.memlint.rules.MEM203]
            large-literal-min-items = 3
            [tool.memlint.versions]
            dask = "2026.8.0"
            """,
        "job.py": """
            import dask.array as da
            x = da.ones(10, chunks=5)
            y = x.map_blocks(f, ("a", "b", "c"))
            """,
    })
    run = memlint("check", "--format", "json", "job.py", cwd=root)
    assert run.returncode == 1, run
    [finding] = json.loads(run.stdout)
    assert finding["code"] == "MEM203"
    assert finding["location"] == {"row": 3, "column": 21}  # the argument, with its parentheses
    assert finding["fix"]["applicability"] == "unsafe"  # no meta=
    run = memlint("--fix", "job.py", cwd=root)
    assert run.returncode == 1, run
    run = memlint("--fix", "--unsafe-fixes", "job.py", cwd=root)
    assert run.returncode == 0, run
    assert (root / "job.py").read_text() == (
        "import dask.array as da\n"
        "import dask\n"
        "x = da.ones(10, chunks=5)\n"
        'y = x.map_blocks(f, dask.delayed(("a", "b", "c")))\n'
    )


def test_messages_name_the_reason():
    [(_, m)] = findings("y = ddf.map_partitions(f, tuple(range(500)))", versions={"dask": "2023.12.1"})
    assert "dask lifts only lists of 10+ items and objects over 1 MB" in m
    [(_, m)] = findings("y = ddf.map_partitions(f, tuple(range(500)))", versions={"dask": "2026.8.0"})
    assert "lifts no argument into a graph key from dask 2024.3.0 on (dask 2026.8.0 (given))" in m
    [(_, m)] = findings("y = x.map_blocks(f, mapper)")
    assert "sizes such an object by its header" in m
    assert "Pass `dask.delayed(mapper)` to store it once in the graph, and give `meta=`" in m


def test_fix_safety_depends_on_meta():
    def fix_of(call, **kw):
        source = HEADER + call + "\n"
        [d] = check_source(source, "t.py", select=["MEM203"], **kw)
        return d.fix.applicability if d.fix else None, d.message

    assert fix_of("y = x.map_blocks(f, mapper, meta=np.array(()))")[0] == "safe"
    assert fix_of("y = x.map_blocks(f, mapper, dtype=float)")[0] == "unsafe"
    assert fix_of("y = ddf.map_partitions(f, mapper, meta=ddf._meta)")[0] == "safe"
    applicability, message = fix_of("y = ddf.map_partitions(f, mapper)")
    assert applicability is None
    assert "with `meta=`: dask cannot infer the output's metadata through a delayed" in message
    bag = "import dask.bag as db\nb = db.from_sequence(range(3))\ny = b.map_partitions(f, mapper)"
    assert fix_of(bag)[0] == "safe"


def test_seed_example_is_reported_and_fixed(memlint, tmp_path):
    from conftest import REPO

    example = (REPO / "examples" / "dask_map_blocks_mapper.py").read_text()
    run = memlint("check", "--format", "concise", str(REPO / "examples"), cwd=REPO)
    assert run.returncode == 1, run
    assert "dask_map_blocks_mapper.py:34:45: MEM203 [*] `mapper` is an instance of `Mapper`" in run.stdout
    target = tmp_path / "dask_map_blocks_mapper.py"
    target.write_text(example)
    run = memlint("--fix", "--select", "MEM203", str(target), cwd=tmp_path)
    assert run.returncode == 0, run
    after = target.read_text()
    assert after == example.replace(
        "import cloudpickle\nimport dask.array as da\nimport numpy as np\nimport pandas as pd\n",
        "import cloudpickle\nimport dask.array as da\nimport numpy as np\nimport pandas as pd\nimport dask\n",
    ).replace(
        "codes.map_blocks(apply_mapper, mapper, meta=",
        "codes.map_blocks(apply_mapper, dask.delayed(mapper), meta=",
    )
    assert after != example


def test_the_unsafe_fix_turns_dtype_into_meta_where_the_dimensions_are_the_arrays():
    from memlint.api import fix_source as _fix_source

    code = textwrap.dedent("""\
        import dask.array as da
        import numpy as np
        import dask
        lookup = Lookup(np.arange(250_000))
        codes = da.arange(1000, chunks=100)
        a = codes.map_blocks(remap, lookup, dtype=np.float64)
        b = da.map_blocks(remap, codes, lookup, dtype="f8")
        c = codes.map_blocks(remap, lookup, dtype=float, drop_axis=0)
        """)
    fixed = _fix_source(code, "t.py", select=["MEM203"], unsafe=True)
    assert "a = codes.map_blocks(remap, dask.delayed(lookup), meta=np.empty((0,) * codes.ndim, dtype=np.float64))" in fixed
    assert 'b = da.map_blocks(remap, codes, dask.delayed(lookup), meta=np.empty((0,) * codes.ndim, dtype="f8"))' in fixed
    assert "c = codes.map_blocks(remap, dask.delayed(lookup), dtype=float, drop_axis=0)" in fixed
