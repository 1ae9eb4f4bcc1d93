"""MEM403 under real Ray: a remote function reading a 16 MB module-level array is exported
with the array inside it; after the rewrite Ray's anti-pattern page gives (`ray.put` once,
the reference passed to each call) the function is small, with the same results."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.oracle


def test_mem403_put_and_pass_keeps_the_array_out_of_the_function(oracle_project, observed):
    project = oracle_project("mem403_captured_global.py", "ray-2.60.0")
    findings = [f for f in project.findings() if f["code"] == "MEM403"]
    row = next(i for i, ln in enumerate(project.source.splitlines(), 1) if "float(TABLE[" in ln)
    assert [f["location"]["row"] for f in findings] == [row]
    assert findings[0]["fix"] is None

    before = project.run()
    assert before["exported_bytes"] > before["table_bytes"]  # the array travels in the function

    project.rewrite_as("mem403_captured_global_put.py")  # no fix: Ray's documented rewrite
    assert [f for f in project.findings() if f["code"] == "MEM403"] == []

    after = project.run()
    assert after["exported_bytes"] < 10_000, after
    assert after["total"] == before["total"]
    observed("MEM403", "ray-2.60.0",
             f"the remote function is exported as {before['exported_bytes']:,} pickled bytes "
             f"(the {before['table_bytes'] / 1e6:.0f} MB array inside)",
             f"`ray.put` once and pass the reference: {after['exported_bytes']:,} bytes, same total")
