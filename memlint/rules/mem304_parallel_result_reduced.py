from __future__ import annotations

import functools
import re

import libcst as cst

from memlint.analysis import parallel
from memlint.analysis.calls import arg_value, keyword_edit, literal, sole_binding
from memlint.engine.rule import FixSpec, Invalid, Replace, Rule, Valid

# `Parallel(return_as="generator")` from joblib 1.3.0; "generator_unordered" from 1.4.0.
GENERATOR = ">=1.3.0"
UNORDERED = ">=1.4.0"
# Reductions that take any iterable, so a generator gives the same result.
_ITERABLE_REDUCTIONS = {
    "builtins.sum": "sum", "builtins.min": "min", "builtins.max": "max",
    "functools.reduce": "functools.reduce",
}
# numpy's reductions stack a list first: a generator is no drop-in there.
_NUMPY_REDUCTIONS = {
    "numpy.sum", "numpy.mean", "numpy.nansum", "numpy.nanmean", "numpy.prod", "numpy.add.reduce",
    "numpy.stack", "numpy.concatenate", "numpy.vstack", "numpy.hstack",
}
_BUILTINS = ("sum", "min", "max")

# The shapes of a reduced result, as text: `sum(Parallel(`, `for r in Parallel(`, and a
# name bound to a run (`out = Parallel(...)(...)`, `with Parallel() as par:`) reduced
# later in the same def, and used nowhere else there.
_REDUCER = (rb"(?:\breduce\(\s*[\w.]+\s*,\s*"  # reduce(f, items): the items come second
            rb"|\b(?:sum|min|max|mean|nanmean|nansum|prod|concatenate|[vh]?stack)\(\s*)")
_DIRECT = re.compile(_REDUCER + rb"Parallel\(|\bfor\s+\w+\s+in\s+Parallel\(")
_BOUND_NAME = re.compile(rb"\b(\w+)\s*=\s*Parallel\(")
_BOUND_WITH = re.compile(rb"Parallel\([^\n]*\)\s+as\s+(\w+)\s*:")
# How far before a `Parallel(` the reduction or the name bound to it is looked for: the
# patterns ending at `Parallel(` have no literal start the regex engine can skip to, and
# searched over a whole file cost more than the rest of the filter.
_REACH = 2000
# What is reduced or looped over: a name (group 1) or a call of a name (group 2).
_REDUCED = re.compile(
    _REDUCER + rb"([A-Za-z_]\w*)\b(\s*\()?|^[ \t]*for[ \t]+\w+[ \t]+in[ \t]+([A-Za-z_]\w*)\b(\s*\()?", re.M
)
_ASSIGNED_CALL = re.compile(rb"\b([A-Za-z_]\w*)\s*=\s*([A-Za-z_]\w*)\(")
_WORD = re.compile(rb"\w+")
_SPAN = 5000


@functools.lru_cache(maxsize=4)
def _looks_reduced(data: bytes) -> bool:
    return _reduced_here(data)


@functools.lru_cache(maxsize=4)
def _reduced_in_def(data: bytes):
    """The shape's test for one def of the file (the shape never spans two)."""
    return lambda code: _reduced_here(code.encode("utf-8", "surrogatepass"))


def _reduced_here(data: bytes) -> bool:
    if next(_ending_at_a_run(_DIRECT, data), None) is not None:
        return True
    for m in _ending_at_a_run(_BOUND_NAME, data):
        # `out = Parallel(...)(...)`: `out` reduced, and used nowhere else
        later = _rest_of_function(data, m.start(), m.end())
        names, _ = _reduced(later)
        if m.group(1) in names and _WORD.findall(later).count(m.group(1)) == 1:
            return True
    for m in _BOUND_WITH.finditer(data):
        # `with Parallel() as par:`: `par(...)` reduced, or bound then reduced
        later = _rest_of_function(data, m.start(), m.end())
        names, calls = _reduced(later)
        run = m.group(1)
        if run in calls:
            return True
        if any(a.group(2) == run and a.group(1) in names for a in _ASSIGNED_CALL.finditer(later)):
            return True
    return False


