"""MEM504 memmap-to-raw-pool: memory maps pickled by value into pool tasks and fresh
processes, `w+` maps opened by every worker, and the look-alikes that stay quiet."""

from __future__ import annotations

import textwrap

from memlint.api import check_source

HEAD = ("import multiprocessing as mp\nfrom concurrent import futures\nfrom functools import partial\n"
        "import numpy as np\nimport joblib\n")


def found(source: str, python: str = "3.12") -> list[int]:
    text = HEAD + textwrap.dedent(source).lstrip("\n")
    return [d.location.row - 5 for d in check_source(text, "t.py", select=["MEM504"], versions={"python": python})]


def test_pool_tasks_of_every_spelling():
    assert found("""
        def fill(out, i):
            out[i] = 1
        data = np.load("d.npy", mmap_mode="r")
        table = joblib.load("t.pkl", mmap_mode="r")
        out = np.lib.format.open_memmap("o.npy", mode="w+", dtype="f8", shape=(9,))
        pool = mp.get_context("fork").Pool(2)
        pool.apply_async(np.sum, (data,))
        pool.map(np.sum, [table] * 4)
        pool.starmap(fill, zip([out] * 4, range(4)))
        pool.imap(partial(np.add, data), range(3))
        with futures.ProcessPoolExecutor() as ex:
            ex.map(np.sum, [data, table])
        """) == [7, 8, 9, 10, 12]


def test_slices_only_when_the_worker_writes_into_them():
    assert found("""
        def fill(block, value):
            block[:] = value
        def total(block):
            return block.sum()
        data = np.memmap("d.dat", dtype="f8", mode="r+", shape=(100,))
        with mp.Pool() as pool:
            pool.starmap(fill, [(data[i:i + 10], i) for i in range(0, 100, 10)])
            pool.map(total, [data[i:i + 10] for i in range(0, 100, 10)])
            pool.starmap(fill, [(i, data[i:i + 10]) for i in range(0, 100, 10)])
        """) == [7]


def test_a_process_started_afresh():
    source = """
        def child(m):
            print(m.sum())
        if __name__ == "__main__":
            m = np.memmap("d.dat", dtype="f8", mode="r", shape=(100,))
            mp.Process(target=child, args=(m,)).start()
        """
    assert found(source, python="3.12") == []  # fork by default on Linux
    assert found(source, python="3.14") == [5]
    assert found(source.replace("mp.Process", 'mp.get_context("forkserver").Process'), python="3.12") == [5]
    assert found(source.replace("mp.Process", 'mp.get_context("fork").Process'), python="3.14") == []
    spawned = source.replace("    m = np.memmap", '    mp.set_start_method("spawn")\n        m = np.memmap')
    assert found(spawned, python="3.12") == [6]


def test_w_plus_in_a_worker_on_a_shared_path():
    assert found("""
        import os
        ROOT = "/data"
        def shared(i):
            out = np.memmap(os.path.join(ROOT, "out.dat"), dtype="f8", mode="w+", shape=(10,))
        def own(i):
            out = np.memmap(f"out-{i}.dat", dtype="f8", mode="w+", shape=(10,))
        def reopened(i):
            out = np.memmap("out.dat", dtype="f8", mode="r+", shape=(10,))
        def not_a_worker(i):
            out = np.memmap("out.dat", dtype="f8", mode="w+", shape=(10,))
        with mp.Pool() as pool:
            pool.map(shared, range(4))
            pool.map(own, range(4))
            pool.map(reopened, range(4))
        """) == [4]


def test_threads_and_plain_arrays_stay_quiet():
    assert found("""
        data = np.load("d.npy", mmap_mode="r")
        copy = np.array(data)
        with futures.ThreadPoolExecutor() as ex:
            ex.submit(np.sum, data)
        with futures.ProcessPoolExecutor() as ex:
            ex.submit(np.sum, copy)
            ex.submit(np.sum, "d.npy")
        """) == []


def test_the_messages():
    text = HEAD + textwrap.dedent("""\
        def fill(out, i):
            out[i] = i
        out = np.memmap("o.dat", dtype="f8", mode="w+", shape=(9,))
        with mp.Pool(2) as pool:
            pool.starmap(fill, [(out, i) for i in range(9)])
        """)
    (d,) = check_source(text, "t.py", select=["MEM504"])
    assert (d.location.row, d.location.column) == (10, 5)
    assert d.message.startswith('`out` is a memory map (`np.memmap("o.dat", dtype="f8", mode="...`), sent with every task of `pool.starmap`')
    assert "what `fill` writes into it never reaches the file" in d.message
    assert 'mode="r+"' in d.message and d.fix is None


def test_a_memmap_a_loader_of_another_module_returns(tmp_path):
    from memlint.api import check_paths

    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'pkg'\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg/__init__.py").write_text("")
    (tmp_path / "pkg/io.py").write_text(
        "import numpy as np\n\ndef open_output(p, n):\n    return np.memmap(p, dtype='f8', mode='w+', shape=(n,))\n")
    (tmp_path / "pkg/run.py").write_text(
        "from multiprocessing import Pool\nfrom .io import open_output\n\n"
        "def fill(out, i):\n    out[i] = i\n\n"
        "def main():\n    out = open_output('o.dat', 9)\n    with Pool() as pool:\n"
        "        pool.starmap(fill, [(out, i) for i in range(9)])\n"
    )
    assert [(d.code, d.location.row) for d in check_paths([tmp_path]) if d.code == "MEM504"] == [("MEM504", 10)]


def test_w_plus_in_a_task_that_runs_once_is_quiet():
    assert found("""
        def create(n):
            out = np.memmap("out.dat", dtype="f8", mode="w+", shape=(n,))
        def many(n):
            out = np.memmap("out.dat", dtype="f8", mode="w+", shape=(n,))
        with futures.ProcessPoolExecutor() as ex:
            ex.submit(create, 10).result()
            for n in range(4):
                ex.submit(many, n)
        """) == [4]
