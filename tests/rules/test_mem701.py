"""MEM701 netcdf-parallel-threads: the engines and schedulers that decide, the netCDF4
versions, and the fix that needs h5netcdf in the project."""

from __future__ import annotations

import textwrap

from memlint.api import check_source, fix_source

HEAD = "import dask\nimport xarray as xr\nfrom dask.distributed import Client\n"


def found(source: str, **versions) -> list[int]:
    versions = {"netcdf4": "1.7.2", **versions}
    text = HEAD + textwrap.dedent(source).lstrip("\n")
    return [d.location.row - 3 for d in check_source(text, "t.py", select=["MEM701"], versions=versions)]


def test_the_calls_and_the_engines():
    assert found("""
        a = xr.open_mfdataset(paths, parallel=True)
        b = xr.open_mfdataset(paths, parallel=True, engine="netcdf4")
        c = xr.open_dataset(path, lock=False)
        d = xr.open_dataarray(path, lock=False, engine="netcdf4")
        e = xr.open_mfdataset(paths, parallel=True, engine="h5netcdf")
        f = xr.open_mfdataset(paths, parallel=True, engine=engine)
        g = xr.open_mfdataset(paths, parallel=False)
        h = xr.open_dataset(path, lock=True)
        i = xr.open_mfdataset(paths, engine="zarr", lock=False)
        """) == [1, 2, 3, 4]


def test_the_netcdf4_version_decides():
    source = "ds = xr.open_mfdataset(paths, parallel=True)\n"
    assert found(source, netcdf4="1.6.0") == []
    assert found(source, netcdf4="1.6.1") == [1]
    (d,) = check_source(HEAD + source, "t.py", select=["MEM701"], versions={"netcdf4": "1.6.5"})
    assert "(netcdf4 1.6.5" in d.message and "may read with the netCDF4 engine" in d.message


def test_dask_without_threads_in_the_module_is_quiet():
    source = "ds = xr.open_mfdataset(paths, parallel=True)\n"
    assert found('dask.config.set(scheduler="processes")\n' + source) == []
    assert found('dask.config.set(scheduler="single-threaded")\n' + source) == []
    assert found("client = Client(n_workers=4, threads_per_worker=1)\n" + source) == []
    assert found("client = Client(n_workers=4)\n" + source) == [2]
    assert found('dask.config.set(scheduler="threads")\n' + source) == [2]


def test_the_fix_needs_h5netcdf_and_is_unsafe():
    text = HEAD + 'ds = xr.open_mfdataset(\n    paths,\n    parallel=True,\n    engine="netcdf4",\n)\n'
    assert fix_source(text, "t.py", select=["MEM701"], unsafe=True, versions={"netcdf4": "1.7.2"}) == text
    with_h5 = {"netcdf4": "1.7.2", "h5netcdf": "1.6.1"}
    assert fix_source(text, "t.py", select=["MEM701"], versions=with_h5) == text  # not a safe fix
    fixed = fix_source(text, "t.py", select=["MEM701"], unsafe=True, versions=with_h5)
    assert fixed == text.replace('engine="netcdf4"', 'engine="h5netcdf"')
    plain = HEAD + "ds = xr.open_mfdataset(paths, parallel=True)\n"
    assert fix_source(plain, "t.py", select=["MEM701"], unsafe=True, versions=with_h5).endswith(
        'ds = xr.open_mfdataset(paths, parallel=True, engine="h5netcdf")\n')
