"""The pre-commit hooks, run by the real pre-commit: `pre-commit try-repo <this repo>` in a
temporary git repository holding a seed case.

try-repo installs memlint into pre-commit's own virtual environment from the hook
repository (from PyPI for the dependencies), and does so again on every call, so both
hooks run in one call (`memlint`, then `memlint-fix`, in id order): about 20-30 s.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HOOK_REPO_FILES = ("memlint", "pyproject.toml", "README.md", ".pre-commit-hooks.yaml")

SEED = '''\
import numpy as np
from joblib import Parallel, delayed


def rows(path):
    data = np.memmap(path, dtype=np.float64, mode="r").reshape(5, 3)
    return Parallel(n_jobs=2)(delayed(np.sum)(data, axis=1) for _ in range(2))
'''
FIXED = SEED.replace('mode="r").reshape(5, 3)', 'mode="r", shape=(5, 3))')
CLEAN = 'import numpy as np\n\ndata = np.memmap("d.bin", dtype=np.float64, mode="r", shape=(5, 3))\n'

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
]


def git(*args: str, cwd: Path) -> None:
    subprocess.run(
        ["git", "-c", "user.name=memlint tests", "-c", "user.email=tests@memlint.invalid",
         "-c", "commit.gpgsign=false", *args],
        cwd=cwd, check=True, capture_output=True,
    )


@pytest.fixture(scope="module")
def hook_run(tmp_path_factory):
    pytest.importorskip("pre_commit")
    # try-repo clones the hook repository at a commit: a copy of this checkout, committed.
    hook_repo = tmp_path_factory.mktemp("hook-repo")
    for name in HOOK_REPO_FILES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, hook_repo / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, hook_repo / name)
    git("init", "-q", cwd=hook_repo)
    git("add", "-A", cwd=hook_repo)
    git("commit", "-q", "-m", "memlint", cwd=hook_repo)

    project = tmp_path_factory.mktemp("project")
    (project / "seed.py").write_text(SEED)
    (project / "clean.py").write_text(CLEAN)
    (project / "requirements.txt").write_text("joblib==1.4.2\n")
    git("init", "-q", cwd=project)
    git("add", "-A", cwd=project)

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PRE_COMMIT_HOME")}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "--all-files",
         "--color", "never"],
        cwd=project, capture_output=True, text=True, env=env, timeout=900,
    )
    return proc, project


def hook_section(output: str, hook_id: str) -> str:
    """The lines pre-commit printed for one hook: from its status line to the next one."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if f"- hook id: {hook_id}" in line) - 1
    end = next((i for i in range(start + 2, len(lines)) if lines[i].endswith(("Passed", "Failed", "Skipped"))), len(lines))
    return "\n".join(lines[start:end])


def test_check_hook_fails_on_the_seed_case(hook_run):
    proc, _ = hook_run
    assert proc.returncode == 1, proc.stdout + proc.stderr
    section = hook_section(proc.stdout, "memlint")
    assert section.startswith("memlint.") and section.splitlines()[0].endswith("Failed")
    assert "seed.py:6:12: MEM101" in section
    assert "joblib 1.4.2 (requirements.txt)" in section
    assert "clean.py" not in section


def test_fix_hook_rewrites_the_seed_case(hook_run):
    proc, project = hook_run
    section = hook_section(proc.stdout, "memlint-fix")
    assert section.splitlines()[0].endswith("Failed")
    assert "files were modified by this hook" in section
    assert "1 × MEM101 (memmap-reshape)" in section
    assert (project / "seed.py").read_text() == FIXED
    assert (project / "clean.py").read_text() == CLEAN
