"""A temporary project holding one oracle script, checked and fixed with the real CLI and run
under a pinned environment."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .envs import Env

SCRIPTS = Path(__file__).parent / "scripts"
OBSERVE = "oracle_observe.py"
MARK = "MEMLINT-ORACLE "


class Project:
    """`root/` holds the script under test, the observation helper, the environment's pins as
    requirements.txt (so memlint resolves the same library versions the script runs with)
    and a memlint.toml marking the project root."""

    def __init__(self, root: Path, env: Env, script: str, memlint) -> None:
        self.root = root
        self.env = env
        self.script = root / script
        self._memlint = memlint
        root.mkdir(parents=True, exist_ok=True)
        shutil.copy(SCRIPTS / script, self.script)
        shutil.copy(SCRIPTS / OBSERVE, root / OBSERVE)
        (root / "requirements.txt").write_text(env.requirements_txt())
        (root / "memlint.toml").write_text('select = ["MEM"]\n')

    @property
    def source(self) -> str:
        return self.script.read_text()

    def findings(self) -> list[dict]:
        """memlint's JSON findings for the script, as `memlint --format json` prints them."""
        run = self._memlint("--format", "json", self.script.name, cwd=self.root)
        assert run.returncode in (0, 1), run
        return json.loads(run.stdout)

    def codes(self) -> list[str]:
        return [f["code"] for f in self.findings()]

    def findings_of(self, code: str) -> list[dict]:
        return [f for f in self.findings() if f["code"] == code]

    def row_of(self, text: str) -> int:
        """The first line of the script holding `text`, counted from 1."""
        return next(i for i, ln in enumerate(self.source.splitlines(), 1) if text in ln)

    def fix(self, *flags: str):
        """`python -m memlint --fix [FLAGS] script.py`, from the checkout."""
        run = self._memlint("--fix", *flags, self.script.name, cwd=self.root)
        assert run.returncode in (0, 1), run
        return run

    def rewrite_as(self, script: str) -> None:
        """Replace the script with its documented rewrite (for rules without a fix)."""
        shutil.copy(SCRIPTS / script, self.script)

    def run(self, *args: str, timeout: float = 900) -> dict:
        """Run the script under the environment; return what it observed."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        cmd = [str(self.env.python), self.script.name, *args]
        try:
            proc = subprocess.run(cmd, cwd=self.root, capture_output=True, text=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{self.script.name} under {self.env.name} ran over {timeout:.0f} s", pytrace=False)
        lines = [ln[len(MARK):] for ln in proc.stdout.splitlines() if ln.startswith(MARK)]
        if not lines:
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-25:])
            pytest.fail(
                f"{self.script.name} under {self.env.name} printed no observation "
                f"(exit {proc.returncode}):\n{tail}",
                pytrace=False,
            )
        return json.loads(lines[-1])


def write_arange_file(path: Path, rows: int, cols: int) -> Path:
    """A raw float64 file holding 0, 1, ..., rows * cols - 1 (so a float64 sum of it is
    exact), written a block of rows at a time."""
    import numpy as np

    step = 4096
    with open(path, "wb") as f:
        for start in range(0, rows, step):
            stop = min(start + step, rows)
            np.arange(start * cols, stop * cols, dtype=np.float64).tofile(f)
    assert path.stat().st_size == rows * cols * 8
    return path