def _ending_at_a_run(pattern: "re.Pattern[bytes]", data: bytes):
    """The matches of `pattern`, which ends at `Parallel(`, each found in the _REACH
    bytes before a `Parallel(` (once, however many windows hold it)."""
    seen: set[int] = set()
    at = data.find(b"Parallel(")
    while at >= 0:
        for m in pattern.finditer(data, max(0, at - _REACH), at + 9):
            if m.start() not in seen:
                seen.add(m.start())
                yield m
        at = data.find(b"Parallel(", at + 9)


def _reduced(text: bytes) -> tuple[set[bytes], set[bytes]]:
    """(the names, the callees) reduced or looped over in `text`."""
    names: set[bytes] = set()
    calls: set[bytes] = set()
    for m in _REDUCED.finditer(text):
        name, call = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        (calls if call else names).add(name)
    return names, calls


def _rest_of_function(data: bytes, start: int, end: int) -> bytes:
    """The text after a binding up to the end of the def holding it (the next def, class or
    decorator indented less than the binding), at most _SPAN characters."""
    line = data.rfind(b"\n", 0, start) + 1
    indent = len(data[line:start]) - len(data[line:start].lstrip(b" \t"))
    limit = data[end:end + _SPAN]
    if indent == 0:
        return limit
    found = _outdented(min(indent, 40) - 1).search(limit)
    return limit[:found.start()] if found else limit


@functools.lru_cache(maxsize=None)
def _outdented(most: int) -> "re.Pattern[bytes]":
    """A def, class or decorator indented by at most `most` characters."""
    return re.compile(rb"\n[ \t]{0,%d}(?:async[ \t]+)?(?:def|class|@)" % most)


