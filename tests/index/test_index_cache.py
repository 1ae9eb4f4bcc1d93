"""The result cache with values followed across modules: a change in a module the findings
were drawn from re-checks the files that drew on it, and nothing else."""

from __future__ import annotations

import json
from pathlib import Path

from memlint.engine import checker
from memlint.engine.runner import FixOptions, ProjectCache, RunOptions, relevant_files, run_files

FILES = {
    "pyproject.toml": "[project]\nname = 'pkg'\nversion = '0'\ndependencies = ['dask==2025.1.0']\n",
    "pkg/__init__.py": "",
    "pkg/io.py": "import numpy as np\n\ndef load(path):\n    return np.memmap(path, mode='r')\n",
    "pkg/lazy.py": "import dask.array as da\nfrom .io import load\n\narr = da.from_array(load('d.bin'))\n",
    "pkg/other.py": "import dask.array as da\nimport numpy as np\n\nx = da.from_array(np.zeros(10))\n",
}
COPYING = "import numpy as np\n\ndef load(path):\n    return np.array(np.memmap(path, mode='r'))\n"


def run(root: Path, cache_dir: Path, monkeypatch) -> tuple[list[str], list[str]]:
    """(findings as file:line:code, the files checked rather than answered from the cache)."""
    checked: list[str] = []
    real = checker.lint_text

    def spy(text, filename, settings):
        checked.append(Path(filename).relative_to(root).as_posix())
        return real(text, filename, settings)

    monkeypatch.setattr(checker, "lint_text", spy)
    projects = ProjectCache()
    files = relevant_files([root], projects)
    out = run_files(files, projects, FixOptions(), RunOptions(jobs=1, cache=True, cache_dir=cache_dir))
    found = [f"{Path(d.filename).relative_to(root).as_posix()}:{d.location.row}:{d.code}" for d in out.diagnostics]
    return found, sorted(checked)


def test_a_changed_dependency_rechecks_its_dependents_only(project, tmp_path, monkeypatch):
    root = project(FILES)
    cache = tmp_path / "cache"
    found, checked = run(root, cache, monkeypatch)
    assert found == ["pkg/lazy.py:4:MEM201"]
    assert checked == ["pkg/lazy.py", "pkg/other.py"]
    assert run(root, cache, monkeypatch) == (found, [])  # warm: nothing checked again
    (root / "pkg/io.py").write_text(COPYING)
    found, checked = run(root, cache, monkeypatch)
    assert found == []
    assert checked == ["pkg/lazy.py"]  # other.py drew on nothing io.py holds


def test_the_cache_names_what_each_result_was_drawn_from(memlint, project):
    root = project(FILES)
    assert memlint("--format", "concise", cwd=root).returncode == 1
    (entries,) = [json.loads(p.read_text())["results"] for p in (root / ".memlint_cache").glob("*.json")]
    assert entries["pkg/lazy.py"][4].keys() == {"pkg/io.py"}
    assert entries["pkg/other.py"][4] == {}
    (root / "pkg/io.py").write_text(COPYING)
    assert memlint("--format", "concise", cwd=root).returncode == 0


def test_a_module_that_starts_opening_memmaps_rechecks_its_importers(project, tmp_path, monkeypatch):
    """`from_array` calls are looked at only where an imported project module opens
    memmaps: that module is what the quiet result was drawn from."""
    eager = "import numpy as np\n\ndef load(path):\n    return np.load(path)\n"
    root = project({**FILES, "pkg/io.py": eager})
    cache = tmp_path / "cache"
    assert run(root, cache, monkeypatch)[0] == []
    assert run(root, cache, monkeypatch) == ([], [])
    (root / "pkg/io.py").write_text(FILES["pkg/io.py"])
    found, checked = run(root, cache, monkeypatch)
    assert found == ["pkg/lazy.py:4:MEM201"]
    assert "pkg/lazy.py" in checked and "pkg/other.py" not in checked


RUNNER = {
    "pyproject.toml": "[project]\nname = 'pkg'\nversion = '0'\ndependencies = ['ray==2.9.0']\n",
    "pkg/__init__.py": "",
    "pkg/run.py": (
        "import ray\n\n@ray.remote\ndef task(x, meta):\n    return x\n\n"
        "def run_each(items, meta=None):\n    return [task.remote(x, meta) for x in items]\n"
    ),
    "pkg/small.py": "from .run import run_each\n\nrun_each([1, 2], meta={'alpha': 1})\n",
    "pkg/other.py": "import numpy as np\n\nx = np.zeros(3)\n",
}
BIG_CALLER = "import pandas as pd\nfrom pkg.run import run_each\n\nrun_each([1, 2], meta={'df': pd.read_csv('a.csv')})\n"


def test_a_new_module_calling_a_public_function_rechecks_it(project, tmp_path, monkeypatch):
    """What a public function's parameters receive is drawn from the modules of its
    package that import it: a module added to the package is seen on the next run."""
    root = project(RUNNER)
    cache = tmp_path / "cache"
    assert run(root, cache, monkeypatch)[0] == []
    assert run(root, cache, monkeypatch) == ([], [])
    (root / "pkg/big.py").write_text(BIG_CALLER)
    found, checked = run(root, cache, monkeypatch)
    assert found == ["pkg/run.py:8:MEM402"]
    assert "pkg/run.py" in checked and "pkg/small.py" not in checked


def test_a_caller_edited_in_place_rechecks_the_function_it_calls(project, tmp_path, monkeypatch):
    root = project(RUNNER)
    cache = tmp_path / "cache"
    assert run(root, cache, monkeypatch)[0] == []
    (root / "pkg/small.py").write_text(BIG_CALLER)
    found, checked = run(root, cache, monkeypatch)
    assert found == ["pkg/run.py:8:MEM402"]
    assert "pkg/other.py" not in checked
