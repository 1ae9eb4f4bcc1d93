"""`memlint server` as a command: its help, and a one-line error without the lsp extra."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Python started with pygls impossible to import, as without the extra.
WITHOUT_PYGLS = """
import sys
class NoPygls:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("pygls", "lsprotocol"):
            raise ImportError(f"No module named {name!r}")
sys.meta_path.insert(0, NoPygls())
from memlint.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


def run(*args: str, code: str | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "memlint", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, stdin=subprocess.DEVNULL)


def test_without_the_extra_the_server_is_one_line_and_exit_2() -> None:
    proc = run("server", code=WITHOUT_PYGLS)
    assert proc.returncode == 2
    assert proc.stderr == 'memlint: error: `memlint server` needs the lsp extra: python -m pip install "memlint-sci[lsp]"\n'
    assert proc.stdout == ""


def test_server_help_and_arguments() -> None:
    helped = run("server", "--help")
    assert helped.returncode == 0 and helped.stdout.startswith("usage: memlint server")
    wrong = run("server", "--port", "8000")
    assert wrong.returncode == 2 and wrong.stderr.startswith("memlint: error: `memlint server` takes no arguments")
    assert "server" in run("--help").stdout
