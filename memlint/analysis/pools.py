"""Process and thread pools of the standard library: `multiprocessing.Pool`, its contexts'
`Pool`s, `concurrent.futures` executors, the calls that hand them work, and the start
method their worker processes use.

A pool is a constructor call (`Pool(4)`, `mp.get_context("spawn").Pool()`,
`ProcessPoolExecutor(mp_context=ctx)`), a name bound to one, or the `as` name of `with
Pool() as pool` (a pool's `__enter__` returns the pool). `pool_call(call)` reads a call of
one of its methods (`pool.map(f, items)`, `ex.submit(f, x)`) into a `PoolCall`.

The start method is what the code says: the context a pool is made from
(`get_context("fork")`, `mp_context=`), else a module-level
`multiprocessing.set_start_method(...)`; None when it says nothing (the platform's and
Python's default: fork on Linux before Python 3.14, forkserver from 3.14, spawn on macOS
and Windows).

A process is `multiprocessing.Process(target=f, args=(...))` or a context's `Process`
(`process_start(call)`). Under fork the child inherits its target and arguments; under
spawn and forkserver both are pickled, and the child imports the main module afresh (as
`__mp_main__`: an `if __name__ == "__main__":` block does not run there). A pool pickles
the function and the arguments of every task, whatever the start method.

`sent_values(pool_call)` are the values a pool call pickles into its tasks (a `submit`'s
arguments, the items of `[x] * n` or of a comprehension `map` is given, what a
`functools.partial` carries); `workers(model)` every def of the module handed to a
process pool or a `Process`; `parent_only(model)` the code such a worker, started afresh,
does not run (the `__main__` block and the defs only it calls).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from memlint.analysis.calls import arg_value, is_builtin, literal, sole_binding, with_value

if TYPE_CHECKING:  # pragma: no cover
    from memlint.analysis.model import SemanticModel

PROCESS = "process"
THREAD = "thread"
MULTIPROCESSING = "multiprocessing"
FUTURES = "concurrent.futures"

# Constructor -> (kind, api).
_CONSTRUCTORS = {
    "multiprocessing.Pool": (PROCESS, MULTIPROCESSING),
    "multiprocessing.pool.Pool": (PROCESS, MULTIPROCESSING),
    "multiprocessing.pool.ThreadPool": (THREAD, MULTIPROCESSING),
    "multiprocessing.dummy.Pool": (THREAD, MULTIPROCESSING),
    "concurrent.futures.ProcessPoolExecutor": (PROCESS, FUTURES),
    "concurrent.futures.process.ProcessPoolExecutor": (PROCESS, FUTURES),
    "concurrent.futures.ThreadPoolExecutor": (THREAD, FUTURES),
    "concurrent.futures.thread.ThreadPoolExecutor": (THREAD, FUTURES),
}
_CONTEXTS = ("multiprocessing.get_context", "multiprocessing.context.get_context")
_SET_START = ("multiprocessing.set_start_method", "multiprocessing.context.set_start_method",
              "torch.multiprocessing.set_start_method")
START_METHODS = ("fork", "spawn", "forkserver")

# The methods that take the whole iterable before they hand out a task, by API.
EAGER_MAPS = {
    MULTIPROCESSING: frozenset({"map", "starmap", "map_async", "starmap_async"}),
    FUTURES: frozenset({"map"}),
}
LAZY_MAPS = frozenset({"imap", "imap_unordered"})
SUBMITS = frozenset({"submit", "apply_async", "apply"})
# Every method of a pool that hands out tasks (Executor.map is one of multiprocessing's names).
_TASK_METHODS = EAGER_MAPS[MULTIPROCESSING] | LAZY_MAPS | SUBMITS
_PROCESSES = ("multiprocessing.Process", "multiprocessing.context.Process",
              "multiprocessing.process.BaseProcess")


@dataclass(frozen=True)
class Pool:
    constructor: cst.Call
    kind: str  # PROCESS or THREAD
    api: str  # MULTIPROCESSING or FUTURES
    start_method: str | None  # as the code says, else None


@dataclass(frozen=True)
class PoolCall:
    call: cst.Call
    pool: Pool
    method: str
    function: cst.BaseExpression | None  # what the workers run
    iterables: tuple[cst.BaseExpression, ...]  # map's iterables, in order


@dataclass(frozen=True)
class ProcessStart:
    """`Process(target=f, args=(a, b), kwargs={...})`: `arguments` are the items of literal
    `args` and `kwargs`."""

    call: cst.Call
    target: cst.BaseExpression | None
    arguments: tuple[cst.BaseExpression, ...]
    start_method: str | None


def pool_of(expr: cst.BaseExpression, model: "SemanticModel", depth: int = 0) -> Pool | None:
    """The pool `expr` is: a constructor call, or a name bound (once) to one or made by
    `with <constructor> as name`."""
    if depth > 4:
        return None
    if isinstance(expr, cst.Call):
        return _constructed(expr, model)
    if isinstance(expr, cst.Name):
        b = sole_binding(expr, model)
        if b is None:
            return None
        if b.kind == "with":
            value = with_value(b)
            return pool_of(value, model, depth + 1) if value is not None else None
        if b.kind in ("assign", "annassign") and b.value is not None:
            return pool_of(b.value, model, depth + 1)
    return None


def pool_call(call: cst.Call, model: "SemanticModel") -> PoolCall | None:
    """`call` read as a call of a pool's method, or None."""
    func = call.func
    if not isinstance(func, cst.Attribute):
        return None
    method = func.attr.value
    if method not in _TASK_METHODS:
        return None
    pool = pool_of(func.value, model)
    if pool is None:
        return None
    positional = [a for a in call.args if a.keyword is None]
    if any(a.star for a in positional):
        return PoolCall(call, pool, method, None, ())
    function = arg_value(call, "func" if pool.api == MULTIPROCESSING else "fn", 0)
    if method in SUBMITS:
        return PoolCall(call, pool, method, function, ())
    if pool.api == FUTURES:
        iterables = tuple(a.value for a in positional[1:])
    else:
        iterable = arg_value(call, "iterable", 1)
        iterables = (iterable,) if iterable is not None else ()
    return PoolCall(call, pool, method, function, iterables)


