"""Running many files: the process pool gives exactly the serial results; a file memlint
fails on is a MEM001 finding, not a crash."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import memlint.engine.runner as runner
from memlint.engine.runner import FixOptions, ProjectCache, RunOptions, relevant_files, run_files

HAZARD = textwrap.dedent(
    """
    import numpy as np
    from joblib import Parallel, delayed

    data = np.memmap("data{i}.bin", dtype=np.float64, mode="r").reshape(5, 3)
    view = np.memmap("v{i}.bin", dtype=np.float64, mode="r", shape=(3, 4))
    out = Parallel(n_jobs=2)(delayed(np.sum)(view.T) for _ in range(2))
    """
).lstrip()

SAFE = "import numpy as np\nrows = np.memmap('d.bin', mode='r', shape=(5, 3)).reshape(3, 5)\n"


def make_tree(root: Path, n: int = 12) -> None:
    (root / "pyproject.toml").write_text("[tool.memlint]\n[tool.memlint.rules.MEM101]\nrequire-sink = false\n")
    for i in range(n):
        sub = root / f"pkg{i % 3}"
        sub.mkdir(exist_ok=True)
        body = HAZARD.format(i=i) if i % 2 == 0 else SAFE
        # Padding makes some files large enough for the partial pass.
        padding = "".join(f"def pad_{k}():\n    return {k}\n\n" for k in range(150 * (i % 4)))
        (sub / f"mod{i}.py").write_text(body + padding)
        (sub / f"plain{i}.py").write_text("x = 1\n")


def run(root: Path, jobs: int, fix: bool = False):
    projects = ProjectCache()
    files = relevant_files([root], projects)
    return run_files(files, projects, FixOptions(fix=fix), RunOptions(jobs=jobs, cache=False))


def test_pool_results_equal_serial_results(tmp_path, monkeypatch):
    make_tree(tmp_path)
    serial = run(tmp_path, jobs=1)
    used: list[int] = []
    real = runner._pooled

    def spy(tasks, projects, opts, jobs):
        used.append(jobs)
        yield from real(tasks, projects, opts, jobs)

    monkeypatch.setattr(runner, "_pooled", spy)
    monkeypatch.setattr(runner, "POOL_MIN_BYTES", 0)
    pooled = run(tmp_path, jobs=2)
    assert used == [2], "the pool should have been used"
    assert serial.diagnostics, "the tree should have findings"
    assert pooled.diagnostics == serial.diagnostics
    assert {d.code for d in serial.diagnostics} == {"MEM101", "MEM102"}


def test_pool_fixes_equal_serial_fixes(tmp_path, monkeypatch):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    make_tree(a, 6)
    make_tree(b, 6)
    serial = run(a, jobs=1, fix=True)
    monkeypatch.setattr(runner, "POOL_MIN_BYTES", 0)
    pooled = run(b, jobs=2, fix=True)
    assert serial.fixed == pooled.fixed > 0
    for path in sorted(a.rglob("*.py")):
        assert path.read_text() == (b / path.relative_to(a)).read_text(), path


def test_small_runs_stay_serial(tmp_path, monkeypatch):
    make_tree(tmp_path, 4)
    monkeypatch.setattr(runner, "_pooled", lambda *a: pytest.fail("pool started for a tiny run"))
    assert run(tmp_path, jobs=2).diagnostics


def test_a_file_memlint_fails_on_is_a_finding(tmp_path, monkeypatch):
    make_tree(tmp_path, 2)
    import memlint.engine.checker as checker

    real = checker.lint_text

    def explode(text, filename, settings):
        if filename.endswith("mod0.py"):
            raise RuntimeError("boom")
        return real(text, filename, settings)

    monkeypatch.setattr(checker, "lint_text", explode)
    result = run(tmp_path, jobs=1)
    broken = [d for d in result.diagnostics if d.filename.endswith("mod0.py")]
    assert [(d.code, d.location.row) for d in broken] == [("MEM001", 1)]
    assert "RuntimeError: boom" in broken[0].message


@pytest.mark.parametrize("how", ["segfault", "exit"])
def test_a_worker_that_dies_fails_that_file_and_the_run_goes_on(tmp_path, monkeypatch, how):
    """A crash of libcst's native parser kills the worker process: the run neither hangs
    nor loses the other files; the crashing file is a MEM001 finding naming it."""
    import os
    import signal

    make_tree(tmp_path)
    serial = run(tmp_path, jobs=1)
    real = runner.check_one

    def crash(data, filename, project, opts):
        if filename.endswith("mod4.py"):
            if how == "segfault":
                os.kill(os.getpid(), signal.SIGSEGV)
            os._exit(3)
        return real(data, filename, project, opts)

    monkeypatch.setattr(runner, "check_one", crash)  # forked workers inherit it
    monkeypatch.setattr(runner, "POOL_MIN_BYTES", 0)
    monkeypatch.setattr(runner, "CHUNK_BYTES", 1)  # one file a chunk: many in flight
    pooled = run(tmp_path, jobs=2)
    crashed = [d for d in pooled.diagnostics if d.filename.endswith("mod4.py")]
    assert [(d.code, d.location.row) for d in crashed] == [("MEM001", 1)]
    assert "crashed" in crashed[0].message
    others = [d for d in serial.diagnostics if not d.filename.endswith("mod4.py")]
    assert [d for d in pooled.diagnostics if not d.filename.endswith("mod4.py")] == others
