"""The engine as a user meets it: suppression comments, fixes (overlap, re-check, idempotence,
roll-back), MEM001, and what `--fix` keeps of a file (newlines, encoding, BOM, final newline,
permission bits) and how it writes it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import libcst as cst
import pytest

from memlint import cli
from library_settings import check_source, fix_source  # MEM101 with require-sink = false
from memlint.api import StaticVersions
from memlint.diagnostics import Edit, Fix, Location
from memlint.engine.checker import MAX_FIX_ROUNDS, Settings, check_text, fix_text
from memlint.engine.fixes import apply_fixes
from memlint.engine.rule import FixSpec, Replace, Rule
from memlint.engine.runner import FixOptions, run_files, write_atomic


V = {"joblib": "1.4.2"}
RESHAPE = 'data = np.memmap("d.bin", dtype="f8", mode="r").reshape(5, 3)'
FIXED = 'data = np.memmap("d.bin", dtype="f8", mode="r", shape=(5, 3))'


def found(src: str, **kw) -> list[tuple[str, int]]:
    # MEM002 (a suppression that suppresses nothing) has its own tests (tests/rules/test_mem002.py).
    return [
        (d.code, d.location.row) for d in check_source(src, "x.py", versions=V, **kw) if d.code != "MEM002"
    ]


# -- suppression ------------------------------------------------------------------------------


def test_unsuppressed_finding_for_reference() -> None:
    assert found(f"import numpy as np\n{RESHAPE}\n") == [("MEM101", 2)]


@pytest.mark.parametrize(
    "comment",
    [
        "# noqa",
        "# noqa: MEM101",
        "# noqa:MEM101",
        "# NOQA: mem101",
        "# noqa: E501, MEM101",
        "# noqa: MEM1",  # a code prefix
        "# noqa: MEM",
        "# memlint: ignore[MEM101]",
        "# memlint: ignore[MEM102, MEM101]",
        "# memlint: ignore[MEM1]",
    ],
)
def test_trailing_comment_suppresses(comment: str) -> None:
    assert found(f"import numpy as np\n{RESHAPE}  {comment}\n") == []


@pytest.mark.parametrize(
    "comment",
    ["# noqa: MEM102", "# noqa: E501", "# memlint: ignore[MEM102]", "# see noqa", "# memlint: ignore"],
)
def test_comment_for_another_code_does_not_suppress(comment: str) -> None:
    assert found(f"import numpy as np\n{RESHAPE}  {comment}\n") == [("MEM101", 2)]


def test_noqa_inside_a_string_does_not_suppress() -> None:
    assert found(f'import numpy as np\n{RESHAPE}; s = "# noqa"\n') == [("MEM101", 2)]


def test_noqa_on_another_line_of_a_multiline_statement() -> None:
    # flake8 maps a noqa line by line inside brackets (only a token spanning lines, such as
    # a multi-line string, joins them): it must be on the line where the finding starts.
    on_last = 'import numpy as np\ndata = (\n    np.memmap("d.bin", mode="r")\n    .reshape(5, 3)\n)  # noqa: MEM101\n'
    on_middle = 'import numpy as np\ndata = (\n    np.memmap("d.bin", mode="r")  # noqa: MEM101\n    .reshape(5, 3)\n)\n'
    after_string = 'import numpy as np\ndata = np.memmap("""d\n.bin""", mode="r").reshape(5, 3)  # noqa: MEM101\n'
    assert found(on_last.replace("  # noqa: MEM101", "")) == [("MEM101", 3)]
    assert found(on_last) == [("MEM101", 3)]
    assert found(on_middle) == []
    assert found(after_string) == []


def test_noqa_does_not_reach_the_next_statement() -> None:
    src = f"import numpy as np\nx = 1  # noqa\n{RESHAPE}\n"
    assert found(src) == [("MEM101", 3)]


def test_memlint_ignore_on_the_line_above() -> None:
    assert found(f"import numpy as np\n# memlint: ignore[MEM101]\n{RESHAPE}\n") == []
    assert found(f"import numpy as np\n# memlint: ignore[MEM102]\n{RESHAPE}\n") == [("MEM101", 3)]
    indented = f"import numpy as np\ndef f():\n    # memlint: ignore[MEM101]\n    {RESHAPE}\n"
    assert found(indented) == []


def test_memlint_ignore_above_covers_only_the_next_statement() -> None:
    src = f"import numpy as np\n# memlint: ignore[MEM101]\nx = 1\n{RESHAPE}\n"
    assert found(src) == [("MEM101", 4)]


def test_skip_file() -> None:
    assert found(f"# memlint: skip-file\nimport numpy as np\n{RESHAPE}\n") == []
    assert found(f"import numpy as np\n{RESHAPE}\n# memlint: skip-file\n") == []
    # only as a comment
    assert found(f'import numpy as np\n{RESHAPE}\ns = "# memlint: skip-file"\n') == [("MEM101", 2)]


# -- fixes: a few small rules that exist only for these tests ------------------------------------------


def _settings(*rules: type[Rule]) -> Settings:
    versions = StaticVersions({})
    return Settings(list(rules), {r.code: {} for r in rules}, versions.resolve, versions.affected)


class Unwrap(Rule):
    """`unwrap(x)` -> `x` (a safe fix); nested calls give overlapping fixes."""

    code = "MEM901"
    name = "unwrap"
    summary = "Unwrap"
    triggers = ((b"unwrap",),)

    def visit_Call(self, node) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "unwrap" and node.args:
            inner = self.ctx.code_for(node.args[0].value)
            self.report(node, "unwrap it", fix=FixSpec("safe", "Unwrap", [Replace(node, inner)]))


class Breaker(Rule):
    """`breakme()` -> `breakme(` : a fix whose result does not parse."""

    code = "MEM902"
    name = "breaker"
    summary = "Breaker"
    triggers = ((b"breakme",),)

    def visit_Call(self, node) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "breakme":
            self.report(node, "broken", fix=FixSpec("safe", "Break", [Replace(node, "breakme(")]))


class Grow(Rule):
    """`grow(n)` -> `grow(n + 1)`: a fix that always makes another finding."""

    code = "MEM903"
    name = "grow"
    summary = "Grow"
    triggers = ((b"grow",),)

    def visit_Call(self, node) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "grow":
            arg = self.ctx.code_for(node.args[0].value)
            self.report(node, "grow", fix=FixSpec("safe", "Grow", [Replace(node, f"grow({arg} + 1)")]))


class UnsafeUnwrap(Unwrap):
    code = "MEM904"
    name = "unsafe-unwrap"

    def visit_Call(self, node) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "unwrap" and node.args:
            inner = self.ctx.code_for(node.args[0].value)
            self.report(node, "unwrap it", fix=FixSpec("unsafe", "Unwrap", [Replace(node, inner)]))


def test_overlapping_fixes_are_not_applied_in_the_same_round() -> None:
    text = "x = unwrap(unwrap(1))\n"
    outer = Fix("safe", "outer", (Edit("unwrap(1)", Location(1, 5), Location(1, 22)),))
    inner = Fix("safe", "inner", (Edit("1", Location(1, 12), Location(1, 21)),))
    assert apply_fixes(text, [inner, outer]) == ("x = unwrap(1)\n", 1)


def test_non_overlapping_fixes_are_applied_together() -> None:
    text = "a = unwrap(1)\nb = unwrap(2)\n"
    new, applied, remaining, error = fix_text(text, "x.py", _settings(Unwrap), unsafe=False)
    assert (new, applied, remaining, error) == ("a = 1\nb = 2\n", 2, [], None)


def test_recheck_loop_applies_what_overlapped_in_the_next_round() -> None:
    new, applied, remaining, error = fix_text("x = unwrap(unwrap(unwrap(1)))\n", "x.py", _settings(Unwrap), unsafe=False)
    assert (new, applied, remaining, error) == ("x = 1\n", 3, [], None)


def test_fix_loop_is_capped() -> None:
    new, applied, remaining, _ = fix_text("grow(0)\n", "x.py", _settings(Grow), unsafe=False)
    assert applied == MAX_FIX_ROUNDS
    assert new == "grow(0" + " + 1" * MAX_FIX_ROUNDS + ")\n"
    assert [d.code for d in remaining] == ["MEM903"]


def test_fix_whose_result_does_not_parse_is_rolled_back_and_reported() -> None:
    text = "breakme()\n"
    new, applied, remaining, error = fix_text(text, "x.py", _settings(Breaker), unsafe=False)
    assert (new, applied) == (text, 0)
    assert [d.code for d in remaining] == ["MEM902"]
    assert error is not None and "does not parse" in error


def test_rolled_back_fix_does_not_block_the_good_ones() -> None:
    text = "breakme()\na = unwrap(1)\n"
    new, applied, remaining, error = fix_text(text, "x.py", _settings(Breaker, Unwrap), unsafe=False)
    assert (new, applied) == ("breakme()\na = 1\n", 1)
    assert [d.code for d in remaining] == ["MEM902"]
    assert "does not parse" in error


def test_rolled_back_fix_leaves_the_file_unchanged_and_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text("breakme()\n")

    class OneProject:
        def settings_for(self, filename):
            return _settings(Breaker)

        def enabled(self, code, filename):
            return True

    class Projects:
        def for_file(self, p):
            return OneProject()

    result = run_files([path], Projects(), FixOptions(fix=True))
    assert path.read_text() == "breakme()\n"
    assert [d.code for d in result.diagnostics] == ["MEM902"]
    assert len(result.errors) == 1 and "does not parse" in result.errors[0] and str(path) in result.errors[0]


def test_unsafe_fixes_need_the_flag() -> None:
    settings = _settings(UnsafeUnwrap)
    assert fix_text("a = unwrap(1)\n", "x.py", settings, unsafe=False)[:2] == ("a = unwrap(1)\n", 0)
    assert fix_text("a = unwrap(1)\n", "x.py", settings, unsafe=True)[:2] == ("a = 1\n", 1)


def test_fix_twice_equals_fix_once() -> None:
    src = (
        "import numpy as np\n"
        f"{RESHAPE}\n"
        'raw = np.memmap("e.bin", dtype="f4", mode="r")\n'
        "grid = raw.reshape(4, 6)\n"
        'flat = np.memmap("g.bin", dtype="f4", mode="r").reshape(-1, 4)\n'
    )
    once = fix_source(src, "x.py", versions=V)
    assert once == (
        "import numpy as np\n"
        f"{FIXED}\n"
        'raw = np.memmap("e.bin", dtype="f4", mode="r", shape=(4, 6))\n'
        "grid = raw\n"
        'flat = np.memmap("g.bin", dtype="f4", mode="r").reshape(-1, 4)\n'
    )
    assert fix_source(once, "x.py", versions=V) == once


# -- MEM001 ---------------------------------------------------------------------------------------


def test_syntax_error_is_mem001_at_the_error_position() -> None:
    src = "import numpy as np\ndata = np.memmap('d.bin').reshape(5, 3)\ndef f(:\n    pass\n"
    (d,) = check_source(src, "x.py", versions=V)
    assert (d.code, d.location.row, d.location.column) == ("MEM001", 3, 7)
    assert d.message.startswith("SyntaxError: ")


def test_unclosed_bracket_is_reported_where_it_opens() -> None:
    src = "import numpy as np\nx = 1\ndata = np.memmap('d.bin').reshape(5, 3\n"
    (d,) = check_source(src, "x.py", versions=V)
    # the column of the `(` after `reshape`
    assert (d.code, d.location.row, d.location.column) == ("MEM001", 3, 34)
    assert "never closed" in d.message


def test_syntax_error_is_not_reported_for_files_without_any_rule_trigger_by_design() -> None:
    # Only files holding a rule's trigger bytes are parsed: memlint is not a syntax checker.
    assert check_source("def f(:\n    pass\n", "x.py", versions=V) == []


def test_syntax_error_run_goes_on_with_other_files(project, monkeypatch, capsys) -> None:
    root = project({
        "pyproject.toml": '[tool.memlint.versions]\njoblib = "1.4.2"\n[tool.memlint.rules.MEM101]\nrequire-sink = false\n',
        "a_bad.py": "import numpy as np\ndata = np.memmap('d.bin').reshape(5, 3\n",
        "b_good.py": f"import numpy as np\n{RESHAPE}\n",
    })
    monkeypatch.chdir(root)
    assert cli.main(["--format", "concise", "."]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("a_bad.py:2:") and " MEM001 " in out[0]
    assert out[1].startswith("b_good.py:2:8: MEM101 ")


def test_non_utf8_file_without_coding_declaration_is_mem001(project, monkeypatch, capsys) -> None:
    root = project({
        "pyproject.toml": '[tool.memlint.versions]\njoblib = "1.4.2"\n[tool.memlint.rules.MEM101]\nrequire-sink = false\n',
        "legacy.py": b"import numpy as np\n# caf\xe9\n" + RESHAPE.encode() + b"\n",
    })
    monkeypatch.chdir(root)
    assert cli.main(["--format", "concise", "."]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0] == (
        "legacy.py:1:1: MEM001 file is not valid UTF-8 (byte 0xe9 on line 2) and declares no "
        "other encoding; add a coding declaration such as `# -*- coding: latin-1 -*-` or "
        "re-encode it as UTF-8"
    )


# -- what --fix keeps ---------------------------------------------------------------------------------


def _fix_file(project, monkeypatch, content: bytes, name: str = "m.py") -> tuple[Path, int]:
    root = project({"pyproject.toml": '[tool.memlint.versions]\njoblib = "1.4.2"\n[tool.memlint.rules.MEM101]\nrequire-sink = false\n', name: content})
    monkeypatch.chdir(root)
    return root / name, cli.main(["--fix", name])


def test_fix_keeps_crlf_newlines(project, monkeypatch, capsys) -> None:
    path, code = _fix_file(project, monkeypatch, f"import numpy as np\r\n{RESHAPE}\r\nprint(data)\r\n".encode())
    assert code == 0
    assert path.read_bytes() == f"import numpy as np\r\n{FIXED}\r\nprint(data)\r\n".encode()


def test_fix_keeps_a_latin1_coding_declaration_and_its_bytes(project, monkeypatch, capsys) -> None:
    before = b"# -*- coding: latin-1 -*-\nimport numpy as np\n# caf\xe9\n" + RESHAPE.encode() + b"\n"
    path, code = _fix_file(project, monkeypatch, before)
    assert code == 0
    assert path.read_bytes() == b"# -*- coding: latin-1 -*-\nimport numpy as np\n# caf\xe9\n" + FIXED.encode() + b"\n"


def test_fix_keeps_a_utf8_bom(project, monkeypatch, capsys) -> None:
    path, code = _fix_file(project, monkeypatch, b"\xef\xbb\xbfimport numpy as np\n" + RESHAPE.encode() + b"\n")
    assert code == 0
    assert path.read_bytes() == b"\xef\xbb\xbfimport numpy as np\n" + FIXED.encode() + b"\n"


def test_fix_keeps_a_missing_final_newline(project, monkeypatch, capsys) -> None:
    path, code = _fix_file(project, monkeypatch, f"import numpy as np\n{RESHAPE}".encode())
    assert code == 0
    assert path.read_bytes() == f"import numpy as np\n{FIXED}".encode()


def test_fix_keeps_non_ascii_utf8_text(project, monkeypatch, capsys) -> None:
    path, code = _fix_file(project, monkeypatch, f"import numpy as np\n# größe: 5×3\n{RESHAPE}  # café\n".encode())
    assert code == 0
    assert path.read_text("utf-8") == f"import numpy as np\n# größe: 5×3\n{FIXED}  # café\n"


def test_fix_keeps_permission_bits(project, monkeypatch, capsys) -> None:
    root = project({"pyproject.toml": '[tool.memlint.versions]\njoblib = "1.4.2"\n[tool.memlint.rules.MEM101]\nrequire-sink = false\n', "m.py": f"import numpy as np\n{RESHAPE}\n"})
    path = root / "m.py"
    path.chmod(0o751)
    monkeypatch.chdir(root)
    assert cli.main(["--fix", "m.py"]) == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o751
    assert path.read_text() == f"import numpy as np\n{FIXED}\n"


def test_fix_leaves_no_temporary_files(project, monkeypatch, capsys) -> None:
    root = project({
        "pyproject.toml": '[tool.memlint.versions]\njoblib = "1.4.2"\n[tool.memlint.rules.MEM101]\nrequire-sink = false\n',
        "pkg/a.py": f"import numpy as np\n{RESHAPE}\n",
        "pkg/b.py": f"import numpy as np\n{RESHAPE}\n",
    })
    monkeypatch.chdir(root)
    assert cli.main(["--fix", "."]) == 0
    assert sorted(os.listdir(root / "pkg")) == ["a.py", "b.py"]


def test_a_failed_write_keeps_the_original_and_cleans_up(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "m.py"
    path.write_bytes(b"original\n")

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        write_atomic(path, b"new\n")
    assert path.read_bytes() == b"original\n"
    assert os.listdir(tmp_path) == ["m.py"]


def test_check_text_reports_positions_only_for_findings() -> None:
    # The position pass is paid only when something is reported: a clean file returns [].
    assert check_text("import numpy as np\nx = np.memmap('f', shape=(3, 4)).reshape(4, 3)\n", "x.py", _settings()) == []


def test_the_first_test_of_a_file_covers_every_trigger_group():
    from memlint.engine import checker
    from memlint.engine.registry import all_rules

    rules = tuple(all_rules().values())
    cover = checker._cover(rules)
    assert cover == (b"mmap", b"dask", b"Parallel", b" ray", b"Pool", b"get_context", b"MEM", b"xarray",
                     b"torch.utils.data", b"Process(")
    for rule in rules:
        for group in rule.triggers:
            assert any(c in t for c in cover for t in group), (rule.code, group)
    # A file holding none of them is answered without searching for the triggers.
    assert checker.could_match(b"import numpy as np\nx = np.zeros(3).reshape(3, 1)\n", rules) == []
    assert [r.code for r in checker.could_match(b"import numpy as np\nm = np.memmap('f')\nm.reshape(2)\n", rules)] == ["MEM101"]
