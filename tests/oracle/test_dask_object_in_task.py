"""MEM203 under real dask 2026.8.0: an object holding a 2 MB table passed to map_blocks is
pickled into each of the 40 tasks before the fix, and stored once after it, with the same sum."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.oracle

TASKS = 40
TOTAL = float(sum(0.5 * (i % 250_000) for i in range(TASKS * 5_000)))
AFTER_MAX_BYTES = 10_000


def _line_of(project, text: str) -> int:
    return next(i for i, ln in enumerate(project.source.splitlines(), 1) if text in ln)


def _mem203(project) -> list[dict]:
    return [f for f in project.findings() if f["code"] == "MEM203"]


def _describe(out) -> str:
    return (f"{out['tasks']} tasks of up to {out['task_max_bytes']:,} pickled bytes "
            f"({out['task_total_bytes'] / 1e6:.1f} MB in all)")


def test_mem203_delayed_fix_stores_the_object_once(oracle_project, observed):
    project = oracle_project("mem203_object_in_task.py", "dask-2026.8.0")
    findings = _mem203(project)
    assert [f["location"]["row"] for f in findings] == [_line_of(project, "map_blocks(remap, lookup")]

    before = project.run()
    assert before["tasks"] == TASKS and before["total"] == TOTAL
    assert before["task_max_bytes"] > before["table_bytes"]  # the whole table in a task

    project.fix()
    assert "map_blocks(remap, dask.delayed(lookup)," in project.source
    assert _mem203(project) == []

    after = project.run()
    assert after["tasks"] == TASKS and after["total"] == before["total"]
    assert after["task_max_bytes"] < AFTER_MAX_BYTES, after
    observed("MEM203", "dask-2026.8.0", _describe(before), _describe(after) + ", same sum")


def test_mem203_fix_gives_meta_where_map_blocks_would_infer_it(oracle_project, observed):
    # With dtype= and no meta=, map_blocks calls the function on the arguments to infer its
    # output, and a delayed argument breaks that (TypeError). The unsafe fix therefore also
    # turns dtype= into meta= of the array's dimensions: the oracle shows it runs, with the
    # table stored once.
    project = oracle_project("mem203_object_in_task_dtype.py", "dask-2026.8.0")
    findings = _mem203(project)
    assert len(findings) == 1 and findings[0]["fix"]["applicability"] == "unsafe"
    assert "meta=" in findings[0]["message"]
    before = project.run()
    assert before.get("error") is None and before["total"] == TOTAL
    assert before["task_max_bytes"] > before["table_bytes"]

    original = project.source
    project.fix()
    assert project.source == original  # --fix leaves it

    project.fix("--unsafe-fixes")
    assert ("map_blocks(remap, dask.delayed(lookup), meta=np.empty((0,) * codes.ndim, dtype=np.float64))"
            in project.source)
    after = project.run()
    assert after.get("error") is None and after["total"] == before["total"], after
    assert after["task_max_bytes"] < before["table_bytes"] / 100, after
    observed("MEM203", "dask-2026.8.0", _describe(before) + " (dtype=, no meta=)",
             f"--fix --unsafe-fixes (dask.delayed, meta= for dtype=): {_describe(after)}, the same total")


def test_mem203_bound_method_holding_an_open_file_fails_to_pickle(oracle_project, observed):
    project = oracle_project("mem203_bound_handle.py", "dask-2026.8.0")
    findings = _mem203(project)
    assert [f["location"]["row"] for f in findings] == [_line_of(project, "map_blocks(reader.remap")]
    assert "open file handle" in findings[0]["message"]

    before = project.run()
    assert before["error"].startswith("TypeError") and "pickle" in before["error"], before

    project.rewrite_as("mem203_bound_handle_path.py")  # no fix: the message's rewrite
    assert _mem203(project) == []
    after = project.run()
    assert after.get("error") is None and after["processes"] == after["threads"] == before["threads"]
    observed("MEM203", "dask-2026.8.0", f"the process scheduler raises {before['error']}",
             "a module-level function given the path runs, same sum")
