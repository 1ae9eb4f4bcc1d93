"""MEM301 parallel-big-endian: joblib versions, byte-order sources reaching Parallel, the
settings and backends that make it safe, the quiet look-alikes, fixes, and the example."""

from __future__ import annotations

import shutil
import sys
import textwrap
from pathlib import Path

import pytest

from memlint.api import check_source, fix_source

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(sys.byteorder != "little", reason="expectations assume a little-endian machine")

HEAD = ("import numpy as np\nfrom joblib import Parallel, delayed, parallel_config, parallel_backend\n"
        "from astropy.io import fits\n")


def check(source: str, versions=None, **kw):
    return check_source(textwrap.dedent(source).lstrip("\n"), "t.py", select=["MEM301"],
                        versions=versions if versions is not None else {"joblib": "1.4.2"}, **kw)


def fix(source: str, versions=None, unsafe=False):
    return fix_source(textwrap.dedent(source).lstrip("\n"), "t.py", select=["MEM301"],
                      versions=versions if versions is not None else {"joblib": "1.4.2"}, unsafe=unsafe)


def run_with(value: str, parallel: str = "Parallel(n_jobs=2)", arg: str = "data") -> str:
    return HEAD + f"data = {value}\nout = {parallel}(delayed(f)({arg}) for _ in range(2))\n"


BIG = 'np.fromfile("scan.bin", dtype=">f8")'


@pytest.mark.parametrize("version, reported", [
    ("1.2.0", False),
    ("1.3.0", True),
    ("1.3.2", True),
    ("1.4.0", True),
    ("1.4.2", True),
    ("1.5.0", False),
    ("1.6.0", False),
])
def test_version_ranges(version, reported):
    found = check(run_with(BIG), {"joblib": version})
    assert len(found) == int(reported)
    if reported:
        assert f"joblib {version} (given)" in found[0].message
        assert "BrokenProcessPool" in found[0].message


def test_unknown_version():
    [d] = check(run_with(BIG), {})
    assert "joblib (version unknown)" in d.message
    assert check(run_with(BIG), {}, unknown_versions="skip") == []


@pytest.mark.parametrize("value", [
    'np.fromfile("f", dtype=">f8")',
    'np.fromfile("f", ">f4")',
    'np.frombuffer(buf, ">i2")',
    'np.frombuffer(buf, dtype=np.dtype(">u2"))',
    'np.zeros((1024, 1024), dtype=">f8")',
    'np.ones(n, ">i8")',
    'np.empty(n, dtype=">c16")',
    'np.full(n, 1.0, ">f4")',
    'np.array(values, dtype=">f8")',
    'np.arange(1_000_000, dtype=">f8")',
    'np.zeros(n).astype(">f4")',
    'np.random.randint(0, 100, (200000, 3)).view(">i4")',
    'np.zeros(n).view(dtype=">i8")',
    'np.zeros(n, dtype=np.dtype("f8").newbyteorder(">"))',
    'np.zeros(n, dtype=np.dtype("f8").newbyteorder("big"))',
    'np.zeros(n, dtype=np.dtype("f8").newbyteorder("S"))',
    'np.zeros(n, dtype=np.dtype("f8").newbyteorder())',
    'np.zeros(n).newbyteorder()',
    'np.zeros(n).byteswap().view(np.zeros(n).dtype.newbyteorder())',
    'np.fromfile("f", dtype=[("t", ">f8"), ("v", ">f4")])',
    'np.fromfile("f", dtype=">U8")',
    'fits.getdata("image.fits")',
    'fits.open("image.fits")[0].data',
    'fits.open("image.fits")["SCI"].data[:, 10:20]',
])
def test_byte_order_sources(value):
    assert len(check(run_with(value))) == 1


def test_dtype_bound_elsewhere_and_built():
    source = HEAD + 'big = np.dtype(">u2")\ndata = np.fromfile("f", big)\nout = Parallel(n_jobs=2)(delayed(f)(data) for _ in range(2))\n'
    assert len(check(source)) == 1
    source = HEAD + 'order = ">"\ndata = np.zeros(n, dtype=f"{order}i4")\nout = Parallel(n_jobs=2)(delayed(f)(data) for _ in range(2))\n'
    assert len(check(source)) == 1
    source = HEAD + 'rec = [("a", ">f8"), ("b", ">i4")]\ndata = np.fromfile("f", dtype=rec)\nout = Parallel(n_jobs=2)(delayed(f)(data) for _ in range(2))\n'
    assert len(check(source)) == 1


