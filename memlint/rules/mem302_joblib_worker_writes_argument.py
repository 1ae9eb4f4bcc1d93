from __future__ import annotations

import functools
import re

import libcst as cst

from memlint.analysis import reach
from memlint.analysis.calls import arg_value, literal, sole_binding, with_value
from memlint.analysis.parallel import ParallelRun, run_at, runs_in_parent, thread_backend
from memlint.analysis.writes import Write, parameter_writes
from memlint.engine import shapes
from memlint.engine.rule import Invalid, Rule, Valid

# The shape, as text: `delayed(f)` where `f` is imported, or defined here with a body
# that writes into one of its parameters through a subscript, a mutating method, `out=`
# or numpy's in-place helpers.
_DELAYED = re.compile(rb"delayed\(\s*([A-Za-z_]\w*)\s*\)")
# The names written into: `x[...] = v` (or an in-place operator), `x.sort()` (also
# `x[...].sort()`), `out=x`, `np.random.shuffle(x)`. A subscript is read up to 200
# characters: an unbounded one would scan a long generated line once per name on it.
_WRITTEN = re.compile(
    rb"\b([A-Za-z_]\w*)\s*\[[^\n]{0,200}?\]\s*(?:[-+*/%|&^@]|\*\*|//|<<|>>)?=(?!=)"
    rb"|\b([A-Za-z_]\w*)(?:\[[^\n]{0,200}?\])?\.(?:sort|fill|resize|put|itemset|partition|append|extend|insert"
    rb"|update|add|pop|remove|clear|setdefault|popitem|discard)\("
    rb"|\bout\s*=\s*([A-Za-z_]\w*)"
    rb"|\b(?:shuffle|copyto|place|putmask|fill_diagonal|put_along_axis)\(\s*([A-Za-z_]\w*)"
)


@functools.lru_cache(maxsize=4)
def _looks_written(data: bytes) -> bool:
    """`delayed(f)` where `f` is imported from the project, or defined here with a body
    that writes into one of its parameters."""
    return bool(_writing_workers(data))


@functools.lru_cache(maxsize=4)
def _writing_workers(data: bytes) -> frozenset[bytes]:
    """The `f` of the file's `delayed(f)` calls that may write into an argument."""
    workers = {m.group(1) for m in _DELAYED.finditer(data)}
    if not workers:
        return frozenset()
    defined = set()
    found = set()
    for m in (m for name in sorted(workers) for m in shapes.defs_of(data, name)):
        defined.add(m.group(2))
        written = {next(g for g in w.groups() if g) for w in _WRITTEN.finditer(shapes.def_body(data, m))}
        if set(_parameters(m.group(3))) & written:
            found.add(m.group(2))
    found.update(name for name in workers - defined if shapes.imported_from_project(data, name))
    return frozenset(found)


@functools.lru_cache(maxsize=4)
def _hands_out_a_writer(data: bytes):
    """The shape's test for one def: it hands such an `f` to `delayed`."""
    writers = _writing_workers(data)
    return lambda code: any(m.group(1) in writers
                            for m in _DELAYED.finditer(code.encode("utf-8", "surrogatepass")))


def _parameters(signature: bytes) -> list[bytes]:
    names = []
    for part in signature.split(b","):
        m = re.match(rb"\s*\**\s*([A-Za-z_]\w*)", part)
        if m and m.group(1) not in (b"self", b"cls"):
            names.append(m.group(1))
    return names


# Objects whose writes reach the parent from another process: multiprocessing's shared
# values and arrays, and the proxies a Manager hands out.
_SHARED = frozenset({
    "multiprocessing.Array", "multiprocessing.Value", "multiprocessing.RawArray",
    "multiprocessing.RawValue", "multiprocessing.sharedctypes.Array",
    "multiprocessing.sharedctypes.Value", "multiprocessing.sharedctypes.RawArray",
    "multiprocessing.shared_memory.ShareableList", "multiprocessing.shared_memory.SharedMemory",
})
_MANAGERS = frozenset({"multiprocessing.Manager", "multiprocessing.managers.SyncManager"})
# Memmaps a worker may write to: the file is shared, the writes reach the parent.
_WRITABLE_MODES = ("w+", "r+", "readwrite", "write")
_MEMMAP_MODE = {"numpy.memmap": 2, "numpy.lib.format.open_memmap": 1, "numpy.load": None}


