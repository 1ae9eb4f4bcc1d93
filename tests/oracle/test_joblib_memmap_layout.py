"""MEM101 and MEM102 under real joblib: the workers' view of a memmap is scrambled before the
fix (or the documented rewrite) and equal to the parent's after it."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.oracle

# What each script's parent holds: np.arange laid out as the script lays it out.
C_ROWS = [[3.0 * i, 3.0 * i + 1, 3.0 * i + 2] for i in range(5)]  # arange(15).reshape(5, 3)
F_ROWS = [[float(i), i + 5.0, i + 10.0] for i in range(5)]  # arange(15).reshape(5, 3, order="F")
T_ROWS = [[float(i), i + 4.0, i + 8.0] for i in range(4)]  # arange(12).reshape(3, 4).T


def _run(project) -> dict:
    out = project.run(str(project.root))
    # Process workers, or the oracle would prove nothing about joblib's memmap reducer.
    assert out["worker_pids"] and out["parent_pid"] not in out["worker_pids"], out
    return out


def _wrong_rows(out) -> int:
    return sum(w != p for w, p in zip(out["workers"], out["parent"]))


def _describe(out) -> str:
    wrong = _wrong_rows(out)
    n = len(out["parent"])
    if not wrong:
        return f"{n} of {n} rows equal in the workers"
    return f"{wrong} of {n} rows wrong in the workers (row 0 {out['workers'][0]}, parent {out['parent'][0]})"


def _line_of(project, text: str) -> int:
    return next(i for i, ln in enumerate(project.source.splitlines(), 1) if text in ln)


@pytest.mark.parametrize(
    "script, env, expected, hazard_line",
    [
        pytest.param("mem101_reshape.py", "joblib-1.4.2", C_ROWS, ".reshape(5, 3)", id="c-order-joblib-1.4.2"),
        pytest.param("mem101_reshape_fortran.py", "joblib-1.6.0", F_ROWS, 'order="F"', id="f-order-joblib-1.6.0"),
    ],
)
def test_mem101_fix_removes_scrambled_rows(oracle_project, observed, script, env, expected, hazard_line):
    project = oracle_project(script, env)
    findings = [f for f in project.findings() if f["code"] == "MEM101"]
    assert [f["location"]["row"] for f in findings] == [_line_of(project, hazard_line)]
    assert f"joblib {env.split('-')[1]} (requirements.txt)" in findings[0]["message"]

    before = _run(project)
    assert before["parent"] == expected
    assert _wrong_rows(before) == len(expected), before  # the hazard is real here

    original = project.source
    project.fix()
    assert project.source != original
    assert "shape=(5, 3)" in project.source and ".reshape(" not in project.source
    assert "MEM101" not in project.codes()

    after = _run(project)
    assert after["workers"] == after["parent"] == before["parent"] == expected
    observed("MEM101", env, _describe(before), _describe(after))


@pytest.mark.parametrize(
    "script, env, expected",
    [
        pytest.param("mem101_reshape.py", "joblib-1.6.0", C_ROWS, id="c-order-joblib-1.6.0"),
        pytest.param("mem101_reshape_fortran.py", "joblib-1.4.2", F_ROWS, id="f-order-joblib-1.4.2"),
    ],
)
def test_mem101_quiet_where_joblib_rebuilds_correctly(oracle_project, script, env, expected):
    # The version ranges are real too: where memlint stays quiet, the workers see the right rows.
    project = oracle_project(script, env)
    assert "MEM101" not in project.codes()
    out = _run(project)
    assert out["workers"] == out["parent"] == expected


@pytest.mark.parametrize("env", ["joblib-1.6.0", "joblib-1.4.2"])
@pytest.mark.parametrize("rewrite", ["mem102_transpose_in_worker.py", "mem102_transpose_contiguous.py"])
def test_mem102_documented_rewrite_removes_wrong_rows(oracle_project, observed, env, rewrite):
    project = oracle_project("mem102_transpose.py", env)
    findings = [f for f in project.findings() if f["code"] == "MEM102"]
    assert [f["location"]["row"] for f in findings] == [_line_of(project, "delayed(row)(data.T, i)")]
    assert "ascontiguousarray" in findings[0]["message"]

    before = _run(project)
    assert before["parent"] == T_ROWS
    assert _wrong_rows(before) == len(T_ROWS), before

    # MEM102 has no fix: apply the rewrite its documentation gives.
    project.fix()
    assert "MEM102" in project.codes()
    project.rewrite_as(rewrite)
    assert "MEM102" not in project.codes()

    after = _run(project)
    assert after["workers"] == after["parent"] == before["parent"] == T_ROWS
    how = "transpose in the worker" if "in_worker" in rewrite else "np.ascontiguousarray(view)"
    observed("MEM102", env, _describe(before), f"{_describe(after)} ({how})")


# Every row of the layout table behind MEM101 and MEM102, whole chains of views as written
# (including the rewrite MEM101 must never advise: an N-D `shape=` kept with `.T`). Under
# each joblib version, memlint reports the view exactly when the workers see wrong values.
FLAT = 'np.memmap(path, dtype=np.float64, mode="r")'
LAYOUT_TABLE = {
    "c-reshape": f"{FLAT}.reshape(4, 6)",
    "f-reshape": f'{FLAT}.reshape(4, 6, order="F")',
    "c-reshape-then-T": f"{FLAT}.reshape(6, -1).T",
    "f-reshape-then-T": f'{FLAT}.reshape(6, 4, order="F").T',
    "n-d-shape-then-T": 'np.memmap(path, dtype=np.float64, mode="r", shape=(6, 4)).T',
    "n-d-shape-reshaped": 'np.memmap(path, dtype=np.float64, mode="r", shape=(6, 4)).reshape(4, 6)',
    "c-reshape-sliced": f"{FLAT}.reshape(4, 6)[:, 1:]",
}


@pytest.mark.parametrize("env", ["joblib-1.4.2", "joblib-1.6.0"])
@pytest.mark.parametrize("view", list(LAYOUT_TABLE))
def test_layout_table_reports_exactly_the_wrong_views(oracle_project, view, env):
    project = oracle_project("mem10x_layout_table.py", env)
    project.script.write_text(project.source.replace("view = VIEW", f"view = {LAYOUT_TABLE[view]}"))
    reported = {c for c in project.codes() if c in ("MEM101", "MEM102")}
    out = _run(project)
    wrong = any(w != out["parent"] for w in out["workers"])
    assert bool(reported) == wrong, (view, env, reported, out)
    assert wrong == ((view, env) in WRONG), (view, env, out)  # the table as measured


# Where the workers see wrong values (measured; joblib #1703 and #1019).
WRONG = {
    ("c-reshape", "joblib-1.4.2"),
    ("f-reshape", "joblib-1.6.0"),
    ("c-reshape-then-T", "joblib-1.6.0"),
    ("f-reshape-then-T", "joblib-1.4.2"),
    ("n-d-shape-then-T", "joblib-1.4.2"),
    ("n-d-shape-then-T", "joblib-1.6.0"),
}
