"""MEM301 under real joblib: a big-endian array above max_nbytes breaks the process pool before
the fix and gives the parent's sums after it."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.oracle


def _line_of(project, text: str) -> int:
    return next(i for i, ln in enumerate(project.source.splitlines(), 1) if text in ln)


def _mem301(project) -> list[dict]:
    return [f for f in project.findings() if f["code"] == "MEM301"]


def test_mem301_native_byte_order_fix_removes_broken_pool(oracle_project, observed):
    project = oracle_project("mem301_big_endian.py", "joblib-1.4.2")
    findings = _mem301(project)
    assert [f["location"]["row"] for f in findings] == [_line_of(project, "delayed(part_sum)(data, i)")]
    assert "joblib 1.4.2 (requirements.txt)" in findings[0]["message"]

    before = project.run()
    assert before["nbytes"] > 1024 * 1024  # above joblib's default max_nbytes
    assert before["workers"] is None
    assert before["error"].startswith("BrokenProcessPool"), before

    original = project.source
    project.fix()
    assert project.source != original and 'newbyteorder("=")' in project.source
    assert _mem301(project) == []

    after = project.run()
    assert after["error"] is None, after
    assert after["workers"] == after["parent"] == before["parent"]
    assert after["worker_dtypes"] == ["<i4"]
    observed("MEM301", "joblib-1.4.2", before["error"].split(":")[0],
             f"{len(after['workers'])} of {len(after['workers'])} sums equal, workers see {after['worker_dtypes'][0]}")


def test_mem301_quiet_on_joblib_1_6(oracle_project):
    # Fixed in joblib 1.5.0: memlint stays quiet and the same code runs.
    project = oracle_project("mem301_big_endian.py", "joblib-1.6.0")
    assert _mem301(project) == []
    out = project.run()
    assert out["error"] is None and out["workers"] == out["parent"]
    assert out["worker_dtypes"] == [">i4"]
