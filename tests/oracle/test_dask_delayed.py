"""MEM204 and MEM205 under real dask 2026.8.0: the large input embedded in every delayed
task before the fix and stored once after it; the whole collection handed to one task
before the documented rewrite and one chunk per task after it, with the same results."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.oracle

CALLS = 20
WEIGHTS_BYTES = 2_000_000
CHUNKS = 8
ARRAY_BYTES = 64_000_000


def _rows(project, code: str) -> list[int]:
    return [f["location"]["row"] for f in project.findings() if f["code"] == code]


def _line_of(project, text: str) -> int:
    return next(i for i, ln in enumerate(project.source.splitlines(), 1) if text in ln)


def test_mem204_delaying_the_input_once_stores_it_once(oracle_project, observed):
    project = oracle_project("mem204_delayed_in_loop.py", "dask-2026.8.0")
    assert _rows(project, "MEM204") == [_line_of(project, "dask.delayed(score)(i, weights)")]

    before = project.run()
    assert before["tasks"] == CALLS and before["weights_bytes"] == WEIGHTS_BYTES
    assert before["task_max_bytes"] > WEIGHTS_BYTES  # every task carries the whole array
    assert before["graph_total_bytes"] > CALLS * WEIGHTS_BYTES

    project.fix()  # the fix is unsafe (the value's name now holds a Delayed): --fix leaves it
    assert "weights = dask.delayed(weights)" not in project.source
    project.fix("--unsafe-fixes")
    assert "    weights = dask.delayed(weights)\n    for i in range(CALLS):" in project.source
    assert _rows(project, "MEM204") == []

    after = project.run()
    assert after["tasks"] == CALLS and after["total"] == before["total"]
    assert after["task_max_bytes"] < 10_000, after
    assert after["graph_total_bytes"] < 2 * WEIGHTS_BYTES, after
    observed("MEM204", "dask-2026.8.0",
             f"{CALLS} tasks of up to {before['task_max_bytes']:,} pickled bytes "
             f"({before['graph_total_bytes'] / 1e6:.1f} MB of graph)",
             f"{CALLS} tasks of up to {after['task_max_bytes']:,} pickled bytes "
             f"({after['graph_total_bytes'] / 1e6:.1f} MB of graph), same total")


def test_mem205_one_task_per_block_receives_one_chunk(oracle_project, observed):
    project = oracle_project("mem205_delayed_on_collection.py", "dask-2026.8.0")
    assert _rows(project, "MEM205") == [_line_of(project, "dask.delayed(summarize)(x)")]

    before = project.run()
    assert before["array_bytes"] == ARRAY_BYTES
    assert before["task_max_received"] == ARRAY_BYTES  # the whole array, computed, in one task

    project.rewrite_as("mem205_delayed_on_collection_blocks.py")  # no fix: dask's rewrite
    assert _rows(project, "MEM205") == []

    after = project.run()
    assert after["tasks"] == CHUNKS and after["total"] == before["total"]
    assert after["task_max_received"] == ARRAY_BYTES // CHUNKS
    observed("MEM205", "dask-2026.8.0",
             f"one task received the whole {before['task_max_received'] / 1e6:.0f} MB array",
             f"{after['tasks']} tasks received up to {after['task_max_received'] / 1e6:.0f} MB "
             "each (x.to_delayed()), same total")