@pytest.mark.parametrize("sanitizer", [
    'data.astype("<f8")',
    'data.astype(float)',
    'data.astype(np.float32)',
    'data.astype("=f8")',
    'data.astype(data.dtype.newbyteorder("="))',
    'data.astype(data.dtype.newbyteorder("native"))',
    'data.byteswap().view(data.dtype.newbyteorder())',
    'np.asarray(data, dtype=np.float64)',
    'data.astype("=" + data.dtype.kind + str(data.dtype.itemsize))',
])
@pytest.mark.parametrize("value", [BIG, 'fits.getdata("cube.fits")'])
def test_sanitizers(value, sanitizer):
    source = HEAD + f"data = {value}\nclean = {sanitizer}\nout = Parallel(n_jobs=2)(delayed(f)(clean) for _ in range(2))\n"
    assert check(source) == []


def test_segfast_copy_into_a_native_buffer():
    source = HEAD + textwrap.dedent("""
    src = np.fromfile("traces.sgy", dtype=">f4")
    buf = np.empty_like(src, dtype=np.dtype("f4").newbyteorder("="))
    buf[:] = src
    out = Parallel(n_jobs=2)(delayed(f)(buf) for _ in range(2))
    """)
    assert check(source) == []


@pytest.mark.parametrize("imports, parallel, delayed", [
    ("from joblib import Parallel, delayed", "Parallel(n_jobs=2)", "delayed"),
    ("import joblib", "joblib.Parallel(n_jobs=2)", "joblib.delayed"),
    ("from joblib.parallel import Parallel, delayed", "Parallel(n_jobs=-1)", "delayed"),
    ("from sklearn.utils.parallel import Parallel, delayed", "Parallel(n_jobs=2)", "delayed"),
    ("from joblib import Parallel\nfrom sklearn.utils.fixes import delayed", "Parallel(n_jobs=2)", "delayed"),
    ("from joblib import Parallel as P, delayed as d", "P(n_jobs=2, backend='loky')", "d"),
])
def test_parallel_spellings(imports, parallel, delayed):
    source = f"import numpy as np\n{imports}\ndata = {BIG}\nout = {parallel}({delayed}(f)(data) for _ in range(2))\n"
    assert len(check(source)) == 1


@pytest.mark.parametrize("run", [
    "Parallel(n_jobs=2)(delayed(f)(data) for _ in range(2))",
    "Parallel(n_jobs=2)([delayed(f)(data) for _ in range(2)])",
    "Parallel(n_jobs=2)(delayed(f)(x=data) for _ in range(2))",
    "Parallel(n_jobs=2)(delayed(f)(data[i]) for i in range(2))",
    "Parallel(n_jobs=2)(delayed(f)(data[:, i], i) for i in range(2))",
])
def test_argument_forms(run):
    source = HEAD + f"data = {BIG}\nout = {run}\n"
    assert len(check(source)) == 1


def test_each_task_argument_is_reported():
    source = HEAD + f"data = {BIG}\nout = Parallel(n_jobs=2)([delayed(f)(data), delayed(g)(data)])\n"
    assert [d.location.column for d in check(source)] == [38, 56]


def test_with_parallel_as_name():
    source = HEAD + textwrap.dedent("""
    data = np.fromfile("scan.bin", dtype=">f8")
    with Parallel(n_jobs=2) as parallel:
        out = parallel(delayed(f)(data) for _ in range(2))
    """)
    assert len(check(source)) == 1


@pytest.mark.parametrize("parallel", [
    "Parallel(n_jobs=2, max_nbytes=None)",
    "Parallel(n_jobs=2, backend='threading')",
    "Parallel(n_jobs=2, prefer='threads')",
    "Parallel(n_jobs=2, require='sharedmem')",
    "Parallel(n_jobs=2, backend='multiprocessing')",  # converts the array (measured on 1.3.0, 1.4.2)
    "Parallel(n_jobs=2, backend='sequential')",
    "Parallel(n_jobs=1)",
    "Parallel(1)",
])
def test_settings_that_avoid_the_crash(parallel):
    assert check(run_with(BIG, parallel)) == []


@pytest.mark.parametrize("context", [
    "parallel_config(max_nbytes=None)",
    "parallel_config(backend='threading')",
    "parallel_config('multiprocessing')",
    "parallel_backend('threading')",
    "parallel_config(n_jobs=1)",
])
def test_enclosing_contexts(context):
    source = HEAD + f"data = {BIG}\nwith {context}:\n    out = Parallel()(delayed(f)(data) for _ in range(2))\n"
    assert check(source) == []