class JoblibWorkerWritesArgument(Rule):
    """
    ## What it does
    Finds a function run by joblib's `Parallel` with worker processes (the default loky
    backend, `"multiprocessing"`) that writes into an array or container it receives as an
    argument: an item or slice assigned (`out[i] = v`, `out[mask] += 1`), a mutating method
    (`.sort()`, `.fill()`, `.append()`), `out=param`, or `np.random.shuffle(param)`; and
    does not return it.

    ## Why is this bad?
    Each worker process receives its own copy of the argument (pickled), or, for an array
    larger than `max_nbytes` (1 MB by default), a read-only memory map of a copy. The write
    never reaches the parent's array. Measured on joblib 1.6.0 with two workers writing
    `out[i] = i + 1`: with an 8 KB array the writes are lost without a word; with an 8 MB
    array the workers raise "assignment destination is read-only". So a test with small
    data passes while the parent's array stays as it was. Threads (`prefer="threads"`,
    `require="sharedmem"`) share the array and see the writes.

    ## Example
    ```python
    import numpy as np
    from joblib import Parallel, delayed

    def fill_row(out, i):
        out[i] = np.arange(100) * i

    out = np.zeros((64, 100))
    Parallel(n_jobs=4)(delayed(fill_row)(out, i) for i in range(64))
    ```

    ## Use instead
    ```python
    import numpy as np
    from joblib import Parallel, delayed

    def row(i):
        return np.arange(100) * i

    out = np.stack(Parallel(n_jobs=4)(delayed(row)(i) for i in range(64)))
    ```
    Return the values and assemble them in the parent, or, as joblib's documentation shows,
    preallocate the output as a memory map opened for writing in the parent
    (`np.memmap(path, dtype=..., shape=..., mode="w+")`) and pass that: the workers then
    write into the same file. `prefer="threads"` also works when the function releases the
    GIL (numpy does).

    ## Fix safety
    No fix: the function and its caller must be restructured.

    Not reported: thread backends, `n_jobs=1`, a parameter bound to a copy before the
    write (`out = out.copy()`), a function that returns what it wrote, and an argument
    that is a memmap opened with `mode="w+"` or `"r+"` in the parent (the documented
    pattern), a `multiprocessing.Manager()` proxy, or a shared `Array`/`Value`. An argument
    memlint cannot trace to an array or container the parent built says "may". Only a
    worker function defined in the same module, or imported by name, is looked at.

    ## Affected versions
    Every joblib version.

    ## References
    - [joblib: writing parallel computation results in shared memory](https://joblib.readthedocs.io/en/stable/auto_examples/parallel_memmap.html)
    - [scikit-learn #5956: "assignment destination is read-only" in joblib workers](https://github.com/scikit-learn/scikit-learn/issues/5956)
    - [MDAnalysis #2060: results written by workers are lost](https://github.com/MDAnalysis/mdanalysis/issues/2060)
    """

    code = "MEM302"
    name = "joblib-worker-writes-argument"
    summary = "A joblib worker process writes into an argument: the parent never sees the write"
    libraries = ("joblib",)
    triggers = ((b"Parallel", b"delayed"),)
    name_triggers = frozenset({b"Parallel", b"delayed"})
    shape_filter = staticmethod(_looks_written)
    unit_shape = staticmethod(_hands_out_a_writer)

    valid = (
        Valid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            def fill_row(out, i):
                out[i] = i
            out = np.zeros((64, 100))
            Parallel(n_jobs=4, prefer="threads")(delayed(fill_row)(out, i) for i in range(64))
            Parallel(n_jobs=4, require="sharedmem")(delayed(fill_row)(out, i) for i in range(64))
            Parallel(n_jobs=1)(delayed(fill_row)(out, i) for i in range(64))
            """,
            note="threads share the array; n_jobs=1 runs in the parent",
        ),
        Valid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            def fill_row(out, i):
                out[i] = i
            out = np.memmap("out.dat", dtype="f8", shape=(64, 100), mode="w+")
            Parallel(n_jobs=4)(delayed(fill_row)(out, i) for i in range(64))
            """,
            note="joblib's documented pattern: a memmap opened for writing in the parent",
        ),
        Valid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            def normalized(block):
                block = block.copy()
                block -= block.mean()
                block[block < 0] = 0
                return block
            def shuffled(deck):
                np.random.shuffle(deck)
                return deck
            parts = Parallel(n_jobs=4)(delayed(normalized)(b) for b in blocks)
            decks = Parallel(n_jobs=4)(delayed(shuffled)(d) for d in decks)
            """,
            note="a copy is written; what is written is returned",
        ),
        Valid(
            """
            import multiprocessing as mp
            from joblib import Parallel, delayed
            def mark(status, i):
                status[i] = "done"
            manager = mp.Manager()
            status = manager.dict()
            counts = mp.Array("i", 8)
            Parallel(n_jobs=4)(delayed(mark)(status, i) for i in range(8))
            Parallel(n_jobs=4)(delayed(mark)(counts, i) for i in range(8))
            """,
            note="a Manager's proxy and a shared Array: the writes reach the parent",
        ),
    )
    invalid = (
        Invalid(
            """
            import numpy as np
            from joblib import Parallel, delayed

            def fill_row(out, i):
                out[i] = np.arange(100) * i

            out = np.zeros((64, 100))
            Parallel(n_jobs=4)(delayed(fill_row)(out, i) for i in range(64))
            """,
            lines=[8],
            message="never reaches the parent",
        ),
        Invalid(
            """
            from joblib import Parallel, delayed

            def collect(results, path):
                results.append(len(open(path).read()))

            def sort_rows(data, lo, hi):
                data[lo:hi].sort(axis=1)

            results = []
            Parallel(n_jobs=-1, backend="loky")(delayed(collect)(results, p) for p in paths)
            Parallel(n_jobs=2)(delayed(sort_rows)(table, i, i + 10) for i in range(0, 100, 10))
            """,
            lines=[10, 11],
        ),
        Invalid(
            """
            import numpy as np
            from joblib import Parallel, delayed

            def accumulate(total, x):
                np.add(total, x, out=total)

            total = np.zeros(1000)
            Parallel(n_jobs=4, backend=backend)(delayed(accumulate)(total, x) for x in xs)
            """,
            lines=[8],
            message="may",
            note="a backend we cannot read: it may use processes",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        model = self.ctx.model
        run = run_at(node, model)
        if run is None or not run.tasks or runs_in_parent(run, model):
            return
        threads = thread_backend(run, model)
        if threads is True:
            return
        for task in run.tasks:
            self._check_task(run, task, sure=threads is False)

    def _check_task(self, run: ParallelRun, task: cst.Call, sure: bool) -> None:
        located = self._function(task)
        if located is None:
            return
        where, func = located
        writes = parameter_writes(func, where)
        if not writes:
            return
        params = _positional_params(func)
        for write in writes:
            given = _argument_for(task, write.parameter, params)
            if given is None or self._shared(given):
                continue
            plain = _plain(given, self.ctx.model)
            self._report(run, func, where, write, given, sure and write.certain and plain)

    def _function(self, task: cst.Call) -> tuple | None:
        """The def a `delayed(f)(...)` task runs (in a model holding it whole)."""
        model = self.ctx.model
        wrapper = task.func
        if not isinstance(wrapper, cst.Call) or not wrapper.args:
            return None  # `task(...)` after `task = delayed(f)`: not followed
        f = wrapper.args[0].value
        if not isinstance(f, (cst.Name, cst.Attribute)):
            return None
        found = reach.definition(f, model)
        if found is None or not isinstance(found[1], cst.FunctionDef):
            return None
        return found

    def _shared(self, expr: cst.BaseExpression) -> bool:
        """Whether the argument may be an object the workers share with the parent: a
        memmap opened for writing (the documented pattern), a multiprocessing shared
        value or array, a Manager's proxy, an array over shared memory."""
        model = self.ctx.model
        for origin in model.origins(expr, across=True):
            value = origin.expr
            where = origin.model or model
            if not isinstance(value, cst.Call):
                continue
            q = where.qualified_name(value.func)
            if q in _SHARED or (q == "numpy.ndarray" and arg_value(value, "buffer", 2) is not None):
                return True
            if isinstance(value.func, cst.Attribute) and q is None and _is_manager(value.func.value, where):
                return True  # `manager.dict()`, `manager.list()`, ...
            if q in _MEMMAP_MODE:
                keyword = "mmap_mode" if q == "numpy.load" else "mode"
                position = 1 if q == "numpy.load" else _MEMMAP_MODE[q]
                if literal(arg_value(value, keyword, position), None) in _WRITABLE_MODES:
                    return True
        return False

    def _report(self, run, func, where, write: Write, given: cst.BaseExpression, certain: bool) -> None:
        name = func.name.value
        how = " ".join(where.module.code_for_node(write.node).split())
        how = how if len(how) <= 50 else how[:47] + "..."
        verb = "writes" if certain else "may write"
        message = (
            f"`{name}` {verb} into its parameter `{write.parameter}` (`{how}`), which is "
            f"this argument: joblib's worker processes each get a copy (above `max_nbytes`, a "
            "read-only memory map), so the write never reaches the parent's object; small "
            "arrays lose it silently, large ones raise \"assignment destination is "
            "read-only\". Return the values and assemble them in the parent, or pass a "
            "`np.memmap(path, mode=\"w+\")` opened in the parent."
        )
        self.report(given, message)


