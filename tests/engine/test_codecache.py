"""The compiled-dataclass cache: classes made through it behave exactly as without it,
the second process compiles nothing, and a cache that is off, corrupt or unwritable
changes nothing but the time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# A process that makes a few dataclasses through the cache and reports what it saw.
PROBE = """
import dataclasses, json, typing
from memlint.engine import codecache
codecache.install()

@dataclasses.dataclass(frozen=True, order=True)
class Point:
    x: int
    y: typing.Tuple[int, ...] = dataclasses.field(default_factory=tuple)

@dataclasses.dataclass
class Box:
    name: str = "box"

p = Point(1, (2,))
try:
    p.x = 3
    frozen = False
except dataclasses.FrozenInstanceError:
    frozen = True
result = {
    "repr": repr(p), "eq": p == Point(1, (2,)), "lt": Point(0) < p, "frozen": frozen,
    "hash": hash(Point(1)) == hash(Point(1)), "box": repr(Box()),
    "annotation": repr(Point.__init__.__annotations__["x"]),
    "compiled": codecache._new, "installed": dataclasses.__dict__.get("exec") is codecache._exec,
}
codecache.save()
print(json.dumps(result))
"""


def probe(cache: str, extra_env: dict | None = None) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO), "MEMLINT_STARTUP_CACHE": cache, **(extra_env or {})}
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


EXPECTED = {
    "repr": "Point(x=1, y=(2,))", "eq": True, "lt": True, "frozen": True, "hash": True,
    "box": "Box(name='box')",
    # The generated __init__ is compiled without memlint's own `from __future__ import
    # annotations`: its annotations are the types, as without the cache.
    "annotation": "<class 'int'>",
}


def cache_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("dataclass-code.*.marshal"))


def test_second_process_compiles_nothing_and_classes_behave_the_same(tmp_path):
    first = probe(str(tmp_path))
    assert {k: first[k] for k in EXPECTED} == EXPECTED
    assert first["installed"] is True
    assert first["compiled"] > 0
    assert len(cache_files(tmp_path)) == 1
    second = probe(str(tmp_path))
    assert {k: second[k] for k in EXPECTED} == EXPECTED
    assert second["compiled"] == 0


def test_off_means_dataclasses_as_usual_and_no_file(tmp_path):
    found = probe("off", {"XDG_CACHE_HOME": str(tmp_path)})
    assert {k: found[k] for k in EXPECTED} == EXPECTED
    assert found["installed"] is False
    assert list(tmp_path.iterdir()) == []


def test_a_corrupt_file_is_compiled_over(tmp_path):
    probe(str(tmp_path))
    (path,) = cache_files(tmp_path)
    path.write_bytes(b"\x00not marshal data")
    found = probe(str(tmp_path))
    assert {k: found[k] for k in EXPECTED} == EXPECTED
    assert found["compiled"] > 0
    assert probe(str(tmp_path))["compiled"] == 0  # and written anew


def test_an_unwritable_place_is_left_alone(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    found = probe(str(blocker / "memlint"))
    assert {k: found[k] for k in EXPECTED} == EXPECTED
    assert blocker.read_text() == "not a directory"


def test_the_cli_keeps_libcsts_classes(tmp_path, project):
    root = project({
        "pyproject.toml": "[tool.memlint]\n[tool.memlint.rules.MEM101]\nrequire-sink = false\n",
        "a.py": 'import numpy as np\nx = np.memmap("d", mode="r").reshape(2, 2)\n',
    })
    env = {**os.environ, "PYTHONPATH": str(REPO), "MEMLINT_STARTUP_CACHE": str(tmp_path / "c")}
    runs = [subprocess.run([sys.executable, "-m", "memlint", "--no-cache", "a.py"], cwd=root,
                           capture_output=True, text=True, env=env, timeout=120) for _ in range(2)]
    assert [r.returncode for r in runs] == [1, 1]
    assert runs[0].stdout == runs[1].stdout and "MEM101" in runs[0].stdout
    (path,) = cache_files(tmp_path / "c")
    import marshal

    sources = marshal.loads(path.read_bytes()[32:])  # after the signature
    # libcst's node classes are in it (Name's generated __init__ among them).
    assert any("def __init__(self,value:" in s for s in sources)


def test_a_process_saving_later_keeps_what_another_saved_meanwhile(tmp_path):
    """The pool's workers save libcst's classes while the parent, which never loads libcst,
    saves its own at the end: neither loses the other's."""
    script = """
import dataclasses, subprocess, sys
from memlint.engine import codecache
codecache.install()

@dataclasses.dataclass
class Parent:
    parent_field: int

# Another process saves while this one runs (as a pool's worker does).
subprocess.run([sys.executable, "-c", sys.argv[1]], check=True)
codecache.save()
"""
    worker = """
import dataclasses
from memlint.engine import codecache
codecache.install()

@dataclasses.dataclass
class Worker:
    worker_field: int

codecache.save()
"""
    env = {**os.environ, "PYTHONPATH": str(REPO), "MEMLINT_STARTUP_CACHE": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", script, worker], capture_output=True, text=True,
                         env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    import marshal

    (path,) = cache_files(tmp_path)
    sources = "\n".join(marshal.loads(path.read_bytes()[32:]))
    assert "parent_field" in sources and "worker_field" in sources


def test_no_home_directory_means_no_cache(tmp_path, monkeypatch):
    from memlint.engine import codecache

    monkeypatch.delenv("MEMLINT_STARTUP_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(os.path, "expanduser", lambda path: path)  # no HOME, no passwd entry
    assert codecache.directory() is None
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert codecache.directory() == str(tmp_path / "memlint")


def _plant(path: Path, marker: Path, signature: bytes | None = None) -> None:
    """Replace every code object in the cache file by one that writes `marker`."""
    import marshal

    data = path.read_bytes()
    sources = marshal.loads(data[32:])
    evil = compile(f"open({str(marker)!r}, 'w').write('ran')", "<string>", "exec")
    payload = marshal.dumps({s: evil for s in sources})
    path.write_bytes((signature if signature is not None else data[:32]) + payload)


def test_a_crafted_cache_file_is_never_run(tmp_path):
    cache = tmp_path / "c"
    probe(str(cache))
    (path,) = cache_files(cache)
    marker = tmp_path / "ran"
    _plant(path, marker)  # the old signature no longer matches
    assert {k: probe(str(cache))[k] for k in EXPECTED} == EXPECTED
    assert not marker.exists()
    _plant(path, marker, signature=b"")  # no signature at all: the bare marshal of old
    assert {k: probe(str(cache))[k] for k in EXPECTED} == EXPECTED
    assert not marker.exists()


def test_a_place_others_may_write_to_is_neither_read_nor_written(tmp_path):
    cache = tmp_path / "shared"
    probe(str(cache))
    (path,) = cache_files(cache)
    before = path.read_bytes()
    cache.chmod(0o777)
    found = probe(str(cache))
    assert found["compiled"] > 0 and {k: found[k] for k in EXPECTED} == EXPECTED  # not loaded
    assert path.read_bytes() == before  # not written
    cache.chmod(0o700)
    path.chmod(0o666)
    assert probe(str(cache))["compiled"] > 0
    path.chmod(0o600)
    assert probe(str(cache))["compiled"] == 0  # trusted again


def test_files_are_private_to_the_user(tmp_path):
    import stat

    cache = tmp_path / "new" / "memlint"
    probe(str(cache))
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    for path in cache.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_a_file_of_another_user_is_not_read(tmp_path):
    import pytest

    if os.geteuid() != 0:
        pytest.skip("only root can give a file to another user")
    cache = tmp_path / "c"
    probe(str(cache))
    (path,) = cache_files(cache)
    os.chown(path, 4321, 4321)
    assert probe(str(cache))["compiled"] > 0
