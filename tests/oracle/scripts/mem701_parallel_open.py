"""MEM701: `xr.open_mfdataset(..., parallel=True)` on 24 netCDF4 files, three times, with
dask's threaded scheduler: netCDF4-python 1.7.2 is not thread-safe.

The opening runs in a child process, so that a crash of the library is observed rather
than suffered. Usage: python mem701_parallel_open.py
"""

import glob
import subprocess
import sys

import numpy as np
import xarray as xr

from oracle_observe import emit

FILES = 24


def open_all():
    paths = sorted(glob.glob("part-*.nc"))
    totals = []
    for _ in range(3):
        ds = xr.open_mfdataset(paths, parallel=True)
        totals.append(round(float(ds["v0"].sum().compute()), 6))
        ds.close()
    print(totals[0] if len(set(totals)) == 1 else totals, flush=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["child"]:
        open_all()
    else:
        rng = np.random.default_rng(0)
        expected = 0.0
        for i in range(FILES):
            data = {f"v{k}": (("t", "x"), rng.random((20, 50))) for k in range(8)}
            expected += float(data["v0"][1].sum())
            xr.Dataset(data, coords={"t": np.arange(20) + 20 * i}).to_netcdf(f"part-{i:03d}.nc", engine="netcdf4")
        runs = []
        for _ in range(3):  # a race: each run opens the files three times
            child = subprocess.run([sys.executable, __file__, "child"], capture_output=True, text=True, timeout=600)
            runs.append({"returncode": child.returncode, "total": child.stdout.strip() or None,
                         "error": child.stderr.strip()[-160:]})
        emit(runs=runs, expected=round(expected, 6))
