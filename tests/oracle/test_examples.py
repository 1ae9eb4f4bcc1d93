"""The dask and joblib reproductions in examples/, run before and after `memlint --fix` under
the library versions examples/requirements.txt pins, in the oracle environments."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.oracle


def copy_examples(tmp_path: Path, name: str) -> Path:
    for f in (name, "requirements.txt", "memlint.toml"):
        shutil.copy(REPO / "examples" / f, tmp_path / f)
    return tmp_path / name


def run(python: str, script: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([python, str(script), *args], capture_output=True, text=True,
                          cwd=script.parent, timeout=600)


def test_big_endian_reproduction_crashes_then_runs_after_fix(tmp_path, memlint, oracle_env):
    python = str(oracle_env("joblib-1.4.2").python)
    script = copy_examples(tmp_path, "joblib_big_endian.py")
    before = run(python, script)
    assert before.returncode == 1 and "BrokenProcessPool" in before.stdout, before
    assert memlint("--fix", "--select", "MEM301", script.name, cwd=tmp_path).returncode == 0
    after = run(python, script)
    assert after.returncode == 0, after
    assert "same as computed in this process" in after.stdout


def test_from_array_memmap_stays_small_after_fix(tmp_path, memlint, oracle_env):
    python = str(oracle_env("dask-2024.5.0").python)
    script = copy_examples(tmp_path, "dask_from_array_memmap.py")
    pattern = re.compile(r"peak RSS (\d+) MB before, (\d+) MB after")
    before = run(python, script, "512")
    start, peak = map(int, pattern.search(before.stdout).groups())
    assert peak - start > 400, before.stdout  # the whole file was read and copied
    assert memlint("--fix", "--select", "MEM201", script.name, cwd=tmp_path).returncode == 0
    after = run(python, script, "512")
    start, peak = map(int, pattern.search(after.stdout).groups())
    # Growth, not the absolute peak: the interpreter with dask and numpy loaded is already
    # about 200 MB on some machines.
    assert peak - start < 100, after.stdout


def test_memmap_layout_notebook_workers_see_the_right_rows_after_fix(tmp_path, memlint, oracle_env):
    """The notebook reproduction's code cells, run in order as the kernel runs them (its
    magics masked), scramble the rows under joblib 1.4.2 until `memlint --fix` fixes the
    notebook."""
    from memlint.engine.notebook import Notebook

    python = str(oracle_env("joblib-1.4.2").python)
    notebook = copy_examples(tmp_path, "joblib_memmap_layout.ipynb")

    def run_cells() -> subprocess.CompletedProcess:
        script = tmp_path / "cells.py"
        script.write_text(Notebook.read(notebook.read_bytes()).text)
        return run(python, script)

    before = run_cells()
    assert "workers saw SCRAMBLED values" in before.stdout, before
    assert memlint("--fix", "--select", "MEM101", notebook.name, cwd=tmp_path).returncode == 0
    after = run_cells()
    assert "workers saw the right values" in after.stdout, after