@dataclass(frozen=True)
class Sent:
    """A value a pool call pickles into its tasks. `how`: "argument" (of a `submit` or
    `apply_async`), "times" (`[x] * n`), "repeat" (`itertools.repeat(x)`), "comprehension"
    (an item, or an item of the tuples, a comprehension builds), "item" (of a literal list
    or tuple) or "partial" (bound by `functools.partial` into the function). `position`
    (or `keyword`) is the worker's parameter it lands in, when known."""

    value: cst.BaseExpression
    how: str
    position: int | None = None
    keyword: str | None = None


def sent_values(found: PoolCall, model: "SemanticModel") -> list[Sent]:
    """What a process pool call sends to its workers, item by item where the items are
    written in the call (or in the one assignment of a name it is given)."""
    out = _partial_arguments(found.function, model)
    shift = sum(1 for s in out if s.keyword is None)
    if found.method in SUBMITS:
        return out + [_shifted(s, shift) for s in _submitted(found)]
    star = found.method.startswith("starmap")
    for j, iterable in enumerate(found.iterables):
        base = shift + (j if found.pool.api == FUTURES else 0)
        out += _items_of(iterable, model, base, star)
    return out


def _shifted(sent: Sent, shift: int) -> Sent:
    return sent if sent.position is None or not shift else Sent(sent.value, sent.how, sent.position + shift, sent.keyword)


def _submitted(found: PoolCall) -> list[Sent]:
    call = found.call
    if found.method not in SUBMITS:
        return []
    if found.pool.api == FUTURES:
        positional = [a for a in call.args if a.keyword is None and not a.star]
        keywords = [a for a in call.args if a.keyword is not None and a.keyword.value != "fn"]
        return ([Sent(a.value, "argument", i) for i, a in enumerate(positional[1:])]
                + [Sent(a.value, "argument", None, a.keyword.value) for a in keywords])
    args = arg_value(call, "args", 1)
    out = [Sent(v, "argument", i) for i, v in enumerate(_items(args))]
    kwds = arg_value(call, "kwds", 2)
    if isinstance(kwds, cst.Dict):
        for e in kwds.elements:
            if isinstance(e, cst.DictElement):
                out.append(Sent(e.value, "argument", None, literal(e.key, None)))
    return out


