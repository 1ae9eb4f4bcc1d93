"""What a pre-commit style run on one file loads: a file that cannot match any rule must
not pay for libcst, numpy, the analysis code or the version machinery."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

PROBE = """
import json, sys
sys.argv = ["memlint", *sys.argv[1:]]
from memlint.cli import main
from memlint.engine import lazy
code = main()
heavy = ["numpy", "pathspec", "packaging.specifiers", "packaging.requirements",
         "importlib.metadata", "memlint.analysis.builder", "memlint.analysis.model",
         "memlint.engine.partial", "multiprocessing"]
print(json.dumps({"code": code, "libcst": lazy.is_loaded("libcst"),
                  "loaded": [m for m in heavy if m in sys.modules]}))
"""


def probe(cwd: Path, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_file_that_cannot_match_loads_nothing_heavy(project):
    root = project({"pyproject.toml": "[tool.memlint]\n[tool.memlint.rules.MEM101]\nrequire-sink = false\n", "a.py": "import os\nprint(os.sep)\n"})
    for args in (["--no-cache", "a.py"], ["a.py"], ["a.py"]):  # no cache, cold cache, warm cache
        found = probe(root, *args)
        assert found == {"code": 0, "libcst": False, "loaded": []}, args


def test_a_cached_finding_is_reported_without_libcst(project):
    root = project({
        "pyproject.toml": "[tool.memlint]\n[tool.memlint.rules.MEM101]\nrequire-sink = false\n",
        "a.py": 'import numpy as np\nx = np.memmap("d", mode="r").reshape(2, 2)\n',
    })
    cold = probe(root, "a.py")
    assert cold["code"] == 1 and cold["libcst"] is True
    warm = probe(root, "a.py")
    assert warm == {"code": 1, "libcst": False, "loaded": []}


def test_importing_rules_does_not_load_libcst():
    out = subprocess.run(
        [sys.executable, "-c",
         "from memlint.engine.registry import all_rules; from memlint.engine import lazy; "
         "all_rules(); print(lazy.is_loaded('libcst'))"],
        cwd=REPO, capture_output=True, text=True, env={"PYTHONPATH": str(REPO)},
    )
    assert out.stdout.strip() == "False", out.stderr
