"""MEM302 joblib-worker-writes-argument: the writes that count, the arguments that share
their writes with the parent, the backends, and the file filter."""

from __future__ import annotations

import textwrap

from memlint.api import check_source
from memlint.engine.registry import get_rule

HEAD = "import numpy as np\nfrom joblib import Parallel, delayed\n"


def found(source: str) -> list[tuple[int, bool]]:
    text = HEAD + textwrap.dedent(source).lstrip("\n")
    return [(d.location.row - 2, " may " in d.message)
            for d in check_source(text, "t.py", select=["MEM302"], versions={"joblib": "1.6.0"})]


def test_each_kind_of_write_is_found():
    assert found("""
        def a(out, i):
            out[i] += 1
        def b(out):
            np.random.shuffle(out)
        def c(out, x):
            np.multiply(x, 2, out=out)
        def d(rows):
            rows[0].sort()
        buf = np.zeros(10)
        Parallel(n_jobs=2)(delayed(a)(buf, i) for i in range(3))
        Parallel(n_jobs=2)(delayed(b)(buf) for i in range(3))
        Parallel(n_jobs=2)(delayed(c)(buf, 1.0) for i in range(3))
        Parallel(n_jobs=2)(delayed(d)(rows=buf) for i in range(3))
        """) == [(10, False), (11, False), (12, False), (13, False)]


def test_a_rebound_name_or_a_returned_argument_is_no_lost_write():
    assert found("""
        def a(out, i):
            out = np.array(out)
            out[i] = 1
            return out.sum()
        def b(out, i):
            out[i] = 1
            return out
        def c(out, i):
            local = np.zeros(3)
            local[i] = out[i]
            return local
        buf = np.zeros(10)
        Parallel(n_jobs=2)(delayed(a)(buf, i) for i in range(3))
        Parallel(n_jobs=2)(delayed(b)(buf, i) for i in range(3))
        Parallel(n_jobs=2)(delayed(c)(buf, i) for i in range(3))
        """) == []


def test_an_argument_of_unknown_origin_may_be_shared():
    assert found("""
        def mark(status, i):
            status[i] = True
        def run(status):
            Parallel(n_jobs=2)(delayed(mark)(status, i) for i in range(3))
        """) == [(4, True)]


def test_a_worker_of_another_module_is_read_through_the_index(tmp_path):
    from memlint.api import check_paths

    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'pkg'\ndependencies = ['joblib==1.6.0']\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg/__init__.py").write_text("")
    (tmp_path / "pkg/work.py").write_text("def fill(out, i):\n    out[i] = i\n")
    (tmp_path / "pkg/run.py").write_text(
        "import numpy as np\nfrom joblib import Parallel, delayed\nfrom .work import fill\n\n"
        "out = np.zeros(8)\nParallel(n_jobs=2)(delayed(fill)(out, i) for i in range(8))\n"
    )
    assert [(d.code, d.location.row) for d in check_paths([tmp_path])] == [("MEM302", 6)]


def test_joblib_code_whose_workers_write_nothing_is_not_parsed():
    rule = get_rule("MEM302")
    pure = HEAD + "def f(x):\n    y = np.zeros(3)\n    y[0] = x\n    return y\nParallel()(delayed(f)(x) for x in xs)\n"
    assert not rule.could_match(pure.encode())
    writing = HEAD + "def f(out, i):\n    out[i] = 1\nParallel()(delayed(f)(buf, i) for i in xs)\n"
    assert rule.could_match(writing.encode())