def test_mmap_mode_none_does_not_help():
    # Measured: mmap_mode=None still dumps and crashes on 1.4.2.
    assert len(check(run_with(BIG, "Parallel(n_jobs=2, mmap_mode=None)"))) == 1


@pytest.mark.parametrize("value, parallel, reported", [
    ('np.zeros((100, 100), dtype=">f8")', "Parallel(n_jobs=2)", False),  # 80 kB
    ('np.zeros(131072, dtype=">f8")', "Parallel(n_jobs=2)", False),  # exactly 1 MiB: pickled
    ('np.zeros(131073, dtype=">f8")', "Parallel(n_jobs=2)", True),
    ('np.zeros((1024, 1024), dtype=">f8")', "Parallel(n_jobs=2, max_nbytes='10M')", False),
    ('np.zeros((1024, 1024), dtype=">f8")', "Parallel(n_jobs=2, max_nbytes='4M')", True),
    ('np.zeros((1024, 1024), dtype=">f8")', "Parallel(n_jobs=2, max_nbytes=2**30)", True),  # not a literal: may
    ('np.zeros((1024, 1024), dtype=">f8")', "Parallel(n_jobs=2, max_nbytes=10_000_000)", False),
    ('np.zeros(n, dtype=">f8")', "Parallel(n_jobs=2)", True),  # unknown size
])
def test_sizes(value, parallel, reported):
    assert len(check(run_with(value, parallel))) == int(reported)


def test_doubtful_settings_say_may():
    [d] = check(run_with(BIG, "Parallel(n_jobs=2, max_nbytes=limit)"))
    assert "may be" in d.message
    [d] = check(run_with(BIG, "Parallel(n_jobs=2, backend=backend)"))
    assert "may be" in d.message


@pytest.mark.parametrize("value", [
    'np.memmap("scan.bin", dtype=">f8", mode="r")',  # sent by file name (measured)
    'np.memmap("scan.bin", dtype="<f8", mode="r").view(">f8")',
    'np.memmap("scan.bin", dtype=">f8", mode="r")[::2]',
    'np.fromfile("f", dtype=[("t", ">f8"), ("flag", "u1")])',  # joblib leaves mixed records alone
    'np.fromfile("f", dtype=[("t", ">f8"), ("v", "<f4")])',
    'np.fromfile("f", dtype=">u1")',
    'np.fromfile("f", dtype="S16")',
    'np.fromfile("f", dtype=np.uint8)',
    'np.fromfile("f", dtype="<f8")',
    'np.fromfile("f", dtype=">f8") * 1.0',  # arithmetic: nothing claimed
    'np.load("cube.npy")',  # byte order only known from the file
])
def test_quiet_values(value):
    assert check(run_with(value)) == []


def test_quiet_look_alikes_from_real_code():
    # Filenames sent, FITS opened in the worker.
    assert check(HEAD + "out = Parallel(4)(delayed(photometry)(path) for path in paths)\n") == []
    # spectral-cube: big-endian FITS data, but max_nbytes=None is already set.
    source = HEAD + textwrap.dedent("""
    data = fits.getdata("cube.fits")
    out = Parallel(n_jobs=4, verbose=0, max_nbytes=None)(
        delayed(applicator)(arg, outcube, function) for arg in (data[ii, :, :] for ii in range(10))
    )
    """)
    assert check(source) == []
    # faiss: a platform guard, not a non-native dtype.
    source = HEAD + textwrap.dedent("""
    import sys
    a = np.fromfile("x.ivecs", dtype="int32")
    if sys.big_endian:
        a.byteswap(inplace=True)
    out = Parallel(n_jobs=2)(delayed(f)(a) for _ in range(2))
    """)
    assert check(source) == []
    # Arithmetic bound to a name first gives native data.
    source = HEAD + 'raw = np.fromfile("f", dtype=">f8")\nscaled = raw * 0.5\nout = Parallel(n_jobs=2)(delayed(f)(scaled) for _ in range(2))\n'
    assert check(source) == []


# -- fixes ---------------------------------------------------------------------------------

