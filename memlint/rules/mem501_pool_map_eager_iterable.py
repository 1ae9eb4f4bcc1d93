from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import libcst as cst

from memlint.analysis import datalike as dl
from memlint.analysis import pools, reach
from memlint.analysis.calls import arg_value, is_builtin, sole_binding, with_value
from memlint.engine import shapes
from memlint.engine.rule import FixSpec, Invalid, Replace, Rule, Valid, one_line

# `Executor.map(..., buffersize=)` bounds how many items it takes ahead (cpython #74028).
BUFFERSIZE = ">=3.14"
_INFINITE = ("itertools.count", "itertools.cycle")

# The shape, as text: a map call whose iterable is written lazily (a generator expression,
# `count()`/`cycle()`/`repeat()`, `open(`, a wrapper of one), a call of a function that
# yields, or a name bound to one of those (or by `with open(...) as name`).
_MAP_CALL = re.compile(  # the function is short: bounded, so a long line costs one pass
    rb"\.(?:map|starmap|map_async|starmap_async)\(\s*[^,()\n]{1,200}(?:\([^()\n]{0,200}\))?\s*,\s*([^\n]*)"
)
_LAZY_TEXT = re.compile(rb"\bfor\b|\b(?:count|cycle|repeat|open|iglob|scandir|rglob|walk)\(")
_CALLED = re.compile(rb"(?:enumerate\(|zip\()?\s*([A-Za-z_][\w.]{0,100})\b\s*(\()?")


@functools.lru_cache(maxsize=4)
def _looks_lazy(data: bytes) -> bool:
    return _lazy_map_in(data, data)


@functools.lru_cache(maxsize=4)
def _lazy_in_def(data: bytes):
    """The shape's test for one def of the file: a map call of its own that looks lazy
    (the names it is given are looked up in the whole file, as the rule follows them)."""
    return lambda code: _lazy_map_in(code.encode("utf-8", "surrogatepass"), data)


def _lazy_map_in(text: bytes, data: bytes) -> bool:
    """Whether a map call in `text`, a part of the file `data`, looks lazy."""
    for m in _MAP_CALL.finditer(text):
        rest = m.group(1)
        if _LAZY_TEXT.search(rest):
            return True
        called = _CALLED.match(rest)
        if called is None:
            continue
        name = called.group(1).rsplit(b".", 1)[-1]
        if called.group(2):  # `frames(paths)`: a function that yields?
            if _yields(data, name):
                return True
            continue
        bound = re.search(rb"\b" + re.escape(name) + rb"\s*=\s*([^\n]*)|open\([^\n]*\)\s+as\s+" + re.escape(name) + rb"\b", data)
        if bound is None:
            continue
        value = bound.group(1)
        if value is None or _LAZY_TEXT.search(value):
            return True
        inner = _CALLED.match(value)
        if inner is not None and inner.group(2) and _yields(data, inner.group(1).rsplit(b".", 1)[-1]):
            return True
    return False


def _yields(data: bytes, name: bytes) -> bool:
    """Whether the module defines `name` with a body that yields, or imports it from the
    project (the index reads it)."""
    found = shapes.first_def(data, name)
    if found is None:
        return shapes.imported_from_project(data, name)
    return b"yield" in shapes.def_body(data, found)


_OPENERS = ("open", "builtins.open", "io.open", "gzip.open", "bz2.open", "lzma.open")


@dataclass(frozen=True)
class _Lazy:
    what: str  # what the iterable is, for the message
    certain: bool
    endless: bool = False


