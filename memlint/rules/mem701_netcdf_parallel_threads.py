from __future__ import annotations

import functools
import re

import libcst as cst

from memlint.analysis.calls import arg_value, keyword_edit, literal
from memlint.engine.rule import FixSpec, Invalid, Replace, Rule, Valid

# netCDF4-python stopped serializing calls into the netCDF-C library in 1.6.1: reading
# from several threads at once is no longer safe (xarray #7079).
THREAD_UNSAFE = ">=1.6.1"
_OPENERS = ("xarray.open_mfdataset", "xarray.open_dataset", "xarray.open_dataarray")
_NOT_NETCDF4 = frozenset({"h5netcdf", "zarr", "scipy", "pydap", "cfgrib", "rasterio", "kerchunk"})
# Schedulers that run tasks without threads sharing the process.
_THREADLESS = frozenset({"processes", "multiprocessing", "single-threaded", "sync", "synchronous"})
_CLUSTERS = ("distributed.Client", "distributed.LocalCluster", "dask.distributed.Client",
             "dask.distributed.LocalCluster", "distributed.client.Client")


# The shape, as text: an opener with `parallel=True` or `lock=False` among the arguments
# that follow it (within a bound: a call spread over a few lines).
_OPENER = re.compile(rb"\bopen_(?:mf)?data(?:set|array)\(")
_ARGUMENT = re.compile(rb"\bparallel\s*=\s*True\b|\block\s*=\s*False\b")


def _opens_unguarded(data: bytes) -> bool:
    for m in _OPENER.finditer(data):
        if _ARGUMENT.search(data, m.end(), m.end() + 1000):
            return True
    return False