class ParallelResultReduced(Rule):
    """
    ## What it does
    Finds the list joblib's `Parallel(...)(...)` returns reduced straight away: passed to
    `sum`, `min`, `max`, `functools.reduce` or a numpy reduction (`np.sum`, `np.mean`,
    `np.concatenate`, ...), or iterated by a `for` loop that accumulates (`total += r`),
    directly or through a name used for nothing else, on joblib 1.3.0 and later.

    ## Why is this bad?
    By default `Parallel` gathers every task's result into a list before it returns, so
    the parent holds all of them at once, only to fold them into one value. From joblib
    1.3.0, `return_as="generator"` yields each result as soon as it (and those before it)
    are done, and the reduction consumes them one at a time: joblib's documentation says
    this "enables reducing the memory footprint". Measured on joblib 1.6.0 with 40 tasks
    each returning 40 MB, summed: a 1641 MB parent peak with the list, 230 MB with the
    generator.

    ## Example
    ```python
    import numpy as np
    from joblib import Parallel, delayed

    def histogram(path):
        return np.histogram(np.load(path), bins=1000)[0]

    total = sum(Parallel(n_jobs=8)(delayed(histogram)(p) for p in paths))
    ```

    ## Use instead
    ```python
    import numpy as np
    from joblib import Parallel, delayed

    def histogram(path):
        return np.histogram(np.load(path), bins=1000)[0]

    total = sum(Parallel(n_jobs=8, return_as="generator")(delayed(histogram)(p) for p in paths))
    ```
    When the reduction does not depend on the order (integer sums, `max`),
    `return_as="generator_unordered"` (joblib 1.4.0) yields results as they finish. A
    numpy reduction stacks the list first: reduce the generator with `sum`,
    `functools.reduce(np.add, ...)` or a loop instead.

    ## Fix safety
    The fix adds `return_as="generator"` (or replaces `return_as="list"`) for `sum`, `min`,
    `max`, `functools.reduce` and accumulating loops; it is safe: the results arrive in
    the same order, so even a floating-point sum is the same to the last bit. It is not
    offered for numpy reductions (a generator is no array), nor below joblib 1.3.0.

    ## Affected versions
    joblib 1.3.0 and later have `return_as="generator"` (and 1.4.0 `"generator_unordered"`);
    older versions have no lazy results and are not reported.

    ## References
    - [joblib: Parallel's return_as](https://joblib.readthedocs.io/en/stable/generated/joblib.Parallel.html)
    - [joblib: returning a generator in parallel calls](https://joblib.readthedocs.io/en/stable/auto_examples/parallel_generator.html)
    """

    code = "MEM304"
    name = "parallel-result-reduced"
    summary = "A joblib `Parallel` result list is reduced at once: every result is held first"
    libraries = ("joblib",)
    triggers = ((b"Parallel", b"delayed"),)
    name_triggers = frozenset({b"Parallel", b"delayed"})
    shape_filter = staticmethod(_looks_reduced)
    unit_shape = staticmethod(_reduced_in_def)
    fix_availability = "sometimes"
    local_fixes = True

    valid = (
        Valid(
            """
            from joblib import Parallel, delayed
            total = sum(Parallel(n_jobs=4, return_as="generator")(delayed(f)(x) for x in xs))
            """,
            versions={"joblib": "1.6.0"},
            note="already a generator",
        ),
        Valid(
            """
            from joblib import Parallel, delayed
            results = Parallel(n_jobs=4)(delayed(f)(x) for x in xs)
            best = max(results)
            print(results[0], len(results))
            """,
            versions={"joblib": "1.6.0"},
            note="the list is used again: it must exist",
        ),
        Valid(
            """
            from joblib import Parallel, delayed
            total = sum(Parallel(n_jobs=4)(delayed(f)(x) for x in xs))
            """,
            versions={"joblib": "1.2.0"},
            note="joblib 1.2 has no return_as",
        ),
        Valid(
            """
            from joblib import Parallel, delayed
            out = []
            for r in Parallel(n_jobs=4)(delayed(f)(x) for x in xs):
                out.append(r)
            """,
            versions={"joblib": "1.6.0"},
            note="every result is kept anyway",
        ),
    )
    invalid = (
        Invalid(
            """
            import numpy as np
            from joblib import Parallel, delayed

            total = sum(Parallel(n_jobs=8)(delayed(histogram)(p) for p in paths))
            """,
            lines=[4],
            versions={"joblib": "1.6.0"},
            message="return_as=",
            fixed="""
            import numpy as np
            from joblib import Parallel, delayed

            total = sum(Parallel(n_jobs=8, return_as="generator")(delayed(histogram)(p) for p in paths))
            """,
        ),
        Invalid(
            """
            import functools
            import operator
            from joblib import Parallel, delayed

            def merge_all(parts):
                with Parallel(n_jobs=4, return_as="list") as parallel:
                    merged = parallel(delayed(load)(p) for p in parts)
                    return functools.reduce(operator.or_, merged, set())
            """,
            lines=[8],
            versions={"joblib": "1.4.2"},
            fixed="""
            import functools
            import operator
            from joblib import Parallel, delayed

            def merge_all(parts):
                with Parallel(n_jobs=4, return_as="generator") as parallel:
                    merged = parallel(delayed(load)(p) for p in parts)
                    return functools.reduce(operator.or_, merged, set())
            """,
        ),
        Invalid(
            """
            from joblib import Parallel, delayed

            total = 0.0
            for part in Parallel()(delayed(score)(c) for c in chunks):
                total += part
            """,
            lines=[4],
            versions={"joblib": "1.6.0"},
            fixed="""
            from joblib import Parallel, delayed

            total = 0.0
            for part in Parallel(return_as="generator")(delayed(score)(c) for c in chunks):
                total += part
            """,
        ),
        Invalid(
            """
            import numpy as np
            from joblib import Parallel, delayed

            image = np.sum(Parallel(n_jobs=-1)(delayed(render)(tile) for tile in tiles), axis=0)
            """,
            lines=[4],
            versions={"joblib": "1.6.0"},
            message="stacks",
            note="a numpy reduction: no fix",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        model = self.ctx.model
        run = parallel.run_at(node, model)
        if run is None or not run.tasks:
            return
        if literal(arg_value(run.constructor, "return_as"), "list") != "list":
            return  # a generator already (or a value we cannot read)
        if not self.ctx.affected("joblib", GENERATOR):
            return
        reduction = self._reduction(node)
        if reduction is None:
            return
        where, name, numpy = reduction
        self._report(run, where, name, numpy)

    # -- where the list goes ---------------------------------------------------------------------
    def _reduction(self, call: cst.Call) -> tuple[cst.CSTNode, str, bool] | None:
        """(the reducing node, its name, whether numpy's) when the list `call` returns goes
        straight into a reduction."""
        model = self.ctx.model
        found = self._reduced_at(call)
        if found is not None:
            return found
        # `results = Parallel(...)(...)`, then one reduction of `results` and nothing else.
        parent = model.parent.get(call)
        target = None
        if isinstance(parent, cst.Assign) and parent.value is call and len(parent.targets) == 1:
            target = parent.targets[0].target
        if not isinstance(target, cst.Name):
            return None
        binding = next((b for b in model.lookup(target.value, target)[1] if b.node is target), None)
        uses = model.uses_of(binding) if binding is not None else []
        if len(uses) != 1 or sole_binding(uses[0], model) is not binding:
            return None
        return self._reduced_at(uses[0])

    def _reduced_at(self, expr: cst.CSTNode) -> tuple[cst.CSTNode, str, bool] | None:
        model = self.ctx.model
        parent = model.parent.get(expr)
        if isinstance(parent, cst.Arg) and parent.keyword is None and not parent.star:
            call = model.parent.get(parent)
            if not isinstance(call, cst.Call):
                return None
            q = model.qualified_name(call.func)
            if q is None and isinstance(call.func, cst.Name) and call.func.value in _BUILTINS and not model.lookup(
                call.func.value, call.func
            )[1]:
                q = f"builtins.{call.func.value}"
            position = 1 if q == "functools.reduce" else 0
            positional = [a for a in call.args if a.keyword is None]
            if len(positional) <= position or positional[position] is not parent:
                return None
            if q in _ITERABLE_REDUCTIONS:
                return call, _ITERABLE_REDUCTIONS[q], False
            if q in _NUMPY_REDUCTIONS:
                return call, "np." + q.removeprefix("numpy."), True
            return None
        if isinstance(parent, cst.For) and parent.iter is expr and self._accumulates(parent):
            return parent, "the loop", False
        return None

    def _accumulates(self, loop: cst.For) -> bool:
        """The loop folds each result into an accumulator (`total += r`) and keeps none."""
        target = loop.target
        if not isinstance(target, cst.Name):
            return False
        folded = False
        for node in _walk(loop.body):
            if isinstance(node, cst.AugAssign) and any(
                isinstance(n, cst.Name) and n.value == target.value for n in _walk(node.value)
            ):
                folded = True
            if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in (
                "append", "extend", "add", "insert", "setdefault", "update",
            ):
                return False  # results kept
            if isinstance(node, cst.Assign) and any(isinstance(t.target, cst.Subscript) for t in node.targets):
                return False
        return folded

    # -- report and fix ----------------------------------------------------------------------------
    def _report(self, run: parallel.ParallelRun, where: cst.CSTNode, name: str, numpy: bool) -> None:
        version = self.ctx.version("joblib").describe()
        unordered = self.ctx.affected("joblib", UNORDERED)
        reducer = name if name == "the loop" else f"`{name}`"
        held = (f"`Parallel` gathers every task's result into a list before {reducer} reduces it, "
                "so the parent holds all of them at once")
        if numpy:
            message = (f"{held}; `{name}` stacks that list into one array too. Pass "
                       f"`return_as=\"generator\"` ({version}) and reduce the results as they arrive "
                       "(`sum(...)`, `functools.reduce(np.add, ...)` or a loop).")
            self.report(where, message)
            return
        order = ('; `"generator_unordered"` yields them as they finish, where the order does not '
                 "matter" if unordered else "")
        message = (f"{held}. Pass `return_as=\"generator\"` ({version}): each result is reduced as it "
                   f"arrives and then freed{order}.")
        # At the reduction (a loop: at the results it iterates).
        self.report(where if isinstance(where, cst.Call) else run.call, message, fix=self._fix(run))

    def _fix(self, run: parallel.ParallelRun) -> FixSpec | None:
        ctor = run.constructor
        if any(a.star for a in ctor.args):
            return None
        edit = keyword_edit(ctor, "return_as", '"generator"', self.ctx.code_for)
        if edit is None:  # `Parallel()`
            change = Replace(ctor, f'{self.ctx.code_for(ctor.func).strip()}(return_as="generator")')
        else:
            change = Replace(*edit)
        return FixSpec("safe", 'Yield the results as they are done: `return_as="generator"`', [change])


def _walk(node: cst.CSTNode):
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.children)
