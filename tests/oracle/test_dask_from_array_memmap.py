"""MEM201 under real dask, on a 512 MiB memmap: building the array reads and copies the file
before the fix (or the documented rewrite), and touches nothing after it, with the same sums."""

from __future__ import annotations

import pytest

from .harness import write_arange_file

pytestmark = pytest.mark.oracle

ROWS, COLS = 65536, 1024  # float64: 512 MiB
N = ROWS * COLS
TOTAL = float(N * (N - 1) // 2)  # the file holds 0, 1, ..., N-1; the float64 sum is exact
CORNERS = [0.0, float(N - 1)]
BEFORE_MIN_MIB, AFTER_MAX_MIB = 400, 200


@pytest.fixture(scope="module")
def big_memmap(tmp_path_factory):
    """A 512 MiB raw float64 file, written in blocks and removed after the module."""
    path = write_arange_file(tmp_path_factory.mktemp("mem201") / "data.bin", ROWS, COLS)
    yield str(path)
    path.unlink()


def _run(project, data) -> dict:
    out = project.run(data, str(ROWS), str(COLS))
    assert out["total"] == TOTAL and out["corners"] == CORNERS, out
    return out


def _line_of(project, text: str) -> int:
    return next(i for i, ln in enumerate(project.source.splitlines(), 1) if text in ln)


def _mem201(project) -> list[dict]:
    return [f for f in project.findings() if f["code"] == "MEM201"]


def _describe(out) -> str:
    return f"peak RSS +{out['graph_peak_growth_mib']:.0f} MiB building the array ({out['graph_seconds']} s)"


def test_mem201_name_false_fix_stops_hashing_on_dask_2024_5(oracle_project, observed, big_memmap):
    project = oracle_project("mem201_from_array.py", "dask-2024.5.0")
    findings = _mem201(project)
    assert [f["location"]["row"] for f in findings] == [_line_of(project, "da.from_array(")]
    assert "dask 2024.5.0 (requirements.txt)" in findings[0]["message"]

    before = _run(project, big_memmap)
    assert before["graph_peak_growth_mib"] > BEFORE_MIN_MIB, before

    project.fix()
    assert "name=False" in project.source
    assert _mem201(project) == []

    after = _run(project, big_memmap)
    assert after["graph_peak_growth_mib"] < AFTER_MAX_MIB, after
    assert (after["total"], after["corners"]) == (before["total"], before["corners"])
    observed("MEM201", "dask-2024.5.0", _describe(before), _describe(after) + " with name=False")


def test_mem201_block_loader_rewrite_stops_copy_on_dask_2026_8(oracle_project, observed, big_memmap):
    project = oracle_project("mem201_from_array.py", "dask-2026.8.0")
    findings = _mem201(project)
    assert [f["location"]["row"] for f in findings] == [_line_of(project, "da.from_array(")]
    assert "dask 2026.8.0 (requirements.txt)" in findings[0]["message"]

    before = _run(project, big_memmap)
    assert before["graph_peak_growth_mib"] > BEFORE_MIN_MIB, before

    # From 2024.12.0 from_array copies whatever the name: no fix, the per-block loader instead.
    project.fix()
    assert len(_mem201(project)) == 1
    project.rewrite_as("mem201_block_loader.py")
    assert _mem201(project) == []

    after = _run(project, big_memmap)
    assert after["graph_peak_growth_mib"] < AFTER_MAX_MIB, after
    assert (after["total"], after["corners"]) == (before["total"], before["corners"])
    observed("MEM201", "dask-2026.8.0", _describe(before), _describe(after) + " with the per-block loader")


def test_mem201_name_false_does_not_help_on_dask_2026_8(oracle_project, observed, big_memmap):
    # Why the rule offers no name=False fix there: the copy happens anyway, and memlint says so.
    project = oracle_project("mem201_from_array.py", "dask-2026.8.0")
    project.script.write_text(project.source.replace("chunks=(rows // 8, cols))", "chunks=(rows // 8, cols), name=False)"))
    assert "name=False" in project.source
    assert len(_mem201(project)) == 1

    out = _run(project, big_memmap)
    assert out["graph_peak_growth_mib"] > BEFORE_MIN_MIB, out
    observed("MEM201", "dask-2026.8.0", _describe(out) + " with name=False",
             "memlint still reports it: no name= avoids the copy")
