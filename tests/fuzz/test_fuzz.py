"""The fuzz tier: a few hundred hostile variants of the rules' own examples (deep nesting,
long chains, BOMs, encoding declarations, CRLF, NUL bytes, truncation, ...) and programs
hypothesmith writes, checked and fixed in process (tests/fuzz/properties.py), then all of
them through `memlint check` and `flake8 --select MEM` once each: exit 0 or 1, no
traceback, and the same findings from both on every file Python compiles."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mutations import rule_examples, variants  # noqa: E402
from properties import problems  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
CASES = 300
# In-process seconds a case may take to check (and as much to fix): generous for a slow
# machine, far below the minutes a long chain or deep nesting once cost; a file of a
# megabyte (a literal table of 100,000 numbers) may take 20 s more.
def time_limit(data: bytes) -> float:
    return 10.0 + len(data) / 50_000


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    (root / "pyproject.toml").write_text("[tool.memlint]\n[tool.memlint.rules.MEM101]\nrequire-sink = false\n")
    written = []
    for name, data in variants(rule_examples(), random.Random(20261203), CASES):
        path = root / f"{name[:80]}.py"
        path.write_bytes(data)
        written.append(path)
    return root, written


def test_every_variant_is_checked_and_fixed_soundly(cases):
    from memlint.engine.runner import ProjectCache

    root, written = cases
    projects = ProjectCache()
    failures = {}
    for path in written:
        data = path.read_bytes()
        found = problems(data, str(path), projects.for_file(path), time_limit(data))
        if found:
            failures[path.name] = found
    assert failures == {}


def test_programs_hypothesmith_writes_with_a_trigger_added(tmp_path):
    hypothesis = pytest.importorskip("hypothesis")
    hypothesmith = pytest.importorskip("hypothesmith")
    from memlint.engine.runner import ProjectCache

    (tmp_path / "pyproject.toml").write_text("[tool.memlint]\n")
    project = ProjectCache().for_file(tmp_path / "a.py")
    trigger = "import dask.array as da\nimport numpy as np\ny = da.ones(4).map_blocks(f, np.load('a.npy'))\n"
    failures = []

    @hypothesis.settings(max_examples=40, deadline=None, database=None, derandomize=True,
                         suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(hypothesmith.from_grammar())
    def check(source):
        for data in ((trigger + source).encode("utf-8", "surrogatepass"),
                     (source + "\n" + trigger).encode("utf-8", "surrogatepass")):
            found = problems(data, str(tmp_path / "a.py"), project, time_limit(data))
            if found:
                failures.append((source, found))

    check()
    assert failures == []


def _flake8_parses(data: bytes) -> bool:
    import ast
    import warnings

    from properties import _compiles

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return _compiles(data)


def _flake8_available() -> bool:
    try:
        import flake8  # noqa: F401
    except ImportError:
        return False
    return True


def test_the_cli_and_flake8_exit_cleanly_and_agree(cases):
    root, written = cases
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run([sys.executable, "-m", "memlint", "check", "--no-cache", "--output-format",
                          "json", "."], cwd=root, capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode in (0, 1), run.stderr
    assert "Traceback" not in run.stderr
    from_memlint = {(Path(d["filename"]).name, d["location"]["row"], d["location"]["column"], d["code"])
                    for d in json.loads(run.stdout)}
    if not _flake8_available():
        pytest.skip("flake8 is not installed")
    # flake8 runs its plugins only on files Python's parser takes, and its own parse of
    # some others fails with a traceback that ends its whole run: it gets only the rest.
    # Another plugin (bugbear) failing on a file ends the run too: that file is left out
    # and flake8 run again; memlint's own plugin must never be the one that failed.
    # (And only files of a usual size: pycodestyle takes a minute over the megabyte ones.)
    compiled = {p.name for p in written if p.stat().st_size < 20_000 and _flake8_parses(p.read_bytes())}
    for _ in range(10):
        proc = subprocess.run([sys.executable, "-m", "flake8", "--select", "MEM",
                               "--format=%(path)s|%(row)d|%(col)d|%(code)s", *sorted(compiled)],
                              cwd=root, capture_output=True, text=True, env=env, timeout=300)
        failed = {line.split(":", 1)[0] for line in proc.stdout.splitlines() + proc.stderr.splitlines()
                  if "failed during execution" in line}
        assert not any("memlint" in line for line in proc.stdout.splitlines() if "failed" in line)
        if not failed:
            break
        compiled -= failed
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    from_flake8 = set()
    for line in proc.stdout.splitlines():
        path, row, col, code = line.rsplit("|", 3)
        from_flake8.add((Path(path).name, int(row), int(col), code))
    only = {f for f in from_memlint if f[0] in compiled}
    assert {f for f in from_flake8 if f[0] in compiled} == only
