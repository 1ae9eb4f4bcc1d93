"""MEM201 from-array-memmap: version ranges, import spellings, memmap origins, look-alikes,
fixes and the command line."""

from __future__ import annotations

import textwrap

import pytest

from memlint.api import check_source, fix_source


def check(source: str, versions=None, **kw):
    return check_source(textwrap.dedent(source).lstrip("\n"), "t.py", select=["MEM201"],
                        versions=versions, **kw)


def fix(source: str, versions=None):
    return fix_source(textwrap.dedent(source).lstrip("\n"), "t.py", select=["MEM201"], versions=versions)


NO_NAME = """
import dask.array as da
import numpy as np
data = np.memmap("data.bin", dtype=np.float64, mode="r")
arr = da.from_array(data, chunks=1024)
"""
WITH_NAME = NO_NAME.replace("chunks=1024)", "chunks=1024, name=False)")


@pytest.mark.parametrize("version, without_name, with_name", [
    ("2024.1.1", None, None),
    ("2024.2.0", "hash", None),
    ("2024.2.1", "hash", None),
    ("2024.5.2", "hash", None),
    ("2024.6.0", None, None),
    ("2024.8.0", None, None),
    ("2024.8.1", "hash", None),
    ("2024.11.2", "hash", None),
    ("2024.12.0", "copy", "copy"),
    ("2025.1.0", "copy", "copy"),
    ("2026.8.0", "copy", "copy"),
])
def test_version_ranges(version, without_name, with_name):
    for source, expected in ((NO_NAME, without_name), (WITH_NAME, with_name)):
        found = check(source, {"dask": version})
        if expected is None:
            assert found == []
            continue
        [d] = found
        assert f"dask {version} (given)" in d.message
        if expected == "hash":
            assert "reads the whole file to hash it" in d.message
            assert "copies" not in d.message
            assert d.fix is not None and d.fix.applicability == "safe"
        else:
            assert "copies the whole file into memory" in d.message
            assert "memory-mapping" in d.message  # points to the per-block loader docs
            assert d.fix is None


def test_fix_in_the_hashing_ranges_then_quiet():
    for version in ("2024.2.0", "2024.5.2", "2024.8.1", "2024.11.2"):
        fixed = fix(NO_NAME, {"dask": version})
        assert fixed == textwrap.dedent(WITH_NAME).lstrip("\n")
        assert check(fixed, {"dask": version}) == []


def test_unknown_version_reports_both_and_skip_stays_quiet():
    [d] = check(NO_NAME)
    assert "dask (version unknown)" in d.message
    assert "hash" in d.message and "copy the whole file into memory" in d.message
    assert check(NO_NAME, unknown_versions="skip") == []


@pytest.mark.parametrize("imports, call", [
    ("import dask.array as da", "da.from_array(data)"),
    ("import dask.array as dsa", "dsa.from_array(data)"),
    ("from dask import array as da", "da.from_array(data)"),
    ("import dask.array", "dask.array.from_array(data)"),
    ("import dask\nimport dask.array", "dask.array.from_array(data)"),
    ("from dask.array import from_array", "from_array(data)"),
    ("from dask.array import from_array as fa", "fa(data)"),
    ("from dask.array.core import from_array", "from_array(data)"),
    ("import dask.array as da", "da.from_array(x=data)"),
    ("import dask.array as da", "da.asarray(data)"),
    ("from dask.array import asarray", "asarray(data)"),
    ("import dask.array as da", "da.asanyarray(data)"),
    ("import dask.array as da", "da.concatenate([data[:10], data[10:]])"),
    ("import dask.array as da", "da.concatenate((data, data), axis=0)"),
    ("import dask.array as da", "da.stack([data[i] for i in range(4)])"),
    ("from dask.array import stack", "stack([data, data])"),
])
def test_import_spellings_and_sinks(imports, call):
    source = f"{imports}\nimport numpy as np\ndata = np.memmap('d.bin', dtype='f8', mode='r')\nout = {call}\n"
    found = check(source, {"dask": "2024.5.0"})
    assert [d.location.row for d in found] == [source.count("\n")]


@pytest.mark.parametrize("value", [
    "np.memmap('d.bin', dtype='f8', mode='r')",
    "numpy.memmap('d.bin', 'f8', 'r')",
    "mm('d.bin', dtype='f8', mode='r')",
    "np.load('d.npy', mmap_mode='r')",
    "np.load('d.npy', mmap_mode='c')",
    "np.lib.format.open_memmap('d.npy', mode='r')",
    "joblib.load('d.pkl', mmap_mode='r')",
    "np.memmap('d.bin', mode='r')[100:]",
    "np.memmap('d.bin', mode='r', dtype=[('a', 'f8'), ('b', 'f8')])['a']",
    "np.memmap('d.bin', mode='r').reshape(10, -1)",
    "np.reshape(np.memmap('d.bin', mode='r'), (10, -1))",
    "np.memmap('d.bin', mode='r', shape=(1, 10, 10)).squeeze()",
    "np.memmap('d.bin', mode='r', shape=(10, 10)).T",
    "np.memmap('d.bin', mode='r').view('<f4')",
    "np.asarray(np.memmap('d.bin', mode='r'))",
])
def test_memmap_origins(value):
    source = ("import dask.array as da\nimport numpy as np\nimport numpy\nimport joblib\n"
              f"from numpy import memmap as mm\ndata = {value}\narr = da.from_array(data)\n")
    assert len(check(source, {"dask": "2024.2.0"})) == 1


