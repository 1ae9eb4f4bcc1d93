"""Which dask / distributed calls hash which arguments (memlint.analysis.hashing)."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from memlint.analysis.builder import build
from memlint.analysis.hashing import hashing_call, is_client

HEADER = """
import dask
import distributed
from dask import delayed
from dask.base import tokenize
from dask.distributed import Client
"""


def hashed(source: str):
    """(kind, hashed value codes, iterated codes, fix call code) for the last call statement."""
    module = cst.parse_module(textwrap.dedent(HEADER + source).lstrip("\n"))
    model, _ = build(module)
    last = module.body[-1].body[0]
    call = last.value if isinstance(last, (cst.Expr, cst.Assign)) else None
    h = hashing_call(call, model)
    if h is None:
        return None
    code = module.code_for_node
    return (h.kind, [code(v) for v in h.values], [code(v) for v in h.iterated],
            code(h.switch_call) if h.switch_call is not None else None)


@pytest.mark.parametrize("source, expected", [
    ("tokenize(a, b)", ("tokenize", ["a", "b"], [], None)),
    ("import dask.base\ndask.base.tokenize(a)", ("tokenize", ["a"], [], None)),
    ("from dask.tokenize import tokenize as tk\ntk(a)", ("tokenize", ["a"], [], None)),
    # delayed objects and calls: only when pure
    ("dask.delayed(a, pure=True)", ("delayed", ["a"], [], "dask.delayed(a, pure=True)")),
    ("delayed(a, None, True)", ("delayed", ["a"], [], "delayed(a, None, True)")),
    ("dask.delayed(a)", None),
    ("dask.delayed(a, pure=False)", None),
    ("dask.delayed(a, name='a', pure=True)", None),
    ("dask.delayed(f, pure=True)(a, k=b)", ("delayed-call", ["a", "b"], [], "dask.delayed(f, pure=True)")),
    ("dask.delayed(f)(a, pure=True)", ("delayed-call", ["a"], [], "dask.delayed(f)(a, pure=True)")),
    ("dask.delayed(f)(a)", None),
    ("dask.delayed(f, pure=True)(a, pure=False)", None),
    ("dask.delayed(f, pure=True)(a, dask_key_name='k')", None),
    ("g = delayed(f, pure=True)\ng(a)", ("delayed-call", ["a"], [], "g(a)")),
    ("@delayed(pure=True)\ndef g(x):\n    return x\ng(a)", ("delayed-call", ["a"], [], "g(a)")),
    ("@delayed\ndef g(x):\n    return x\ng(a)", None),
    # client methods
    ("c = Client()\nc.submit(f, a, k=b, key=None, retries=2)", ("submit", ["a", "b"], [], "c.submit(f, a, k=b, key=None, retries=2)")),
    ("c = Client()\nc.submit(f, a, pure=False)", None),
    ("c = Client()\nc.submit(f, a, key='k')", None),
    ("c = Client()\nc.submit(f, a, actor=True)", None),
    ("c = Client()\nc.map(f, xs, ys, k=b)", ("map", ["b"], ["xs", "ys"], "c.map(f, xs, ys, k=b)")),
    ("c = Client()\nc.map(f, xs, key='prefix')", ("map", [], ["xs"], "c.map(f, xs, key='prefix')")),
    ("c = Client()\nc.map(f, xs, key=['a', 'b'])", None),
    ("c = Client()\nc.scatter(a)", ("scatter", ["a"], [], "c.scatter(a)")),
    ("c = Client()\nc.scatter([a, b])", ("scatter", [], ["[a, b]"], "c.scatter([a, b])")),
    ("c = Client()\nc.scatter({'a': a})", None),
    ("c = Client()\nc.scatter(a, hash=False)", None),
    ("pool.submit(f, a)", None),
])
def test_hashing_calls(source, expected):
    assert hashed(source) == expected


def test_config_set_delayed_pure():
    source = "with dask.config.set(delayed_pure=True):\n    x = dask.delayed(f)(a)\n"
    module = cst.parse_module(textwrap.dedent(HEADER).lstrip("\n") + source)
    model, calls = build(module, frozenset({"Call"}))
    found = [(h.kind, h.where) for h in (hashing_call(c, model) for c in calls) if h is not None]
    # The wrapper `dask.delayed(f)` hashes `f` too (harmless: a function), and the call its
    # arguments.
    assert ("delayed-call", "`dask.config.set(delayed_pure=True)` is in effect") in found
    source = "with dask.config.set({'delayed_pure': True}):\n    x = dask.delayed(f)(a)\n"
    module = cst.parse_module(textwrap.dedent(HEADER).lstrip("\n") + source)
    model, calls = build(module, frozenset({"Call"}))
    assert "delayed-call" in [h.kind for h in (hashing_call(c, model) for c in calls) if h is not None]


@pytest.mark.parametrize("source, expected", [
    ("c = Client()", True),
    ("c = distributed.Client('tcp://s:8786')", True),
    ("from distributed import get_client\nc = get_client()", True),
    ("with Client() as c:\n    pass", True),
    ("c = make_client()", False),
    ("if x:\n    c = Client()\nelse:\n    c = other", False),
])
def test_is_client(source, expected):
    module = cst.parse_module(textwrap.dedent(HEADER).lstrip("\n") + source + "\nc\n")
    model, _ = build(module)
    use = module.body[-1].body[0].value
    assert is_client(use, model) is expected
