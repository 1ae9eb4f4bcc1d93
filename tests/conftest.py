from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


class Run:
    def __init__(self, proc: subprocess.CompletedProcess) -> None:
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    def __repr__(self) -> str:  # shown by pytest when an assertion fails
        return f"Run(returncode={self.returncode}, stdout={self.stdout!r}, stderr={self.stderr!r})"


def run_memlint(*args: str, cwd: Path, input: str | bytes | None = None, env: dict | None = None) -> Run:
    """Run `python -m memlint ARGS` as a user would, from this checkout."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO)}
    full_env.pop("MEMLINT_CACHE_DIR", None)  # a test sets it through `env` when it means to
    full_env.update(env or {})
    data = input.encode() if isinstance(input, str) else input
    proc = subprocess.run(
        [sys.executable, "-m", "memlint", *args],
        cwd=cwd,
        input=data,
        capture_output=True,
        env=full_env,
        timeout=120,
    )
    return Run(
        subprocess.CompletedProcess(
            proc.args, proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")
        )
    )


@pytest.fixture(autouse=True, scope="session")
def _startup_cache(tmp_path_factory):
    """memlint's compiled-dataclass cache (memlint.engine.codecache) goes to a directory of
    the test session's, not the user's, for every run the tests start."""
    before = os.environ.get("MEMLINT_STARTUP_CACHE")
    os.environ["MEMLINT_STARTUP_CACHE"] = str(tmp_path_factory.mktemp("startup-cache"))
    yield
    if before is None:
        os.environ.pop("MEMLINT_STARTUP_CACHE", None)
    else:
        os.environ["MEMLINT_STARTUP_CACHE"] = before


@pytest.fixture
def memlint():
    return run_memlint


@pytest.fixture
def project(tmp_path):
    """Write files into a temporary project: project({"a.py": "...", "pyproject.toml": "..."})."""

    def make(files: dict[str, str | bytes]) -> Path:
        for name, content in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(textwrap.dedent(content).lstrip("\n"))
        return tmp_path

    return make


@pytest.fixture
def inproc(monkeypatch, capsysbinary):
    """Like the `memlint` fixture, but calls memlint.cli.main in this process: for tests
    that run the command many times (a process per run costs the libcst import)."""
    import io
    import sys
    from types import SimpleNamespace

    def run(*args: str, cwd: Path, input: str | bytes | None = None):
        monkeypatch.chdir(cwd)
        data = input.encode() if isinstance(input, str) else (input or b"")
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
        from memlint import cli

        code = cli.main(list(args))
        out, err = capsysbinary.readouterr()
        return SimpleNamespace(returncode=code, stdout=out.decode("utf-8", "replace"),
                               stderr=err.decode("utf-8", "replace"))

    return run