def _items_of(iterable: cst.BaseExpression, model: "SemanticModel", base: int, star: bool,
              depth: int = 0) -> list[Sent]:
    """The values an iterable written in the code hands to task after task: `[x] * n`,
    `repeat(x)`, the items of a comprehension or a literal, through `zip` and a name; for
    `starmap`, the items of each tuple, at their positions."""
    if depth > 3:
        return []
    if isinstance(iterable, cst.Name):
        b = sole_binding(iterable, model)
        if b is not None and b.kind in ("assign", "annassign") and b.value is not None:
            return _items_of(b.value, model, base, star, depth + 1)
        return []
    if isinstance(iterable, cst.BinaryOperation) and isinstance(iterable.operator, cst.Multiply):
        for side in (iterable.left, iterable.right):
            if isinstance(side, (cst.List, cst.Tuple)) and len(side.elements) == 1:
                return _each(side.elements[0].value, "times", base, star)
        return []
    if isinstance(iterable, (cst.ListComp, cst.GeneratorExp)):
        return _each(iterable.elt, "comprehension", base, star)
    if isinstance(iterable, (cst.List, cst.Tuple)):
        return [s for e in iterable.elements if isinstance(e, cst.Element)
                for s in _each(e.value, "item", base, star)]
    if isinstance(iterable, cst.Call):
        q = model.qualified_name(iterable.func)
        if q == "itertools.repeat":
            value = arg_value(iterable, "object", 0)
            return _each(value, "repeat", base, star) if value is not None else []
        if is_builtin(iterable.func, "zip", model):
            # zip's k-th iterable gives the k-th item of each tuple starmap unpacks.
            out: list[Sent] = []
            for k, a in enumerate(x for x in iterable.args if x.keyword is None and not x.star):
                out += _items_of(a.value, model, base + k if star else base, False, depth + 1)
            return out if star else [Sent(s.value, s.how, None) for s in out]
    return []


def _each(item: cst.BaseExpression, how: str, base: int, star: bool) -> list[Sent]:
    if star and isinstance(item, cst.Tuple):
        return [Sent(e.value, how, base + k) for k, e in enumerate(item.elements)
                if isinstance(e, cst.Element)]
    return [Sent(item, how, None if star else base)]


def _partial_arguments(function: cst.BaseExpression | None, model: "SemanticModel", depth: int = 0) -> list[Sent]:
    """The arguments a `functools.partial(f, ...)` function carries (pickled with it),
    through a name bound once."""
    if isinstance(function, cst.Name) and depth < 3:
        b = sole_binding(function, model)
        if b is not None and b.kind in ("assign", "annassign") and b.value is not None:
            return _partial_arguments(b.value, model, depth + 1)
        return []
    if not isinstance(function, cst.Call) or model.qualified_name(function.func) != "functools.partial":
        return []
    out = []
    positional = [a for a in function.args[1:] if not a.star and a.keyword is None]
    out += [Sent(a.value, "partial", i) for i, a in enumerate(positional)]
    out += [Sent(a.value, "partial", None, a.keyword.value) for a in function.args if a.keyword is not None]
    return out


def process_start(call: cst.Call, model: "SemanticModel") -> ProcessStart | None:
    """`call` read as the making of a `multiprocessing` process, or None."""
    func = call.func
    if model.qualified_name(func) in _PROCESSES:
        method = module_start_method(model)
    elif isinstance(func, cst.Attribute) and func.attr.value == "Process":
        method = context_method(func.value, model)
        if method is _NOT_A_CONTEXT:
            return None
        method = method or module_start_method(model)
    else:
        return None
    arguments = _items(arg_value(call, "args", 2)) + _items(arg_value(call, "kwargs", 3))
    return ProcessStart(call, arg_value(call, "target", 1), tuple(arguments), method)


def _items(expr: cst.BaseExpression | None) -> list[cst.BaseExpression]:
    if isinstance(expr, (cst.Tuple, cst.List)):
        return [e.value for e in expr.elements if not isinstance(e, (cst.StarredElement,))]
    if isinstance(expr, cst.Dict):
        return [e.value for e in expr.elements if isinstance(e, cst.DictElement)]
    return []


@dataclass(frozen=True)
class WorkerUse:
    """A def handed to worker processes: the call that hands it over, and the start method
    the code names for them (None: the default)."""

    call: cst.Call
    start_method: str | None
    pool: bool  # a pool's task (False: a `Process` target)


def workers(model: "SemanticModel") -> "dict[cst.FunctionDef, list[WorkerUse]]":
    """The module's defs that worker processes run, by name: a process pool's task
    function (`pool.map(f, ...)`, `ex.submit(f, ...)`) or initializer, a `Process`
    target, with the calls that hand them over."""
    memo = _WORKERS.get(model)
    if memo is None:
        memo = _WORKERS[model] = _find_workers(model)
    return memo


def handings(model: "SemanticModel") -> "list[tuple[cst.BaseExpression, WorkerUse]]":
    """Every function expression the module hands to worker processes, with how."""
    memo = _HANDINGS.get(model)
    if memo is None:
        memo = _HANDINGS[model] = list(_find_handings(model))
    return memo


_WORKERS: "weakref.WeakKeyDictionary[SemanticModel, dict]" = weakref.WeakKeyDictionary()
_HANDINGS: "weakref.WeakKeyDictionary[SemanticModel, list]" = weakref.WeakKeyDictionary()


