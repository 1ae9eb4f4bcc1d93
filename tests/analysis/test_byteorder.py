"""The byte-order analysis on its own: dtype expressions evaluated exactly with numpy,
array sources, the operations that keep, change or end a non-native order, and FITS data."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import libcst as cst
import pytest

from memlint.analysis import byteorder as bo
from memlint.analysis.builder import build

NATIVE, NONNATIVE, MIXED, NONE, UNKNOWN = bo.NATIVE, bo.NONNATIVE, bo.MIXED, bo.NONE, bo.UNKNOWN
pytestmark = pytest.mark.skipif(sys.byteorder != "little", reason="expectations assume a little-endian machine")


def _target(source: str):
    """The module and the value of the last assignment to `x` in `source`."""
    module = cst.parse_module(textwrap.dedent(source).lstrip("\n"))
    model, _ = build(module)
    found = []

    class Find(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            t = node.targets[0].target
            if isinstance(t, cst.Name) and t.value == "x":
                found.append(node.value)

    module.visit(Find())
    return model, found[-1]


def dtypes(source: str) -> list[tuple[str, bool]]:
    model, expr = _target(source)
    return [(d.order, d.certain) for d in bo.dtype_orders(expr, model)]


def arrays(source: str) -> list[bo.ArrayOrder]:
    model, expr = _target(source)
    return bo.array_orders(expr, model)


def orders(source: str) -> list[tuple[str, bool]]:
    return [(a.order, a.certain) for a in arrays(source)]


# -- dtype literals, evaluated with numpy ---------------------------------------------------

@pytest.mark.parametrize("spec, expected", [
    ('">f8"', NONNATIVE),
    ('">i2"', NONNATIVE),
    ('"<f8"', NATIVE),
    ('"=f4"', NATIVE),
    ('"f8"', NATIVE),
    ('"float64"', NATIVE),
    ('">U4"', NONNATIVE),  # unicode keeps its byte order
    ('">c16"', NONNATIVE),
    ('">u1"', NONE),  # single-byte: no byte order
    ('">b"', NONE),
    ('"S10"', NONE),
    ('"V384"', NONE),
    ('"|u1"', NONE),
    ("np.float64", NATIVE),
    ("np.uint8", NONE),
    ("float", NATIVE),
    ("int", NATIVE),
    ("bytes", NONE),
    ('np.dtype(">u2")', NONNATIVE),
    ('np.dtype("u2")', NATIVE),
    ('[("a", ">f8"), ("b", ">i4")]', NONNATIVE),  # every field non-native
    ('[("a", ">f8"), ("b", "<i4")]', MIXED),
    ('[("a", ">f8"), ("b", "u1")]', MIXED),  # joblib leaves it alone (measured)
    ('[("hdr", "V384"), ("data", ">u2", (256, 256))]', MIXED),  # a subarray field
    ('[("a", "<f8"), ("b", "u1")]', NATIVE),
    ('[("a", "u1"), ("b", "S4")]', NONE),
    ('{"names": ["a", "b"], "formats": [">f8", ">f4"]}', NONNATIVE),
    ('(">f4", (3,))', NONNATIVE),  # a subarray dtype is an array of its base
    ('"not a dtype"', UNKNOWN),
])
def test_dtype_literals(spec, expected):
    assert dtypes(f"import numpy as np\nx = {spec}\n")[0][0] == expected


@pytest.mark.parametrize("call, expected", [
    ('np.dtype("f8").newbyteorder(">")', NONNATIVE),
    ('np.dtype("f8").newbyteorder("big")', NONNATIVE),
    ('np.dtype("f8").newbyteorder("B")', NONNATIVE),
    ('np.dtype("f8").newbyteorder("little")', NATIVE),
    ('np.dtype("f8").newbyteorder("<")', NATIVE),
    ('np.dtype(">f8").newbyteorder("=")', NATIVE),
    ('np.dtype(">f8").newbyteorder("native")', NATIVE),
    ('np.dtype("f8").newbyteorder("S")', NONNATIVE),  # swap
    ('np.dtype("f8").newbyteorder("swap")', NONNATIVE),
    ('np.dtype("f8").newbyteorder()', NONNATIVE),  # no argument: swap
    ('np.dtype(">f8").newbyteorder()', NATIVE),
    ('np.dtype(">f8").newbyteorder("|")', NONNATIVE),  # ignore
    ('np.dtype(">u1").newbyteorder("S")', NONE),
    ('np.dtype(">f4").newbyteorder(">")', NONNATIVE),
    ('np.dtype([("a", "<f8"), ("b", "<i4")]).newbyteorder(">")', NONNATIVE),
])
def test_newbyteorder_on_known_dtypes(call, expected):
    assert dtypes(f"import numpy as np\nx = {call}\n") == [(expected, True)]


def test_newbyteorder_on_an_unknown_dtype():
    # satpy's `np.dtype(record).newbyteorder(">")`: non-native unless all single-byte.
    assert dtypes("import numpy as np\ndef f(record):\n    x = np.dtype(record).newbyteorder('>')\n") == [
        (NONNATIVE, False)]
    assert dtypes("import numpy as np\ndef f(record):\n    x = np.dtype(record).newbyteorder('=')\n") == [
        (NATIVE, True)]
    assert dtypes("import numpy as np\ndef f(record):\n    x = np.dtype(record).newbyteorder()\n")[0][0] == UNKNOWN


def test_dtype_values_bound_to_names():
    assert dtypes('import numpy as np\nbig = ">f8"\nx = big\n') == [(NONNATIVE, True)]
    assert dtypes('import numpy as np\nrec = [("t", ">f8"), ("v", ">f4")]\nx = np.dtype(rec)\n') == [
        (NONNATIVE, True)]
    assert dtypes('import numpy as np\nfield = ">i4"\nx = [("a", field), ("b", field)]\n') == [
        (NONNATIVE, True)]
    assert dtypes('import numpy as np\nbase = np.dtype("f4")\nx = base.newbyteorder(">")\n') == [
        (NONNATIVE, True)]
    # Rebound on one path only: both values, neither certain.
    assert sorted(dtypes('import numpy as np\nd = "<f8"\nif c:\n    d = ">f8"\nx = d\n')) == [
        (NATIVE, False), (NONNATIVE, False)]


def test_import_spellings_of_numpy():
    assert dtypes('import numpy\nx = numpy.dtype(">u2")\n')[0][0] == NONNATIVE
    assert dtypes('from numpy import dtype\nx = dtype(">u2")\n')[0][0] == NONNATIVE
    assert dtypes('import numpy as N\nx = N.float32\n')[0][0] == NATIVE
    # A local `float` is not the builtin.
    assert dtypes('float = "something"\nx = float\n')[0][0] == UNKNOWN


def test_built_strings():
    # f-strings and concatenation with known pieces are evaluated exactly.
    assert dtypes('order = ">"\nx = f"{order}i4"\n')[0][0] == NONNATIVE
    assert dtypes('order = "<"\nx = order + "i4"\n')[0][0] == NATIVE
    # An unknown prefix before a single-byte type: no byte order either way.
    assert dtypes('def f(endian):\n    x = endian + "u1"\n')[0][0] == NONE
    assert dtypes('def f(endian):\n    x = endian + "u2"\n')[0][0] == UNKNOWN
    # A known byte order before unknown pieces (spectral-cube's `"=" + kind + size`).
    assert dtypes('def f(kind, size):\n    x = "=" + kind + str(size)\n') == [(NATIVE, True)]
    assert dtypes('def f(kind):\n    x = ">" + kind\n') == [(NONNATIVE, False)]


# -- arrays ---------------------------------------------------------------------------------

@pytest.mark.parametrize("expr, expected", [
    ('np.zeros(10, ">f8")', NONNATIVE),
    ('np.zeros((4, 4), dtype=">f8")', NONNATIVE),
    ('np.ones(10, dtype=np.dtype(">u2"))', NONNATIVE),
    ('np.empty(10, ">i4")', NONNATIVE),
    ('np.full(10, 1.0, ">f4")', NONNATIVE),
    ('np.full(10, 1.0)', NATIVE),
    ('np.array([1, 2], dtype=">i8")', NONNATIVE),
    ('np.array([1, 2], ">i8")', NONNATIVE),
    ('np.arange(10, dtype=">f8")', NONNATIVE),
    ('np.arange(0, 10, 1, ">f8")', NONNATIVE),
    ('np.fromfile("f", dtype=">f4")', NONNATIVE),
    ('np.fromfile("f", ">f4")', NONNATIVE),
    ('np.frombuffer(buf, ">i2")', NONNATIVE),
    ('np.frombuffer(buf)', NATIVE),
    ('np.zeros(10)', NATIVE),
    ('np.memmap("f", dtype=">f8", mode="r")', NONNATIVE),
    ('np.memmap("f", mode="r")', NONE),  # uint8 by default
    ('np.zeros_like(other, dtype=">f8")', NONNATIVE),
    ('np.asarray(data, dtype=np.float64)', NATIVE),
])
def test_array_sources(expr, expected):
    assert orders(f"import numpy as np\nx = {expr}\n")[0][0] == expected


def test_sizes_of_literal_shapes():
    assert arrays('import numpy as np\nx = np.zeros((100, 100), dtype=">f8")\n')[0].nbytes == 80_000
    assert arrays('import numpy as np\nx = np.arange(1_000_000, dtype=">f4")\n')[0].nbytes == 4_000_000
    assert arrays('import numpy as np\nx = np.arange(2, 10, 2, ">i2")\n')[0].nbytes == 8
    assert arrays('import numpy as np\nx = np.fromfile("f", ">f8", 1000)\n')[0].nbytes == 8000
    assert arrays('import numpy as np\nx = np.fromfile("f", ">f8")\n')[0].nbytes is None
    assert arrays('import numpy as np\nx = np.zeros(n, ">f8")\n')[0].nbytes is None
    # astype recomputes from the element count; a slice forgets the size.
    assert arrays('import numpy as np\nx = np.zeros(1000).astype(">f4")\n')[0].nbytes == 4000
    assert arrays('import numpy as np\nx = np.zeros(1000, ">f8")[:10]\n')[0].nbytes is None


@pytest.mark.parametrize("source, expected", [
    # .astype / .view take the new dtype's order, whatever the source
    ('x = np.zeros(10).astype(">f4")', NONNATIVE),
    ('x = np.random.randint(0, 100, (200000, 3)).view(">i4")', NONNATIVE),
    ('x = np.zeros(10).view(dtype=">i8")', NONNATIVE),
    ('x = np.fromfile("f", ">f8").view(np.ndarray)', NONNATIVE),  # a view as another class
    # views and copies keep the order
    ('x = np.fromfile("f", ">f8").reshape(4, -1)', NONNATIVE),
    ('x = np.fromfile("f", ">f8")[10:20]', NONNATIVE),
    ('x = np.fromfile("f", ">f8").T', NONNATIVE),
    ('x = np.fromfile("f", ">f8").copy()', NONNATIVE),
    ('x = np.array(np.fromfile("f", ">f8"))', NONNATIVE),
    ('x = np.ascontiguousarray(np.fromfile("f", ">f8"))', NONNATIVE),
    ('x = np.fromfile("f", ">f8").byteswap()', NONNATIVE),  # bytes swapped, dtype unchanged
    # numpy < 2: ndarray.newbyteorder swaps the dtype
    ('x = np.zeros(10).newbyteorder()', NONNATIVE),
    ('x = np.zeros(10, ">f8").newbyteorder("=")', NATIVE),
    # a field of a structured array takes the field's dtype
    ('x = np.fromfile("f", [("t", ">f8"), ("flag", "u1")])["t"]', NONNATIVE),
    ('x = np.fromfile("f", [("t", ">f8"), ("flag", "u1")])["flag"]', NONE),
    # arithmetic: nothing is claimed
    ('x = np.fromfile("f", ">f8") * 2', UNKNOWN),
    ('x = some_function(np.fromfile("f", ">f8"))', UNKNOWN),
])
def test_operations(source, expected):
    assert orders(f"import numpy as np\n{source}\n")[0][0] == expected


@pytest.mark.parametrize("sanitizer", [
    'x = data.astype("<f8")',
    'x = data.astype(float)',
    'x = data.astype(np.float64)',
    'x = data.astype(data.dtype.newbyteorder("="))',
    'x = data.astype(data.dtype.newbyteorder("native"))',
    'x = data.byteswap().view(data.dtype.newbyteorder())',
    'x = data.byteswap().view(data.dtype.newbyteorder("S"))',
    'x = np.asarray(data, dtype=np.float64)',
    'x = np.array(data, dtype="f8")',
    'x = np.empty_like(data, dtype=np.float64)',
])
@pytest.mark.parametrize("source", [
    'data = np.fromfile("f", dtype=">f8")',
    'data = fits.getdata("image.fits")',
])
def test_sanitizers_end_a_non_native_order(source, sanitizer):
    found = orders(f"import numpy as np\nfrom astropy.io import fits\n{source}\n{sanitizer}\n")
    assert found == [(NATIVE, True)]


def test_byteswap_and_swapped_view_inverts_native_data():
    # The standard fix applied to data that was native makes it big-endian.
    assert orders("import numpy as np\nd = np.zeros(10)\nx = d.byteswap().view(d.dtype.newbyteorder())\n") == [
        (NONNATIVE, True)]


def test_memory_mapped_files_are_marked():
    found = arrays('import numpy as np\nm = np.memmap("f", dtype=">f8", mode="r")\nx = m[::2]\n')
    assert [(a.order, a.file_backed) for a in found] == [(NONNATIVE, True)]
    found = arrays('import numpy as np\nm = np.memmap("f", dtype="<f8", mode="r")\nx = m.view(">f8")\n')
    assert [(a.order, a.file_backed) for a in found] == [(NONNATIVE, True)]
    # .astype and .copy make an array in memory.
    found = arrays('import numpy as np\nm = np.memmap("f", dtype=">f8", mode="r")\nx = m.astype(">f8")\n')
    assert [(a.order, a.file_backed) for a in found] == [(NONNATIVE, False)]
    found = arrays('import numpy as np\nm = np.memmap("f", dtype=">f8", mode="r")\nx = m.copy()\n')
    assert [(a.order, a.file_backed) for a in found] == [(NONNATIVE, False)]
    found = arrays('import numpy as np\nx = np.load("f.npy", mmap_mode="r")\n')
    assert [(a.order, a.file_backed) for a in found] == [(UNKNOWN, True)]


@pytest.mark.parametrize("source", [
    'from astropy.io import fits\nx = fits.getdata("a.fits")',
    'from astropy.io import fits\nx = fits.getdata("a.fits", ext=1)',
    'import astropy.io.fits as pyfits\nx = pyfits.getdata("a.fits")',
    'from astropy.io.fits import getdata\nx = getdata("a.fits")',
    'from astropy.io import fits\nx = fits.open("a.fits")[0].data',
    'from astropy.io import fits\nhdul = fits.open("a.fits")\nx = hdul[1].data',
    'from astropy.io import fits\nhdul = fits.open("a.fits")\nsci = hdul["SCI"]\nx = sci.data',
    'from astropy.io import fits\nwith fits.open("a.fits") as hdul:\n    x = hdul[0].data',
    'from astropy.io import fits\nx = fits.open("a.fits")[0].data[10:20]',
])
def test_fits_data_is_big_endian(source):
    assert orders(source + "\n") == [(NONNATIVE, True)]


@pytest.mark.parametrize("source", [
    'from astropy.io import fits\nx = fits.getdata("a.fits", header=True)',  # (data, header)
    'from astropy.io import fits\nx = fits.getheader("a.fits")',
    'x = hdul[0].data',  # not known to be a FITS file
    'from astropy.io import fits\nhdul = fits.open("a.fits")\nx = hdul[0].header',
])
def test_fits_look_alikes(source):
    assert [o for o, _ in orders(source + "\n")] == [UNKNOWN]


def test_certainty_follows_the_paths():
    found = orders('import numpy as np\nif c:\n    x = np.zeros(5, ">f8")\nelse:\n    x = np.ones(5)\ny = x\nx = y\n')
    assert sorted(found) == [(NATIVE, False), (NONNATIVE, False)]
    # A parameter: nothing known on that path.
    assert orders("def f(x):\n    x = x\n") == [(UNKNOWN, False)]


def test_self_attributes_are_followed():
    source = """
    import numpy as np
    class R:
        def load(self):
            self.raw = np.fromfile(self.path, dtype=">f4")
        def run(self):
            x = self.raw
    """
    assert orders(source) == [(NONNATIVE, True)]


def test_many_conditional_rebindings_finish_quickly():
    import time

    lines = ["import numpy as np", 'x = np.zeros(10, ">f8")']
    lines += [f"if c{i}:\n    x = x[1:]" for i in range(60)]  # 2**60 paths without memoizing
    start = time.perf_counter()
    found = orders("\n".join(lines) + "\nx = x\n")
    assert time.perf_counter() - start < 5
    assert {o for o, _ in found} <= {NONNATIVE, UNKNOWN}


def test_numpy_is_not_imported_with_the_module():
    code = "import sys, memlint.analysis.byteorder; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
