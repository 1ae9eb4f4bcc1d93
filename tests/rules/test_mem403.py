"""MEM403 remote-captures-large-global: each remote form, first read only, look-alikes."""

from __future__ import annotations

import textwrap

import pytest

from memlint.api import check_source, fix_source


def check(src: str):
    return check_source(textwrap.dedent(src).lstrip("\n"), select=["MEM403"])


@pytest.mark.parametrize(
    "src, row",
    [
        ("import ray, numpy as np\nT = np.load('t.npy')\n@ray.remote\ndef f():\n    return T\n", 5),
        ("import ray, numpy as np\nT = np.load('t.npy')\n@ray.remote(num_cpus=2)\ndef f():\n    return T\n", 5),
        ("import ray, numpy as np\nT = np.load('t.npy')\ndef f():\n    return T\ng = ray.remote(f)\n", 4),
        ("import ray, numpy as np\nT = np.load('t.npy')\ndef f():\n    return T\ng = ray.remote(**o)(f)\n", 4),
        ("import ray as r, numpy as np\nT = np.load('t.npy')\n@r.remote\nclass A:\n    def m(self):\n        return T\n", 6),
        ("from ray import remote\nimport numpy as np\nT = np.load('t.npy')\n@remote\ndef f():\n    return T\n", 6),
        # The class body itself (a class attribute) is pickled with the actor class.
        ("import ray, numpy as np\nT = np.load('t.npy')\n@ray.remote\nclass A:\n    table = T\n", 5),
        # A helper nested in the task runs in the worker and is pickled with it.
        ("import ray, numpy as np\nT = np.load('t.npy')\n@ray.remote\ndef f(i):\n    g = lambda: T[i]\n    return g()\n", 5),
    ],
)
def test_each_remote_form(src, row):
    found = check(src)
    assert [d.location.row for d in found] == [row]
    assert found[0].fix is None


def test_reports_the_first_read_of_each_name_once():
    found = check(
        """
        import ray
        import numpy as np
        import pandas as pd
        A = np.load("a.npy")
        B = pd.read_csv("b.csv")

        @ray.remote
        def f(i):
            x = A[i]
            y = A[i + 1] + B.loc[i, "v"]
            return x + y + A.sum()
        """
    )
    assert [(d.location.row, d.location.column) for d in found] == [(9, 9), (10, 20)]
    assert "`A`" in found[0].message and "`B`" in found[1].message
    # No fix, with or without unsafe fixes.
    src = textwrap.dedent(
        """
        import ray, numpy as np
        A = np.load("a.npy")
        @ray.remote
        def f():
            return A
        """
    )
    assert fix_source(src, unsafe=True, select=["MEM403"]) == src


def test_two_remote_functions_each_report():
    found = check(
        """
        import ray
        import numpy as np
        A = np.load("a.npy")
        @ray.remote
        def f():
            return A
        @ray.remote
        def g():
            return A
        """
    )
    assert [d.location.row for d in found] == [6, 9]


@pytest.mark.parametrize(
    "src",
    [
        # A name shadowed by a parameter or a local.
        """
        import ray, numpy as np
        A = np.load("a.npy")
        @ray.remote
        def f(A):
            return A
        @ray.remote
        def g():
            A = 1
            return A
        """,
        # A global bound to a ref: the recommended form.
        """
        import ray, numpy as np
        A_REF = ray.put(np.load("a.npy"))
        @ray.remote
        def f():
            return ray.get(A_REF)
        """,
        # A small array and a module.
        """
        import ray, numpy as np
        ZERO = np.zeros(3)
        @ray.remote
        def f(x):
            return np.add(x, ZERO)
        """,
        # An imported class instance with no data in sight.
        """
        import ray
        from transformers import AutoConfig
        from mylib import Client
        client = Client("host")
        @ray.remote
        def f(x):
            return client.send(x)
        """,
        # A dask collection is a lazy graph, not data.
        """
        import ray
        import dask.array as da
        X = da.zeros((100_000, 100_000))
        @ray.remote
        def f():
            return X.shape
        """,
    ],
)
def test_quiet(src):
    assert check(src) == []


def test_uncertain_binding_says_may():
    found = check(
        """
        import ray, numpy as np
        if cond:
            A = np.load("a.npy")
        else:
            A = None
        @ray.remote
        def f():
            return A
        """
    )
    assert len(found) == 1 and "may read" in found[0].message
