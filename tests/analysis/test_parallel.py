"""memlint.analysis.parallel: joblib `Parallel(...)(delayed(f)(...) ...)` runs in the
spellings real code uses, their tasks, and whether the backend shares memory."""

from __future__ import annotations

import textwrap

import libcst
import pytest

from memlint.analysis.builder import build
from memlint.analysis.parallel import parallel_run, thread_backend, uses_threads

JOBLIB = "from joblib import Parallel, delayed, parallel_config, parallel_backend\n"


def runs(src: str, header: str = JOBLIB):
    """Every Parallel run in the source, as (module, model, run)."""
    module = libcst.parse_module(header + textwrap.dedent(src).lstrip("\n"))
    model, calls = build(module, frozenset({"Call"}))
    found = [r for r in (parallel_run(c, model) for c in calls) if r is not None]
    return module, model, found


def task_args(src: str, header: str = JOBLIB) -> list[list[str]]:
    """The source of each task's arguments, per run."""
    module, _, found = runs(src, header)
    return [[module.code_for_node(a.value) for _, a in r.task_arguments()] for r in found]


def backend(src: str, header: str = JOBLIB) -> bool | None:
    _, model, found = runs(src, header)
    assert len(found) == 1
    return thread_backend(found[0], model)


# -- runs and their tasks -----------------------------------------------------------------------


def test_direct_call_with_a_generator() -> None:
    assert task_args("out = Parallel(n_jobs=2)(delayed(f)(x, i) for i in range(4))") == [["x", "i"]]


def test_module_attribute_spelling() -> None:
    src = "out = joblib.Parallel(n_jobs=2)(joblib.delayed(f)(x) for i in range(4))"
    assert task_args(src, header="import joblib\n") == [["x"]]


def test_sklearn_utils_parallel_imports() -> None:
    src = "out = Parallel(n_jobs=2)(delayed(f)(x) for i in range(4))"
    assert task_args(src, header="from sklearn.utils.parallel import Parallel, delayed\n") == [["x"]]


def test_parallel_bound_to_a_name() -> None:
    assert task_args("pool = Parallel(n_jobs=2)\nout = pool(delayed(f)(x) for i in r)") == [["x"]]


def test_with_parallel_as_name() -> None:
    src = """
    with Parallel(n_jobs=2) as parallel:
        a = parallel(delayed(f)(x) for i in r)
        b = parallel(delayed(g)(y) for i in r)
    """
    assert task_args(src) == [["x"], ["y"]]


def test_task_list_bound_to_a_name() -> None:
    src = """
    tasks = [delayed(f)(x, i) for i in range(3)]
    out = Parallel(n_jobs=2)(tasks)
    """
    assert task_args(src) == [["x", "i"]]


def test_task_list_literal_and_tuple() -> None:
    assert task_args("out = Parallel(n_jobs=2)([delayed(f)(a), delayed(g)(b)])") == [["a", "b"]]
    assert task_args("out = Parallel(n_jobs=2)((delayed(f)(a), delayed(g)(b)))") == [["a", "b"]]


def test_task_list_built_by_append_extend_and_augmented_assignment() -> None:
    src = """
    tasks = []
    for i in range(3):
        tasks.append(delayed(f)(a, i))
    tasks.extend(delayed(g)(b) for j in r)
    tasks += [delayed(h)(c)]
    out = Parallel(n_jobs=2)(tasks)
    """
    assert sorted(task_args(src)[0]) == ["a", "b", "c", "i"]


def test_delayed_function_bound_to_a_name() -> None:
    assert task_args("task = delayed(f)\nout = Parallel(n_jobs=2)(task(x) for i in r)") == [["x"]]


def test_keyword_arguments_of_tasks() -> None:
    assert task_args("out = Parallel(n_jobs=2)(delayed(f)(data=x) for i in r)") == [["x"]]


