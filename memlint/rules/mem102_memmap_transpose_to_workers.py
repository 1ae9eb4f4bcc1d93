from __future__ import annotations

import libcst as cst

from memlint.analysis import memmap as mm
from memlint.analysis.parallel import parallel_run, uses_threads
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
    Every joblib version (1.4.2, 1.5.0 and 1.6.0 measured; issue #1019 is open). Thread
    backends (`backend="threading"`, `prefer="threads"`, `require="sharedmem"`) are not
    affected.

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
        (b"Parallel", b"delayed", b"mmap_mode"),
    )

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
    )

    def visit_Call(self, node: cst.Call) -> None:
        model = self.ctx.model
        run = parallel_run(node, model)
        if run is None or not run.tasks or uses_threads(run, model):
            return
        for _task, argument in run.task_arguments():
            for m in mm.memmaps(argument.value, model):
                if m.last_op == mm.TRANSPOSE:
                    self._report(argument.value, m)
                    break

    def _report(self, expr: cst.BaseExpression, m: mm.Memmap) -> None:
        verb = "is" if m.certain else "may be"
        self.report(
            expr,
            f"This argument {verb} a transposed view of a memmap: joblib rebuilds it in "
            "each worker from the file with the base's memory order, so the worker sees "
            "wrong values (joblib #1019, every version). Transpose inside the worker, or "
            "pass `np.ascontiguousarray(view)` (a copy in RAM).",
        )