def _find_handings(model: "SemanticModel"):
    for node in model.index:  # every node the walk indexed, in source order
        if not isinstance(node, cst.Call):
            continue
        handed = handed_worker(node, model)
        if handed is not None:
            yield handed
        pool = _constructed(node, model)
        if pool is not None and pool.kind == PROCESS:
            init = arg_value(node, "initializer", 1 if pool.api == MULTIPROCESSING else 2)
            if init is not None and not (isinstance(init, cst.Name) and init.value == "None"):
                yield init, WorkerUse(node, pool.start_method, True)


def _find_workers(model: "SemanticModel") -> dict:
    out: dict = {}
    for function, use in handings(model):
        func = defined(function, model)
        if func is not None:
            out.setdefault(func, []).append(use)
    return out


def defined(function: cst.BaseExpression, model: "SemanticModel") -> cst.FunctionDef | None:
    """The def of this module a function name refers to (its one reaching binding)."""
    if not isinstance(function, cst.Name):
        return None
    b = sole_binding(function, model)
    if b is not None and b.kind == "def" and isinstance(b.stmt, cst.FunctionDef):
        return b.stmt
    return None


# The Python versions whose default start method on Linux is forkserver (cpython #84559).
FORKSERVER_DEFAULT = ">=3.14"
DEFAULT_FROM_314 = "the default start method of Python 3.14 and later, forkserver on Linux and spawn on macOS and Windows"


def fresh_start(methods, from_python_314: bool) -> str | None:
    """Why worker processes start afresh (they import the main module and get their
    function and arguments pickled) for these start methods, or None when each is fork.
    `from_python_314`: the project may run on Python 3.14 or later, whose default on
    Linux is forkserver (spawn on macOS and Windows)."""
    explicit = sorted({m for m in methods if m in ("spawn", "forkserver")})
    if explicit:
        return f"the {' and '.join(explicit)} start method"
    if None in methods and from_python_314:
        return DEFAULT_FROM_314
    return None


# -- what only the parent process runs -----------------------------------------------------------
def is_main_guard(stmt: cst.CSTNode) -> bool:
    """`if __name__ == "__main__":` (either way round)."""
    if not isinstance(stmt, cst.If) or not isinstance(stmt.test, cst.Comparison):
        return False
    test = stmt.test
    if len(test.comparisons) != 1 or not isinstance(test.comparisons[0].operator, cst.Equal):
        return False
    sides = (test.left, test.comparisons[0].comparator)
    names = [s for s in sides if isinstance(s, cst.Name) and s.value == "__name__"]
    texts = [literal(s, None) for s in sides]
    return len(names) == 1 and "__main__" in texts


def parent_only(model: "SemanticModel") -> "tuple[list[cst.If], set[cst.FunctionDef]]":
    """The code a worker process started afresh does not run: the module's `if __name__ ==
    "__main__":` blocks, and the module-level defs they call (and those call in turn),
    or that hand work to worker processes themselves; not the workers and the defs they
    call, nor a def the module calls at its top level."""
    memo = _PARENT.get(model)
    if memo is None:
        memo = _PARENT[model] = _parent_only(model)
    return memo


_PARENT: "weakref.WeakKeyDictionary[SemanticModel, tuple]" = weakref.WeakKeyDictionary()


def _parent_only(model: "SemanticModel"):
    guards = [stmt for stmt in model.module.body if is_main_guard(stmt)]
    top_defs = {stmt for stmt in model.module.body if isinstance(stmt, cst.FunctionDef)}
    run_by_workers = _called_from(set(workers(model)), model, top_defs)
    called_at_import = {d for stmt in model.module.body if not is_main_guard(stmt)
                        and not isinstance(stmt, (cst.FunctionDef, cst.ClassDef))
                        for d in _called_defs(stmt, model, top_defs)}
    found: set[cst.FunctionDef] = set()
    todo = [d for g in guards for d in _called_defs(g, model, top_defs)]
    todo += [model.enclosing(use.call, cst.FunctionDef) for _, use in handings(model)]
    while todo:
        func = todo.pop()
        if func is None or func not in top_defs or func in found:
            continue
        if func in run_by_workers or func in called_at_import:
            continue
        found.add(func)
        todo += _called_defs(func, model, top_defs)
    return guards, found


def _called_from(funcs: set, model: "SemanticModel", top_defs) -> set:
    """`funcs` and the module-level defs they call, transitively."""
    found = set(funcs)
    todo = list(funcs)
    while todo:
        for func in _called_defs(todo.pop(), model, top_defs):
            if func not in found:
                found.add(func)
                todo.append(func)
    return found


