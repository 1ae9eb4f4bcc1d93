"""The result cache, as a user meets it through the command line."""

from __future__ import annotations

import json
import os
from pathlib import Path

# MEM101 configured as a library would: a reshape is reported without a joblib sink.
LIBRARY = '[tool.memlint]\n[tool.memlint.rules.MEM101]\nrequire-sink = false\n'
HAZARD = 'import numpy as np\ndata = np.memmap("d.bin", mode="r").reshape(5, 3)\n'
SAFE = 'import numpy as np\ndata = np.memmap("d.bin", mode="r", shape=(5, 3))\n'


def cache_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.json"))


def test_first_run_creates_a_tagged_ignored_cache(memlint, project):
    root = project({"pyproject.toml": LIBRARY, "a.py": HAZARD, "b.py": "x = 1\n"})
    first = memlint("--format", "concise", cwd=root)
    assert first.returncode == 1
    cache = root / ".memlint_cache"
    assert (cache / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert len(cache_files(cache)) == 1
    second = memlint("--format", "concise", cwd=root)
    assert (second.returncode, second.stdout) == (first.returncode, first.stdout)
    assert "a.py:2:8: MEM101" in second.stdout


def test_a_cached_result_is_what_a_fresh_run_says(memlint, project):
    root = project({"pyproject.toml": LIBRARY, "a.py": HAZARD})
    memlint(cwd=root)
    warm = memlint("--format", "json", cwd=root)
    cold = memlint("--format", "json", "--no-cache", cwd=root)
    assert json.loads(warm.stdout) == json.loads(cold.stdout)
    assert json.loads(warm.stdout)[0]["fix"] is not None  # fixes survive the cache


def test_an_edited_file_is_checked_again(memlint, project):
    root = project({"pyproject.toml": LIBRARY, "a.py": HAZARD})
    assert memlint(cwd=root).returncode == 1
    (root / "a.py").write_text(SAFE)
    assert memlint(cwd=root).returncode == 0
    (root / "a.py").write_text(HAZARD)
    assert memlint(cwd=root).returncode == 1


def test_same_size_new_content_is_checked_again(memlint, project):
    # Entries are trusted on size and mtime (to nanoseconds, as other linters' caches
    # do); an edit that keeps the size but moves the mtime is read, hashed and checked.
    root = project({"pyproject.toml": LIBRARY, "a.py": HAZARD})
    memlint(cwd=root)
    st = os.stat(root / "a.py")
    new = HAZARD.replace("5, 3", "3, 5")
    assert len(new) == len(HAZARD)
    (root / "a.py").write_text(new)
    os.utime(root / "a.py", ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    out = memlint("--format", "json", cwd=root)
    assert "shape=(3, 5)" in json.loads(out.stdout)[0]["fix"]["message"]


def test_config_change_invalidates(memlint, project):
    root = project({"pyproject.toml": LIBRARY, "a.py": HAZARD})
    assert memlint(cwd=root).returncode == 1
    (root / "pyproject.toml").write_text(LIBRARY.replace("[tool.memlint]\n", '[tool.memlint]\nignore = ["MEM101"]\n'))
    assert memlint(cwd=root).returncode == 0
    (root / "pyproject.toml").write_text(LIBRARY)
    assert memlint(cwd=root).returncode == 1


def test_library_version_change_invalidates(memlint, project):
    root = project({"pyproject.toml": LIBRARY, "a.py": HAZARD, "requirements.txt": "joblib==1.4.2\n"})
    assert memlint(cwd=root).returncode == 1
    (root / "requirements.txt").write_text("joblib==1.5.0\n")  # C-order reshapes are fixed there
    assert memlint(cwd=root).returncode == 0


def test_corrupt_cache_is_ignored_and_replaced(memlint, project):
    root = project({"pyproject.toml": LIBRARY, "a.py": HAZARD})
    memlint(cwd=root)
    [path] = cache_files(root / ".memlint_cache")
    for junk in (b"\x00garbage{", b'{"format": 1, "results": {"a.py": [1, 2, 3, "x"]}, "result_key": "k"}', b"[]"):
        path.write_bytes(junk)
        out = memlint("--format", "concise", cwd=root)
        assert out.returncode == 1 and "MEM101" in out.stdout, out
    json.loads(path.read_bytes())  # rewritten as a valid cache


def test_no_cache_writes_nothing(memlint, project):
    root = project({"pyproject.toml": LIBRARY, "a.py": HAZARD})
    assert memlint("--no-cache", cwd=root).returncode == 1
    assert not (root / ".memlint_cache").exists()


def test_cache_dir_flag_and_environment(memlint, project, tmp_path_factory):
    root = project({"pyproject.toml": LIBRARY, "a.py": HAZARD})
    elsewhere = tmp_path_factory.mktemp("cache")
    assert memlint("--cache-dir", str(elsewhere / "c"), cwd=root).returncode == 1
    assert len(cache_files(elsewhere / "c")) == 1
    assert (elsewhere / "c" / "CACHEDIR.TAG").is_file()
    env_dir = elsewhere / "env"
    assert memlint(cwd=root, env={"MEMLINT_CACHE_DIR": str(env_dir)}).returncode == 1
    assert len(cache_files(env_dir)) == 1
    assert not (root / ".memlint_cache").exists()


def test_fix_updates_the_cache(memlint, project):
    root = project({"pyproject.toml": LIBRARY, "a.py": HAZARD})
    assert memlint(cwd=root).returncode == 1  # cached with a fixable finding
    fixed = memlint("--fix", cwd=root)
    assert fixed.returncode == 0, fixed
    assert "shape=(5, 3)" in (root / "a.py").read_text()
    assert memlint(cwd=root).returncode == 0
    assert memlint("--no-cache", cwd=root).returncode == 0


def test_diff_leaves_the_cache_truthful(memlint, project):
    root = project({"pyproject.toml": LIBRARY, "a.py": HAZARD})
    assert memlint("--diff", cwd=root).returncode == 1
    assert (root / "a.py").read_text() == HAZARD
    assert memlint(cwd=root).returncode == 1
    assert memlint("--diff", cwd=root).returncode == 1


def test_read_only_cache_directory_still_reports(memlint, project):
    root = project({"pyproject.toml": LIBRARY, "a.py": HAZARD})
    (root / ".memlint_cache").write_text("not a directory")
    out = memlint("--format", "concise", cwd=root)
    assert out.returncode == 1 and "MEM101" in out.stdout and out.stderr == ""


def test_jobs_flag(memlint, project):
    root = project({"pyproject.toml": LIBRARY, "a.py": HAZARD})
    one = memlint("-j", "1", "--no-cache", "--format", "concise", cwd=root)
    two = memlint("--jobs", "2", "--no-cache", "--format", "concise", cwd=root)
    assert one.stdout == two.stdout and one.returncode == two.returncode == 1
    bad = memlint("-j", "many", cwd=root)
    assert bad.returncode == 2 and "--jobs" in bad.stderr and "Traceback" not in bad.stderr


def test_deleted_files_leave_the_cache(memlint, project):
    root = project({"pyproject.toml": LIBRARY, "a.py": HAZARD, "b.py": "x = 1\n", "c.py": SAFE})
    memlint(cwd=root)
    [path] = cache_files(root / ".memlint_cache")
    data = json.loads(path.read_bytes())
    assert set(data["skip"]) | set(data["results"]) == {"a.py", "b.py", "c.py"}
    (root / "b.py").unlink()
    (root / "a.py").write_text(SAFE)  # a change, so the cache is written again
    memlint(cwd=root)
    data = json.loads(path.read_bytes())
    assert set(data["skip"]) | set(data["results"]) == {"a.py", "c.py"}
