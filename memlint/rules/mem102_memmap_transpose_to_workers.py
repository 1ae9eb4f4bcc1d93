from __future__ import annotations

import libcst as cst

from memlint.analysis import memmap as mm
from memlint.analysis.parallel import run_at, thread_backend
from memlint.engine.rule import Invalid, Rule, Valid


class MemmapTransposeToWorkers(Rule):
    """
    ## What it does
    Finds a transposed or axis-swapped view of a memory-mapped array (`.T`,
    `.transpose()`, `np.transpose`, `.swapaxes`, `np.swapaxes`, `np.moveaxis`) passed to
    `delayed(f)(...)` in a joblib `Parallel` call that uses worker processes.

    ## Why is this bad?
    joblib sends a memmap-backed argument to a worker as a file name, offset, shape and
    memory order, and the worker maps the file again. The order is taken from the base
    memmap, not from the view, so a transposed (F-contiguous) view of a C-ordered file is
    rebuilt C-ordered: the worker computes on wrong values, silently. This is still open in
    the latest joblib (issue #1019); the values were measured wrong on 1.4.2, 1.5.0 and
    1.6.0.

    ## Example
    ```python
    import numpy as np
    from joblib import Parallel, delayed

    data = np.memmap("data.bin", dtype=np.float64, mode="r", shape=(3, 4))
    cols = Parallel(n_jobs=2)(delayed(np.sum)(data.T, axis=1) for _ in range(2))
    ```

    ## Use instead
    ```python
    import numpy as np
    from joblib import Parallel, delayed

    def col_sums(block):
        return np.sum(block.T, axis=1)  # transpose inside the worker

    data = np.memmap("data.bin", dtype=np.float64, mode="r", shape=(3, 4))
    cols = Parallel(n_jobs=2)(delayed(col_sums)(data) for _ in range(2))
    ```
    Or pass `np.ascontiguousarray(data.T)`, which is a copy in RAM.

    ## Fix safety
    There is no fix: the right rewrite depends on what the worker does with the array.

    ## Affected versions
    Every joblib version for a memmap opened N-D (1.4.2, 1.5.0 and 1.6.0 measured; issue
    #1019 is open). A memmap opened 1-D (no `shape=`) is rebuilt F-ordered before 1.5.0
    and C-ordered from 1.5.0 on (joblib #1703), so `m.reshape(-1, n).T` arrives wrong on
    joblib >= 1.5.0 and `m.reshape(n, -1, order="F").T` on joblib < 1.5.0 (both measured
    on 1.4.2 and 1.6.0). Not affected: non-contiguous views (`m.T[0:2]` of a 2-D memmap),
    whose strides joblib ships; thread backends (`backend="threading"`,
    `prefer="threads"`, `require="sharedmem"`, or an enclosing `parallel_config` /
    `parallel_backend` saying so); and `n_jobs=1`, which runs in the parent process.

    ## References
    - [joblib #1019: probable bug with strides of memmap](https://github.com/joblib/joblib/issues/1019)
    - [joblib #1703: memmap layout changes when passed to Parallel](https://github.com/joblib/joblib/issues/1703)
    """

    code = "MEM102"
    name = "memmap-transpose-to-workers"
    summary = "Transposed memmap view passed to joblib workers arrives with wrong values"
    libraries = ("joblib",)
    triggers = (
        (b"Parallel", b"delayed", b"memmap"),
        (b"Parallel", b"delayed", b"open_memmap"),
        (b"Parallel", b"delayed", b"mmap_mode"),
    )
    name_triggers = frozenset({b"Parallel", b"delayed", b"memmap", b"open_memmap", b"mmap_mode"})
    source_triggers = frozenset({b"memmap", b"open_memmap", b"mmap_mode"})

    valid = (
        Valid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            data = np.memmap("data.bin", dtype=np.float64, mode="r", shape=(3, 4))
            out = Parallel(n_jobs=2, backend="threading")(delayed(np.sum)(data.T) for _ in range(2))
            """,
            note="threads share memory: nothing is rebuilt",
        ),
        Valid(
            """
            import numpy as np
            from joblib import Parallel, delayed, parallel_config
            data = np.memmap("data.bin", dtype=np.float64, mode="r", shape=(3, 4))
            with parallel_config(backend="threading"):
                out = Parallel(n_jobs=2)(delayed(np.sum)(data.T) for _ in range(2))
            """,
        ),
        Valid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            data = np.zeros((3, 4))
            out = Parallel(n_jobs=2)(delayed(np.sum)(data.T) for _ in range(2))
            """,
            note="an in-memory array is pickled by value",
        ),
        Valid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            data = np.memmap("data.bin", dtype=np.float64, mode="r", shape=(3, 4))
            view = np.ascontiguousarray(data.T)
            out = Parallel(n_jobs=2)(delayed(np.sum)(view) for _ in range(2))
            """,
            note="a contiguous copy in RAM",
        ),
        Valid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            data = np.memmap("data.bin", dtype=np.float64, mode="r", shape=(3, 4))
            out = Parallel(n_jobs=2, prefer="threads")(delayed(np.sum)(data.T) for _ in range(2))
            """,
        ),
        Valid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            m = np.memmap("data.bin", dtype=np.float64, mode="r").reshape(-1, 4).T
            out = Parallel(n_jobs=2)(delayed(np.sum)(m) for _ in range(2))
            """,
            versions={"joblib": "1.4.2"},
            note="a C reshape of a 1-D memmap, transposed, is F-ordered: joblib < 1.5 rebuilds it right",
        ),
        Valid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            data = np.memmap("data.bin", dtype=np.float64, mode="r", shape=(3, 4))
            out = Parallel(n_jobs=2)(delayed(np.sum)(data.T[0:2]) for _ in range(2))
            """,
            note="a non-contiguous view: joblib ships its strides",
        ),
        Valid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            data = np.memmap("data.bin", dtype=np.float64, mode="r", shape=(3, 4))
            out = Parallel(n_jobs=1)(delayed(np.sum)(data.T) for _ in range(2))
            """,
            note="n_jobs=1 runs the tasks in the parent process",
        ),
    )
    invalid = (
        Invalid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            data = np.memmap("data.bin", dtype=np.float64, mode="r", shape=(3, 4))
            out = Parallel(n_jobs=2)(delayed(np.sum)(data.T, axis=1) for _ in range(2))
            """,
            lines=[4],
            message="ascontiguousarray",
        ),
        Invalid(
            """
            import numpy as np
            import joblib
            cube = np.load("cube.npy", mmap_mode="r")
            view = np.swapaxes(cube, 0, 2)
            results = joblib.Parallel(n_jobs=4)(
                joblib.delayed(process)(
                    view,
                    i,
                )
                for i in range(8)
            )
            """,
            lines=[7],
        ),
        Invalid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            def run(path):
                m = np.memmap(path, dtype="<f4", mode="r").reshape(-1, 4).T
                with Parallel(n_jobs=2) as parallel:
                    return parallel(delayed(f)(x=m) for _ in range(3))
            """,
            lines=[6],
        ),
        Invalid(
            """
            import numpy as np
            from sklearn.utils.parallel import Parallel, delayed
            data = np.memmap("data.bin", dtype=np.float64, mode="r", shape=(3, 4))
            pool = Parallel(n_jobs=2)
            tasks = [delayed(f)(np.moveaxis(data, 0, 1)) for _ in range(2)]
            pool(tasks)
            """,
            lines=[5],
        ),
        Invalid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            m = np.memmap("data.bin", dtype=np.float64, mode="r").reshape(-1, 4).T
            out = Parallel(n_jobs=2)(delayed(np.sum)(m) for _ in range(2))
            """,
            lines=[4],
            versions={"joblib": "1.6.0"},
            message="joblib 1.6.0",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        model = self.ctx.model
        run = run_at(node, model)
        if run is None or not run.tasks:
            return
        threads = thread_backend(run, model)
        if threads is True:
            return
        for _task, argument in run.task_arguments():
            for m in mm.memmaps(argument.value, model):
                affected = mm.transpose_hazard(m)
                if affected is None:
                    continue
                if affected and not self.ctx.affected("joblib", affected):
                    continue
                self._report(argument.value, m, affected, backend_unknown=threads is None)
                break

    def _report(self, expr: cst.BaseExpression, m: mm.Memmap, affected: str,
                backend_unknown: bool) -> None:
        verb = "is" if m.certain else "may be"
        workers = "workers that may be processes (the backend is not a literal)" if backend_unknown else "process workers"
        if affected:
            # A transposed view of a 1-D memmap: right or wrong depends on the version.
            version = self.ctx.version("joblib").describe()
            why = f"{version} rebuilds it with the wrong memory order (joblib #1703)"
        else:
            why = "the worker sees wrong values (joblib #1019, every version)"
        self.report(
            expr,
            f"This argument {verb} a transposed view of a memmap sent to {workers}: "
            f"joblib rebuilds it in each worker from the file with the base's memory order, "
            f"so {why}. Transpose inside the worker, or pass `np.ascontiguousarray(view)` "
            "(a copy in RAM).",
        )