class PoolMapEagerIterable(Rule):
    """
    ## What it does
    Finds `Pool.map`, `starmap`, `map_async` and `starmap_async` of `multiprocessing` (process
    and thread pools) and `Executor.map` of `concurrent.futures` given a lazy iterable that
    is costly to hold whole: a generator (an expression or a generator function) whose
    items are data (arrays, frames, loaded files), an open file's lines, or an endless
    `itertools.count()`/`cycle()`/`repeat(x)`.

    ## Why is this bad?
    These methods turn the iterable into a list before they hand out the first task
    (`Pool.map` to size its chunks; `Executor.map` submits every item at once): every
    item the generator yields is in the parent's memory at the same time, and an endless
    iterable never returns. The documentation says so ("may cause high memory usage for
    very long iterables"; "the iterables are collected immediately rather than lazily").
    Measured with 60 arrays of 20 MB yielded by a generator: the parent peaks at 1568 MB
    with `Pool.map`, 1048 MB with `ProcessPoolExecutor.map`, and 128 MB with `Pool.imap`.

    ## Example
    ```python
    from multiprocessing import Pool

    import numpy as np

    def frames(paths):
        for p in paths:
            yield np.load(p)

    with Pool(4) as pool:
        sums = pool.map(np.sum, frames(paths))
    ```

    ## Use instead
    ```python
    from multiprocessing import Pool

    import numpy as np

    def frames(paths):
        for p in paths:
            yield np.load(p)

    with Pool(4) as pool:
        sums = list(pool.imap(np.sum, frames(paths)))
    ```
    `imap` takes items as the workers need them and gives the results in order
    (`imap_unordered` as they finish); pass a `chunksize` for many small items. For
    `Executor.map`, submit in bounded batches (`concurrent.futures.wait(...,
    return_when=FIRST_COMPLETED)`), or on Python 3.14 and later pass `buffersize=`. Better
    still, hand the workers the paths and let each load its own item.

    ## Fix safety
    The fix, for `Pool.map` over a finite iterable only, is unsafe: `list(pool.imap(f, items))` gives the same list
    in the same order, but `imap` sends one item per task unless given a `chunksize`
    (`map` computes one), which can be slower for many small items, and a generator that
    depends on the results arriving first behaves differently. `starmap`, `map_async` and
    executors have no fix.

    ## Affected versions
    Every Python version. From Python 3.14, `Executor.map(..., buffersize=N)` takes at most
    N items ahead; such a call is not reported.

    ## References
    - [multiprocessing: Pool.map](https://docs.python.org/3/library/multiprocessing.html#multiprocessing.pool.Pool.map)
    - [concurrent.futures: Executor.map](https://docs.python.org/3/library/concurrent.futures.html#concurrent.futures.Executor.map)
    - [cpython #74508: ProcessPoolExecutor.map consumes all memory with big generators](https://github.com/python/cpython/issues/74508)
    - [cpython #74028: Executor.map gains buffersize (3.14)](https://github.com/python/cpython/issues/74028)
    """

    code = "MEM501"
    name = "pool-map-eager-iterable"
    summary = "A pool's `map` turns a lazy, large iterable into a list before the first task"
    libraries = ("python",)
    # Sharp strings only: "map" alone is in half the files of a scientific project.
    triggers = tuple((pool, call) for pool in (b"Pool", b"get_context") for call in (b".map", b"starmap"))
    shape_filter = staticmethod(_looks_lazy)
    unit_shape = staticmethod(_lazy_in_def)
    fix_availability = "sometimes"
    local_fixes = True

    valid = (
        Valid(
            """
            from multiprocessing import Pool
            import numpy as np
            def frames(paths):
                for p in paths:
                    yield np.load(p)
            with Pool(4) as pool:
                sums = list(pool.imap(np.sum, frames(paths), chunksize=4))
            """,
            note="imap takes items as they are needed",
        ),
        Valid(
            """
            from multiprocessing import Pool
            with Pool(4) as pool:
                out = pool.map(process, paths)
                sizes = pool.map(len, [p for p in paths])
                squares = pool.map(square, range(1_000_000))
            """,
            note="a list, a list comprehension, a range",
        ),
        Valid(
            """
            from concurrent.futures import ProcessPoolExecutor
            with ProcessPoolExecutor() as ex:
                names = list(ex.map(str.upper, (p.name for p in paths)))
            """,
            note="a generator of small items: the list of them is small too",
        ),
        Valid(
            """
            from concurrent.futures import ThreadPoolExecutor
            import numpy as np
            with ThreadPoolExecutor() as ex:
                out = list(ex.map(np.sum, (np.load(p) for p in paths), buffersize=8))
            """,
            versions={"python": "3.14"},
            note="buffersize= on Python 3.14",
        ),
        Valid(
            """
            import numpy as np
            pool = make_pool()
            out = pool.map(np.sum, (np.load(p) for p in paths))
            """,
            note="not known to be a pool of the standard library",
        ),
    )
    invalid = (
        Invalid(
            """
            from multiprocessing import Pool

            import numpy as np

            def frames(paths):
                for p in paths:
                    yield np.load(p)

            with Pool(4) as pool:
                sums = pool.map(np.sum, frames(paths))
            """,
            lines=[10],
            message="before it hands out the first task",
            unsafe=True,
            fixed="""
            from multiprocessing import Pool

            import numpy as np

            def frames(paths):
                for p in paths:
                    yield np.load(p)

            with Pool(4) as pool:
                sums = list(pool.imap(np.sum, frames(paths)))
            """,
        ),
        Invalid(
            """
            import multiprocessing as mp
            import pandas as pd

            ctx = mp.get_context("spawn")
            pool = ctx.Pool(8)
            tables = (pd.read_parquet(p) for p in paths)
            rows = pool.map(count_rows, tables, 4)
            """,
            lines=[7],
            unsafe=True,
            fixed="""
            import multiprocessing as mp
            import pandas as pd

            ctx = mp.get_context("spawn")
            pool = ctx.Pool(8)
            tables = (pd.read_parquet(p) for p in paths)
            rows = list(pool.imap(count_rows, tables, 4))
            """,
        ),
        Invalid(
            """
            from concurrent.futures import ProcessPoolExecutor
            import numpy as np

            with ProcessPoolExecutor() as ex:
                out = list(ex.map(np.sum, (np.load(p) for p in paths)))
            """,
            lines=[5],
            versions={"python": "3.12"},
            message="needs Python 3.14",
            note="no fix for executors",
        ),
        Invalid(
            """
            import itertools
            from multiprocessing import Pool

            with Pool() as pool:
                pool.map(simulate, itertools.count())
            """,
            lines=[5],
            message="never returns",
            note="endless: no fix (a list of imap's results would not end either)",
        ),
        Invalid(
            """
            from multiprocessing.pool import ThreadPool

            with open("events.log") as lines, ThreadPool(8) as pool:
                parsed = pool.starmap(parse, enumerate(lines))
            """,
            lines=[4],
            message="may",
            note="a file's lines through enumerate: starmap has no fix",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        model = self.ctx.model
        found = pools.pool_call(node, model)
        if found is None or found.method not in pools.EAGER_MAPS[found.pool.api] or not found.iterables:
            return
        if found.pool.api == pools.FUTURES and arg_value(node, "buffersize") is not None:
            return  # Python 3.14's bounded map
        for iterable in found.iterables:
            lazy = self._lazy(iterable)
            if lazy is not None:
                self._report(found, iterable, lazy)
                return

    # -- what the iterable is ----------------------------------------------------------------
    def _lazy(self, expr: cst.BaseExpression, depth: int = 0) -> _Lazy | None:
        model = self.ctx.model
        if depth > 4:
            return None
        if isinstance(expr, cst.Name):
            b = sole_binding(expr, model)
            if b is None:
                return None
            if b.kind == "with":
                value = with_value(b)
                return self._opened(value) if value is not None else None
            if b.kind in ("assign", "annassign") and b.value is not None:
                return self._lazy(b.value, depth + 1)
            return None
        if isinstance(expr, cst.GeneratorExp):
            return self._items(expr.elt, model) or self._source(expr.for_in.iter, depth)
        if isinstance(expr, cst.Call):
            q = model.qualified_name(expr.func)
            if q in _INFINITE or (q == "itertools.repeat" and arg_value(expr, "times", 1) is None):
                return _Lazy(f"`{one_line(self.ctx.code_for(expr))}`, which never ends", True, endless=True)
            if q in ("builtins.map", "builtins.filter") or any(
                is_builtin(expr.func, name, model) for name in ("enumerate", "zip")
            ):
                # Lazy wrappers: as costly as what they wrap.
                inner = [a.value for a in expr.args if a.keyword is None and not a.star]
                for a in inner[1:] if expr.func.value in ("map", "filter") else inner:
                    found = self._lazy(a, depth + 1)
                    if found is not None:
                        return found
                return None
            opened = self._opened(expr)
            if opened is not None:
                return opened
            return self._generator_call(expr)
        return None

    def _source(self, iterable: cst.BaseExpression, depth: int) -> _Lazy | None:
        """What a generator expression draws from, when that alone is costly."""
        found = self._lazy(iterable, depth + 1)
        return found if found is not None and (found.endless or "lines" in found.what) else None

    def _items(self, item: cst.BaseExpression, model) -> _Lazy | None:
        found = dl.datalike(item, model)
        if found is None:
            return None
        return _Lazy(f"a generator of {found.what}", found.certain)

    def _opened(self, expr: cst.BaseExpression) -> _Lazy | None:
        model = self.ctx.model
        if not isinstance(expr, cst.Call):
            return None
        q = model.qualified_name(expr.func)
        if q in _OPENERS or is_builtin(expr.func, "open", model):
            return _Lazy(f"the lines of `{one_line(self.ctx.code_for(expr))}`, the whole file", False)
        return None

    def _generator_call(self, call: cst.Call) -> _Lazy | None:
        """A call of a generator function of the project whose yields are data."""
        located = reach.definition(call.func, self.ctx.model) if isinstance(call.func, (cst.Name, cst.Attribute)) else None
        if located is None or not isinstance(located[1], cst.FunctionDef):
            return None
        m, func = located
        if func not in m.generators:
            return None
        for value, each in m.yields.get(func, ()):
            found = dl.datalike(value, m)
            if found is not None and found.container and each:
                found = found.element  # `yield from frames`: their items
            if found is not None:
                name = func.name.value
                return _Lazy(f"the generator `{name}(...)`, which yields {found.what}", found.certain)
        return None

    # -- the report ------------------------------------------------------------------------
    def _report(self, found: pools.PoolCall, iterable: cst.BaseExpression, lazy: _Lazy) -> None:
        call = found.call
        method = found.method
        receiver = one_line(self.ctx.code_for(call.func.value))
        verb = "is" if lazy.certain else "may be"
        if found.pool.api == pools.MULTIPROCESSING:
            why = f"`{receiver}.{method}` turns it into a list before it hands out the first task"
        else:
            why = f"`{receiver}.map` submits every item before it returns (it collects its iterables at once)"
        if lazy.endless:
            why += ": it never returns, and the parent's memory grows until it runs out"
        else:
            why += ", so every item is in the parent's memory at once"
        advice = self._advice(found)
        message = f"The iterable {verb} {lazy.what}: {why}. {advice}"
        self.report(call, message, fix=None if lazy.endless else self._fix(found))

    def _advice(self, found: pools.PoolCall) -> str:
        if found.pool.api == pools.MULTIPROCESSING:
            return ("Use `imap` (in order) or `imap_unordered`, with a `chunksize`, or hand the "
                    "workers what they need to load each item themselves.")
        python = self.ctx.version("python").describe()
        if self.ctx.affected("python", BUFFERSIZE):
            return (f"Pass `buffersize=` (Python 3.14+; {python}) to take a few items ahead, "
                    "or submit in bounded batches.")
        return (f"Submit in bounded batches (`concurrent.futures.wait(..., "
                f"return_when=FIRST_COMPLETED)`); `buffersize=` needs Python 3.14 ({python}).")

    def _fix(self, found: pools.PoolCall) -> FixSpec | None:
        if found.method != "map" or found.pool.api != pools.MULTIPROCESSING:
            return None
        call = found.call
        lazy = call.with_changes(func=call.func.with_changes(attr=cst.Name("imap")))
        text = self.ctx.code_for(lazy)
        return FixSpec("unsafe", "Take the items as the workers need them: `list(pool.imap(...))`",
                       [Replace(call, f"list({text.strip()})")])