def test_fix_goes_before_the_statement_in_try_and_with_blocks():
    source = """
    import numpy as np
    from joblib import Parallel, delayed
    from astropy.io import fits
    def run(path):
        with fits.open(path) as hdul:
            cube = hdul[0].data
            try:
                return Parallel(n_jobs=2)(delayed(np.sum)(cube[i]) for i in range(4))
            except ValueError:
                return None
    """
    expected = """
    import numpy as np
    from joblib import Parallel, delayed
    from astropy.io import fits
    def run(path):
        with fits.open(path) as hdul:
            cube = hdul[0].data
            try:
                cube = cube.astype(cube.dtype.newbyteorder("="))
                return Parallel(n_jobs=2)(delayed(np.sum)(cube[i]) for i in range(4))
            except ValueError:
                return None
    """
    fixed = fix(source)
    assert fixed == textwrap.dedent(expected).lstrip("\n")
    assert check(fixed) == []


def test_fix_goes_before_loops_that_do_not_bind_the_name():
    source = """
    import numpy as np
    from joblib import Parallel, delayed
    data = np.fromfile("scan.bin", dtype=">f8")
    for epoch in range(3):
        while busy():
            out = Parallel(n_jobs=2)(delayed(step)(data, epoch) for _ in range(2))
    """
    fixed = fix(source)
    assert fixed.splitlines()[2:4] == ['data = np.fromfile("scan.bin", dtype=">f8")',
                                       'data = data.astype(data.dtype.newbyteorder("="))']
    assert check(fixed) == []
    # Bound inside the loop: the conversion stays in the loop.
    source = """
    import numpy as np
    from joblib import Parallel, delayed
    for path in paths:
        data = np.fromfile(path, dtype=">f8")
        out = Parallel(n_jobs=2)(delayed(step)(data) for _ in range(2))
    """
    fixed = fix(source)
    assert fixed.splitlines()[4] == '    data = data.astype(data.dtype.newbyteorder("="))'
    assert check(fixed) == []


def test_fix_at_the_argument_for_a_module_name_used_in_a_function():
    # A new binding inside the function would make `data` local there: convert at the argument.
    source = """
    import numpy as np
    from joblib import Parallel, delayed
    data = np.fromfile("scan.bin", dtype=">f8").reshape(4, -1)
    def run():
        return Parallel(n_jobs=2)(delayed(np.sum)(data[i]) for i in range(4))
    """
    fixed = fix(source)
    assert 'delayed(np.sum)(data[i].astype(data[i].dtype.newbyteorder("=")))' in fixed
    assert check(fixed) == []


def test_no_fix_for_complex_expressions():
    source = HEAD + 'out = Parallel(n_jobs=2)(delayed(f)(np.fromfile(p, ">f8")) for p in paths)\n'
    [d] = check(source)
    assert d.fix is None
    assert 'x.astype(x.dtype.newbyteorder("="))' in d.message


def test_fix_is_idempotent_with_two_arrays():
    source = """
    import numpy as np
    from joblib import Parallel, delayed
    a = np.fromfile("a.bin", dtype=">f8")
    b = np.fromfile("b.bin", dtype=">i4")
    out = Parallel(n_jobs=2)(delayed(f)(a, b) for _ in range(2))
    """
    fixed = fix(source)
    assert fixed.count("newbyteorder") == 2
    assert check(fixed) == []
    assert fix(fixed) == fixed


# -- the example ---------------------------------------------------------------------------

def test_example_is_reported_and_fixed(tmp_path, memlint):
    for name in ("joblib_big_endian.py", "requirements.txt", "memlint.toml"):
        shutil.copy(REPO / "examples" / name, tmp_path / name)
    run = memlint("check", "--select", "MEM301", ".", cwd=tmp_path)
    assert run.returncode == 1
    assert "MEM301" in run.stdout and "joblib 1.4.2 (requirements.txt)" in run.stdout
    run = memlint("--fix", "--select", "MEM301", ".", cwd=tmp_path)
    assert run.returncode == 0, run
    original = (REPO / "examples" / "joblib_big_endian.py").read_text()
    fixed = (tmp_path / "joblib_big_endian.py").read_text()
    line = '        data = np.fromfile(path, dtype=">f8").reshape(4, -1)\n'
    assert fixed == original.replace(
        "            sums = Parallel(",
        '            data = data.astype(data.dtype.newbyteorder("="))\n            sums = Parallel(',
    )
    assert line in fixed


def test_examples_report_mem201_and_mem301_with_their_version_source(memlint):
    run = memlint("check", "examples", cwd=REPO)
    assert run.returncode == 1
    lines = [ln for ln in run.stdout.splitlines() if " MEM201 " in ln or " MEM301 " in ln]
    assert any("dask_from_array_memmap.py" in ln and "dask 2024.5.0 (requirements.txt)" in ln for ln in lines)
    assert any("joblib_big_endian.py" in ln and "joblib 1.4.2 (requirements.txt)" in ln for ln in lines)
