"""MEM503 worker-reads-main-only-global: what a worker started afresh does not see, the start
methods and Python versions that start it so, and the look-alikes that stay quiet."""

from __future__ import annotations

import textwrap

from memlint.api import check_paths, check_source

HEAD = "import multiprocessing as mp\nfrom concurrent import futures\n"


def found(source: str, python: str = "3.14") -> list[int]:
    text = HEAD + textwrap.dedent(source).lstrip("\n")
    return [d.location.row - 2 for d in check_source(text, "t.py", select=["MEM503"], versions={"python": python})]


MAIN_ONLY = """
    DATA = None
    def work(i):
        return DATA[i]
    if __name__ == "__main__":
        DATA = list(range(10))
        with {pool} as pool:
            pool.map(work, range(3))
    """


def test_the_start_method_and_the_python_version_decide():
    default = MAIN_ONLY.format(pool="mp.Pool(2)")
    assert found(default, python="3.14") == [3]
    assert found(default, python="3.13") == []
    assert found(MAIN_ONLY.format(pool='mp.get_context("spawn").Pool(2)'), python="3.11") == [3]
    assert found(MAIN_ONLY.format(pool='mp.get_context("fork").Pool(2)'), python="3.14") == []
    started = MAIN_ONLY.replace('DATA = list(range(10))', 'mp.set_start_method("forkserver")\n        DATA = list(range(10))')
    assert found(started.format(pool="mp.Pool(2)"), python="3.11") == [3]
    forked = MAIN_ONLY.replace('DATA = list(range(10))', 'mp.set_start_method("fork")\n        DATA = list(range(10))')
    assert found(forked.format(pool="mp.Pool(2)"), python="3.14") == []
    assert found(MAIN_ONLY.format(pool="mp.pool.ThreadPool(2)"), python="3.14") == []


def test_a_requires_python_range_that_admits_3_14(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\nrequires-python = ">=3.10"\n')
    (tmp_path / "run.py").write_text(HEAD + textwrap.dedent(MAIN_ONLY.format(pool="mp.Pool(2)")).lstrip("\n"))
    (d,) = [d for d in check_paths([tmp_path]) if d.code == "MEM503"]
    assert d.location.row == 5
    assert "The project's Python: Python >=3.10 (requires-python)." in d.message
    assert "sees `DATA = None`" in d.message


def test_globals_set_in_main_and_the_defs_only_it_calls():
    assert found("""
        def work(x):
            return SCALE * x + OFFSET
        def configure():
            global OFFSET
            OFFSET = 1.0
        def main():
            global SCALE
            SCALE = 2.0
            configure()
            with futures.ProcessPoolExecutor() as ex:
                return list(ex.map(work, range(3)))
        if __name__ == "__main__":
            main()
        """) == [2, 2]


def test_a_process_target_and_an_initializer_read_what_main_set():
    assert found("""
        import numpy as np
        def child(i):
            print(np.sum(TABLE), i)
        def init():
            print(TABLE)
        if __name__ == "__main__":
            TABLE = np.arange(3)
            mp.Process(target=child, args=(1,)).start()
            mp.Pool(2, init).map(print, [1])
        """) == [3, 5]


def test_quiet_where_every_import_of_the_module_sets_the_value():
    assert found("""
        import numpy as np
        LIMIT = 10
        def setup():
            global CACHE
            CACHE = {}
        setup()
        def work(i):
            DATA = [1, 2]
            return DATA[i] + LIMIT + len(CACHE)
        def store(x):
            global SEEN
            SEEN = x
            return SEEN
        def main():
            global DATA, LIMIT
            DATA = np.arange(3)
            LIMIT = 20
            with mp.Pool() as pool:
                pool.map(work, range(2))
                pool.map(store, range(2))
        if __name__ == "__main__":
            main()
        """) == [9]


def test_functions_a_fresh_worker_cannot_get():
    assert found("""
        def run(paths):
            def load(p):
                return p
            with mp.Pool() as pool:
                pool.map(load, paths)
                pool.map(lambda p: p, paths)
            mp.Process(target=load, args=(1,))
            mp.get_context("fork").Process(target=load, args=(1,))
            from multiprocessing.pool import ThreadPool
            ThreadPool(2).map(lambda p: p, paths)
        if __name__ == "__main__":
            def child(p):
                return p
            with futures.ProcessPoolExecutor() as ex:
                ex.submit(child, 1)
        """, python="3.12") == [5, 6]
    assert found("""
        def run(paths):
            def load(p):
                return p
            mp.Process(target=load, args=(1,))
        if __name__ == "__main__":
            def child(p):
                return p
            with futures.ProcessPoolExecutor() as ex:
                ex.submit(child, 1)
        """, python="3.14") == [4, 9]


def test_the_message_says_what_the_worker_sees():
    text = HEAD + textwrap.dedent("""\
        def work(i):
            return np.sum(i)
        if __name__ == "__main__":
            import numpy as np
            with mp.get_context("spawn").Pool(2) as pool:
                pool.map(work, range(3))
        """)
    (d,) = check_source(text, "t.py", select=["MEM503"])
    assert (d.location.row, d.location.column) == (4, 12)
    assert "reads the global `np`, which only the `if __name__ == \"__main__\":` block sets" in d.message
    assert "Under the spawn start method" in d.message and "has no `np` at all (NameError)" in d.message
    assert "The project's Python" not in d.message


def test_a_lazy_loader_the_worker_calls_itself_is_not_parent_only():
    assert found("""
        CACHE = None
        def cached():
            global CACHE
            if CACHE is None:
                CACHE = list(range(10))
            return CACHE
        def work(i):
            cached()
            return CACHE[i]
        if __name__ == "__main__":
            cached()
            with mp.Pool() as pool:
                pool.map(work, range(3))
        """) == []
