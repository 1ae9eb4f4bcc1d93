"""MEM404 under real Ray: values a task returns through `ray.put` belong to its worker and are
lost when that worker dies, though every task succeeded; after the (unsafe) fix the task
returns the values, which then belong to the caller and survive."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.oracle

SUMS = [0.0, 1_000_000.0, 2_000_000.0, 3_000_000.0]


def test_mem404_returned_values_survive_their_worker(oracle_project, observed):
    project = oracle_project("mem404_return_put.py", "ray-2.60.0")
    findings = [f for f in project.findings() if f["code"] == "MEM404"]
    row = next(i for i, ln in enumerate(project.source.splitlines(), 1) if "return ray.put(" in ln)
    assert [f["location"]["row"] for f in findings] == [row]
    assert findings[0]["fix"]["applicability"] == "unsafe"

    before = project.run()
    assert before["error"] == "OwnerDiedError", before

    project.fix()  # unsafe: callers that expect an inner reference must change
    assert "return ray.put(" in project.source
    project.fix("--unsafe-fixes")
    assert "return np.full(1_000_000, float(i)), os.getpid()" in project.source
    assert [f for f in project.findings() if f["code"] == "MEM404"] == []

    after = project.run()
    assert after["error"] is None and after["sums"] == SUMS, after
    observed("MEM404", "ray-2.60.0",
             f"the worker killed after 4 successful tasks: getting their values raises {before['error']}",
             "`--fix --unsafe-fixes` (return the values): all 4 values, the same sums")
