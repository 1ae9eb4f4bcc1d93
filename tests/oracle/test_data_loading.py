"""The data-loading rules, each hazard run with the real libraries (PyTorch's DataLoader, the
CPU build of torch 2.13.0; h5py; netCDF4 and xarray), then the fix or the documented
rewrite, with the same results."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.oracle


def test_mem601_a_list_grows_in_every_worker_a_bytes_array_does_not(oracle_project, observed):
    project = oracle_project("mem601_dataset_list.py", "torch-2.13.0")
    findings = project.findings_of("MEM601")
    assert [f["location"]["row"] for f in findings] == [project.row_of("self.paths = [line.rstrip")]
    assert "with 2 worker processes" in findings[0]["message"]

    before = project.run()
    # Each worker reads half of the items: half the list's pages become its own.
    assert all(g > 0.35 * before["list_mib"] for g in before["worker_growth_mib"]), before

    project.rewrite_as("mem601_dataset_bytes.py")  # no fix: the message's rewrite
    assert project.findings_of("MEM601") == []
    after = project.run()
    assert after["total"] == before["total"]
    assert all(g < 0.1 * min(before["worker_growth_mib"]) for g in after["worker_growth_mib"]), after
    observed("MEM601", "torch 2.13.0 (CPU), 2 forked workers",
             f"1,000,000 paths in a list: each worker's private memory +{min(before['worker_growth_mib']):.0f} MiB",
             f"a numpy bytes array: +{max(after['worker_growth_mib']):.1f} MiB, the same total")


def test_mem602_a_kept_h5py_file_cannot_reach_spawned_workers(oracle_project, observed):
    project = oracle_project("mem602_dataset_handle.py", "torch-2.13.0")
    findings = project.findings_of("MEM602")
    assert [f["location"]["row"] for f in findings] == [project.row_of('self.file = h5py.File(path, "r")')]
    assert "under the spawn start method" in findings[0]["message"]

    before = project.run()
    assert before["sums"] is None and before["error"] == "TypeError: h5py objects cannot be pickled", before

    project.rewrite_as("mem602_dataset_lazy.py")  # no fix: the message's rewrite
    assert project.findings_of("MEM602") == []
    after = project.run()
    assert after["error"] is None and after["sums"] == [256.0 * i + 120 for i in range(64)], after
    observed("MEM602", "torch 2.13.0 (CPU), h5py 3.16.0, 2 spawned workers",
             f"the loader raises {before['error']}",
             "opened on first use in each worker: all 64 items, the values in the file")


def test_mem701_netcdf4_under_dask_threads_fails_h5netcdf_reads(oracle_project, observed):
    project = oracle_project("mem701_parallel_open.py", "netcdf4-1.7.2")
    findings = project.findings_of("MEM701")
    assert [f["location"]["row"] for f in findings] == [project.row_of("xr.open_mfdataset(paths, parallel=True)")]
    assert "netcdf4 1.7.2 (requirements.txt)" in findings[0]["message"]

    before = project.run()
    failed = [r for r in before["runs"] if r["returncode"] != 0]
    assert failed, before  # a crash (SIGSEGV, SIGABRT) or "NetCDF: HDF error", at random

    project.fix("--unsafe-fixes")  # h5netcdf is in the project's requirements
    assert 'xr.open_mfdataset(paths, parallel=True, engine="h5netcdf")' in project.source
    assert project.findings_of("MEM701") == []
    after = project.run()
    assert all(r["returncode"] == 0 and float(r["total"]) == before["expected"] for r in after["runs"]), after
    how = sorted({"segfault" if r["returncode"] == -11 else "abort" if r["returncode"] == -6
                  else "NetCDF error" for r in failed})
    observed("MEM701", "netCDF4 1.7.2, xarray 2025.1.2, dask 2026.8.0 threads",
             f"{len(failed)} of 3 runs of 3 parallel opens of 24 files failed ({', '.join(how)})",
             "--fix --unsafe-fixes (engine=\"h5netcdf\"): 3 of 3 right, the same total")
