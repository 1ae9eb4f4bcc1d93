"""MEM205 delayed-on-collection: collection sources, delayed call forms, look-alikes."""

from __future__ import annotations

import textwrap

import pytest

from memlint.api import check_source

HEADER = """\
import dask
import dask.array as da
import dask.bag as db
import dask.dataframe as dd
import numpy as np
from dask import delayed
"""


def rows(body: str) -> list[int]:
    source = HEADER + textwrap.dedent(body).lstrip("\n")
    found = check_source(source, "t.py", select=["MEM205"])
    return [d.location.row - HEADER.count("\n") for d in found]


@pytest.mark.parametrize(
    "value",
    [
        "da.from_array(np.load('a.npy'), chunks=100)",
        "da.zeros((10_000, 10_000), chunks=1000)",
        "da.random.random((1000, 1000))",
        "dd.read_csv('*.csv')",
        "dd.from_pandas(frame, npartitions=4)",
        "db.from_sequence(range(100))",
        "da.ones(100_000).map_blocks(np.sqrt)",
        "dd.read_parquet('p').map_partitions(clean)",
        "(da.ones(100_000) + 1)[::2]",
        "dd.read_parquet('p')['amount']",
        "da.ones(100_000).rechunk(5).persist()",
    ],
)
def test_collection_sources(value):
    assert rows(f"x = {value}\nout = dask.delayed(f)(x)") == [2]


@pytest.mark.parametrize(
    "call",
    [
        "dask.delayed(f)(x)",
        "dask.delayed(f, pure=True)(1, x)",
        "delayed(f)(data=x)",
        "dask.delayed(x)",
        "delayed(f)([x, 1])",
        "g(x)",
    ],
)
def test_delayed_call_forms(call):
    body = f"""
    @dask.delayed
    def g(a):
        return a
    x = da.ones(100_000, chunks=5_000)
    out = {call}
    """
    assert rows(body) == [5]


def test_quiet_look_alikes():
    body = """
    x = da.ones((1000, 1000), chunks=100)
    ddf = dd.read_parquet("p")
    a = [delayed(f)(part) for part in x.to_delayed().ravel()]
    b = [delayed(f)(part) for part in ddf.to_delayed()]
    c = delayed(f)(x.sum(), x.shape, x.dtype, ddf.npartitions, ddf.columns)
    d = delayed(f)(x.compute())
    e = delayed(f)(dask.delayed(g)(1))
    h = f(x)
    x.map_blocks(f)
    k = delayed(f)(dask_key_name=x)
    """
    assert rows(body) == []


def test_message_names_the_kind_and_the_alternative():
    source = HEADER + "ddf = dd.read_csv('*.csv')\nout = delayed(summarize)(ddf)\n"
    [d] = check_source(source, "t.py", select=["MEM205"])
    assert d.message.startswith("`ddf` is a dask dataframe passed to a delayed call")
    assert "`map_partitions`" in d.message and "`.to_delayed()`" in d.message
    assert d.fix is None


def test_whole_array_algorithms_get_no_block_wise_advice():
    from memlint.api import check_source

    source = (
        "import dask\nimport dask.array as da\nimport scipy.linalg\n"
        "A = da.random.random((20_000, 20_000), chunks=(1_000, 20_000))\n"
        "u = dask.delayed(scipy.linalg.svd)(A)\n"
    )
    (d,) = check_source(source, "t.py", select=["MEM205"])
    assert d.location.row == 5
    assert "`svd` needs the whole array at once" in d.message
    assert "map_blocks" not in d.message
