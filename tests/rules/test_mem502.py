"""MEM502 pool-task-large-argument: the ways a process pool is handed the same data task
after task, the look-alikes that stay quiet, and where it reports."""

from __future__ import annotations

import textwrap

from memlint.api import check_paths, check_source

HEAD = ("import itertools\nimport multiprocessing as mp\nimport numpy as np\nimport pandas as pd\n"
        "from concurrent import futures\nfrom functools import partial\n")


def found(source: str) -> list[int]:
    text = HEAD + textwrap.dedent(source).lstrip("\n")
    return [d.location.row - 6 for d in check_source(text, "t.py", select=["MEM502"])]


def test_submissions_in_loops_of_every_spelling():
    assert found("""
        table = np.load("t.npy")
        with futures.ProcessPoolExecutor(mp_context=mp.get_context("spawn")) as ex:
            for i in range(10):
                ex.submit(score, table, i)
            for i in range(10):
                ex.submit(score, i, table=table)
            while pending:
                ex.submit(fn=score, table=table)
        pool = mp.Pool(4)
        handles = [pool.apply_async(score, (i,), {"table": table}) for i in range(10)]
        for i in range(10):
            pool.apply(score, args=(table, i))
        """) == [4, 6, 8, 10, 12]


def test_repeated_items_through_names_zip_and_partials():
    assert found("""
        frame = pd.read_csv("f.csv")
        pool = mp.Pool(4)
        jobs = [(frame, c) for c in columns]
        pool.starmap(summarise, jobs)
        pool.imap(summarise, (frame for _ in range(8)))
        pool.starmap_async(summarise, zip([frame] * 8, columns))
        run = partial(summarise, frame)
        pool.imap_unordered(run, columns)
        with futures.ProcessPoolExecutor() as ex:
            ex.map(summarise, itertools.repeat(frame, 8), columns)
        """) == [4, 5, 6, 8, 10]


def test_a_random_generator_s_array_is_data():
    assert found("""
        rng = np.random.default_rng(0)
        noise = rng.standard_normal((4_000, 4_000))
        with mp.Pool() as pool:
            pool.map(partial(denoise, noise), images)
        """) == [4]


def test_look_alikes_stay_quiet():
    assert found("""
        table = np.load("t.npy")
        small = np.zeros(3)
        with futures.ThreadPoolExecutor() as ex:
            [ex.submit(score, table, i) for i in range(10)]
        with futures.ProcessPoolExecutor() as ex:
            ex.submit(score, table, 0)
            [ex.submit(score, small, i) for i in range(10)]
            for path in paths:
                part = np.load(path)
                ex.submit(score, part)
            list(map(score, [table] * 3))
            ex.map(score, [table])
        def run(ex, data):
            return [ex.submit(score, data, i) for i in range(10)]
        """) == []


def test_a_memmap_is_left_to_its_own_rule():
    text = HEAD + textwrap.dedent("""
        mm = np.load("t.npy", mmap_mode="r")
        with futures.ProcessPoolExecutor() as ex:
            [ex.submit(score, mm, i) for i in range(10)]
        """)
    assert [d.code for d in check_source(text, "t.py", select=["MEM502"])] == []


def test_the_message_names_the_value_the_pool_and_the_rewrite():
    (d,) = check_source(HEAD + "t = pd.read_parquet('p')\nwith mp.Pool(2) as p:\n    p.map(f, [t] * 4)\n",
                        "t.py", select=["MEM502"])
    assert (d.location.row, d.location.column) == (9, 5)
    assert d.message.startswith("`t` is a pandas object from `pd.read_parquet(...)`, repeated in the list")
    assert "`Pool(..., initializer=set_global, initargs=(t,))`" in d.message
    assert d.fix is None


def test_data_a_loader_of_another_module_returns(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'pkg'\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg/__init__.py").write_text("")
    (tmp_path / "pkg/io.py").write_text("import numpy as np\n\ndef load_table(p):\n    return np.load(p)\n")
    (tmp_path / "pkg/run.py").write_text(
        "from concurrent.futures import ProcessPoolExecutor\nfrom .io import load_table\n\n"
        "def main(p):\n    table = load_table(p)\n    with ProcessPoolExecutor() as ex:\n"
        "        return [ex.submit(sum, table, i) for i in range(9)]\n"
    )
    assert [(d.code, d.location.row) for d in check_paths([tmp_path]) if d.code == "MEM502"] == [("MEM502", 7)]
