"""Output formats: exact text of concise and full, the JSON shape, the statistics table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memlint.diagnostics import SAFE, UNSAFE, Diagnostic, Edit, Fix, Location
from memlint.reporters import FORMATS, render, render_statistics

SOURCE = (
    "import numpy as np\n"
    'm = np.memmap("f.dat", dtype="f8")\n'
    "for i in range(3):\n"
    "\tout = delayed(f)(big,\n"
    "\t                 i)\n"
)

# The keys of one finding in DESIGN.md's "Output" example, exactly.
DESIGN_KEYS = {"code", "message", "filename", "location", "end_location", "fix", "url", "noqa_row"}


def finding(code, name, message, filename, start, end, fix=None) -> Diagnostic:
    return Diagnostic(code, name, message, str(filename), Location(*start), Location(*end), fix)


@pytest.fixture
def cwd(tmp_path: Path) -> Path:
    return tmp_path.resolve()


@pytest.fixture
def diagnostics(cwd: Path) -> list[Diagnostic]:
    a = cwd / "pkg" / "a.py"
    edit = Edit(", shape=(5, 3)", Location(2, 34), Location(2, 34))
    safe = Fix(SAFE, "Pass shape=(5, 3) to np.memmap", (edit,))
    unsafe = Fix(UNSAFE, "Hoist `big` out of the loop", ())
    # Deliberately out of order: every format sorts by file, row, column, code.
    return [
        finding(
            "MEM204",
            "delayed-large-input-in-loop",
            "`big` is re-sent on every iteration",
            a,
            (4, 8),
            (5, 20),
            unsafe,
        ),
        finding("MEM101", "memmap-reshape", "Memmap without a shape", a, (2, 5), (2, 35), safe),
        finding("MEM001", "syntax-error", "Could not parse", "/elsewhere/b.py", (3, 1), (3, 1)),
        finding("MEM201", "from-array-memmap", "Memmap passed to from_array", a, (2, 5), (2, 35)),
    ]


@pytest.fixture
def sources(cwd: Path) -> dict[str, str]:
    return {str(cwd / "pkg" / "a.py"): SOURCE}


def test_formats() -> None:
    assert FORMATS == ("full", "concise", "json", "json-lines", "github", "sarif")


def test_unknown_format(cwd: Path) -> None:
    with pytest.raises(ValueError, match="unknown output format 'xml'"):
        render("xml", [], cwd=cwd)


def test_concise(diagnostics, cwd) -> None:
    assert render("concise", diagnostics, cwd=cwd).splitlines() == [
        "/elsewhere/b.py:3:1: MEM001 Could not parse",
        "pkg/a.py:2:5: MEM101 [*] Memmap without a shape",
        "pkg/a.py:2:5: MEM201 Memmap passed to from_array",
        "pkg/a.py:4:8: MEM204 `big` is re-sent on every iteration",
        "Found 4 errors.",
        "[*] 1 fixable with the --fix option.",
        "(1 hidden fix can be enabled with the --unsafe-fixes option.)",
    ]


def test_concise_with_unsafe_fixes_enabled(diagnostics, cwd) -> None:
    out = render("concise", diagnostics, cwd=cwd, unsafe_fixes_enabled=True).splitlines()
    assert out[3] == "pkg/a.py:4:8: MEM204 [*] `big` is re-sent on every iteration"
    assert out[4:] == ["Found 4 errors.", "[*] 2 fixable with the --fix option."]


def test_concise_without_fix_hints(diagnostics, cwd) -> None:
    out = render("concise", diagnostics, cwd=cwd, show_fixes_hint=False)
    assert out.endswith("\nFound 4 errors.\n")


def test_summary_only_hidden_fixes_and_singular(cwd) -> None:
    fix = Fix(UNSAFE, "Use ray.put", ())
    d = finding("MEM402", "large-arg-by-value", "Large argument", cwd / "x.py", (1, 1), (1, 2), fix)
    assert render("concise", [d, d], cwd=cwd) == (
        "x.py:1:1: MEM402 Large argument\n"
        "x.py:1:1: MEM402 Large argument\n"
        "Found 2 errors.\n"
        "(2 hidden fixes can be enabled with the --unsafe-fixes option.)\n"
    )
    assert render("concise", [d], cwd=cwd, unsafe_fixes_enabled=True).splitlines()[1:] == [
        "Found 1 error.",
        "[*] 1 fixable with the --fix option.",
    ]


@pytest.mark.parametrize("fmt", ["concise", "full"])
def test_no_findings(fmt, cwd) -> None:
    assert render(fmt, [], cwd=cwd) == "All checks passed!\n"


def test_full(diagnostics, cwd, sources) -> None:
    assert render("full", diagnostics, cwd=cwd, sources=sources) == "\n".join(
        [
            "/elsewhere/b.py:3:1: MEM001 Could not parse",
            "",
            "pkg/a.py:2:5: MEM101 [*] Memmap without a shape",
            "  |",
            '2 | m = np.memmap("f.dat", dtype="f8")',
            "  |     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
            "  |",
            "help: Pass shape=(5, 3) to np.memmap",
            "",
            "pkg/a.py:2:5: MEM201 Memmap passed to from_array",
            "  |",
            '2 | m = np.memmap("f.dat", dtype="f8")',
            "  |     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
            "  |",
            "",
            "pkg/a.py:4:8: MEM204 `big` is re-sent on every iteration",
            "  |",
            # The tab expands to four columns and the underline follows it.
            "4 |     out = delayed(f)(big,",
            "  |           ^^^^^^^^^^^^^^^",
            "5 |                      i)",
            "  |",
            "help: Hoist `big` out of the loop",
            "",
            "Found 4 errors.",
            "[*] 1 fixable with the --fix option.",
            "(1 hidden fix can be enabled with the --unsafe-fixes option.)",
            "",
        ]
    )


def test_full_reads_the_file_when_no_source_is_given(cwd) -> None:
    path = cwd / "m.py"
    path.write_text("x = 1\n\n\n\n\n\n\n\n\ny = np.memmap(p)\n")
    d = finding("MEM101", "memmap-reshape", "Memmap without a shape", path, (10, 5), (10, 17))
    assert render("full", [d], cwd=cwd).splitlines()[:5] == [
        "m.py:10:5: MEM101 Memmap without a shape",
        "   |",
        "10 | y = np.memmap(p)",
        "   |     ^^^^^^^^^^^^",
        "   |",
    ]


def test_full_marks_a_long_range_and_an_empty_one(cwd) -> None:
    source = "".join(f"line{i}\n" for i in range(1, 11))
    long = finding("MEM205", "delayed-on-collection", "Long", cwd / "l.py", (2, 3), (10, 2))
    empty = finding("MEM001", "syntax-error", "Unexpected end", cwd / "l.py", (11, 1), (11, 1))
    out = render("full", [long, empty], cwd=cwd, sources={str(cwd / "l.py"): source})
    assert out.splitlines()[:17] == [
        "l.py:2:3: MEM205 Long",
        "  |",
        "2 | line2",
        "  |   ^^^",
        "3 | line3",
        "4 | line4",
        "5 | line5",
        "6 | line6",
        "7 | line7",
        "  ...",
        "  |",
        "",
        "l.py:11:1: MEM001 Unexpected end",
        "   |",
        "11 |",
        "   | ^",
        "   |",
    ]


def test_full_skips_the_excerpt_of_an_unreadable_file(cwd) -> None:
    fix = Fix(SAFE, "Add shape", ())
    d = finding("MEM101", "memmap-reshape", "No shape", cwd / "gone.py", (1, 1), (1, 2), fix)
    assert render("full", [d], cwd=cwd).splitlines()[:3] == [
        "gone.py:1:1: MEM101 [*] No shape",
        "help: Add shape",
        "",
    ]


def test_json_round_trip(diagnostics, cwd) -> None:
    data = json.loads(render("json", diagnostics, cwd=cwd))
    assert [d["code"] for d in data] == ["MEM001", "MEM101", "MEM201", "MEM204"]
    for item in data:
        assert set(item) == DESIGN_KEYS
    assert data[1] == {
        "code": "MEM101",
        "message": "Memmap without a shape",
        "filename": str(cwd / "pkg" / "a.py"),
        "location": {"row": 2, "column": 5},
        "end_location": {"row": 2, "column": 35},
        "fix": {
            "applicability": "safe",
            "message": "Pass shape=(5, 3) to np.memmap",
            "edits": [
                {
                    "content": ", shape=(5, 3)",
                    "location": {"row": 2, "column": 34},
                    "end_location": {"row": 2, "column": 34},
                }
            ],
        },
        "url": "https://github.com/memlint/memlint/blob/main/rules.md#mem101",
        "noqa_row": 2,
    }
    assert data[0]["fix"] is None
    assert data[3]["fix"]["applicability"] == "unsafe"


def test_json_is_indented_and_empty_is_a_list(diagnostics, cwd) -> None:
    out = render("json", diagnostics, cwd=cwd)
    ordered = sorted(diagnostics, key=Diagnostic.sort_key)
    assert out == json.dumps([d.as_dict() for d in ordered], indent=2) + "\n"
    assert render("json", [], cwd=cwd) == "[]\n"


def test_statistics(diagnostics, cwd) -> None:
    extra = finding("MEM201", "from-array-memmap", "Memmap", cwd / "c.py", (1, 1), (1, 2))
    assert render_statistics([*diagnostics, extra]).splitlines() == [
        "2  MEM201  [ ]  from-array-memmap",
        "1  MEM001  [ ]  syntax-error",
        "1  MEM101  [*]  memmap-reshape",
        "1  MEM204  [ ]  delayed-large-input-in-loop",
    ]


def test_statistics_without_fixes_or_findings(cwd) -> None:
    many = [
        finding("MEM402", "large-arg-by-value", "m", cwd / "a.py", (i, 1), (i, 2))
        for i in range(1, 12)
    ]
    one = finding("MEM001", "syntax-error", "m", cwd / "a.py", (1, 1), (1, 1))
    assert render_statistics([one, *many]) == (
        "11  MEM402  large-arg-by-value\n"
        " 1  MEM001  syntax-error\n"
    )
    assert render_statistics([]) == ""
