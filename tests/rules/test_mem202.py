"""MEM202 memmap-tokenized: version ranges, every hashing entry point and its spellings, the
quiet defaults, and the unsafe fixes."""

from __future__ import annotations

import textwrap

import pytest

from memlint.api import check_source, fix_source


def check(source: str, versions=None, **kw):
    return check_source(textwrap.dedent(source).lstrip("\n"), "t.py", select=["MEM202"],
                        versions=versions, **kw)


def fix(source: str, versions=None, unsafe=True):
    return fix_source(textwrap.dedent(source).lstrip("\n"), "t.py", select=["MEM202"],
                      versions=versions, unsafe=unsafe)


SUBMIT = """
import numpy as np
from dask.distributed import Client
client = Client()
data = np.memmap("data.bin", dtype=np.float64, mode="r")
future = client.submit(np.sum, data)
"""


@pytest.mark.parametrize("version, reported", [
    ("2024.1.1", False),
    ("2024.2.0", True),
    ("2024.5.2", True),
    ("2024.6.0", False),
    ("2024.8.0", False),
    ("2024.8.1", True),
    ("2024.11.2", True),
    ("2024.12.0", True),
    ("2026.8.0", True),
])
def test_version_ranges(version, reported):
    found = check(SUBMIT, {"dask": version})
    assert len(found) == int(reported)
    if reported:
        assert f"dask {version} (given)" in found[0].message
        assert "reads the whole file" in found[0].message


def test_fix_is_unsafe_only():
    fixed = textwrap.dedent(SUBMIT).lstrip("\n").replace("np.sum, data)", "np.sum, data, pure=False)")
    assert fix(SUBMIT, {"dask": "2024.5.0"}, unsafe=False) == textwrap.dedent(SUBMIT).lstrip("\n")
    assert fix(SUBMIT, {"dask": "2024.5.0"}) == fixed
    assert check(fixed, {"dask": "2024.5.0"}) == []


@pytest.mark.parametrize("setup, call", [
    ("from dask.distributed import Client\nc = Client()", "c.submit(f, data)"),
    ("from distributed import Client\nc = Client('tcp://s:8786')", "c.submit(f, x=data)"),
    ("import distributed\nc = distributed.Client()", "c.map(f, [data[:10], data[10:]])"),
    ("import dask.distributed\nc = dask.distributed.Client()", "c.map(f, range(3), block=data)"),
    ("from dask.distributed import get_client\nc = get_client()", "c.map(f, data)"),
    ("from dask.distributed import Client\nc = Client()", "c.scatter(data)"),
    ("from dask.distributed import Client\nc = Client()", "c.scatter([data, data[::2]])"),
    ("from dask.distributed import Client\nc = Client()", "c.submit(f, [data])"),
    ("from dask.base import tokenize\n", "tokenize(data)"),
    ("import dask.base\n", "dask.base.tokenize(data, 1)"),
    ("from dask.tokenize import tokenize\n", "tokenize(data)"),
    ("import dask\n", "dask.delayed(data, pure=True)"),
    ("from dask import delayed\n", "delayed(f, pure=True)(data)"),
    ("from dask.delayed import delayed\n", "delayed(f)(data, pure=True)"),
    ("from dask import delayed\ng = delayed(f, pure=True)", "g(data)"),
])
def test_entry_points_and_spellings(setup, call):
    source = f"import numpy as np\n{setup}\ndata = np.load('x.npy', mmap_mode='r')\nout = {call}\n"
    found = check(source, {"dask": "2024.8.1"})
    assert [d.location.row for d in found] == [source.count("\n")]


def test_client_in_a_with_block_and_on_self():
    source = """
    import numpy as np
    from dask.distributed import Client
    def run(path):
        with Client(n_workers=2) as client:
            data = np.memmap(path, mode="r")
            return client.submit(np.sum, data).result()
    """
    assert len(check(source, {"dask": "2024.5.0"})) == 1


@pytest.mark.parametrize("call", [
    "dask.delayed(f)(data)",  # not pure by default: a random key
    "dask.delayed(data)",
    "dask.delayed(f, pure=False)(data)",
    "dask.delayed(f, pure=True)(data, pure=False)",
    "dask.delayed(f, pure=True)(data, dask_key_name='k')",
    "dask.delayed(data, name='data', pure=True)",
    "c.submit(f, data, pure=False)",
    "c.submit(f, data, key='sum-data')",
    "c.submit(f, data, actor=True)",
    "c.map(f, [data], key=['k'])",
    "c.map(f, [data], pure=False)",
    "c.scatter(data, hash=False)",
    "c.scatter({'data': data})",
    "c.submit(f, 'data.bin')",  # the file name, opened in the task
    "pool.submit(f, data)",  # not a dask client
    "tokenize('data.bin', 1234.5)",
    "dask.array.map_blocks(f, data, dtype=float)",  # wrapped in delayed, pure=False
])
def test_quiet(call):
    source = ("import numpy as np\nimport dask\nimport dask.array\nfrom dask.base import tokenize\n"
              "from dask.distributed import Client\nc = Client()\n"
              f"data = np.memmap('d.bin', mode='r')\nout = {call}\n")
    assert check(source, {"dask": "2026.8.0"}) == []


def test_star_kwargs_no_fix():
    source = SUBMIT.replace("np.sum, data)", "np.sum, data, **options)")
    [d] = check(source, {"dask": "2024.5.0"})
    assert d.fix is None


@pytest.mark.parametrize("before, after", [
    ("c.map(f, [data])", "c.map(f, [data], pure=False)"),
    ("c.scatter([data])", "c.scatter([data], hash=False)"),
    ("c.scatter(data, None, False, None, True)", "c.scatter(data, None, False, None, False)"),
    ("c.submit(f, data, pure=True)", "c.submit(f, data, pure=False)"),
    ("dask.delayed(f, pure=True)(data)", "dask.delayed(f, pure=False)(data)"),
    ("dask.delayed(f, None, True)(data)", "dask.delayed(f, None, False)(data)"),
    ("dask.delayed(data, pure=True)", "dask.delayed(data, pure=False)"),
])
def test_fixes(before, after):
    head = "import numpy as np\nimport dask\nfrom dask.distributed import Client\nc = Client()\ndata = np.memmap('d', mode='r')\n"
    assert fix(head + f"out = {before}\n", {"dask": "2024.5.0"}) == head + f"out = {after}\n"
