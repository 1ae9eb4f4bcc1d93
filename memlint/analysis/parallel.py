"""joblib dispatch: `Parallel(...)(delayed(f)(args) for ...)` in its real-world spellings.

A run is a call whose callee is a `Parallel(...)` constructor call, a name bound to one, or
the `as` name of `with Parallel(...) as p`. Its tasks are the `delayed(f)(...)` calls
found in the iterable: a generator or comprehension element, list/tuple elements, or a
name bound to one of those.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

import libcst as cst

from memlint.analysis.calls import arg, arg_value, context_calls, literal

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


def run_at(call: cst.Call, model: "SemanticModel") -> ParallelRun | None:
    """`parallel_run`, asked once per call of a module whichever rules ask (every joblib
    rule looks at every call)."""
    memo = _AT.get(model)
    if memo is None:
        memo = _AT[model] = {}
    key = id(call)
    if key not in memo:
        memo[key] = parallel_run(call, model)  # the model keeps its nodes: ids stay valid
    return memo[key]


_AT: "weakref.WeakKeyDictionary[SemanticModel, dict[int, ParallelRun | None]]" = weakref.WeakKeyDictionary()


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
        yield from _appended(expr, model, depth)


def _appended(name: cst.Name, model: "SemanticModel", depth: int) -> Iterator[cst.Call]:
    """Tasks added to a list bound to `name` by `tasks.append(t)`, `tasks.extend([...])`
    or `tasks += [...]` before it is handed to Parallel."""
    _, bindings = model.lookup(name.value, name)
    for b in model.reaching(bindings, name):
        if b.kind == "augassign":
            aug = model.parent.get(b.node)
            if isinstance(aug, cst.AugAssign):
                yield from _delayed_calls(aug.value, model, depth + 1)
            # the list it extends is bound earlier: look at the older bindings too
            older = [o for o in bindings if o.index < b.index and o.kind == "assign"]
            for o in older[-1:]:
                yield from _list_additions(o, model, depth)
        elif b.kind in ("assign", "annassign"):
            yield from _list_additions(b, model, depth)


def _list_additions(b, model: "SemanticModel", depth: int) -> Iterator[cst.Call]:
    for use in model.uses_of(b):
        parent = model.parent.get(use)
        if not (isinstance(parent, cst.Attribute) and parent.value is use):
            continue
        call = model.parent.get(parent)
        if isinstance(call, cst.Call) and call.func is parent and call.args:
            if parent.attr.value in ("append", "insert"):
                yield from _delayed_calls(call.args[-1].value, model, depth + 1)
            elif parent.attr.value == "extend":
                yield from _delayed_calls(call.args[0].value, model, depth + 1)


def is_delayed_task(expr: cst.BaseExpression, model: "SemanticModel") -> bool:
    """`delayed(f)(...)`, or `task(...)` after `task = delayed(f)`."""
    if not isinstance(expr, cst.Call):
        return False
    func = expr.func
    if isinstance(func, cst.Call):
        return model.qualified_name(func.func) in DELAYED
    if isinstance(func, cst.Name):
        return any(
            isinstance(o.expr, cst.Call) and model.qualified_name(o.expr.func) in DELAYED
            for o in model.origins(func)
        )
    return False


def uses_threads(run: ParallelRun, model: "SemanticModel") -> bool:
    """Whether the run's workers certainly share the parent's memory (nothing is
    pickled)."""
    return thread_backend(run, model) is True


def thread_backend(run: ParallelRun, model: "SemanticModel") -> bool | None:
    """True when the run executes in the parent's memory (a thread or sequential backend,
    `prefer="threads"`, `require="sharedmem"`, `n_jobs=1`, or an enclosing
    `with parallel_config(...)`/`parallel_backend(...)` saying so); False when it uses
    worker processes; None when the backend is a variable we cannot read."""
    ctor = run.constructor
    verdict = _backend_arguments(ctor, backend_position=1)
    if verdict is not None:
        return verdict
    n_jobs = literal(arg_value(ctor, "n_jobs", 0), None)
    if n_jobs == 1:
        return True  # joblib falls back to its sequential backend: no pickling
    if arg(ctor, "backend", 1) is not None:
        return None  # a backend we cannot read
    for ctx, q in context_calls(run.call, model):
        if q in BACKEND_CONTEXTS:
            inner = _backend_arguments(ctx, backend_position=0)
            if inner is not None:
                return inner
    return False


def _backend_arguments(call: cst.Call, backend_position: int) -> bool | None:
    """What `backend=`, `prefer=` and `require=` of one call say: True for threads,
    False for an explicit process backend, None when they say nothing readable."""
    backend = literal(arg_value(call, "backend", backend_position), None)
    if isinstance(backend, str):
        # An explicit backend wins over `prefer=` and over an enclosing context.
        return backend in THREAD_BACKENDS
    if literal(arg_value(call, "prefer"), None) == "threads":
        return True
    if literal(arg_value(call, "require"), None) == "sharedmem":
        return True
    return None


_RUNS: "weakref.WeakKeyDictionary[SemanticModel, tuple[ParallelRun, ...]]" = weakref.WeakKeyDictionary()


def module_runs(model: "SemanticModel") -> tuple[ParallelRun, ...]:
    """Every run of the module with at least one task, in source order (found once per
    model, by looking at each call whose callee is a name or a call)."""
    found = _RUNS.get(model)
    if found is None:
        runs = []
        for node in model.index:  # every node the walk indexed, in source order
            if type(node) is cst.Call and type(node.func) in (cst.Call, cst.Name, cst.Attribute):
                run = run_at(node, model)
                if run is not None and run.tasks:
                    runs.append(run)
        found = _RUNS[model] = tuple(runs)
    return found


_PROCESS_ARGUMENTS: "weakref.WeakKeyDictionary[SemanticModel, tuple[cst.Arg, ...]]" = weakref.WeakKeyDictionary()


def process_task_arguments(model: "SemanticModel") -> tuple[cst.Arg, ...]:
    """The task arguments of the module's runs that may use worker processes (whose
    backend is not certainly threads), in source order; found once per model (a rule asks
    for each of its candidates)."""
    found = _PROCESS_ARGUMENTS.get(model)
    if found is None:
        found = _PROCESS_ARGUMENTS[model] = tuple(
            argument for run in module_runs(model) if thread_backend(run, model) is not True
            for _task, argument in run.task_arguments())
    return found


def run_of_task_argument(node: cst.CSTNode, model: "SemanticModel") -> ParallelRun | None:
    """The run whose `delayed(f)(...)` task receives `node` (or an expression holding it)
    as an argument, when the task is written inside the `Parallel(...)(...)` call."""
    task = None
    child = node
    for anc in model.ancestors(node):
        if task is None:
            if isinstance(anc, cst.Call) and is_delayed_task(anc, model) and any(a is child for a in anc.args):
                task = anc
        elif isinstance(anc, cst.Call):
            run = parallel_run(anc, model)
            if run is not None and any(t is task for t in run.tasks):
                return run
        if isinstance(anc, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            return None
        child = anc
    return None


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
    for ctx, q in context_calls(run.call, model):
        if q in BACKEND_CONTEXTS:
            value = arg_value(ctx, name, _POSITIONS[q].get(name))
            if value is not None:
                return value
    return None


def runs_in_parent(run: ParallelRun, model: "SemanticModel") -> bool:
    """`n_jobs=1`: joblib runs the tasks one after the other in the calling process,
    without pickling anything."""
    return literal(setting(run, model, "n_jobs"), None) == 1
