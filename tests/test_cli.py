"""The command line as a user runs it: `python -m memlint ...` from this checkout, in a
temporary project. Output, exit codes, and files on disk are what is asserted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memlint import cli
from memlint.engine import registry
from memlint.engine.rule import FixSpec, Replace, Rule

REPO = Path(__file__).resolve().parents[1]

# The reshape is the CLI's sample finding: checked as a library would configure MEM101,
# which then reports a reshape whether or not it reaches joblib in the module.
PINNED = '[tool.memlint.versions]\njoblib = "1.4.2"\n[tool.memlint.rules.MEM101]\nrequire-sink = false\n'
RESHAPE = 'data = np.memmap("d.bin", dtype="f8", mode="r").reshape(5, 3)'
FIXED = 'data = np.memmap("d.bin", dtype="f8", mode="r", shape=(5, 3))'
BAD = f"import numpy as np\n{RESHAPE}\n"
GOOD = f"import numpy as np\n{FIXED}\n"
UNFIXABLE = 'import numpy as np\ndef f(n):\n    return np.memmap(path_of(n), mode="r").reshape(-1, n)\n'
TRANSPOSE = (
    "import numpy as np\nfrom joblib import Parallel, delayed\n"
    'data = np.memmap("d.bin", dtype="f8", mode="r", shape=(3, 4))\n'
    "out = Parallel(n_jobs=2)(delayed(sum)(data.T) for _ in range(2))\n"
)


def no_traceback(run) -> None:
    assert "Traceback" not in run.stderr and "Traceback" not in run.stdout


# -- exit codes, `check`, default path -------------------------------------------------------------


def test_exit_0_when_nothing_is_found(memlint, project) -> None:
    root = project({"pyproject.toml": PINNED, "ok.py": GOOD})
    run = memlint("check", ".", cwd=root)
    assert (run.returncode, run.stdout, run.stderr) == (0, "All checks passed!\n", "")


def test_exit_1_when_findings_remain(memlint, project) -> None:
    root = project({"pyproject.toml": PINNED, "bad.py": BAD})
    run = memlint("check", "bad.py", cwd=root)
    assert run.returncode == 1
    assert run.stdout.startswith("bad.py:2:8: MEM101 [*] `np.memmap` opened without an N-D `shape=` is 1-D")
    assert "joblib 1.4.2 ([tool.memlint.versions])" in run.stdout
    assert run.stdout.endswith("Found 1 error.\n[*] 1 fixable with the --fix option.\n")


def test_exit_2_on_usage_error(memlint, project) -> None:
    run = memlint("--no-such-flag", cwd=project({"a.py": ""}))
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr == "memlint: error: unrecognized arguments: --no-such-flag (see `memlint --help`)\n"


def test_check_may_be_omitted_and_the_default_path_is_the_current_directory(inproc, project) -> None:
    root = project({"pyproject.toml": PINNED, "pkg/bad.py": BAD, "ok.py": GOOD})
    with_check = inproc("check", cwd=root)
    without = inproc(cwd=root)
    explicit = inproc("check", ".", cwd=root)
    assert with_check.returncode == without.returncode == explicit.returncode == 1
    assert with_check.stdout == without.stdout == explicit.stdout
    assert without.stdout.startswith("pkg/bad.py:2:8: MEM101 ")


def test_findings_are_sorted_by_file_and_position(inproc, project) -> None:
    root = project({"pyproject.toml": PINNED, "b.py": BAD, "a.py": f"import numpy as np\nx = 1\n{RESHAPE}\n" + RESHAPE + "\n"})
    run = inproc("--format", "concise", cwd=root)
    assert [line.split(" ")[0] for line in run.stdout.splitlines()[:3]] == ["a.py:3:8:", "a.py:4:8:", "b.py:2:8:"]


# -- fixing ----------------------------------------------------------------------------------------


def test_fix_writes_the_fixed_file_and_exits_0_when_all_is_fixed(memlint, project) -> None:
    root = project({"pyproject.toml": PINNED, "bad.py": BAD})
    run = memlint("--fix", "bad.py", cwd=root)
    assert (run.returncode, run.stdout, run.stderr) == (0, "Found 1 error (1 fixed, 0 remaining).\n", "")
    assert (root / "bad.py").read_text() == GOOD


def test_fix_summary_counts_what_remains(inproc, project) -> None:
    root = project({"pyproject.toml": PINNED, "bad.py": BAD, "other.py": UNFIXABLE})
    run = inproc("check", "--fix", "--format", "concise", ".", cwd=root)
    assert run.returncode == 1
    lines = run.stdout.splitlines()
    assert lines[0].startswith("other.py:3:12: MEM101 ")
    assert lines[1:] == ["Found 2 errors (1 fixed, 1 remaining)."]
    assert (root / "bad.py").read_text() == GOOD
    assert (root / "other.py").read_text() == UNFIXABLE


def test_fix_twice_equals_fix_once(inproc, project) -> None:
    root = project({"pyproject.toml": PINNED, "bad.py": BAD + "raw = np.memmap('e.bin', mode='r')\ngrid = raw.reshape(2, 2)\n"})
    assert inproc("--fix", ".", cwd=root).returncode == 0
    once = (root / "bad.py").read_text()
    again = inproc("--fix", ".", cwd=root)
    assert (again.returncode, again.stdout) == (0, "All checks passed!\n")
    assert (root / "bad.py").read_text() == once


def test_diff_prints_the_fix_and_changes_nothing(memlint, project) -> None:
    root = project({"pyproject.toml": PINNED, "bad.py": BAD})
    run = memlint("--diff", "bad.py", cwd=root)
    assert run.returncode == 1
    assert run.stdout == (
        f"--- a/bad.py\n+++ b/bad.py\n@@ -1,2 +1,2 @@\n import numpy as np\n-{RESHAPE}\n+{FIXED}\n"
    )
    assert run.stderr == "Would apply 1 fix.\n"
    assert (root / "bad.py").read_text() == BAD


def test_diff_applies_with_git_apply_and_patch_in_the_order_of_the_findings(memlint, project) -> None:
    import shutil
    import subprocess

    root = project({"pyproject.toml": PINNED, "src/z.py": BAD, "src/a.py": BAD, "b.py": BAD})
    run = memlint("--diff", "-j", "2", ".", cwd=root)
    headers = [line for line in run.stdout.splitlines() if line.startswith(("--- ", "+++ "))]
    assert headers == ["--- a/b.py", "+++ b/b.py", "--- a/src/a.py", "+++ b/src/a.py",
                       "--- a/src/z.py", "+++ b/src/z.py"]
    (root / "fix.diff").write_text(run.stdout)
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)
        applied = subprocess.run(["git", "apply", "--check", "fix.diff"], cwd=root, capture_output=True, text=True)
        assert applied.returncode == 0, applied.stderr
    if shutil.which("patch"):
        patched = subprocess.run(["patch", "-p1", "-i", "fix.diff"], cwd=root, capture_output=True, text=True)
        assert patched.returncode == 0, patched.stdout + patched.stderr
        assert (root / "src" / "a.py").read_text() == BAD.replace(RESHAPE, FIXED)


def test_diff_with_nothing_to_fix_exits_0(memlint, project) -> None:
    root = project({"pyproject.toml": PINNED, "ok.py": GOOD, "other.py": UNFIXABLE})
    run = memlint("--diff", ".", cwd=root)
    assert (run.returncode, run.stdout) == (0, "")


class _UnsafeTwin(Rule):
    """Reports `twin(x)` with an unsafe fix to `x` (the shipped rules have no unsafe fix)."""

    code = "MEM909"
    name = "unsafe-twin"
    summary = "Twin"
    triggers = ((b"twin",),)

    def visit_Call(self, node) -> None:
        import libcst as cst

        if isinstance(node.func, cst.Name) and node.func.value == "twin":
            self.report(node, "twin call", fix=FixSpec("unsafe", "Drop twin", [Replace(node, self.ctx.code_for(node.args[0].value))]))


@pytest.fixture
def with_unsafe_rule(monkeypatch):
    real = registry.all_rules()
    monkeypatch.setattr(registry, "all_rules", lambda: {**real, "MEM909": _UnsafeTwin})


def test_unsafe_fixes_only_with_the_flag(project, monkeypatch, capsys, with_unsafe_rule) -> None:
    root = project({"pyproject.toml": PINNED, "t.py": "x = twin(1)\n"})
    monkeypatch.chdir(root)
    assert cli.main(["--format", "concise", "."]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "t.py:1:5: MEM909 twin call"
    assert "(1 hidden fix can be enabled with the --unsafe-fixes option.)" in out

    assert cli.main(["--fix", "."]) == 1
    assert (root / "t.py").read_text() == "x = twin(1)\n"
    capsys.readouterr()

    assert cli.main(["--fix", "--unsafe-fixes", "."]) == 0
    assert (root / "t.py").read_text() == "x = 1\n"
    assert capsys.readouterr().out == "Found 1 error (1 fixed, 0 remaining).\n"


# -- selection -------------------------------------------------------------------------------------


def test_select_ignore_extend_select(inproc, project) -> None:
    root = project({"pyproject.toml": PINNED, "a.py": BAD, "t.py": TRANSPOSE})

    def codes(*args):
        run = inproc("--format", "json", *args, ".", cwd=root)
        return sorted({d["code"] for d in json.loads(run.stdout)}), run.returncode

    assert codes() == (["MEM101", "MEM102"], 1)
    assert codes("--select", "MEM101") == (["MEM101"], 1)
    assert codes("--select", "MEM10") == (["MEM101", "MEM102"], 1)
    assert codes("--ignore", "MEM101") == (["MEM102"], 1)
    assert codes("--ignore", "MEM101,MEM102") == ([], 0)
    assert codes("--select", "MEM101", "--extend-select", "MEM102") == (["MEM101", "MEM102"], 1)


def test_select_replaces_the_config_and_extend_select_adds_to_it(inproc, project) -> None:
    root = project({"pyproject.toml": PINNED + '[tool.memlint]\nselect = ["MEM102"]\n', "a.py": BAD, "t.py": TRANSPOSE})
    run = inproc("--format", "concise", cwd=root)
    assert [line.split(" ")[1] for line in run.stdout.splitlines()[:-1]] == ["MEM102"]
    run = inproc("--format", "concise", "--extend-select", "MEM101", cwd=root)
    assert sorted(line.split(" ")[1] for line in run.stdout.splitlines()[:-2]) == ["MEM101", "MEM102"]


def test_unknown_code_in_select_is_a_usage_error(memlint, project) -> None:
    run = memlint("--select", "XYZ1", ".", cwd=project({"a.py": BAD}))
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == "memlint: error: --select: unknown rule code or prefix 'XYZ1'\n"


# -- output formats -----------------------------------------------------------------------------------


def test_format_full_shows_the_source_and_the_fix(memlint, project) -> None:
    root = project({"pyproject.toml": PINNED, "bad.py": BAD})
    run = memlint("--format", "full", "bad.py", cwd=root)
    lines = run.stdout.splitlines()
    assert lines[0].startswith("bad.py:2:8: MEM101 [*] ")
    assert lines[1:6] == [
        "  |",
        f"2 | {RESHAPE}",
        "  |        " + "^" * 54,
        "  |",
        "help: Pass shape=(5, 3) to np.memmap",
    ]


def test_format_concise(inproc, project) -> None:
    root = project({"pyproject.toml": PINNED, "bad.py": BAD, "t.py": TRANSPOSE})
    run = inproc("--format", "concise", cwd=root)
    lines = run.stdout.splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("bad.py:2:8: MEM101 [*] ")
    assert lines[1].startswith("t.py:4:39: MEM102 This argument is a transposed view of a memmap")
    assert lines[2:] == ["Found 2 errors.", "[*] 1 fixable with the --fix option."]


def test_format_json_has_exactly_the_design_keys(inproc, project) -> None:
    root = project({"pyproject.toml": PINNED, "bad.py": BAD, "t.py": TRANSPOSE})
    run = inproc("--format", "json", cwd=root)
    assert run.returncode == 1
    data = json.loads(run.stdout)
    assert [list(d) for d in data] == [
        ["code", "message", "filename", "location", "end_location", "fix", "url", "noqa_row"]
    ] * 2
    fixed, transposed = data
    assert fixed["filename"] == str(root.resolve() / "bad.py")
    assert (fixed["location"], fixed["end_location"]) == ({"row": 2, "column": 8}, {"row": 2, "column": 62})
    assert fixed["fix"] == {
        "applicability": "safe",
        "message": "Pass shape=(5, 3) to np.memmap",
        "edits": [{
            "content": 'np.memmap("d.bin", dtype="f8", mode="r", shape=(5, 3))',
            "location": {"row": 2, "column": 8},
            "end_location": {"row": 2, "column": 62},
        }],
    }
    assert fixed["url"].endswith("rules.md#mem101") and fixed["noqa_row"] == 2
    assert transposed["code"] == "MEM102" and transposed["fix"] is None


def test_json_of_nothing_is_an_empty_list(memlint, project) -> None:
    run = memlint("--format", "json", cwd=project({"ok.py": GOOD}))
    assert (run.returncode, json.loads(run.stdout)) == (0, [])


def test_unknown_format_is_a_usage_error(memlint, project) -> None:
    run = memlint("--format", "xml", cwd=project({"a.py": ""}))
    assert run.returncode == 2
    assert run.stderr == "memlint: error: unknown --format 'xml' (choose from full, concise, json, json-lines, github, sarif)\n"


def test_exit_zero_and_statistics(inproc, project) -> None:
    root = project({"pyproject.toml": PINNED, "a.py": BAD + RESHAPE + "\n", "t.py": TRANSPOSE})
    run = inproc("--exit-zero", cwd=root)
    assert run.returncode == 0 and "Found 3 errors." in run.stdout
    run = inproc("--statistics", cwd=root)
    assert run.returncode == 1
    assert run.stdout == "2  MEM101  [*]  memmap-reshape\n1  MEM102  [ ]  memmap-transpose-to-workers\n"
    run = inproc("--statistics", "--format", "json", cwd=root)
    assert run.returncode == 1
    assert json.loads(run.stdout) == [
        {"code": "MEM101", "name": "memmap-reshape", "count": 2, "fixable": True},
        {"code": "MEM102", "name": "memmap-transpose-to-workers", "count": 1, "fixable": False},
    ]


# -- stdin -----------------------------------------------------------------------------------------


def test_stdin_with_filename(memlint, project) -> None:
    root = project({"pyproject.toml": PINNED})
    run = memlint("-", "--stdin-filename", "src/bad.py", cwd=root, input=BAD)
    assert run.returncode == 1
    assert run.stdout.startswith("src/bad.py:2:8: MEM101 [*] ")
    assert "joblib 1.4.2 ([tool.memlint.versions])" in run.stdout
    assert f"2 | {RESHAPE}" in run.stdout


def test_stdin_fix_prints_only_the_fixed_source(memlint, project) -> None:
    root = project({"pyproject.toml": PINNED})
    run = memlint("--fix", "-", "--stdin-filename", "bad.py", cwd=root, input=BAD)
    assert (run.returncode, run.stdout, run.stderr) == (0, GOOD, "")
    assert not (root / "bad.py").exists()


def test_stdin_fix_with_nothing_to_fix_returns_the_input_bytes_unchanged(memlint, project) -> None:
    root = project({"pyproject.toml": PINNED})
    data = b"# -*- coding: latin-1 -*-\r\nx = 'caf\xe9'  # memmap reshape\r\n"
    run = memlint("--fix", "-", "--stdin-filename", "x.py", cwd=root, input=data)
    assert run.returncode == 0
    assert run.stdout == data.decode("utf-8", "replace")  # byte for byte (the fixture decodes stdout)
    unfixable = memlint("--fix", "-", "--stdin-filename", "u.py", cwd=root, input=UNFIXABLE)
    assert (unfixable.returncode, unfixable.stdout) == (1, UNFIXABLE)


def test_stdin_resolves_project_root_and_versions_from_the_filename(inproc, project) -> None:
    root = project({
        "pyproject.toml": PINNED,
        "new/pyproject.toml": '[tool.memlint.versions]\njoblib = "1.6.0"\n',
    })
    old = inproc("-", "--stdin-filename", "bad.py", cwd=root, input=BAD)
    new = inproc("-", "--stdin-filename", "new/bad.py", cwd=root, input=BAD)
    assert old.returncode == 1 and new.returncode == 0
    config_from_sub = inproc("-", "--stdin-filename", "bad.py", cwd=root / "new", input=BAD)
    assert config_from_sub.returncode == 0


def test_stdin_filename_alone_reads_stdin(memlint, project) -> None:
    root = project({"pyproject.toml": PINNED, "other.py": GOOD})
    run = memlint("--fix", "--stdin-filename", "bad.py", cwd=root, input=BAD)
    assert (run.returncode, run.stdout, run.stderr) == (0, GOOD, "")
    run = memlint("--format", "concise", "--stdin-filename", "bad.py", "other.py", cwd=root, input=BAD)
    assert run.returncode == 1 and run.stdout.startswith("bad.py:2:8: MEM101 ")
    assert run.stderr == "memlint: warning: ignoring other.py in favour of standard input\n"


def test_stdin_diff(memlint, project) -> None:
    root = project({"pyproject.toml": PINNED})
    run = memlint("--diff", "-", "--stdin-filename", "bad.py", cwd=root, input=BAD)
    assert run.returncode == 1
    assert f"-{RESHAPE}\n+{FIXED}\n" in run.stdout


# -- config, version, rules -------------------------------------------------------------------


def test_config_path(inproc, project) -> None:
    root = project({
        "pyproject.toml": PINNED,
        "ci/memlint.toml": '[versions]\njoblib = "1.6.0"\n',
        "bad.py": BAD,
    })
    assert inproc("bad.py", cwd=root).returncode == 1
    run = inproc("--config", "ci/memlint.toml", "bad.py", cwd=root)
    assert (run.returncode, run.stdout) == (0, "All checks passed!\n")


def test_config_path_that_does_not_exist(memlint, project) -> None:
    run = memlint("--config", "nope.toml", ".", cwd=project({"a.py": ""}))
    assert (run.returncode, run.stderr) == (2, "memlint: error: config file not found: nope.toml\n")


@pytest.mark.parametrize(
    "config, message",
    [
        ('[tool.memlint]\nselectt = ["MEM"]\n', "memlint: error: pyproject.toml: [tool.memlint] unknown key 'selectt'"),
        ('[tool.memlint]\nselect = "MEM101"\n', "memlint: error: pyproject.toml: [tool.memlint] 'select' must be a list of strings, got str"),
        ('[tool.memlint]\nignore = ["MEM999"]\n', "memlint: error: pyproject.toml: [tool.memlint] 'ignore': unknown rule code or prefix 'MEM999'"),
        ("[tool.memlint\n", "memlint: error: pyproject.toml: invalid TOML"),
    ],
)
def test_bad_config_names_the_key_and_the_file(memlint, project, config: str, message: str) -> None:
    run = memlint(".", cwd=project({"pyproject.toml": config, "a.py": BAD}))
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.startswith(message)
    assert run.stderr.count("\n") == 1
    no_traceback(run)


def test_version(memlint, project) -> None:
    from memlint import __version__

    run = memlint("--version", cwd=project({}))
    assert (run.returncode, run.stdout) == (0, f"memlint {__version__}\n")


def test_rule_prints_its_documentation(memlint, project) -> None:
    run = memlint("rule", "MEM101", cwd=project({}))
    assert run.returncode == 0
    assert run.stdout.startswith("# memmap-reshape (MEM101)\n")
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead",
                    "## Fix safety", "## Affected versions", "## References"):
        assert section in run.stdout
    assert memlint("rule", "mem102", cwd=project({})).stdout.startswith("# memmap-transpose-to-workers (MEM102)")


def test_rule_unknown_code(memlint, project) -> None:
    run = memlint("rule", "MEM999", cwd=project({}))
    assert run.returncode == 2 and run.stderr.startswith("memlint: error: unknown rule 'MEM999'")


def test_help_lists_the_commands_and_each_command_has_its_own(inproc, project) -> None:
    root = project({})
    top = inproc("--help", cwd=root)
    assert top.returncode == 0 and top.stdout.startswith("usage: memlint [COMMAND]")
    assert all(f"\n  {name} " in top.stdout for name in ("check", "rule", "rules"))
    check = inproc("check", "--help", cwd=root)
    assert check.returncode == 0 and check.stdout.startswith("usage: memlint check ")
    assert "--show-settings" in check.stdout and "--unsafe-fixes" in check.stdout
    rule = inproc("rule", "--help", cwd=root)
    assert rule.returncode == 0 and rule.stdout.startswith("usage: memlint rule CODE | NAME | --all")
    rules = inproc("rules", "-h", cwd=root)
    assert rules.returncode == 0 and rules.stdout.startswith("usage: memlint rules")


def test_rule_by_name_by_code_and_all(inproc, project) -> None:
    root = project({})
    by_name = inproc("rule", "memmap-reshape", cwd=root)
    assert by_name.returncode == 0 and by_name.stdout.startswith("# memmap-reshape (MEM101)")
    assert inproc("rule", "mem101", cwd=root).stdout == by_name.stdout
    every = inproc("rule", "--all", cwd=root)
    assert every.returncode == 0 and every.stdout.count("\n# ") >= 20 and "(MEM701)" in every.stdout
    typo = inproc("rule", "memap-reshape", cwd=root)
    assert typo.returncode == 2 and "did you mean 'memmap-reshape'?" in typo.stderr


def test_a_misspelled_command_is_not_taken_for_a_missing_path(inproc, project) -> None:
    root = project({"chek.py": "x = 1\n"})
    typo = inproc("chekc", cwd=root)
    assert typo.returncode == 2
    assert typo.stderr.strip() == "memlint: error: unknown command 'chekc'; did you mean 'check'?"
    assert inproc("chek.py", cwd=root).returncode == 0  # an existing file is a path
    missing = inproc("elsewhere.py", cwd=root)
    assert missing.returncode == 2 and "did you mean" not in missing.stderr


def test_rules_lists_every_rule(memlint, project) -> None:
    run = memlint("rules", cwd=project({}))
    assert run.returncode == 0
    codes = [line.split()[0] for line in run.stdout.splitlines()]
    assert codes == list(registry.all_rules())
    assert any(line.startswith("MEM101  memmap-reshape") for line in run.stdout.splitlines())


def test_rules_md_is_current() -> None:
    from memlint.docs import rules_markdown

    assert (REPO / "rules.md").read_text() == rules_markdown(), (
        "regenerate: memlint rules --format markdown > rules.md"
    )


# -- paths ------------------------------------------------------------------------------------------


def test_missing_path_is_one_line_exit_2(memlint, project) -> None:
    run = memlint("check", "nope.py", cwd=project({"a.py": ""}))
    assert (run.returncode, run.stdout, run.stderr) == (2, "", "memlint: path does not exist: nope.py\n")


def test_gitignored_files_are_skipped_but_a_named_file_is_checked(inproc, project) -> None:
    root = project({
        "pyproject.toml": PINNED,
        ".gitignore": "generated/\nscratch.py\n",
        "generated/bad.py": BAD,
        "scratch.py": BAD,
        "keep.py": GOOD,
    })
    run = inproc(cwd=root)
    assert (run.returncode, run.stdout) == (0, "All checks passed!\n")
    named = inproc("--format", "concise", "scratch.py", cwd=root)
    assert named.returncode == 1 and named.stdout.startswith("scratch.py:2:8: MEM101 ")


def test_default_excludes(inproc, project) -> None:
    root = project({"pyproject.toml": PINNED, ".venv/lib/bad.py": BAD, "build/bad.py": BAD, "ok.py": GOOD})
    assert inproc(cwd=root).returncode == 0


def test_unreadable_file_is_one_line_exit_2(project, monkeypatch, capsys) -> None:
    root = project({"pyproject.toml": PINNED, "locked.py": BAD, "ok.py": GOOD})
    real = Path.read_bytes

    def read_bytes(self):
        if self.name == "locked.py":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    monkeypatch.chdir(root)
    assert cli.main(["."]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"memlint: cannot read {root.resolve() / 'locked.py'}: Permission denied\n"
    assert captured.out == "All checks passed!\n"  # the other files were still checked


@pytest.mark.parametrize(
    "args",
    [
        ["--select"],
        ["--format"],
        ["rule"],
        ["rule", "MEM101", "MEM102"],
        ["rules", "--format", "yaml"],
        ["-", "a.py"],
        ["--config", "."],
        ["--select", "", "--ignore", ",,,"],
    ],
)
def test_bad_input_never_prints_a_traceback(memlint, project, args) -> None:
    run = memlint(*args, cwd=project({"a.py": BAD}), input="")
    no_traceback(run)
    if run.returncode == 2:
        assert run.stderr.count("\n") == 1 and run.stderr.startswith("memlint")


def test_binary_and_odd_files_do_not_crash(memlint, project) -> None:
    root = project({
        "pyproject.toml": PINNED,
        "nul.py": b"import numpy as np\x00\nmemmap reshape\n",
        "deep.py": "x = " + "(" * 300 + ")" * 300 + "  # memmap reshape\n",
        "cookie.py": b"# -*- coding: no-such-codec -*-\nmemmap reshape\n",
        "empty.py": b"",
    })
    run = memlint("--format", "concise", cwd=root)
    no_traceback(run)
    assert run.returncode == 1
    flagged = sorted(line.split(":")[0] for line in run.stdout.splitlines() if " MEM001 " in line)
    assert flagged == ["cookie.py", "nul.py"] or flagged == ["cookie.py", "deep.py", "nul.py"]


# -- self check --------------------------------------------------------------------------------------


def test_memlint_checks_its_own_source_tree(memlint) -> None:
    run = memlint("check", "memlint/", cwd=REPO)
    no_traceback(run)
    assert (run.returncode, run.stdout) == (0, "All checks passed!\n")


def test_examples_are_reported(memlint) -> None:
    run = memlint("check", "--format", "concise", "examples/", cwd=REPO)
    assert run.returncode == 1
    lines = run.stdout.splitlines()
    by_file = {line.split(":")[0]: line for line in lines if ": MEM" in line}
    layout = by_file["examples/joblib_memmap_layout.py"]
    assert layout.startswith("examples/joblib_memmap_layout.py:21:12: MEM101 [*] ")
    assert "joblib 1.4.2 (requirements.txt)" in layout
    transpose = by_file["examples/joblib_memmap_transpose.py"]
    assert transpose.startswith("examples/joblib_memmap_transpose.py:22:50: MEM102 ")
    reduced = by_file["examples/joblib_parallel_sum.py"]
    assert reduced.startswith("examples/joblib_parallel_sum.py:33:13: MEM304 [*] ")
    pools = by_file["examples/pool_map_generator.py"]
    assert pools.startswith("examples/pool_map_generator.py:39:16: MEM501 ")
    loading = by_file["examples/torch_dataset_paths.py"]
    assert loading.startswith("examples/torch_dataset_paths.py:26:9: MEM601 ")
    notebook = by_file["examples/joblib_memmap_layout.ipynb"]
    assert notebook.startswith("examples/joblib_memmap_layout.ipynb:cell 4:1:8: MEM101 [*] ")


# -- ruff's output and exit flags: -q, -s, -o, -e, -n, --exit-non-zero-on-fix ----------------------


def test_quiet_prints_the_findings_without_summary_or_hints(inproc, project) -> None:
    root = project({"pyproject.toml": PINNED, "bad.py": BAD})
    run = inproc("-q", "--format", "concise", "bad.py", cwd=root)
    assert run.returncode == 1
    assert run.stdout.startswith("bad.py:2:8: MEM101 [*] ")
    assert len(run.stdout.splitlines()) == 1 and "Found" not in run.stdout and "fixable" not in run.stdout
    clean = inproc("--quiet", "ok.py", cwd=project({"ok.py": GOOD}))
    assert (clean.returncode, clean.stdout) == (0, "")


def test_silent_prints_nothing_and_still_exits_1(inproc, project) -> None:
    root = project({"pyproject.toml": PINNED, "bad.py": BAD})
    run = inproc("-s", "bad.py", cwd=root)
    assert (run.returncode, run.stdout, run.stderr) == (1, "", "")
    fixed = inproc("--silent", "--fix", "bad.py", cwd=root)
    assert (fixed.returncode, fixed.stdout) == (0, "")
    assert (root / "bad.py").read_text() == GOOD


def test_output_file_receives_the_report(inproc, project) -> None:
    root = project({"pyproject.toml": PINNED, "bad.py": BAD})
    run = inproc("--format", "json", "-o", "reports/memlint.json", "bad.py", cwd=root)
    assert (run.returncode, run.stdout) == (1, "")
    [finding] = json.loads((root / "reports" / "memlint.json").read_text())
    assert (finding["code"], finding["location"]["row"]) == ("MEM101", 2)


def test_output_file_that_cannot_be_written_is_a_one_line_error(inproc, project) -> None:
    root = project({"pyproject.toml": PINNED, "bad.py": BAD, "taken": "a file, not a directory"})
    run = inproc("--output-file", "taken/report.txt", "bad.py", cwd=root)
    assert run.returncode == 2
    assert run.stderr.startswith("memlint: error: cannot write taken/report.txt")
    no_traceback(run)


def test_short_exit_zero_and_no_cache(inproc, project) -> None:
    root = project({"pyproject.toml": PINNED, "bad.py": BAD})
    run = inproc("-e", "-n", "bad.py", cwd=root)
    assert run.returncode == 0 and "MEM101" in run.stdout
    assert not (root / ".memlint_cache").exists()


def test_exit_non_zero_on_fix(inproc, project) -> None:
    root = project({"pyproject.toml": PINNED, "bad.py": BAD})
    run = inproc("--fix", "--exit-non-zero-on-fix", "bad.py", cwd=root)
    assert run.returncode == 1 and (root / "bad.py").read_text() == GOOD
    again = inproc("--fix", "--exit-non-zero-on-fix", "bad.py", cwd=root)
    assert again.returncode == 0  # nothing left to change
    both = inproc("--exit-zero", "--exit-non-zero-on-fix", "bad.py", cwd=root)
    assert both.returncode == 2 and "cannot be combined" in both.stderr


def test_exit_non_zero_on_fix_with_fix_only_and_stdin(inproc, project) -> None:
    root = project({"pyproject.toml": PINNED, "bad.py": BAD})
    run = inproc("--fix-only", "--exit-non-zero-on-fix", "bad.py", cwd=root)
    assert run.returncode == 1 and run.stdout == "Fixed 1 error.\n"
    piped = inproc("--fix", "--exit-non-zero-on-fix", "--stdin-filename", "bad.py", "-", cwd=root, input=BAD)
    assert (piped.returncode, piped.stdout) == (1, GOOD)


def test_exclude_flags_replace_or_extend_the_configured_patterns(inproc, project) -> None:
    root = project({
        "pyproject.toml": PINNED + '[tool.memlint]\nexclude = ["legacy/"]\n',
        "legacy/old.py": BAD, "gen/made.py": BAD, "src/bad.py": BAD,
    })
    files = lambda run: sorted({line.split(":")[0] for line in run.stdout.splitlines() if ": MEM" in line})  # noqa: E731
    assert files(inproc("--format", "concise", ".", cwd=root)) == ["gen/made.py", "src/bad.py"]
    assert files(inproc("--format", "concise", "--extend-exclude", "gen/", ".", cwd=root)) == ["src/bad.py"]
    assert files(inproc("--format", "concise", "--exclude", "gen/,src/", ".", cwd=root)) == ["legacy/old.py"]


def test_a_reader_that_leaves_early_ends_the_report_quietly(tmp_path):
    """`memlint check | head -1`: the report stops where the pipe closes, with no traceback."""
    import os
    import subprocess
    import sys

    (tmp_path / "pyproject.toml").write_text(PINNED)
    (tmp_path / "many.py").write_text("import numpy as np\n" + f"{RESHAPE}\n" * 600)
    proc = subprocess.Popen([sys.executable, "-m", "memlint", "check", "--no-cache", "."], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(REPO)})
    first = proc.stdout.readline()
    proc.stdout.close()  # the reader leaves with the report far from written
    err = proc.stderr.read().decode()
    assert proc.wait() == 1
    assert b"MEM101" in first
    assert "Traceback" not in err and "BrokenPipe" not in err


@pytest.mark.parametrize("args", [["rule", "--all"], ["rule", "MEM101"], ["rules"], ["rules", "--format", "markdown"]])
def test_rule_documentation_read_by_a_reader_that_leaves_early(tmp_path, args):
    """`memlint rule --all | head -1`: no traceback either."""
    import os
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "memlint", *args], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(REPO)})
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait() == 0 and first.strip()
    assert "Traceback" not in err and "BrokenPipe" not in err