def _called_defs(node: cst.CSTNode, model: "SemanticModel", top_defs) -> list[cst.FunctionDef]:
    out = []
    for name in model.references_within(node):
        call = model.parent.get(name)
        if isinstance(call, cst.Call) and call.func is name:
            func = defined(name, model)
            if func in top_defs:
                out.append(func)
    return out


def in_parent_only(node: cst.CSTNode, model: "SemanticModel") -> bool:
    """Whether `node` is in code a freshly started worker does not run."""
    guards, funcs = parent_only(model)
    for anc in model.ancestors(node):
        if anc in funcs or any(anc is g for g in guards):
            return True
    return False


def handed_worker(call: cst.Call, model: "SemanticModel") -> "tuple[cst.BaseExpression, WorkerUse] | None":
    """(the function, how it is handed over) when `call` hands a function to worker
    processes: a process pool's `map`/`submit` family, or `Process(target=...)`. A
    `functools.partial(f, ...)` hands over `f`."""
    func = call.func
    if isinstance(func, cst.Attribute) and func.attr.value != "Process":
        found = pool_call(call, model)
        if found is None or found.pool.kind != PROCESS or found.function is None:
            return None
        function, use = found.function, WorkerUse(call, found.pool.start_method, True)
    else:
        started = process_start(call, model)
        if started is None or started.target is None:
            return None
        function, use = started.target, WorkerUse(call, started.start_method, False)
    if isinstance(function, cst.Call) and model.qualified_name(function.func) == "functools.partial":
        inner = arg_value(function, "func", 0)
        function = inner if inner is not None else function
    return function, use


def _constructed(call: cst.Call, model: "SemanticModel") -> Pool | None:
    func = call.func
    q = model.qualified_name(func)
    if q in _CONSTRUCTORS:
        kind, api = _CONSTRUCTORS[q]
        return Pool(call, kind, api, _start_method(call, api, model))
    # `get_context("spawn").Pool(...)`, or `ctx.Pool(...)` with `ctx = get_context(...)`.
    if isinstance(func, cst.Attribute) and func.attr.value in ("Pool", "ThreadPool"):
        method = context_method(func.value, model)
        if method is not _NOT_A_CONTEXT:
            kind = THREAD if func.attr.value == "ThreadPool" else PROCESS
            return Pool(call, kind, MULTIPROCESSING, method or module_start_method(model))
    return None


_NOT_A_CONTEXT = object()


def context_method(expr: cst.BaseExpression | None, model: "SemanticModel"):
    """The start method of a multiprocessing context expression (`get_context("fork")`,
    a name bound to one): the method, None when not literal, _NOT_A_CONTEXT when `expr`
    is no context."""
    if isinstance(expr, cst.Name):
        b = sole_binding(expr, model)
        if b is None or b.kind not in ("assign", "annassign") or b.value is None:
            return _NOT_A_CONTEXT
        expr = b.value
    if not isinstance(expr, cst.Call) or model.qualified_name(expr.func) not in _CONTEXTS:
        return _NOT_A_CONTEXT
    value = literal(arg_value(expr, "method", 0), None)
    return value if value in START_METHODS else None


def _start_method(call: cst.Call, api: str, model: "SemanticModel") -> str | None:
    if api == FUTURES:
        ctx = arg_value(call, "mp_context")
        if ctx is not None:
            method = context_method(ctx, model)
            return method if method is not _NOT_A_CONTEXT else None
    return module_start_method(model)


def module_start_method(model: "SemanticModel") -> str | None:
    """The method a `multiprocessing.set_start_method("...")` statement of the module sets
    (at its top level, or in a block or function there: `if __name__ == "__main__":`,
    `main()`)."""
    if model not in _STARTS:
        _STARTS[model] = next(_set_start_methods(model.module.body, model), None)
    return _STARTS[model]


_STARTS: "weakref.WeakKeyDictionary[SemanticModel, str | None]" = weakref.WeakKeyDictionary()


def _set_start_methods(body, model: "SemanticModel", depth: int = 0):
    if depth > 4:
        return
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                call = small.value if isinstance(small, cst.Expr) else None
                if isinstance(call, cst.Call) and model.qualified_name(call.func) in _SET_START:
                    value = literal(arg_value(call, "method", 0), None)
                    if value in START_METHODS:
                        yield value
        elif isinstance(stmt, (cst.If, cst.With, cst.Try, cst.FunctionDef)):
            inner = stmt.body.body if isinstance(stmt.body, cst.IndentedBlock) else ()
            yield from _set_start_methods(inner, model, depth + 1)