def _is_manager(expr: cst.BaseExpression, model) -> bool:
    """`multiprocessing.Manager()` (also through a re-export: `helpers.mp.Manager()`), or a
    name bound to one (also by `with ... as m`)."""
    if isinstance(expr, cst.Call):
        q = model.qualified_name(expr.func) or ""
        spelled = expr.func.attr.value if isinstance(expr.func, cst.Attribute) else getattr(expr.func, "value", "")
        return q in _MANAGERS or q.endswith(".Manager") or spelled == "Manager"
    if isinstance(expr, cst.Name):
        b = sole_binding(expr, model)
        if b is not None and b.kind == "with":
            value = with_value(b)
            return value is not None and _is_manager(value, model)
        return any(isinstance(o.expr, cst.Call) and _is_manager(o.expr, model) for o in model.origins(expr))
    return False


def _plain(expr: cst.BaseExpression, model) -> bool:
    """Whether the argument is, on every path, an object the parent built for itself: a
    list, dict or set (`[]`, a comprehension), or an array or frame numpy or pandas made."""
    kinds = (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.DictComp, cst.SetComp)
    origins = model.origins(expr, across=True)
    if not origins:
        return False
    for o in origins:
        if isinstance(o.expr, kinds):
            continue
        q = (o.model or model).qualified_name(o.expr.func) if isinstance(o.expr, cst.Call) else None
        if q is None or not q.startswith(("numpy.", "pandas.")) or q in _MEMMAP_MODE:
            return False
    return True


def _positional_params(func: cst.FunctionDef) -> list[str]:
    return [p.name.value for p in (*func.params.posonly_params, *func.params.params)]


def _argument_for(task: cst.Call, parameter: str, params: list[str]) -> cst.BaseExpression | None:
    """The expression the task passes for `parameter` (None when `*args` may hold it)."""
    index = 0
    for a in task.args:
        if a.star:
            return None
        if a.keyword is not None:
            if a.keyword.value == parameter:
                return a.value
            continue
        if index < len(params) and params[index] == parameter:
            return a.value
        index += 1
    return None