class NetcdfParallelThreads(Rule):
    """
    ## What it does
    Finds `xarray.open_mfdataset(..., parallel=True)`, and `open_mfdataset` or
    `open_dataset` with `lock=False`, reading with the netCDF4 engine (named, or left to
    xarray, which picks netCDF4 when it is installed), when the module does not run dask
    without threads (`dask.config.set(scheduler="processes")`, a distributed `Client` with
    `threads_per_worker=1`).

    ## Why is this bad?
    `parallel=True` opens the files in dask tasks, on the threads of dask's default
    scheduler, and `lock=False` lets those threads read one file at once. netCDF4-python
    1.6.1 and later is not thread-safe: its calls into the netCDF-C and HDF5 libraries
    then run at the same time. The results are random errors ("NetCDF: Unknown file
    format", "HDF error") or a segmentation fault, which pass on a small test and fail on
    the real number of files (xarray #7079 and its duplicates; the maintainers' advice is
    to use another engine or avoid threads).

    ## Example
    ```python
    import xarray as xr

    ds = xr.open_mfdataset("data/*.nc", parallel=True)
    ```

    ## Use instead
    ```python
    import xarray as xr

    ds = xr.open_mfdataset("data/*.nc", parallel=True, engine="h5netcdf")
    ```
    h5netcdf reads netCDF4 (HDF5) files without netCDF-C. Or keep the netCDF4 engine and
    run dask without threads: `dask.config.set(scheduler="processes")`, or a distributed
    `Client(threads_per_worker=1)`; or open the files without `parallel=True`.

    ## Fix safety
    The fix, when the project depends on h5netcdf, is unsafe: it sets `engine="h5netcdf"`,
    which reads netCDF4 files (HDF5 inside) but not the classic netCDF3 format, and may
    decode some attributes differently.

    ## Affected versions
    netCDF4 1.6.1 and later (reported when the project's netCDF4 is unknown too).

    ## References
    - [xarray #7079: open_mfdataset parallel=True fails with netCDF4 >= 1.6.1](https://github.com/pydata/xarray/issues/7079)
    - [xarray #9779: segmentation fault with open_mfdataset(parallel=True)](https://github.com/pydata/xarray/issues/9779)
    - [xarray: open_mfdataset](https://docs.xarray.dev/en/stable/generated/xarray.open_mfdataset.html)
    - [netCDF4-python 1.6.1 release notes](https://github.com/Unidata/netcdf4-python/blob/master/Changelog)
    """

    code = "MEM701"
    name = "netcdf-parallel-threads"
    summary = "netCDF4 files opened or read by several dask threads at once (not thread-safe)"
    libraries = ("netcdf4",)
    # (`parallel=True` and `lock=False` are the shape filter's: "parallel" would share a
    # part with joblib's "Parallel", and the first test of a file would weaken.)
    triggers = ((b"xarray", b"open_mfdataset("), (b"xarray", b"open_dataset("), (b"xarray", b"open_dataarray("))
    shape_filter = staticmethod(_opens_unguarded)
    fix_availability = "sometimes"
    local_fixes = True
    # How dask is run (`dask.config.set(scheduler=...)`) may be said anywhere in the module.
    partial_parse = False

    valid = (
        Valid(
            """
            import xarray as xr
            ds = xr.open_mfdataset("data/*.nc", parallel=True, engine="h5netcdf")
            """,
            versions={"netcdf4": "1.7.2"},
            note="the documented rewrite: h5netcdf",
        ),
        Valid(
            """
            import dask
            import xarray as xr
            dask.config.set(scheduler="processes")
            ds = xr.open_mfdataset("data/*.nc", parallel=True)
            """,
            versions={"netcdf4": "1.7.2"},
            note="a processes scheduler",
        ),
        Valid(
            """
            import xarray as xr
            ds = xr.open_mfdataset("data/*.nc", parallel=True)
            """,
            versions={"netcdf4": "1.6.0"},
            note="netCDF4 before 1.6.1",
        ),
        Valid(
            """
            import xarray as xr
            ds = xr.open_mfdataset("data/*.nc")
            one = xr.open_dataset("a.nc", lock=None)
            """,
            versions={"netcdf4": "1.7.2"},
            note="opened one after another, read under xarray's lock",
        ),
    )
    invalid = (
        Invalid(
            """
            import xarray as xr

            ds = xr.open_mfdataset("data/*.nc", parallel=True)
            """,
            lines=[3],
            versions={"netcdf4": "1.7.2", "h5netcdf": "1.6.1"},
            unsafe=True,
            fixed="""
            import xarray as xr

            ds = xr.open_mfdataset("data/*.nc", parallel=True, engine="h5netcdf")
            """,
        ),
        Invalid(
            """
            import xarray as xr

            ds = xr.open_dataset("big.nc", engine="netcdf4", lock=False, chunks={"time": 10})
            """,
            lines=[3],
            versions={"netcdf4": "1.6.5"},
            message="lock=False",
            note="no h5netcdf in the project: no fix",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        model = self.ctx.model
        q = model.qualified_name(node.func)
        if q not in _OPENERS:
            return
        parallel = q == "xarray.open_mfdataset" and literal(arg_value(node, "parallel"), None) is True
        unlocked = literal(arg_value(node, "lock"), None) is False
        if not (parallel or unlocked):
            return
        engine = arg_value(node, "engine")
        named = literal(engine, None)
        if engine is not None and named != "netcdf4":
            return  # another engine, or one chosen at run time
        if not self.ctx.affected("netcdf4", THREAD_UNSAFE) or self._threadless:
            return
        self._report(node, q, parallel, named == "netcdf4")

    @functools.cached_property
    def _threadless(self) -> bool:
        """Whether the module runs dask without threads sharing a process."""
        model = self.ctx.model
        for n in model.index:
            if not isinstance(n, cst.Call):
                continue
            q = model.qualified_name(n.func)
            if q == "dask.config.set" and literal(arg_value(n, "scheduler"), None) in _THREADLESS:
                return True
            if q in _CLUSTERS and literal(arg_value(n, "threads_per_worker"), None) == 1:
                return True
        return False

    def _report(self, node: cst.Call, q: str, parallel: bool, explicit: bool) -> None:
        netcdf4 = self.ctx.version("netcdf4").describe()
        opener = q.replace("xarray.", "xr.")
        how = ("`parallel=True` opens the files in dask tasks on its threads" if parallel
               else "`lock=False` lets dask's threads read the file at once")
        engine = "the netCDF4 engine" if explicit else "the netCDF4 engine (xarray's choice when it is installed)"
        verb = "reads" if explicit else "may read"
        message = (
            f"`{opener}` {verb} with {engine}, and {how}: netCDF4-python 1.6.1 and later is "
            f"not thread-safe ({netcdf4}), so this fails at random with errors such as "
            "\"NetCDF: Unknown file format\" or a segmentation fault (xarray #7079). Use "
            "`engine=\"h5netcdf\"`, or run dask without threads "
            "(`dask.config.set(scheduler=\"processes\")`)."
        )
        self.report(node, message, fix=self._fix(node))

    def _fix(self, node: cst.Call) -> FixSpec | None:
        h5netcdf = self.ctx.version("h5netcdf")
        if h5netcdf.absent or (h5netcdf.version is None and h5netcdf.specifier is None):
            return None  # not a dependency of the project
        edit = keyword_edit(node, "engine", '"h5netcdf"', self.ctx.code_for)
        if edit is None:
            return None
        return FixSpec("unsafe", 'Read with `engine="h5netcdf"`', [Replace(*edit)])