def test_not_a_run() -> None:
    # Parallel from elsewhere, a call that is not of a Parallel instance, no delayed tasks.
    assert runs("out = Parallel(n_jobs=2)(delayed(f)(x) for i in r)", header="from mylib import Parallel, delayed\n")[2] == []
    assert runs("p = Parallel(n_jobs=2)\nq = p.n_jobs")[2] == []
    assert task_args("out = Parallel(n_jobs=2)(f(x) for i in r)") == [[]]


# -- backends ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "src, expected",
    [
        ("Parallel(n_jobs=2)(delayed(f)(x) for i in r)", False),
        ('Parallel(n_jobs=2, backend="loky")(delayed(f)(x) for i in r)', False),
        ('Parallel(n_jobs=2, backend="multiprocessing")(delayed(f)(x) for i in r)', False),
        ('Parallel(n_jobs=2, backend="threading")(delayed(f)(x) for i in r)', True),
        ('Parallel(2, "threading")(delayed(f)(x) for i in r)', True),
        ('Parallel(n_jobs=2, backend="sequential")(delayed(f)(x) for i in r)', True),
        ('Parallel(n_jobs=2, prefer="threads")(delayed(f)(x) for i in r)', True),
        ('Parallel(n_jobs=2, prefer="processes")(delayed(f)(x) for i in r)', False),
        ('Parallel(n_jobs=2, require="sharedmem")(delayed(f)(x) for i in r)', True),
        ('Parallel(n_jobs=2, backend="loky", prefer="threads")(delayed(f)(x) for i in r)', False),
        ("Parallel(n_jobs=1)(delayed(f)(x) for i in r)", True),
        ("Parallel(1)(delayed(f)(x) for i in r)", True),
        ("Parallel(n_jobs=-1)(delayed(f)(x) for i in r)", False),
        ("Parallel(n_jobs=2, backend=kind)(delayed(f)(x) for i in r)", None),
    ],
)
def test_backend_arguments(src: str, expected: bool | None) -> None:
    assert backend(src) is expected


@pytest.mark.parametrize(
    "src, expected",
    [
        ('with parallel_config(backend="threading"):\n    Parallel(n_jobs=2)(delayed(f)(x) for i in r)', True),
        ('with parallel_config(prefer="threads"):\n    Parallel(n_jobs=2)(delayed(f)(x) for i in r)', True),
        ('with parallel_config(backend="loky"):\n    Parallel(n_jobs=2)(delayed(f)(x) for i in r)', False),
        ('with parallel_backend("threading", n_jobs=2):\n    Parallel()(delayed(f)(x) for i in r)', True),
        ('with parallel_backend("loky"):\n    Parallel()(delayed(f)(x) for i in r)', False),
        # an explicit process backend on the call wins over the context
        ('with parallel_config(backend="threading"):\n    Parallel(backend="loky")(delayed(f)(x) for i in r)', False),
        # a context around a caller is not visible from the function's body
        ('def run():\n    return Parallel(n_jobs=2)(delayed(f)(x) for i in r)\nwith parallel_config(backend="threading"):\n    run()', False),
    ],
)
def test_backend_context_managers(src: str, expected: bool) -> None:
    assert backend(src) is expected


def test_backend_context_through_the_joblib_module() -> None:
    src = 'with joblib.parallel_backend("threading"):\n    joblib.Parallel()(joblib.delayed(f)(x) for i in r)'
    assert backend(src, header="import joblib\n") is True


def test_backend_of_a_bound_or_with_parallel() -> None:
    assert backend('p = Parallel(n_jobs=2, backend="threading")\np(delayed(f)(x) for i in r)') is True
    assert backend('with Parallel(n_jobs=2, prefer="threads") as p:\n    p(delayed(f)(x) for i in r)') is True


def test_uses_threads_is_true_only_when_certain() -> None:
    _, model, found = runs("Parallel(n_jobs=2, backend=kind)(delayed(f)(x) for i in r)")
    assert uses_threads(found[0], model) is False
    _, model, found = runs('Parallel(n_jobs=2, backend="threading")(delayed(f)(x) for i in r)')
    assert uses_threads(found[0], model) is True
