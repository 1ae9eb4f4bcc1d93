"""Jupyter notebooks: checked as the module their code cells make, findings at cell and row in
every format, fixes written back into the cells they belong to with every other byte kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memlint.engine.notebook import Notebook, mask

PINNED = '[tool.memlint.versions]\njoblib = "1.4.2"\ndask = "2024.5.0"\n'


def code(source: str, outputs=(), count=None, cell_id=None) -> dict:
    cell = {"cell_type": "code", "execution_count": count, "metadata": {}, "outputs": list(outputs),
            "source": source.splitlines(keepends=True)}
    if cell_id:
        cell["id"] = cell_id
    return cell


def markdown(source: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": source.splitlines(keepends=True)}


def jupyter(cells: list[dict], language: str = "python") -> str:
    """The notebook as Jupyter writes it: sorted keys, 1-space indentation, raw UTF-8, a
    final newline."""
    nb = {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
          "metadata": {"kernelspec": {"display_name": "K", "language": language, "name": "k"}}}
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


STREAM = {"name": "stdout", "output_type": "stream", "text": ["héllo ✓ wörld\n"]}
IMAGE = {"data": {"image/png": "iVBORw0KGgo=\n", "text/plain": ["<Figure size 640x480 with 1 Axes>"]},
         "metadata": {"needs_background": "light"}, "output_type": "display_data"}

# The memmap is opened in cell 3 and handed to dask in cell 5 (cell 1 is markdown).
EXPLORE = [
    markdown("# Explore\nThe raw frames."),
    code("%matplotlib inline\nimport numpy as np\nimport dask.array as da\n!ls -l data/", count=1, cell_id="c1"),
    code("raw = np.memmap('data.bin', dtype='float32', mode='r')\nnp.memmap?", [STREAM], count=2, cell_id="c2"),
    {"cell_type": "raw", "metadata": {}, "source": ["da.from_array(raw)"]},
    code("%%time\nframes = raw.reshape(600_000, 32)\narr = da.from_array(raw, chunks=1000)", [IMAGE], count=4,
         cell_id="c4"),
]


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


@pytest.fixture
def explore(tmp_path: Path) -> Path:
    write(tmp_path, "pyproject.toml", PINNED)
    write(tmp_path, "explore.ipynb", jupyter(EXPLORE))
    return tmp_path


# -- findings in every format -----------------------------------------------------------------


def test_a_memmap_opened_in_one_cell_and_used_in_another_is_found_at_its_cell(inproc, explore) -> None:
    run = inproc("check", "--format", "concise", "explore.ipynb", cwd=explore)
    assert run.returncode == 1
    assert run.stdout.splitlines()[0].startswith("explore.ipynb:cell 5:3:7: MEM201 [*] `da.from_array`")


def test_full_format_shows_the_cell_line(inproc, explore) -> None:
    run = inproc("check", "explore.ipynb", cwd=explore)
    lines = run.stdout.splitlines()
    assert lines[0].startswith("explore.ipynb:cell 5:3:7: MEM201")
    assert lines[1:5] == [
        "  |",
        "3 | arr = da.from_array(raw, chunks=1000)",
        "  |       ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
        "  |",
    ]


def test_json_carries_the_cell_and_rows_within_it(inproc, explore) -> None:
    run = inproc("check", "--format", "json", "explore.ipynb", cwd=explore)
    [finding] = json.loads(run.stdout)
    assert finding["cell"] == 5
    assert (finding["location"], finding["end_location"]) == ({"row": 3, "column": 7}, {"row": 3, "column": 38})
    assert finding["noqa_row"] == 3
    [edit] = finding["fix"]["edits"]
    assert edit["location"]["row"] == 3 and edit["content"].endswith("name=False")
    lines = inproc("check", "--format", "json-lines", "explore.ipynb", cwd=explore).stdout.splitlines()
    assert [json.loads(line)["cell"] for line in lines] == [5]


def test_a_python_file_finding_has_no_cell_key(inproc, explore) -> None:
    write(explore, "a.py", "import numpy as np\nimport dask.array as da\n"
                           "raw = np.memmap('d.bin', mode='r')\nx = da.from_array(raw)\n")
    data = json.loads(inproc("check", "--format", "json", "a.py", cwd=explore).stdout)
    assert "cell" not in data[0]


def test_github_and_sarif_point_into_the_notebook_file(inproc, explore) -> None:
    text = (explore / "explore.ipynb").read_text(encoding="utf-8")
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "arr = da.from_array" in s)
    column = text.splitlines()[line - 1].index("da.from_array") + 1
    github = inproc("check", "--format", "github", "explore.ipynb", cwd=explore).stdout
    assert f"file=explore.ipynb,line={line},col={column}," in github
    assert "::explore.ipynb:cell 5:3:7: MEM201 " in github
    sarif = json.loads(inproc("check", "--format", "sarif", "explore.ipynb", cwd=explore).stdout)
    [result] = sarif["runs"][0]["results"]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "explore.ipynb"
    assert (location["region"]["startLine"], location["region"]["startColumn"]) == (line, column)
    assert result["properties"] == {"cell": 5, "cellLine": 3, "cellColumn": 7}


def test_escaped_characters_before_the_finding_shift_its_column_in_the_file(inproc, tmp_path) -> None:
    write(tmp_path, "pyproject.toml", PINNED)
    cells = [code('import numpy as np\nimport dask.array as da\nraw = np.memmap("d.bin", mode="r")\n'
                  'x = {"k": "\\t"}; arr = da.from_array(raw)')]
    text = write(tmp_path, "n.ipynb", jupyter(cells)).read_text()
    github = inproc("check", "--format", "github", "n.ipynb", cwd=tmp_path).stdout
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "da.from_array(raw)" in s)
    column = text.splitlines()[line - 1].index("da.from_array") + 1
    assert f"line={line},col={column}," in github


# -- discovery -----------------------------------------------------------------------------------


def test_notebooks_are_found_in_directories_but_not_in_checkpoints(inproc, explore) -> None:
    (explore / "notebooks").mkdir()
    (explore / "explore.ipynb").rename(explore / "notebooks" / "explore.ipynb")
    write(explore, "notebooks/.ipynb_checkpoints/explore-checkpoint.ipynb", jupyter(EXPLORE))
    run = inproc("check", "--format", "concise", ".", cwd=explore)
    assert [line.split(": ")[0] for line in run.stdout.splitlines()[:-2]] == ["notebooks/explore.ipynb:cell 5:3:7"]


def test_exclude_opts_out_of_notebooks(inproc, explore) -> None:
    write(explore, "pyproject.toml", PINNED + '[tool.memlint]\nexclude = ["*.ipynb"]\n')
    run = inproc("check", ".", cwd=explore)
    assert (run.returncode, run.stdout) == (0, "All checks passed!\n")


def test_a_project_module_is_followed_from_a_notebook_in_a_subdirectory(inproc, tmp_path) -> None:
    write(tmp_path, "pyproject.toml", PINNED)
    write(tmp_path, "mypkg/__init__.py", "")
    write(tmp_path, "mypkg/loader.py", "import numpy as np\n\n\ndef load(path):\n"
                                       "    return np.memmap(path, dtype='f4', mode='r')\n")
    write(tmp_path, "notebooks/01 first look.ipynb", jupyter([
        code("import dask.array as da\nfrom mypkg.loader import load"),
        code("raw = load('x.bin')\narr = da.from_array(raw, chunks=100)"),
    ]))
    run = inproc("check", "--format", "concise", ".", cwd=tmp_path)
    assert run.stdout.startswith("notebooks/01 first look.ipynb:cell 2:2:7: MEM201 ")


# -- IPython syntax ------------------------------------------------------------------------------


MAGICS = [
    code("%load_ext autoreload\n%autoreload 2\nimport numpy as np\nfiles = !ls *.bin\n?np.memmap\nnp.memmap??"),
    code("%%timeit -n 3\nx = np.zeros(3)"),
    code("%%bash\nfor f in *.bin; do echo $f; done"),
    code("for f in files:\n    !echo {f}\n    %time np.load(f)\npip install dask\nawait asyncio.sleep(0)"),
    code('doc = """\n%d frames\n!not a shell line\n"""\ntotal = (3\n         % 2)'),
]


def test_magics_and_shell_escapes_neither_break_the_parse_nor_count_as_code(inproc, tmp_path) -> None:
    write(tmp_path, "pyproject.toml", PINNED + '[tool.memlint]\nselect = ["MEM"]\n')
    # MEM002 runs (the file holds "MEM"): every cell is parsed, and nothing is reported.
    write(tmp_path, "m.ipynb", jupyter([*MAGICS, code("# MEM")]))
    run = inproc("check", "m.ipynb", cwd=tmp_path)
    assert (run.returncode, run.stdout) == (0, "All checks passed!\n"), run.stdout


def test_the_body_of_a_cell_magic_that_is_not_python_is_not_checked(inproc, tmp_path) -> None:
    write(tmp_path, "pyproject.toml", PINNED)
    write(tmp_path, "w.ipynb", jupyter([
        code("%%writefile job.py\nimport numpy as np\nimport dask.array as da\n"
             "raw = np.memmap('d.bin', mode='r')\nx = da.from_array(raw)"),
    ]))
    run = inproc("check", "w.ipynb", cwd=tmp_path)
    assert (run.returncode, run.stdout) == (0, "All checks passed!\n")


def test_the_body_of_a_timed_cell_is_checked(inproc, tmp_path) -> None:
    write(tmp_path, "pyproject.toml", PINNED)
    write(tmp_path, "t.ipynb", jupyter([
        code("%%time\nimport numpy as np\nimport dask.array as da\n"
             "raw = np.memmap('d.bin', mode='r')\nx = da.from_array(raw)"),
    ]))
    run = inproc("check", "--format", "concise", "t.ipynb", cwd=tmp_path)
    assert run.stdout.startswith("t.ipynb:cell 1:5:5: MEM201 ")


@pytest.mark.parametrize("line", [
    "%time f()", "%%timeit", "!ls", "!!ls", "x = !ls", "a, b = %sx ls", "?obj", "obj?", "np.memmap??",
    "pip install numpy", "%matplotlib inline", "    !echo indented", "/f a", ",f a b",
    "%timeit np.fromiter((a + b for a, b in zip(x, y)),\n                    dtype=x.dtype)",
    "%time total = \\\n    f()", "!echo '('",
])
def test_ipython_lines_are_masked(line: str) -> None:
    """Each with the whole logical line IPython reads it as (open brackets, a backslash)."""
    text, originals = mask(line + "\nx = 1\n")
    rows = line.count("\n") + 1
    assert text.splitlines()[rows] == "x = 1"
    assert "".join(originals) == line + "\n"
    assert len({row[: len(row) - len(row.lstrip())] for row in text.splitlines()[:rows]}) == 1  # one indentation


@pytest.mark.parametrize("source", [
    "# why?\n", "x = f()  # why?\n", 's = """\n%d items\n!not\n"""\n', "x = (a\n     % b)\n",
    "y = [1,\n/2]\n", "x = 5 % 2\n", "x == !y\n", "s = 'a\\\n%b'\n", "print(f'{x!r}')\n",
])
def test_python_that_looks_like_ipython_is_not_masked(source: str) -> None:
    assert mask(source) == (source, [])


def test_a_cell_magic_whose_body_is_not_python_is_left_out() -> None:
    assert mask("%%bash\nls -l\n") is None
    assert mask("\n%%writefile a.py\nimport os\n") is None


def test_a_notebook_of_another_language_is_not_checked(inproc, tmp_path) -> None:
    write(tmp_path, "pyproject.toml", PINNED)
    write(tmp_path, "r.ipynb", jupyter(EXPLORE, language="R"))
    run = inproc("check", "r.ipynb", cwd=tmp_path)
    assert (run.returncode, run.stdout) == (0, "All checks passed!\n")


# -- bad notebooks -------------------------------------------------------------------------------


def test_a_cell_that_does_not_parse_is_mem001_at_its_cell_and_the_others_are_checked(inproc, explore) -> None:
    cells = [*EXPLORE]
    cells.insert(2, code("def broken(:\n    pass"))
    write(explore, "explore.ipynb", jupyter(cells))
    run = inproc("check", "--format", "concise", "explore.ipynb", cwd=explore)
    lines = run.stdout.splitlines()
    assert lines[0].startswith("explore.ipynb:cell 3:1:12: MEM001 SyntaxError: ")
    assert lines[1].startswith("explore.ipynb:cell 6:3:7: MEM201 ")
    before = (explore / "explore.ipynb").read_bytes()
    fixed = inproc("--fix", "explore.ipynb", cwd=explore)
    assert fixed.returncode == 1 and "cannot fix: cell 3 does not parse" in fixed.stderr
    assert (explore / "explore.ipynb").read_bytes() == before


@pytest.mark.parametrize("content, message", [
    ('{"cells": [', "not a Jupyter notebook: invalid JSON ("),
    ("", "not a Jupyter notebook: the file is empty"),
    ('{"metadata": {}, "nbformat": 4}', 'not a Jupyter notebook: it has no "cells" list'),
    ("[1, 2]", "not a Jupyter notebook: the JSON is not an object"),
    ('<<<<<<< HEAD\n{"cells": []}\n=======\n', "not a Jupyter notebook: invalid JSON ("),
])
def test_a_file_that_is_no_notebook_is_mem001_and_the_run_goes_on(inproc, explore, content, message) -> None:
    write(explore, "bad.ipynb", content)
    run = inproc("check", "--format", "concise", ".", cwd=explore)
    lines = run.stdout.splitlines()
    assert lines[0].startswith(f"bad.ipynb:1:1: MEM001 {message}")
    assert lines[1].startswith("explore.ipynb:cell 5:3:7: MEM201 ")
    assert run.returncode == 1 and "Traceback" not in run.stderr


def test_a_notebook_without_cells_is_clean(inproc, tmp_path) -> None:
    write(tmp_path, "pyproject.toml", PINNED)
    write(tmp_path, "empty.ipynb", jupyter([]))
    write(tmp_path, "blank.ipynb", jupyter([code(""), markdown("")]))
    run = inproc("check", ".", cwd=tmp_path)
    assert (run.returncode, run.stdout) == (0, "All checks passed!\n")


# -- suppression ---------------------------------------------------------------------------------


def test_suppression_comments_work_inside_cells(inproc, explore) -> None:
    for comment in ("# noqa: MEM201", "# memlint: ignore[MEM201]", "# noqa"):
        cells = [*EXPLORE[:4], code(f"%%time\narr = da.from_array(raw, chunks=1000)  {comment}")]
        write(explore, "explore.ipynb", jupyter(cells))
        run = inproc("check", "explore.ipynb", cwd=explore)
        assert (run.returncode, run.stdout) == (0, "All checks passed!\n"), comment


def test_an_unused_suppression_is_reported_at_its_cell(inproc, explore) -> None:
    cells = [*EXPLORE, code("y = 1  # noqa: MEM101")]
    write(explore, "explore.ipynb", jupyter(cells))
    run = inproc("check", "--select", "MEM", "--format", "concise", "explore.ipynb", cwd=explore)
    assert any(line.startswith("explore.ipynb:cell 6:1:8: MEM002 ") for line in run.stdout.splitlines()), run.stdout


def test_add_noqa_writes_the_directive_into_the_cell(inproc, explore) -> None:
    before = (explore / "explore.ipynb").read_text(encoding="utf-8")
    run = inproc("--add-noqa", "explore.ipynb", cwd=explore)
    assert run.returncode == 0
    after = (explore / "explore.ipynb").read_text(encoding="utf-8")
    old = '"arr = da.from_array(raw, chunks=1000)"'
    assert after == before.replace(old, '"arr = da.from_array(raw, chunks=1000)  # noqa: MEM201"')
    assert inproc("check", "explore.ipynb", cwd=explore).returncode == 0


# -- fixing --------------------------------------------------------------------------------------


def test_fix_changes_the_fixed_line_and_no_other_byte(inproc, explore) -> None:
    path = explore / "explore.ipynb"
    before = path.read_bytes()
    run = inproc("--fix", "explore.ipynb", cwd=explore)
    assert "1 fixed" in run.stdout
    after = path.read_bytes()
    old = '"arr = da.from_array(raw, chunks=1000)"'.encode()
    new = '"arr = da.from_array(raw, chunks=1000, name=False)"'.encode()
    assert before.count(old) == 1 and after == before.replace(old, new)
    assert "héllo ✓ wörld".encode() in after  # outputs as they were
    again = inproc("--fix", "explore.ipynb", cwd=explore)
    assert path.read_bytes() == after and "fixed" not in again.stdout


def test_fix_keeps_the_layout_of_notebooks_other_tools_wrote(inproc, tmp_path) -> None:
    """Two-space indentation, unsorted keys, escaped non-ASCII, a source held as one string,
    no final newline: all kept."""
    write(tmp_path, "pyproject.toml", PINNED)
    nb = {"nbformat": 4, "nbformat_minor": 4, "metadata": {"language_info": {"name": "python"}}, "cells": [
        {"source": "import numpy as np\nimport dask.array as da\nraw = np.memmap('d.bin', mode='r')\n"
                   "x = da.from_array(raw)  # é", "cell_type": "code", "metadata": {}, "outputs": [STREAM],
         "execution_count": 7},
    ]}
    text = json.dumps(nb, indent=2)
    path = write(tmp_path, "other.ipynb", text)
    inproc("--fix", "other.ipynb", cwd=tmp_path)
    assert path.read_text() == text.replace("da.from_array(raw)", "da.from_array(raw, name=False)")


def test_fix_inserts_an_import_after_the_imports_past_a_magic(inproc, tmp_path) -> None:
    write(tmp_path, "pyproject.toml", PINNED + "[tool.memlint.rules.MEM101]\nrequire-sink = false\n")
    cells = [
        markdown("Setup"),
        code("%load_ext autoreload\nimport numpy as np"),
        code("data = np.memmap('d.bin', dtype='f8', mode='r').reshape(-1, 3)"),
    ]
    path = write(tmp_path, "r.ipynb", jupyter(cells))
    run = inproc("--fix", "--unsafe-fixes", "r.ipynb", cwd=tmp_path)
    assert "fixed" in run.stdout, (run.stdout, run.stderr)
    sources = ["".join(c["source"]) for c in json.loads(path.read_text())["cells"]]
    # (A magic line, masked, does not end the leading imports.)
    assert sources[1] == "%load_ext autoreload\nimport numpy as np\nimport os"
    assert sources[2] == ("data = np.memmap('d.bin', dtype='f8', mode='r', "
                          "shape=(os.path.getsize('d.bin') // (np.dtype('f8').itemsize * 3), 3))")


def test_diff_shows_each_changed_cell_and_writes_nothing(inproc, explore) -> None:
    path = explore / "explore.ipynb"
    before = path.read_bytes()
    run = inproc("--diff", "explore.ipynb", cwd=explore)
    assert run.returncode == 1 and path.read_bytes() == before
    assert run.stdout == (
        "--- a/explore.ipynb:cell 5\n"
        "+++ b/explore.ipynb:cell 5\n"
        "@@ -1,3 +1,3 @@\n"
        " %%time\n"
        " frames = raw.reshape(600_000, 32)\n"
        "-arr = da.from_array(raw, chunks=1000)\n"
        "+arr = da.from_array(raw, chunks=1000, name=False)\n"
    )


def test_a_fix_after_empty_cells(inproc, explore) -> None:
    cells = [*EXPLORE[:3], code(""), code("\n"), *EXPLORE[3:]]
    path = write(explore, "explore.ipynb", jupyter(cells))
    before = path.read_bytes()
    inproc("--fix", "explore.ipynb", cwd=explore)
    assert path.read_bytes() == before.replace(b"chunks=1000)", b"chunks=1000, name=False)")


def test_a_fix_next_to_magics_gives_them_back(inproc, tmp_path) -> None:
    write(tmp_path, "pyproject.toml", PINNED)
    source = ("import numpy as np\nimport dask.array as da\n!ls\nraw = np.memmap('d.bin', mode='r')\n"
              "%time x = 1\nfor i in range(2):\n    !echo {i}\n    arr = da.from_array(raw)\nobj?")
    path = write(tmp_path, "m.ipynb", jupyter([code(source)]))
    inproc("--fix", "m.ipynb", cwd=tmp_path)
    [cell] = json.loads(path.read_text())["cells"]
    assert "".join(cell["source"]) == source.replace("da.from_array(raw)", "da.from_array(raw, name=False)")


def test_notebook_on_stdin(inproc, explore) -> None:
    data = (explore / "explore.ipynb").read_bytes()
    run = inproc("check", "--format", "concise", "--stdin-filename", "explore.ipynb", "-", cwd=explore, input=data)
    assert run.stdout.startswith("explore.ipynb:cell 5:3:7: MEM201 ")
    full = inproc("check", "--stdin-filename", "explore.ipynb", "-", cwd=explore, input=data)
    assert "3 | arr = da.from_array(raw, chunks=1000)" in full.stdout
    fixed = inproc("--fix", "--stdin-filename", "explore.ipynb", "-", cwd=explore, input=data)
    assert fixed.stdout.encode() == data.replace(b"chunks=1000)", b"chunks=1000, name=False)")


def test_top_level_await_does_not_stop_a_fix(inproc, tmp_path) -> None:
    write(tmp_path, "pyproject.toml", PINNED)
    path = write(tmp_path, "a.ipynb", jupyter([
        code("import asyncio\nimport numpy as np\nimport dask.array as da\nawait asyncio.sleep(0)"),
        code("raw = np.memmap('d.bin', mode='r')\narr = da.from_array(raw)"),
    ]))
    run = inproc("--fix", "a.ipynb", cwd=tmp_path)
    assert "1 fixed" in run.stdout, (run.stdout, run.stderr)
    assert "da.from_array(raw, name=False)" in path.read_text()


# -- the cache and the first pass ----------------------------------------------------------------


def test_the_cache_answers_for_an_unchanged_notebook(inproc, explore, monkeypatch) -> None:
    first = inproc("check", "--format", "json", "explore.ipynb", cwd=explore).stdout
    from memlint.engine import checker

    def no_check(*args, **kwargs):
        raise AssertionError("checked again")

    monkeypatch.setattr(checker, "check_notebook", no_check)
    assert inproc("check", "--format", "json", "explore.ipynb", cwd=explore).stdout == first
    monkeypatch.undo()
    cells = [*EXPLORE[:4], code("%%time\narr = da.from_array(raw, chunks=10)")]
    write(explore, "explore.ipynb", jupyter(cells))
    [finding] = json.loads(inproc("check", "--format", "json", "explore.ipynb", cwd=explore).stdout)
    assert (finding["cell"], finding["location"]["row"]) == (5, 2)


def test_a_notebook_without_triggers_is_never_parsed(monkeypatch) -> None:
    from memlint.engine import checker, parsing
    from memlint.engine.runner import Project

    def no_parse(*args, **kwargs):
        raise AssertionError("parsed")

    monkeypatch.setattr(parsing, "parse_module", no_parse)
    from memlint.config import Config

    settings = Project(Config(root=Path.cwd())).settings_for("n.ipynb")
    data = jupyter([code("import numpy as np\nx = np.zeros(3)\n!ls"), markdown("memmap dask Parallel")]).encode()
    assert checker.check_bytes(data, "n.ipynb", settings).diagnostics == []


def test_the_module_of_a_notebook_keeps_rows_and_cells() -> None:
    nb = Notebook.read(jupyter(EXPLORE).encode())
    assert [c.number for c in nb.cells] == [2, 3, 5]
    from memlint.diagnostics import Location

    assert nb.locate(Location(1, 1)) == (2, Location(1, 1))
    row = nb.text.splitlines().index("arr = da.from_array(raw, chunks=1000)") + 1
    assert nb.locate(Location(row, 7)) == (5, Location(3, 7))
    assert nb.sources_of(nb.text) == {}


# -- the same findings and fixes as the file the cells make -----------------------------------


def _split_into_cells(source: str) -> list[str]:
    """`source` cut before each top-level statement (decorators included): one cell each."""
    import ast

    starts = sorted({min([s.lineno, *(d.lineno for d in getattr(s, "decorator_list", []))])
                     for s in ast.parse(source).body})
    lines = source.splitlines(keepends=True)
    cuts = [1, *starts[1:], len(lines) + 1]
    return ["".join(lines[a - 1:b - 1]) for a, b in zip(cuts, cuts[1:])]


def _examples():
    from memlint.engine.registry import all_rules

    for rule in all_rules().values():
        for i, example in enumerate(rule.invalid):
            if rule.code != "MEM001":
                yield pytest.param(rule, example, id=f"{rule.code}-{i}")


@pytest.mark.parametrize("rule, example", list(_examples()))
def test_rule_examples_in_cells_give_the_findings_and_fixes_of_the_file(rule, example) -> None:
    from memlint.api import _settings
    from memlint.engine.checker import check_text, fix_text, lint_notebook

    select = [rule.code, *example.extend_select]
    settings = _settings(select, {rule.code: example.options}, example.versions, "assume-affected", "x")
    pieces = _split_into_cells(example.source)
    notebook = Notebook.read(jupyter([code(p) for p in pieces]).encode())
    first_row = {i + 1: sum(p.count("\n") for p in pieces[:i]) + 1 for i in range(len(pieces))}

    expected = [(d.code, d.location.row, d.location.column) for d in check_text(example.source, "x.py", settings)]
    found = lint_notebook(notebook, "x.ipynb", settings)
    assert [(d.code, first_row[d.cell] + d.location.row - 1, d.location.column) for d in found] == expected

    fixed, *_ = fix_text(example.source, "x.py", settings, unsafe=example.unsafe)
    new_text, *_ = fix_text(notebook.text, "x.ipynb", settings, unsafe=example.unsafe, top_level_await=True)
    after = Notebook.read(notebook.with_sources(notebook.sources_of(new_text)))
    assert "".join(c.source for c in after.cells) == fixed


def test_fix_keeps_crlf_line_breaks_of_the_json(inproc, explore) -> None:
    path = explore / "explore.ipynb"
    crlf = path.read_bytes().replace(b"\n", b"\r\n")
    path.write_bytes(crlf)
    inproc("--fix", "explore.ipynb", cwd=explore)
    assert path.read_bytes() == crlf.replace(b"chunks=1000)", b"chunks=1000, name=False)")


def test_a_fix_that_adds_a_line_to_a_cell_keeps_the_json_layout(inproc, tmp_path) -> None:
    write(tmp_path, "pyproject.toml", PINNED)
    cells = [code("import pandas as pd\nimport dask\nlookup = pd.read_parquet('l.parquet')"),
             code("parts = [dask.delayed(join)(p, lookup) for p in paths]")]
    path = write(tmp_path, "d.ipynb", jupyter(cells))
    inproc("--fix", "--unsafe-fixes", "d.ipynb", cwd=tmp_path)
    cells[1] = code("lookup = dask.delayed(lookup)\nparts = [dask.delayed(join)(p, lookup) for p in paths]")
    assert path.read_text() == jupyter(cells)


MAGIC_LINES = ["%matplotlib inline", "!ls -l data/", "files = !ls", "%time setup()", "np.memmap?",
               "%timeit f(x,\n        y)", "pip install dask"]


@pytest.mark.parametrize("rule, example", list(_examples()))
def test_rule_examples_with_magics_between_statements_keep_their_findings(rule, example) -> None:
    """Magic lines put at the start of cells change no finding, and a fix gives every one
    of them back in its cell."""
    import random

    from memlint.api import _settings
    from memlint.engine.checker import check_text, fix_text, lint_notebook

    settings = _settings([rule.code, *example.extend_select], {rule.code: example.options}, example.versions,
                         "assume-affected", "x")
    rng = random.Random(f"{rule.code}:{example.source}")
    pieces = _split_into_cells(example.source)
    magics = {i: rng.choice(MAGIC_LINES) + "\n" for i in range(len(pieces)) if i and rng.random() < 0.5}
    cells = [magics.get(i, "") + p for i, p in enumerate(pieces)]
    notebook = Notebook.read(jupyter([code(c) for c in cells]).encode())
    first_row = {i + 1: sum(p.count("\n") for p in pieces[:i]) + 1 for i in range(len(pieces))}

    def source_row(d) -> int:
        return first_row[d.cell] + d.location.row - 1 - magics.get(d.cell - 1, "").count("\n")

    expected = [(d.code, d.location.row, d.location.column) for d in check_text(example.source, "x.py", settings)]
    found = lint_notebook(notebook, "x.ipynb", settings)
    assert [(d.code, source_row(d), d.location.column) for d in found] == expected
    new_text, *_ = fix_text(notebook.text, "x.ipynb", settings, unsafe=example.unsafe, top_level_await=True)
    after = Notebook.read(notebook.with_sources(notebook.sources_of(new_text)))
    for i, magic in magics.items():
        assert after.cells[i].source.startswith(magic), after.cells[i].source


# -- damaged notebooks ------------------------------------------------------------------------------

DAMAGE = [b'"', b'\\', b'[', b']', b'{', b'}', b',', b'\\n', b'!ls', b'%%time\\n', b'%', b'\\u00e9', b'null',
          b'"source": 5', b'"cell_type": "code"', b'\n', b'"x = (\\n",', b'"  %time f(\\n",', b'"\\"\\"\\"\\n",']


def test_damaged_notebooks_are_findings_never_crashes(explore) -> None:
    """300 notebooks with bytes cut, added or replaced (in their JSON and in their cells):
    checked and fixed, each is MEM001 or its findings, and a fixed one is valid JSON."""
    import random

    from memlint.config import Config
    from memlint.engine.runner import FixOptions, Project, check_one

    project = Project(Config(root=explore))
    seed = jupyter(EXPLORE).encode()
    rng = random.Random(20261203)
    for _ in range(300):
        data = bytearray(seed)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(data))
            if rng.random() < 0.4:
                del data[at:at + rng.randint(1, 20)]
            else:
                data[at:at] = rng.choice(DAMAGE)
        for opts in (FixOptions(), FixOptions(fix=True, unsafe=True)):
            result, fixed, _ = check_one(bytes(data), str(explore / "x.ipynb"), project, opts)
            assert not any("could not analyse" in d.message for d in result.diagnostics), bytes(data)
            if fixed is not None:
                json.loads(fixed)
