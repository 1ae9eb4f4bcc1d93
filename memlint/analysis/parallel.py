"""joblib dispatch: `Parallel(...)(delayed(f)(args) for ...)` in its real-world spellings.

A run is a call whose callee is a `Parallel(...)` constructor call, a name bound to one, or
the `as` name of `with Parallel(...) as p`. Its tasks are the `delayed(f)(...)` calls
found in the iterable: a generator or comprehension element, list/tuple elements, or a
name bound to one of those.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

import libcst as cst

from memlint.analysis.calls import arg_value, literal

if TYPE_CHECKING:  # pragma: no cover
    from memlint.analysis.model import SemanticModel

PARALLEL = (
    "joblib.Parallel",
    "joblib.parallel.Parallel",
    "sklearn.utils.parallel.Parallel",
    "sklearn.utils.fixes.Parallel",
)
DELAYED = (
    "joblib.delayed",
    "joblib.parallel.delayed",
    "sklearn.utils.parallel.delayed",
    "sklearn.utils.fixes.delayed",
)
BACKEND_CONTEXTS = (
    "joblib.parallel_config",
    "joblib.parallel_backend",
    "joblib.parallel.parallel_config",
    "joblib.parallel.parallel_backend",
)
THREAD_BACKENDS = ("threading", "sequential")


@dataclass(frozen=True)
class ParallelRun:
    call: cst.Call  # the call that runs the tasks: Parallel(...)(iterable)
    constructor: cst.Call  # Parallel(...)
    tasks: tuple[cst.Call, ...]  # each delayed(f)(...) call

    def task_arguments(self) -> Iterator[tuple[cst.Call, cst.Arg]]:
        for task in self.tasks:
            for a in task.args:
                yield task, a


def parallel_run(call: cst.Call, model: "SemanticModel") -> ParallelRun | None:
    constructor = _constructor(call.func, model)
    if constructor is None or not call.args:
        return None
    iterable = call.args[0].value
    tasks = tuple(_delayed_calls(iterable, model))
    return ParallelRun(call, constructor, tasks)


def _constructor(func: cst.BaseExpression, model: "SemanticModel") -> cst.Call | None:
    if isinstance(func, cst.Call) and model.qualified_name(func.func) in PARALLEL:
        return func
    if isinstance(func, cst.Name):
        for origin in model.origins(func):
            if isinstance(origin.expr, cst.Call) and model.qualified_name(origin.expr.func) in PARALLEL:
                return origin.expr
        # `with Parallel(...) as parallel:`
        _, bindings = model.lookup(func.value, func)
        for b in model.reaching(bindings, func):
            if b.kind == "with" and isinstance(b.stmt, cst.With):
                for item in b.stmt.items:
                    if (
                        item.asname is not None
                        and isinstance(item.asname.name, cst.Name)
                        and item.asname.name.value == func.value
                        and isinstance(item.item, cst.Call)
                        and model.qualified_name(item.item.func) in PARALLEL
                    ):
                        return item.item
    return None


def _delayed_calls(expr: cst.BaseExpression, model: "SemanticModel", depth: int = 0) -> Iterator[cst.Call]:
    if depth > 4:
        return
    if is_delayed_task(expr, model):
        yield expr  # type: ignore[misc]
    elif isinstance(expr, (cst.GeneratorExp, cst.ListComp, cst.SetComp)):
        yield from _delayed_calls(expr.elt, model, depth + 1)
    elif isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
        for el in expr.elements:
            yield from _delayed_calls(el.value, model, depth + 1)
    elif isinstance(expr, cst.Name):
        for origin in model.origins(expr):
            yield from _delayed_calls(origin.expr, model, depth + 1)


def is_delayed_task(expr: cst.BaseExpression, model: "SemanticModel") -> bool:
    """`delayed(f)(...)`."""
    return (
        isinstance(expr, cst.Call)
        and isinstance(expr.func, cst.Call)
        and model.qualified_name(expr.func.func) in DELAYED
    )


def uses_threads(run: ParallelRun, model: "SemanticModel") -> bool:
    """Whether the run's workers share the parent's memory (nothing is pickled)."""
    ctor = run.constructor
    backend = literal(arg_value(ctor, "backend", 1), None)
    if backend in THREAD_BACKENDS:
        return True
    if literal(arg_value(ctor, "prefer"), None) == "threads":
        return True
    if literal(arg_value(ctor, "require"), None) == "sharedmem":
        return True
    if backend is not None:
        return False  # an explicit process backend wins over an enclosing context
    for anc in model.ancestors(run.call):
        if isinstance(anc, cst.With):
            for item in anc.items:
                ctx = item.item
                if isinstance(ctx, cst.Call) and model.qualified_name(ctx.func) in BACKEND_CONTEXTS:
                    b = literal(arg_value(ctx, "backend", 0), None)
                    if b in THREAD_BACKENDS:
                        return True
                    if literal(arg_value(ctx, "prefer"), None) == "threads":
                        return True
                    if literal(arg_value(ctx, "require"), None) == "sharedmem":
                        return True
    return False


# Where each setting sits positionally, per callable; absent: keyword only.
_POSITIONS = {
    "joblib.parallel_backend": {"backend": 0, "n_jobs": 1},
    "joblib.parallel.parallel_backend": {"backend": 0, "n_jobs": 1},
    "joblib.parallel_config": {"backend": 0},
    "joblib.parallel.parallel_config": {"backend": 0},
}
_PARALLEL_POSITIONS = {"n_jobs": 0, "backend": 1}


def setting(run: ParallelRun, model: "SemanticModel", name: str) -> cst.BaseExpression | None:
    """The expression a run gets for the Parallel parameter `name`: from its constructor,
    else from the innermost enclosing `with parallel_config(...)` or `parallel_backend(...)`
    that sets it (joblib gives the constructor's value precedence). None when nothing sets
    it: joblib's default applies."""
    found = arg_value(run.constructor, name, _PARALLEL_POSITIONS.get(name))
    if found is not None:
        return found
    for anc in model.ancestors(run.call):
        if isinstance(anc, cst.With):
            for item in anc.items:
                ctx = item.item
                if not isinstance(ctx, cst.Call):
                    continue
                q = model.qualified_name(ctx.func)
                if q in BACKEND_CONTEXTS:
                    value = arg_value(ctx, name, _POSITIONS[q].get(name))
                    if value is not None:
                        return value
    return None


def runs_in_parent(run: ParallelRun, model: "SemanticModel") -> bool:
    """`n_jobs=1`: joblib runs the tasks one after the other in the calling process,
    without pickling anything."""
    return literal(setting(run, model, "n_jobs"), None) == 1