@pytest.mark.parametrize("value", [
    "np.load('d.npy')",  # read into memory
    "np.load('d.npy', mmap_mode=None)",
    "np.fromfile('d.bin', dtype='f8')",
    "np.array(np.memmap('d.bin', mode='r'))",  # a copy in memory
    "np.memmap('d.bin', mode='r').copy()",
    "np.ascontiguousarray(np.memmap('d.bin', mode='r'))",
    "np.memmap('d.bin', mode='r') * 2.0",
    "np.asarray(np.memmap('d.bin', mode='r'), dtype=np.float32)",
    "h5py.File('d.h5')['x']",
    "zarr.open('d.zarr')",
])
def test_not_memmaps(value):
    source = f"import dask.array as da\nimport numpy as np\nimport h5py, zarr\ndata = {value}\narr = da.from_array(data)\n"
    assert check(source, {"dask": "2026.8.0"}) == []


def test_real_world_look_alikes_stay_quiet():
    # satpy's seviri reader: a per-block loader through map_blocks, the memmap opened inside.
    source = """
    import dask.array as da
    import numpy as np
    def _get_array(filename, hdr_size, block_info=None):
        start, stop = block_info[None]["array-location"][0]
        return np.memmap(filename, dtype="u2", mode="r", offset=hdr_size)[start:stop]
    def read(filename, hdr_size, rows):
        return da.map_blocks(_get_array, filename=filename, hdr_size=hdr_size, dtype="u2",
                             chunks=((rows,),))
    """
    assert check(source, {"dask": "2026.8.0"}) == []
    # xmitgcm's face arrays from a loop variable: not followed, quiet.
    source = """
    import dask.array as dsa
    def faces(face_arrays):
        return dsa.concatenate([dsa.from_array(fa, chunks=fa.shape) for fa in face_arrays])
    """
    assert check(source, {"dask": "2026.8.0"}) == []


def test_name_given_as_an_expression_or_in_kwargs():
    base = "import dask.array as da\nimport numpy as np\nimport uuid\ndata = np.memmap('d', mode='r')\n"
    # spectral-cube's name=str(uuid.uuid4()): a name is given, no hash.
    assert check(base + "arr = da.asarray(data, name=str(uuid.uuid4()))\n", {"dask": "2024.5.0"}) == []
    # A name may hide in **kwargs: "may", and no fix (the keyword could be given twice).
    [d] = check(base + "arr = da.from_array(data, **options)\n", {"dask": "2024.5.0"})
    assert "may get" in d.message and d.fix is None
    # Positional name (from_array(x, chunks, name)).
    assert check(base + "arr = da.from_array(data, 1024, False)\n", {"dask": "2024.5.0"}) == []
    [d] = check(base + "arr = da.from_array(data, 1024, None)\n", {"dask": "2024.5.0"})
    assert fix(base + "arr = da.from_array(data, 1024, None)\n", {"dask": "2024.5.0"}).endswith(
        "da.from_array(data, 1024, False)\n")


def test_fix_keeps_the_layout_of_multiline_calls():
    source = """
    import dask.array as da
    import numpy as np
    arr = da.from_array(
        np.memmap("d.bin", mode="r"),
        chunks=(1024,),  # one block per MB
    )
    """
    assert fix(source, {"dask": "2024.8.1"}) == textwrap.dedent("""
    import dask.array as da
    import numpy as np
    arr = da.from_array(
        np.memmap("d.bin", mode="r"),
        chunks=(1024,), name=False,  # one block per MB
    )
    """).lstrip("\n")


def test_version_from_the_project(project, memlint):
    root = project({
        "requirements.txt": "dask==2024.5.0\n",
        "pkg/load.py": NO_NAME,
    })
    run = memlint("check", "pkg", cwd=root)
    assert run.returncode == 1
    assert "MEM201" in run.stdout and "dask 2024.5.0 (requirements.txt)" in run.stdout
    run = memlint("--fix", "pkg", cwd=root)
    assert run.returncode == 0, run
    assert "name=False" in (root / "pkg" / "load.py").read_text()


def test_version_ranges_from_pyproject(project, memlint):
    root = project({
        "pyproject.toml": '[project]\nname = "p"\nversion = "0"\ndependencies = ["dask>=2024.6.0,<2024.8.1"]\n',
        "load.py": NO_NAME,
    })
    assert memlint("check", "load.py", cwd=root).returncode == 0
    (root / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "0"\ndependencies = ["dask>=2024.6.0,<2025"]\n')
    run = memlint("check", "load.py", cwd=root)
    assert run.returncode == 1 and "dask >=2024.6.0,<2025 (pyproject.toml)" in run.stdout
