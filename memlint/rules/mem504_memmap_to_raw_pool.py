from __future__ import annotations

import re

import libcst as cst

from memlint.analysis import memmap, pools
from memlint.analysis.calls import arg_value, literal
from memlint.analysis.writes import parameter_writes
from memlint.engine import shapes
from memlint.engine.rule import Invalid, Rule, Valid, one_line

_CREATE_MODES = ("w+",)
_REWRITE = ("Pass `(path, dtype, shape)` and open the file in the worker: "
            "`np.memmap(path, dtype=dtype, mode=\"r+\", shape=shape)` (\"r\" to read only).")
# The shape, as text: a call on a process pool, or a `Process(...)` (what it is given, or
# a target that opens a map with "w+").
_PROCESS = re.compile(rb"\bProcess\(")


def _hands_over(data: bytes) -> bool:
    return _PROCESS.search(data) is not None or bool(shapes.process_pool_calls(data))


class MemmapToRawPool(Rule):
    """
    ## What it does
    Finds a memory-mapped array (`np.memmap`, `np.load(..., mmap_mode=...)`,
    `open_memmap`, `joblib.load(..., mmap_mode=...)`) handed to the worker processes of
    `multiprocessing` or `concurrent.futures`:

    - sent with a process pool's tasks (`submit`, `apply_async`, the items `map` is given,
      `functools.partial`), whatever the start method; a slice of one only when the worker
      writes into it;
    - passed in `Process(args=...)` when the child starts afresh (spawn, forkserver, or
      the default start method from Python 3.14);

    and `np.memmap(path, mode="w+")` opened inside a function worker processes run, on a
    path that is the same for every worker.

    ## Why is this bad?
    A memmap pickles by value: pickling reads the whole file into memory, and the worker
    unpickles a plain in-memory copy with no file behind it (numpy #13338, #2049: won't
    fix). So each task costs a full copy, and what the worker writes goes to its copy and
    never reaches the file: measured, four children each writing one item of a shared
    `w+` map left the file all zeros under spawn and forkserver (right under fork, where a
    `Process` inherits the mapping). joblib's `Parallel` memory-maps for its workers; these
    pools do not. Opening the output with `"w+"` in each worker is the other half of the
    trap: `"w+"` creates the file anew, so each worker truncates what the others wrote, and
    only the last writer's values survive.

    ## Example
    ```python
    import multiprocessing as mp

    import numpy as np

    def fill(out, i):
        out[i] = i + 1
        out.flush()

    if __name__ == "__main__":
        out = np.memmap("out.dat", dtype="f8", mode="w+", shape=(1_000_000,))
        ctx = mp.get_context("spawn")
        workers = [ctx.Process(target=fill, args=(out, i)) for i in range(4)]
    ```

    ## Use instead
    ```python
    import multiprocessing as mp

    import numpy as np

    def fill(path, shape, i):
        out = np.memmap(path, dtype="f8", mode="r+", shape=shape)
        out[i] = i + 1
        out.flush()

    if __name__ == "__main__":
        out = np.memmap("out.dat", dtype="f8", mode="w+", shape=(1_000_000,))
        ctx = mp.get_context("spawn")
        workers = [ctx.Process(target=fill, args=("out.dat", out.shape, i)) for i in range(4)]
    ```
    Create the file once in the parent (`mode="w+"`), hand the workers its path, dtype and
    shape, and let each open it with `"r+"` (or `"r"` to read).

    ## Fix safety
    There is no fix: the rewrite changes the worker's parameters.

    ## Affected versions
    Every numpy and Python version for pools. For `Process(args=...)`, when the code
    names the spawn or forkserver start method, or with the default start method when the
    project's Python may be 3.14 or later (forkserver on Linux; spawn on macOS and
    Windows).

    ## References
    - [numpy #13338: memmap works differently on Windows and Linux with multiprocessing](https://github.com/numpy/numpy/issues/13338)
    - [numpy #2049: memmap pickles as an in-memory array](https://github.com/numpy/numpy/issues/2049)
    - [numpy.memmap: modes](https://numpy.org/doc/stable/reference/generated/numpy.memmap.html)
    - [What's New in Python 3.14: forkserver is the default start method on Linux](https://docs.python.org/3/whatsnew/3.14.html#multiprocessing)
    """

    code = "MEM504"
    name = "memmap-to-raw-pool"
    summary = "A memmap handed to multiprocessing is pickled by value; `w+` in workers truncates the file"
    libraries = ("python",)
    _POOLS = (b"Pool(", b"PoolExecutor(", b"Process(", b"get_context(")
    triggers = tuple((b"mmap", t) for t in _POOLS)
    # A memmap a loader of another module of the project returns (memlint.analysis.reach).
    project_triggers = tuple((t,) for t in _POOLS)
    source_triggers = frozenset({b"memmap", b"open_memmap", b"mmap_mode"})
    shape_filter = staticmethod(_hands_over)

    valid = (
        Valid(
            """
            import multiprocessing as mp
            import numpy as np
            def fill(path, shape, i):
                out = np.memmap(path, dtype="f8", mode="r+", shape=shape)
                out[i] = i + 1
            if __name__ == "__main__":
                out = np.memmap("out.dat", dtype="f8", mode="w+", shape=(1000,))
                ctx = mp.get_context("spawn")
                workers = [ctx.Process(target=fill, args=("out.dat", out.shape, i)) for i in range(4)]
            """,
            note="the documented rewrite: the path, reopened with r+",
        ),
        Valid(
            """
            import multiprocessing as mp
            import numpy as np
            def fill(out, i):
                out[i] = i + 1
            if __name__ == "__main__":
                out = np.memmap("out.dat", dtype="f8", mode="w+", shape=(1000,))
                workers = [mp.get_context("fork").Process(target=fill, args=(out, i)) for i in range(4)]
            """,
            note="a forked Process inherits the mapping",
        ),
        Valid(
            """
            from concurrent.futures import ThreadPoolExecutor
            import numpy as np
            data = np.load("data.npy", mmap_mode="r")
            with ThreadPoolExecutor() as ex:
                totals = [ex.submit(np.sum, data[i::4]) for i in range(4)]
            """,
            note="threads share the mapping",
        ),
        Valid(
            """
            from multiprocessing import Pool
            import numpy as np
            def total(block):
                return float(block.sum())
            data = np.load("data.npy", mmap_mode="r")
            with Pool(4) as pool:
                sums = pool.map(total, [data[i:i + 1000] for i in range(0, len(data), 1000)])
            """,
            note="slices read by the workers: each task needs its own data anyway",
        ),
        Valid(
            """
            from multiprocessing import Pool
            import numpy as np
            def part(i):
                out = np.memmap(f"part-{i}.dat", dtype="f8", mode="w+", shape=(100,))
                out[:] = i
            with Pool(4) as pool:
                pool.map(part, range(4))
            """,
            note="each worker creates its own file",
        ),
    )
    invalid = (
        Invalid(
            """
            import multiprocessing as mp

            import numpy as np

            def fill(out, i):
                out[i] = i + 1
                out.flush()

            if __name__ == "__main__":
                out = np.memmap("out.dat", dtype="f8", mode="w+", shape=(1_000_000,))
                ctx = mp.get_context("spawn")
                workers = [ctx.Process(target=fill, args=(out, i)) for i in range(4)]
            """,
            lines=[12],
            message="never reaches the file",
        ),
        Invalid(
            """
            from concurrent.futures import ProcessPoolExecutor
            import numpy as np

            data = np.load("big.npy", mmap_mode="r")
            with ProcessPoolExecutor() as ex:
                futures = [ex.submit(np.mean, data, axis=i) for i in range(2)]
            """,
            lines=[6],
            message="reads the whole file",
        ),
        Invalid(
            """
            from multiprocessing import Pool
            import numpy as np

            OUT = "result.dat"

            def part(i):
                out = np.memmap(OUT, dtype="f8", mode="w+", shape=(1000,))
                out[i] = i

            with Pool(4) as pool:
                pool.map(part, range(4))
            """,
            lines=[7],
            message="truncates",
        ),
        Invalid(
            """
            import multiprocessing as mp
            import numpy as np

            def fill(out, i):
                out[i] = i + 1

            if __name__ == "__main__":
                out = np.memmap("out.dat", dtype="f8", mode="w+", shape=(1000,))
                procs = [mp.Process(target=fill, args=(out, i)) for i in range(4)]
            """,
            lines=[9],
            versions={"python": "3.14"},
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        model = self.ctx.model
        found = pools.pool_call(node, model)
        if found is not None:
            if found.pool.kind == pools.PROCESS:
                self._check_pool(found)
            return
        started = pools.process_start(node, model)
        if started is not None:
            self._check_process(started)
            return
        self._check_create(node)

    # -- a memmap sent with a pool's tasks -------------------------------------------------
    def _check_pool(self, found: pools.PoolCall) -> None:
        model = self.ctx.model
        worker = self._worker(found.function)
        for sent in pools.sent_values(found, model):
            maps = memmap.memmaps(sent.value, model)
            if not maps:
                continue
            written = self._written(worker, sent.position, sent.keyword)
            whole = not any(memmap.SLICE in m.ops or memmap.FIELD in m.ops for m in maps)
            if not whole and not written:
                continue  # a slice to read: the task needs that data anyway
            receiver = one_line(self.ctx.code_for(found.call.func.value))
            tasks = "the task" if found.method in pools.SUBMITS else "every task"
            where = f"sent with {tasks} of `{receiver}.{found.method}`"
            self._report(found.call, sent.value, maps, where, written, worker, whole)
            return

    # -- a memmap in Process(args=...) -----------------------------------------------------
    def _check_process(self, started: pools.ProcessStart) -> None:
        model = self.ctx.model
        why = pools.fresh_start({started.start_method}, self.ctx.affected("python", pools.FORKSERVER_DEFAULT))
        if why is None:
            return  # forked: the child inherits the mapping itself
        worker = self._worker(started.target)
        args = arg_value(started.call, "args", 2)
        positions = {}
        if isinstance(args, (cst.Tuple, cst.List)):
            positions = {id(e.value): i for i, e in enumerate(args.elements)}
        for value in started.arguments:
            maps = memmap.memmaps(value, model)
            if not maps:
                continue
            written = self._written(worker, positions.get(id(value)), None)
            python = ""
            if why == pools.DEFAULT_FROM_314:
                python = f" ({self.ctx.version('python').describe()})"
            where = f"passed to `Process(args=...)`: under {why}{python} the arguments are pickled for the new process, so it is"
            self._report(started.call, value, maps, where, written, worker, True, process=True)
            return

    # -- w+ inside a worker ----------------------------------------------------------------
    def _check_create(self, call: cst.Call) -> None:
        model = self.ctx.model
        q = model.qualified_name(call.func)
        if q == memmap.MEMMAP:
            mode = arg_value(call, "mode", 2)
        elif q == memmap.OPEN_MEMMAP:
            mode = arg_value(call, "mode", 1)
        else:
            return
        if literal(mode, None) not in _CREATE_MODES:
            return
        func = model.enclosing(call, (cst.FunctionDef, cst.Lambda, cst.ClassDef))
        if not isinstance(func, cst.FunctionDef) or not self._run_many_times(func):
            return
        path = arg_value(call, "filename", 0)
        if path is None or not self._same_for_every_worker(path, func):
            return
        self.report(call, (
            f"`{one_line(self.ctx.code_for(call))}` in `{func.name.value}`, which worker "
            "processes run: mode \"w+\" creates the file anew, so each worker that opens it "
            "truncates what the others wrote, and only the last writer's values survive. "
            "Create the file once in the parent with mode \"w+\" and open it with mode "
            "\"r+\" in the workers."))

    def _run_many_times(self, func: cst.FunctionDef) -> bool:
        """Whether worker processes may run the def more than once: a pool's map, or a
        submission or process started in a loop or more than one place."""
        model = self.ctx.model
        uses = pools.workers(model).get(func, [])
        if len(uses) > 1:
            return True
        for use in uses:
            found = pools.pool_call(use.call, model) if use.pool else None
            if found is not None and found.method not in pools.SUBMITS:
                return True
            if model.in_loop(use.call) is not None:
                return True
        return False

    def _same_for_every_worker(self, path: cst.BaseExpression, func: cst.FunctionDef) -> bool:
        """No name in the path is local to the worker (a parameter, a value it computes)."""
        model = self.ctx.model
        for name in [path] if isinstance(path, cst.Name) else model.references_within(path):
            scope, _ = model.lookup(name.value, name)
            if scope is not None and scope is not model.module_scope:
                return False
        return True

    # -- shared --------------------------------------------------------------------------------
    def _worker(self, function: cst.BaseExpression | None) -> cst.FunctionDef | None:
        model = self.ctx.model
        if isinstance(function, cst.Call) and model.qualified_name(function.func) == "functools.partial":
            function = arg_value(function, "func", 0)
        return pools.defined(function, model) if function is not None else None

    def _written(self, worker: cst.FunctionDef | None, position: int | None, keyword: str | None) -> bool:
        """Whether the worker writes into the parameter the value lands in."""
        if worker is None:
            return False
        params = [p.name.value for p in worker.params.posonly_params + worker.params.params]
        name = keyword if keyword is not None else (
            params[position] if position is not None and position < len(params) else None)
        if name is None:
            return False
        return any(w.parameter == name for w in parameter_writes(worker, self.ctx.model))

    def _report(self, call, value, maps, where: str, written: bool, worker, whole: bool,
                process: bool = False) -> None:
        code = one_line(self.ctx.code_for(value))
        verb = "is" if all(m.certain for m in maps) else "may be"
        source = one_line(self.ctx.code_for(maps[0].source))
        head = f"`{code}` {verb} {'a' if whole else 'a slice of a'} memory map (`{source}`), "
        if process:
            body = f"{where} unpickled as an in-memory copy of the whole array"
        else:
            body = (f"{where}: a memmap pickles by value, so each task reads "
                    f"{'the whole file' if whole else 'its part'} into memory and the worker gets "
                    "an in-memory copy")
        if written:
            body += f", and what `{worker.name.value}` writes into it never reaches the file"
        elif process:
            body += " with no file behind it"
        self.report(call, f"{head}{body}. {_REWRITE}")
