"""MEM401 under real Ray: a remote task that returns a list of eight 61 MiB arrays holds all
of them on the worker's heap; after the (unsafe) fix it yields them one by one, and the
caller, which sets num_returns, gets the same arrays."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.oracle

PARTS = 8
BEFORE_MIN_MIB, AFTER_MAX_MIB = 400, 200  # eight parts take 488 MiB, one part 61 MiB


def _line_of(project, text: str) -> int:
    return next(i for i, ln in enumerate(project.source.splitlines(), 1) if text in ln)


def _mem401(project) -> list[dict]:
    return [f for f in project.findings() if f["code"] == "MEM401"]


def test_mem401_generator_fix_frees_the_worker_heap(oracle_project, observed):
    project = oracle_project("mem401_remote_list.py", "ray-2.60.0")
    findings = _mem401(project)
    assert [f["location"]["row"] for f in findings] == [_line_of(project, "return out")]
    assert findings[0]["fix"]["applicability"] == "unsafe"

    before = project.run()
    assert before["sums"] == [float(i * 8_000_000) for i in range(PARTS)]
    assert before["worker_heap_peak_mib"] > BEFORE_MIN_MIB, before

    project.fix()
    assert _mem401(project) != []  # unsafe: --fix alone leaves it
    project.fix("--unsafe-fixes")
    assert "yield np.full(PART_ITEMS, float(i))" in project.source
    assert "return out" not in project.source
    assert _mem401(project) == []

    after = project.run()
    assert after["worker_heap_peak_mib"] < AFTER_MAX_MIB, after
    assert after["sums"] == before["sums"]
    observed("MEM401", "ray-2.60.0", f"worker heap peak +{before['worker_heap_peak_mib']:.0f} MiB",
             f"+{after['worker_heap_peak_mib']:.0f} MiB, same {PARTS} arrays")
