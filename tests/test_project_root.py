"""The project root of a checked file, and so its config and library versions, depend on the
file, never on the working directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from memlint import cli
from memlint.config import find_project_root

RESHAPED = (
    "import numpy as np\nfrom joblib import Parallel, delayed\n\n"
    'data = np.memmap("data.bin", dtype="f8", mode="r").reshape(5, 3)\n'
    "rows = Parallel(n_jobs=2)(delayed(np.sum)(data, axis=1) for _ in range(2))\n"
)


@pytest.fixture
def two_projects(tmp_path):
    """Sibling projects without a config file: j16 pins joblib 1.6.0 (where a C-order
    reshape reaches the workers intact), j14 pins 1.4.2 (where it does not)."""
    for name, pin in (("j16", "joblib==1.6.0"), ("j14", "joblib==1.4.2")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "requirements.txt").write_text(pin + "\n")
        (tmp_path / name / "a.py").write_text(RESHAPED)
    return tmp_path


@pytest.mark.parametrize("where", ["j16", "j14", ".", "/"])
def test_the_versions_of_a_file_do_not_depend_on_where_memlint_runs(two_projects, where, monkeypatch, capsys):
    monkeypatch.chdir(two_projects / where if where != "/" else Path("/"))
    files = [str(two_projects / "j16" / "a.py"), str(two_projects / "j14" / "a.py")]
    code = cli.main(["check", "--no-cache", "--output-format", "concise", *files])
    out = capsys.readouterr().out
    reported = [line for line in out.splitlines() if " MEM101 " in line]
    assert code == 1 and len(reported) == 1, out
    shown = reported[0].split(":")[0]  # relative to the working directory where it can be
    assert (Path.cwd() / shown).resolve() == (two_projects / "j14" / "a.py").resolve()
    assert ":4:8: MEM101" in reported[0] and "joblib 1.4.2 (requirements.txt)" in reported[0]


@pytest.mark.parametrize("marker", [
    "requirements.txt", "requirements-dev.txt", "requirements/", "environment.yml", "environment.yaml",
    ".git/", ".git", "uv.lock", "poetry.lock", "pdm.lock", "pylock.toml", "pylock.dev.toml",
])
def test_each_marker_makes_a_root(tmp_path, marker):
    root = tmp_path / "project"
    (root / "src" / "pkg").mkdir(parents=True)
    if marker.endswith("/"):
        (root / marker.rstrip("/")).mkdir()
    else:
        (root / marker).write_text("")
    assert find_project_root(root / "src" / "pkg" / "m.py") == root


def test_a_config_file_above_wins_over_a_nearer_marker(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.memlint]\nselect = ['MEM1']\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "requirements.txt").write_text("sphinx\n")
    assert find_project_root(tmp_path / "docs" / "conf.py") == tmp_path


def test_the_nearest_config_file_is_the_root(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "memlint.toml").write_text("")
    assert find_project_root(tmp_path / "sub" / "x.py") == tmp_path / "sub"
    assert find_project_root(tmp_path / "y.py") == tmp_path


def test_without_markers_the_root_is_where_the_imports_start(tmp_path):
    package = tmp_path / "unpacked" / "pkg" / "readers"
    package.mkdir(parents=True)
    for folder in (package, package.parent):
        (folder / "__init__.py").write_text("")
    (tmp_path / "unpacked" / "script_dir").mkdir()
    above = [tmp_path, *tmp_path.parents]
    if any((d / n).exists() for d in above for n in ("pyproject.toml", "memlint.toml", ".git", "requirements.txt")):
        pytest.skip("a project marker above the temporary directory")
    assert find_project_root(package / "m.py") == tmp_path / "unpacked"
    assert find_project_root(tmp_path / "unpacked" / "script_dir" / "s.py") == tmp_path / "unpacked" / "script_dir"


def test_show_settings_prints_the_root_config_rules_and_versions(two_projects, monkeypatch, capsys):
    (two_projects / "j14" / "memlint.toml").write_text('select = ["MEM1"]\ntarget-version = "py313"\n')
    monkeypatch.chdir(two_projects / "j16")
    assert cli.main(["check", "--show-settings", str(two_projects / "j14" / "a.py")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"Resolved settings for: {(two_projects / 'j14' / 'a.py').resolve()}"
    assert out[1] == f"Project root: {(two_projects / 'j14').resolve()}"
    assert out[2] == f"Config file: {(two_projects / 'j14' / 'memlint.toml').resolve()}"
    assert out[3] == "Enabled rules (2): MEM101, MEM102"
    assert "  Python 3.13 (target-version)" in out and "  joblib 1.4.2 (requirements.txt)" in out
    assert cli.main(["check", "--show-settings", "a.py"]) == 0  # j16, from inside it
    shown = capsys.readouterr().out
    assert "Config file: none (the defaults)" in shown and "  joblib 1.6.0 (requirements.txt)" in shown
    assert cli.main(["check", "--show-settings", "a.py", "b.py"]) == 2
    assert "exactly one file" in capsys.readouterr().err
