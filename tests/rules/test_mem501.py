"""MEM501 pool-map-eager-iterable: the pools recognised, the lazy sources that cost, the
look-alikes, the Python-version wording and the fix."""

from __future__ import annotations

import textwrap

from memlint.api import check_paths, check_source, fix_source

HEAD = "import itertools\nimport multiprocessing as mp\nimport numpy as np\nfrom concurrent import futures\n"


def found(source: str, python: str = "3.12") -> list[int]:
    text = HEAD + textwrap.dedent(source).lstrip("\n")
    return [d.location.row - 4 for d in check_source(text, "t.py", select=["MEM501"], versions={"python": python})]


def test_pools_of_every_spelling():
    assert found("""
        frames = (np.load(p) for p in paths)
        mp.Pool(2).map(np.sum, frames)
        mp.get_context("forkserver").Pool(2).starmap_async(np.sum, frames)
        with futures.ProcessPoolExecutor(mp_context=mp.get_context("spawn")) as ex:
            ex.map(np.sum, frames)
        with futures.ThreadPoolExecutor() as ex:
            ex.map(np.sum, frames, timeout=10)
        """) == [2, 3, 5, 7]


def test_lazy_wrappers_and_endless_sources():
    assert found("""
        pool = mp.Pool(2)
        pool.map(f, zip(itertools.count(), names))
        pool.map(f, enumerate(np.load(p) for p in paths))
        pool.map(f, itertools.repeat(seed))
        pool.map(f, itertools.repeat(seed, 10))
        pool.map(f, map(str, range(10)))
        """) == [2, 3, 4]


def test_executor_map_with_buffersize_on_python_3_14_is_quiet_and_the_words_follow_the_version():
    source = """
        with futures.ProcessPoolExecutor() as ex:
            ex.map(np.sum, (np.load(p) for p in paths))
        """
    text = HEAD + textwrap.dedent(source).lstrip("\n")
    (old,) = check_source(text, "t.py", select=["MEM501"], versions={"python": "3.12"})
    (new,) = check_source(text, "t.py", select=["MEM501"], versions={"python": "3.14"})
    assert "needs Python 3.14 (Python 3.12" in old.message
    assert "Pass `buffersize=` (Python 3.14+; Python 3.14" in new.message
    bounded = source.replace("for p in paths))", "for p in paths), buffersize=4)")
    assert found(bounded, python="3.14") == []


def test_the_fix_is_unsafe_and_only_for_pool_map():
    text = HEAD + "with mp.Pool(2) as pool:\n    out = pool.map(f, (np.load(p) for p in paths), 4)\n"
    assert fix_source(text, "t.py", select=["MEM501"]) == text
    assert fix_source(text, "t.py", select=["MEM501"], unsafe=True).endswith(
        "    out = list(pool.imap(f, (np.load(p) for p in paths), 4))\n")


def test_a_loader_generator_of_another_module(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'pkg'\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg/__init__.py").write_text("")
    (tmp_path / "pkg/io.py").write_text(
        "import numpy as np\n\ndef frames(paths):\n    for p in paths:\n        yield np.load(p)\n\n"
        "def names(paths):\n    for p in paths:\n        yield str(p)\n"
    )
    (tmp_path / "pkg/run.py").write_text(
        "from multiprocessing import Pool\nfrom .io import frames, names\n\n"
        "with Pool(4) as pool:\n    a = pool.map(len, frames(paths))\n    b = pool.map(len, names(paths))\n"
    )
    assert [(d.code, d.location.row) for d in check_paths([tmp_path])] == [("MEM501", 5)]
