"""Parallel settings read from the constructor or an enclosing parallel_config /
parallel_backend, and n_jobs=1 runs (memlint.analysis.parallel)."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from memlint.analysis.builder import build
from memlint.analysis.calls import literal
from memlint.analysis.parallel import parallel_run, runs_in_parent, setting


def the_run(source: str):
    module = cst.parse_module(textwrap.dedent(source).lstrip("\n"))
    model, calls = build(module, frozenset({"Call"}))
    runs = [r for r in (parallel_run(c, model) for c in calls) if r is not None and r.tasks]
    assert len(runs) == 1
    return runs[0], model


@pytest.mark.parametrize("source, name, expected", [
    ("Parallel(n_jobs=2, max_nbytes=None)(delayed(f)(x) for x in xs)", "max_nbytes", None),
    ("Parallel(n_jobs=2, max_nbytes='10M')(delayed(f)(x) for x in xs)", "max_nbytes", "10M"),
    ("Parallel(2, 'multiprocessing')(delayed(f)(x) for x in xs)", "backend", "multiprocessing"),
    ("Parallel(2)(delayed(f)(x) for x in xs)", "n_jobs", 2),
    ("with parallel_config(max_nbytes='2M'):\n    Parallel(n_jobs=2)(delayed(f)(x) for x in xs)", "max_nbytes", "2M"),
    ("with parallel_config('threading'):\n    Parallel(n_jobs=2)(delayed(f)(x) for x in xs)", "backend", "threading"),
    ("with parallel_backend('loky', 1):\n    Parallel()(delayed(f)(x) for x in xs)", "n_jobs", 1),
    # The constructor wins over the context, as in joblib.
    ("with parallel_config(max_nbytes=None):\n    Parallel(max_nbytes='1M')(delayed(f)(x) for x in xs)", "max_nbytes", "1M"),
])
def test_setting(source, name, expected):
    run, model = the_run("from joblib import Parallel, delayed, parallel_config, parallel_backend\n" + source + "\n")
    assert literal(setting(run, model, name), "absent") == expected


def test_setting_absent():
    run, model = the_run("from joblib import Parallel, delayed\nParallel(n_jobs=2)(delayed(f)(x) for x in xs)\n")
    assert setting(run, model, "max_nbytes") is None
    assert setting(run, model, "backend") is None


@pytest.mark.parametrize("source, expected", [
    ("Parallel(n_jobs=1)(delayed(f)(x) for x in xs)", True),
    ("Parallel(1)(delayed(f)(x) for x in xs)", True),
    ("with parallel_config(n_jobs=1):\n    Parallel()(delayed(f)(x) for x in xs)", True),
    ("Parallel(n_jobs=2)(delayed(f)(x) for x in xs)", False),
    ("Parallel(n_jobs=-1)(delayed(f)(x) for x in xs)", False),
    ("Parallel(n_jobs=n)(delayed(f)(x) for x in xs)", False),
])
def test_runs_in_parent(source, expected):
    run, model = the_run("from joblib import Parallel, delayed, parallel_config\n" + source + "\n")
    assert runs_in_parent(run, model) is expected
