from __future__ import annotations

import functools
import re

import libcst as cst

from memlint.analysis import datalike as dl
from memlint.analysis import memmap, pools
from memlint.analysis.calls import is_self_attribute
from memlint.engine import shapes
from memlint.engine.rule import Invalid, Option, Rule, Valid, one_line

# The shapes, as text: a call on a process pool, either a submission in a file with
# loops, or a map fed the same value again and again (`[big] * n`, `repeat(big)`, tuples
# built by a comprehension for `starmap`, a `partial` carrying it), written in the call or
# in the one assignment of a name it is given.
_LOOP = re.compile(rb"\b(?:for|while)\b")
_REPEATING = re.compile(rb"\brepeat\(|\bpartial\(|\]\s*\*|\*\s*\[|\bfor\b")
_NAME = re.compile(rb",\s*([A-Za-z_]\w{0,100})\s*[,)]")


@functools.lru_cache(maxsize=4)
def _could_repeat(data: bytes) -> bool:
    for m in shapes.process_pool_calls(data):
        method, function, rest = m.group("method"), m.group("function"), m.group("rest")
        if method in (b"submit", b"apply_async", b"apply"):
            if _LOOP.search(data):
                return True
            continue
        if method.startswith(b"starmap") or _REPEATING.search(m.group(0)):
            return True
        names = [function.rsplit(b".", 1)[-1]] if function else []
        for name in names + _NAME.findall(rest):
            bound = re.search(rb"\b" + re.escape(name) + rb"\s*=\s*([^\n]*)", data)
            if bound is not None and _REPEATING.search(bound.group(1)):
                return True
    return False


