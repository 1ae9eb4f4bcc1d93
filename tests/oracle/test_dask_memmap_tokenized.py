"""MEM202 under real dask 2024.5.0, on a 256 MiB memmap: a pure delayed call reads and
copies the whole file to name its task before the fix, and touches nothing after it, with
the same sum."""

from __future__ import annotations

import pytest

from .harness import write_arange_file

pytestmark = pytest.mark.oracle

ROWS, COLS = 32768, 1024  # float64: 256 MiB
N = ROWS * COLS
TOTAL = float(N * (N - 1) // 2)  # the file holds 0, 1, ..., N-1; the float64 sum is exact
FILE_MIB = N * 8 / 2**20
AFTER_MAX_MIB = 64


@pytest.fixture(scope="module")
def memmap_file(tmp_path_factory):
    path = write_arange_file(tmp_path_factory.mktemp("mem202") / "data.bin", ROWS, COLS)
    yield str(path)
    path.unlink()


def _describe(out) -> str:
    return f"peak RSS +{out['graph_peak_growth_mib']:.0f} MiB building the task ({out['graph_seconds']} s)"


def test_mem202_pure_false_stops_hashing_the_memmap(oracle_project, observed, memmap_file):
    project = oracle_project("mem202_delayed_pure.py", "dask-2024.5.0")
    findings = [f for f in project.findings() if f["code"] == "MEM202"]
    row = next(i for i, ln in enumerate(project.source.splitlines(), 1) if "task = dask.delayed(np.sum, pure=True)(data)" in ln)
    assert [f["location"]["row"] for f in findings] == [row]
    assert findings[0]["fix"]["applicability"] == "unsafe"

    before = project.run(memmap_file, str(ROWS), str(COLS))
    assert before["total"] == TOTAL
    assert before["graph_peak_growth_mib"] > 0.75 * FILE_MIB, before  # the file read into RAM

    project.fix()  # unsafe: identical calls are no longer deduplicated
    assert "pure=True" in project.source
    project.fix("--unsafe-fixes")
    assert "dask.delayed(np.sum, pure=False)(data)" in project.source
    assert [f for f in project.findings() if f["code"] == "MEM202"] == []

    after = project.run(memmap_file, str(ROWS), str(COLS))
    assert after["total"] == before["total"]
    assert after["graph_peak_growth_mib"] < AFTER_MAX_MIB, after
    observed("MEM202", "dask-2024.5.0", _describe(before), _describe(after) + " with pure=False")
