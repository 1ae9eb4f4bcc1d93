"""MEM204 delayed-large-input-in-loop: loop shapes, invariance, look-alikes and the fix."""

from __future__ import annotations

import textwrap

from memlint.api import check_source, fix_source


def findings(source: str, **kw):
    found = check_source(textwrap.dedent(source).lstrip("\n"), "t.py", select=["MEM204"], **kw)
    return [(d.location.row, d.message) for d in found]


def rows(source: str, **kw):
    return [row for row, _ in findings(source, **kw)]


def fixed(source: str, unsafe: bool = True) -> str:
    return fix_source(textwrap.dedent(source).lstrip("\n"), "t.py", unsafe=unsafe, select=["MEM204"])


def test_loop_shapes():
    source = """
        import dask
        import numpy as np
        table = np.load("t.npy")
        a = [dask.delayed(f)(p, table) for p in paths]
        b = {p: dask.delayed(f)(p, table) for p in paths}
        c = list(dask.delayed(f)(p, table) for p in paths)
        for p in paths:
            dask.delayed(f)(p, table)
        while paths:
            dask.delayed(f)(paths.pop(), table)
        d = dask.delayed(f)(paths, table)
        """
    assert rows(source) == [4, 5, 6, 8, 10]


def test_values_that_change_each_iteration_are_quiet():
    source = """
        import dask
        import numpy as np
        for p in paths:
            arr = np.load(p)
            dask.delayed(f)(arr)
        table = np.load("t.npy")
        for p in paths:
            dask.delayed(f)(table)
            table = np.load(p)
        out = [dask.delayed(f)(np.load(p)) for p in paths]
        out = [dask.delayed(f)(frame) for frame in [np.load("a"), np.load("b")]]
        """
    assert findings(source) == []


def test_delayed_names_and_futures_are_quiet():
    source = """
        import dask
        import numpy as np
        from dask import delayed
        table = np.load("t.npy")
        wrapped = delayed(table)
        table_ref = client.scatter(table)
        out = [delayed(f)(p, wrapped, ref=table_ref) for p in paths]
        """
    assert findings(source) == []


def test_keywords_and_self_attributes():
    source = """
        import dask
        import pandas as pd
        class Job:
            def __init__(self):
                self.lookup = pd.read_csv("l.csv")
            def run(self, paths):
                return [dask.delayed(join)(p, lookup=self.lookup, pure=True) for p in paths]
        """
    found = findings(source)
    assert [r for r, _ in found] == [7]
    assert "`self.lookup` is a pandas object" in found[0][1]
    assert "lookup_delayed = dask.delayed(self.lookup)" in found[0][1]


def test_large_literal_and_option():
    body = "import dask\nCODES = (1, 2, 3, 4)\nout = [dask.delayed(f)(p, CODES) for p in paths]\n"
    assert findings(body) == []
    assert rows(body, options={"MEM204": {"large-literal-min-items": 4}}) == [3]


def test_fix_inserts_before_the_statement_and_adds_import():
    source = """
        from dask import delayed as dly
        import pandas as pd

        def run(paths):
            lookup = pd.read_csv("l.csv")
            if paths:
                return [dly(join)(p, lookup) for p in paths]
        """
    assert fixed(source) == textwrap.dedent("""
        from dask import delayed as dly
        import pandas as pd

        def run(paths):
            lookup = pd.read_csv("l.csv")
            if paths:
                lookup = dly(lookup)
                return [dly(join)(p, lookup) for p in paths]
        """).lstrip("\n")
    # only with --unsafe-fixes
    assert fixed(source, unsafe=False) == textwrap.dedent(source).lstrip("\n")


def test_fix_once_for_several_calls_of_one_name():
    source = """
        import dask
        import numpy as np
        table = np.load("t.npy")
        for p in paths:
            a = dask.delayed(f)(p, table)
            b = dask.delayed(g)(p, table)
        """
    assert fixed(source) == textwrap.dedent("""
        import dask
        import numpy as np
        table = np.load("t.npy")
        table = dask.delayed(table)
        for p in paths:
            a = dask.delayed(f)(p, table)
            b = dask.delayed(g)(p, table)
        """).lstrip("\n")


def test_fix_withheld_for_outer_and_global_names():
    source = """
        import dask
        import numpy as np
        table = np.load("t.npy")
        def run(paths):
            return [dask.delayed(f)(p, table) for p in paths]
        def run2(paths):
            global table
            for p in paths:
                dask.delayed(f)(p, table)
        """
    found = check_source(textwrap.dedent(source).lstrip("\n"), "t.py", select=["MEM204"])
    assert [d.location.row for d in found] == [5, 9]
    assert all(d.fix is None for d in found)