class PoolTaskLargeArgument(Rule):
    """
    ## What it does
    Finds the same data-like value (an array, a data frame, an instance holding data, a
    large literal) sent with every task of a process pool of `multiprocessing` or
    `concurrent.futures`: passed to `submit` or `apply_async` in a loop, fed to `map` as
    `[big] * n` or `itertools.repeat(big)`, held by the tuples a comprehension builds for
    `starmap`, or bound into the function with `functools.partial(f, big)`.

    ## Why is this bad?
    A process pool pickles the function and the arguments of each task and sends them down
    a pipe, whatever the start method: a value sent with 40 tasks is serialized 40 times,
    copied through the pipe 40 times and rebuilt in a worker 40 times. Measured with a
    200 MB array and 40 tasks under spawn: 7.6 GB pickled and 24.9 s, against 0.38 GB and
    1.5 s when each worker receives it once through `initializer=`. (joblib's `Parallel`
    memory-maps large arrays for its workers; these pools do not.)

    ## Example
    ```python
    from concurrent.futures import ProcessPoolExecutor

    import numpy as np

    def score(table, i):
        return float(table[i::40].sum())

    if __name__ == "__main__":
        table = np.load("table.npy")
        with ProcessPoolExecutor(4) as ex:
            futures = [ex.submit(score, table, i) for i in range(40)]
    ```

    ## Use instead
    ```python
    from concurrent.futures import ProcessPoolExecutor

    import numpy as np

    TABLE = None

    def load_table(table):
        global TABLE
        TABLE = table

    def score(i):
        return float(TABLE[i::40].sum())

    if __name__ == "__main__":
        table = np.load("table.npy")
        with ProcessPoolExecutor(4, initializer=load_table, initargs=(table,)) as ex:
            futures = [ex.submit(score, i) for i in range(40)]
    ```
    Each worker receives the value once, when it starts. For a large array, a
    `multiprocessing.shared_memory.SharedMemory` block passed by name (each worker
    attaches to it) avoids even that copy; an array over its `buf` is still pickled by
    value, so pass the name, never the array. Better still, let each worker load what it
    needs from a path.

    ## Fix safety
    There is no fix: the rewrite moves the value into a module global the worker reads.

    ## Affected versions
    Every Python version. Thread pools (`ThreadPool`, `ThreadPoolExecutor`) share the
    parent's memory and are not reported.

    ## References
    - [multiprocessing: Pool initializer and initargs](https://docs.python.org/3/library/multiprocessing.html#multiprocessing.pool.Pool)
    - [multiprocessing programming guidelines: avoid shared state](https://docs.python.org/3/library/multiprocessing.html#programming-guidelines)
    - [multiprocessing.shared_memory](https://docs.python.org/3/library/multiprocessing.shared_memory.html)
    - [numpy #25561: an ndarray over SharedMemory.buf is pickled by value](https://github.com/numpy/numpy/issues/25561)
    """

    code = "MEM502"
    name = "pool-task-large-argument"
    summary = "The same large value is pickled into every task of a process pool"
    triggers = tuple((pool,) for pool in (b"Pool(", b"PoolExecutor(", b"get_context("))
    shape_filter = staticmethod(_could_repeat)
    options = {
        "large-literal-min-items": Option(
            dl.DEFAULT_MIN_ITEMS, int, "A literal container with at least this many items is data-like"
        ),
    }

    valid = (
        Valid(
            """
            from concurrent.futures import ProcessPoolExecutor
            import numpy as np
            table = np.load("table.npy")
            with ProcessPoolExecutor(4, initializer=load_table, initargs=(table,)) as ex:
                futures = [ex.submit(score, i) for i in range(40)]
            """,
            note="the documented rewrite: once per worker through initargs",
        ),
        Valid(
            """
            from concurrent.futures import ThreadPoolExecutor
            import numpy as np
            table = np.load("table.npy")
            with ThreadPoolExecutor(4) as ex:
                futures = [ex.submit(score, table, i) for i in range(40)]
            """,
            note="threads share the parent's memory",
        ),
        Valid(
            """
            from multiprocessing import Pool
            import numpy as np
            with Pool(4) as pool:
                for path in paths:
                    block = np.load(path)
                    pool.apply_async(total, (block,))
            """,
            note="a new value on every iteration: each task needs its own",
        ),
        Valid(
            """
            from multiprocessing import Pool
            with Pool(4) as pool:
                out = pool.starmap(scale, [(factor, p) for p in paths])
                more = pool.map(load, [path] * 8)
            """,
            note="small values: a number, a path",
        ),
        Valid(
            """
            from concurrent.futures import ProcessPoolExecutor
            import numpy as np
            table = np.load("table.npy")
            with ProcessPoolExecutor() as ex:
                total = ex.submit(np.sum, table)
            """,
            note="sent once",
        ),
    )
    invalid = (
        Invalid(
            """
            from concurrent.futures import ProcessPoolExecutor

            import numpy as np

            def score(table, i):
                return float(table[i::40].sum())

            if __name__ == "__main__":
                table = np.load("table.npy")
                with ProcessPoolExecutor(4) as ex:
                    futures = [ex.submit(score, table, i) for i in range(40)]
            """,
            lines=[11],
            message="initializer=",
        ),
        Invalid(
            """
            import itertools
            import multiprocessing as mp
            import pandas as pd

            frame = pd.read_parquet("frame.parquet")
            with mp.get_context("spawn").Pool(8) as pool:
                a = pool.starmap(summarise, [(frame, col) for col in columns])
                b = pool.map(summarise, [frame] * 8)
                c = pool.starmap(summarise, zip(itertools.repeat(frame), columns))
            """,
            lines=[7, 8, 9],
        ),
        Invalid(
            """
            from functools import partial
            from multiprocessing import Pool
            import numpy as np

            weights = np.random.default_rng(0).random((5_000, 5_000))
            with Pool() as pool:
                out = pool.map(partial(apply_weights, weights), batches)
            """,
            lines=[7],
            message="every chunk",
        ),
        Invalid(
            """
            from multiprocessing import Pool
            import numpy as np

            def run(paths):
                lookup = np.load("lookup.npy")
                pool = Pool(4)
                results = []
                for p in paths:
                    results.append(pool.apply_async(join, (p, lookup)))
                return [r.get() for r in results]
            """,
            lines=[9],
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        model = self.ctx.model
        found = pools.pool_call(node, model)
        if found is None or found.pool.kind != pools.PROCESS:
            return
        repeated = self._repeated(found)
        if repeated is None:
            return
        value, how, data = repeated
        self._report(found, value, how, data)

    # -- what is sent again and again ------------------------------------------------------
    def _repeated(self, found: pools.PoolCall):
        """(the value, how it repeats, its DataLike) for the first data-like value the call
        sends with more than one task, or None."""
        model = self.ctx.model
        submits = found.method in pools.SUBMITS
        in_loop = submits and model.in_loop(found.call) is not None
        for sent in pools.sent_values(found, model):
            how = sent.how
            if submits:
                # One submission sends its arguments once; in a loop, again each time.
                if not (in_loop and self._invariant(sent.value)):
                    continue
                how = "loop"
            elif how == "item" or (how == "comprehension" and not self._invariant(sent.value)):
                continue
            data = self._data(sent.value)
            if data is not None:
                return sent.value, how, data
        return None

    def _invariant(self, value: cst.BaseExpression) -> bool:
        return (isinstance(value, cst.Name) or is_self_attribute(value)) and self.ctx.model.invariant_loop(value) is not None

    def _data(self, value: cst.BaseExpression) -> dl.DataLike | None:
        model = self.ctx.model
        found = dl.datalike(value, model, self.option["large-literal-min-items"], callers=True)
        if found is None or found.handle:
            return None
        if memmap.memmaps(value, model):
            return None  # a memmap's own rule (MEM504) says what pickling it does
        return found

    # -- the report ------------------------------------------------------------------------
    def _report(self, found: pools.PoolCall, value, how: str, data: dl.DataLike) -> None:
        code = one_line(self.ctx.code_for(value))
        receiver = one_line(self.ctx.code_for(found.call.func.value))
        verb = "is" if data.certain else "may be"
        where = {
            "loop": f"sent with every `{receiver}.{found.method}` task of this loop",
            "times": "repeated in the list `map` sends item by item",
            "repeat": "repeated by `itertools.repeat` for every item",
            "comprehension": "held by every tuple the comprehension builds",
            "partial": "bound into the `partial` function the pool pickles with every chunk of tasks",
        }[how]
        make = "Pool" if found.pool.api == pools.MULTIPROCESSING else "ProcessPoolExecutor"
        message = (
            f"`{code}` {verb} {data.what}, {where}: a process pool pickles each task's "
            f"function and arguments, so it is serialized and copied to a worker once per "
            f"task. Send it once per worker instead: `{make}(..., initializer=set_global, "
            f"initargs=({code},))` storing it in a module global the worker reads, or a "
            "`SharedMemory` block passed by name."
        )
        self.report(found.call, message)
