"""MEM402 under real Ray: a table passed by value to 16 `.remote()` calls is serialized and
stored 16 times; after the (safe) fix, `ray.put` stores it once and the calls get the same
results."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.oracle

CALLS = 16


def test_mem402_put_once_serializes_the_table_once(oracle_project, observed):
    project = oracle_project("mem402_arg_by_value.py", "ray-2.60.0")
    findings = [f for f in project.findings() if f["code"] == "MEM402"]
    row = next(i for i, ln in enumerate(project.source.splitlines(), 1)
               if "score.remote(table, i)" in ln)
    assert [f["location"]["row"] for f in findings] == [row]
    assert findings[0]["fix"]["applicability"] == "safe"

    before = project.run()
    assert before["calls"] == CALLS
    assert before["serialized"] == CALLS  # one copy of the table per call

    project.fix()
    assert "table_ref = ray.put(table)" in project.source
    assert "score.remote(table_ref, i)" in project.source
    assert [f for f in project.findings() if f["code"] == "MEM402"] == []

    after = project.run()
    assert after["serialized"] == 1
    assert after["total"] == before["total"]
    mb = before["table_bytes"] / 1e6
    observed("MEM402", "ray-2.60.0",
             f"the {mb:.0f} MB table serialized and stored {before['serialized']} times for {CALLS} calls",
             f"`--fix` (`ray.put` once): serialized {after['serialized']} time, same total")
