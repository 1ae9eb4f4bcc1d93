from __future__ import annotations

import libcst as cst

from memlint.analysis import memmap as mm
from memlint.analysis.calls import arg, arg_value, is_builtin, literal, sole_binding
from memlint.analysis.parallel import module_runs, process_task_arguments, run_of_task_argument, thread_backend
from memlint.engine.rule import AddImport, FixSpec, Invalid, Option, Replace, Rule, Valid

C_AFFECTED = "<1.5.0"
F_AFFECTED = ">=1.5.0"


class MemmapReshape(Rule):
    """
    ## What it does
    Finds a memory-mapped array opened as 1-D (`np.memmap` without `shape=` or with a 1-D
    shape, or a `.npy`/joblib file of unknown shape opened with `mmap_mode`) and then
    reshaped to more than one dimension (`.reshape(...)`, `np.reshape(m, ...)` or
    `m.shape = (...)`), on the joblib versions that rebuild such a view with the wrong
    memory order in their worker processes.

    It stays quiet when the shape is given up front, when `shape=` may come through
    `**kwargs`, when the array is copied first (`np.array`, `.copy()`, arithmetic), when
    the reshaped view is at once sliced into a non-contiguous view (`m.reshape(-1, d)[:,
    1:]`: joblib ships its strides), and when the view only goes to joblib tasks run by
    threads. A memmap on some paths only (`if lazy:`), a `shape=count` that is probably an
    element count, or dimensions it cannot read make the message say "may".

    ## Why is this bad?
    joblib's process backends do not pickle a memmap-backed array: they send the file name,
    offset, shape and order, and each worker maps the file again. Before joblib 1.5.0 the
    order came from the 1-D base, which is both C- and F-contiguous, so a C-order reshape
    was rebuilt column-major: the workers silently compute on scrambled values
    (joblib #1703, fixed by #1704 in 1.5.0). From 1.5.0 on, an `order="F"` reshape of a
    1-D base is rebuilt row-major instead, with the same effect. No error is raised.

    ## Example
    ```python
    import numpy as np
    from joblib import Parallel, delayed

    data = np.memmap("data.bin", dtype=np.float64, mode="r").reshape(5, 3)
    sums = Parallel(n_jobs=2)(delayed(np.sum)(data, axis=1) for _ in range(2))
    ```

    ## Use instead
    ```python
    import numpy as np
    from joblib import Parallel, delayed

    data = np.memmap("data.bin", dtype=np.float64, mode="r", shape=(5, 3))
    sums = Parallel(n_jobs=2)(delayed(np.sum)(data, axis=1) for _ in range(2))
    ```
    When the number of rows is not known in advance, compute it from the file size:
    `shape=(os.path.getsize(path) // (itemsize * ncols), ncols)`.

    ## Fix safety
    The fix is safe: it moves explicit dimensions from the reshape into `np.memmap(...,
    shape=...)` (with `order="F"` when the reshape had it), which maps the same bytes with
    the same layout. It is offered only when the reshape is chained on the `np.memmap` call
    or is the only use of the name it is bound to, and every dimension is explicit (no
    unpacking). A `-1` dimension (`reshape(-1, n_channels)`) gets an unsafe fix that counts
    it from the file's size: `shape=(os.path.getsize(path) // (np.dtype(dtype).itemsize *
    n_channels), n_channels)` (less the `offset=`), for a file opened to read or update and
    a path that is a name or a string. It is unsafe because a file whose size is not a
    whole number of rows made the reshape raise, and the counted shape drops the partial
    row instead.

    ## Affected versions
    - joblib < 1.5.0: C-order reshapes (the default).
    - joblib >= 1.5.0 (1.5.0 to 1.6.0 checked): `order="F"` reshapes.

    ## References
    - [joblib #1703: np.memmap array layout changes when passed to Parallel](https://github.com/joblib/joblib/issues/1703)
    - [joblib #1704: fix memmap reducing when the base array is 1-D](https://github.com/joblib/joblib/pull/1704)
    - [joblib: working with numerical data in shared memory](https://joblib.readthedocs.io/en/stable/parallel_numpy.html)
    """

    code = "MEM101"
    name = "memmap-reshape"
    summary = "1-D memmap reshaped to N-D arrives scrambled in joblib workers"
    libraries = ("joblib",)
    # The same groups with `Parallel`: where a file holds it, the first pass keeps the
    # statements that hand arrays to joblib (the sinks the rule looks for).
    triggers = tuple(
        group + extra
        for group in ((b"memmap", b"reshape"), (b"open_memmap", b"reshape"), (b"mmap_mode", b"reshape"),
                      (b"memmap", b".shape"), (b"open_memmap", b".shape"), (b"mmap_mode", b".shape"))
        for extra in ((), (b"Parallel",))
    )
    # Names: `np.memmap`, `open_memmap`, `mmap_mode=`; not `_memmap` or `memmap_backed`.
    name_triggers = frozenset({b"memmap", b"open_memmap", b"mmap_mode"})
    _memmaps_in_tasks: "list | None" = None  # see _task_memmaps
    source_triggers = frozenset({b"memmap", b"open_memmap", b"mmap_mode"})
    fix_availability = "sometimes"
    options = {
        "require-sink": Option(
            True, bool, "Report only a reshaped view that reaches a joblib `Parallel` with "
            "worker processes in the module. `false` reports every such reshape (for "
            "libraries whose users hand these arrays to joblib)."
        ),
    }

    WithSink: "type[MemmapReshape]"  # the rule as configured by default (below)

    @classmethod
    def configured(cls, options) -> "type[MemmapReshape]":
        # Reporting only views that reach a `Parallel` run of the module (the default),
        # the rule has nothing to say in a file without `Parallel`.
        return MemmapReshape.WithSink if options.get("require-sink", True) else MemmapReshape

    valid = (
        Valid(
            """
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r", shape=(5, 3))
            rows = data.reshape(3, 5)
            """,
            versions={"joblib": "1.4.2"},
            note="an N-D shape given up front, later C-order reshapes are fine",
        ),
        Valid(
            """
            import numpy as np
            data = np.fromfile("data.bin", dtype=np.float64).reshape(5, 3)
            """,
            versions={"joblib": "1.4.2"},
            note="np.fromfile reads into memory: nothing is memory-mapped",
        ),
        Valid(
            """
            import numpy as np
            tokens = np.memmap("train.bin", dtype=np.uint16, mode="r")
            batch = tokens[0:1024]
            """,
            versions={"joblib": "1.4.2"},
            note="a 1-D memmap that is only sliced",
        ),
        Valid(
            """
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r")
            data = np.array(data)
            grid = data.reshape(5, 3)
            """,
            versions={"joblib": "1.4.2"},
            note="the name is rebound to an in-memory copy before the reshape",
        ),
        Valid(
            """
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r").reshape(5, 3)
            """,
            versions={"joblib": "1.6.0"},
            note="C-order reshapes are rebuilt correctly from joblib 1.5.0 on",
        ),
        Valid(
            """
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r").reshape(5, 3, order="F")
            """,
            versions={"joblib": "1.4.2"},
            note="before 1.5.0 an F-order rebuild of a 1-D base happens to be right",
        ),
        Valid(
            """
            import numpy as np
            flat = np.memmap("data.bin", dtype=np.float64, mode="r").reshape(-1)
            """,
            versions={"joblib": "1.4.2"},
            note="a reshape to one dimension",
        ),
        Valid(
            """
            import numpy as np
            data = np.load("data.npy").reshape(5, 3)
            """,
            versions={"joblib": "1.4.2"},
            note="np.load without mmap_mode reads into memory",
        ),
        Valid(
            """
            import numpy as np
            def ivecs_mmap(fname):
                a = np.memmap(fname, dtype="int32", mode="r")
                return a.reshape(-1, a[0] + 1)[:, 1:]
            """,
            versions={"joblib": "1.4.2"},
            note="faiss: the reshaped view is at once sliced apart; joblib ships the strides",
        ),
        Valid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            data = np.memmap("data.bin", dtype=np.float64, mode="r").reshape(5, 3)
            rows = Parallel(n_jobs=2, prefer="threads")(delayed(np.sum)(data[i]) for i in range(5))
            """,
            versions={"joblib": "1.4.2"},
            note="the view only goes to thread workers, which share the parent's memory",
        ),
        Valid(
            """
            import numpy as np
            def read(path, **kwds):
                return np.memmap(path, mode="r", **kwds).reshape(5, 3)
            """,
            versions={"joblib": "1.4.2"},
            note="shape= may come through **kwds: unknown, so quiet",
        ),
        Valid(
            """
            import numpy as np
            def read_waveforms(path, n, width):
                raw = np.memmap(path, dtype="<i2", mode="r")
                out = np.zeros((n, width), dtype="<i2")
                out[:] = raw[: n * width].reshape(n, width)
                return out
            """,
            versions={"joblib": "1.4.2"},
            note="copied at once, and no joblib in sight (`require-sink`, the default)",
        ),
        Valid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            def run(path, n_channels):
                data = np.memmap(path, dtype="<i2", mode="r").reshape(n_channels, -1).T
                return Parallel(n_jobs=2)(delayed(np.mean)(data, axis=0) for _ in range(2))
            """,
            versions={"joblib": "1.4.2"},
            note="the chain ends F-ordered, which joblib < 1.5.0 rebuilds right",
        ),
        Valid(
            """
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r").reshape(3, -1).T
            """,
            versions={"joblib": "1.4.2"},
            options={"require-sink": False},
            note="judged on the whole chain: `shape=(3, n)` with `.T` would be wrong (joblib #1019)",
        ),
    )
    invalid = (
        Invalid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            data = np.memmap("data.bin", dtype=np.float64, mode="r").reshape(5, 3)
            sums = Parallel(n_jobs=2)(delayed(np.sum)(data, axis=1) for _ in range(2))
            """,
            lines=[3],
            message="handed to `Parallel`'s worker processes",
            versions={"joblib": "1.4.2"},
            fixed="""
            import numpy as np
            from joblib import Parallel, delayed
            data = np.memmap("data.bin", dtype=np.float64, mode="r", shape=(5, 3))
            sums = Parallel(n_jobs=2)(delayed(np.sum)(data, axis=1) for _ in range(2))
            """,
            note="the view reaches the workers",
        ),
        Invalid(
            """
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r").reshape(5, 3)
            """,
            options={"require-sink": False},
            lines=[2],
            message="joblib 1.4.2",
            versions={"joblib": "1.4.2"},
            fixed="""
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r", shape=(5, 3))
            """,
        ),
        Invalid(
            """
            import numpy
            from numpy import memmap as mm
            raw = mm("data.bin", numpy.float32, "r")
            grid = raw.reshape((4, 6))
            """,
            options={"require-sink": False},
            lines=[4],
            versions={"joblib": "1.3.2"},
            fixed="""
            import numpy
            from numpy import memmap as mm
            raw = mm("data.bin", numpy.float32, "r", shape=(4, 6))
            grid = raw
            """,
        ),
        Invalid(
            """
            import numpy as np
            data = (
                np.memmap("data.bin", dtype="<f4", mode="r", shape=(60,))
                .reshape(3, 4, 5)
            )
            """,
            options={"require-sink": False},
            lines=[3],
            versions={"joblib": "1.4.2"},
            fixed="""
            import numpy as np
            data = (
                np.memmap("data.bin", dtype="<f4", mode="r", shape=(3, 4, 5))
            )
            """,
        ),
        Invalid(
            """
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r").reshape(5, 3, order="F")
            """,
            options={"require-sink": False},
            lines=[2],
            versions={"joblib": "1.6.0"},
            message='order="F"',
            fixed="""
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r", shape=(5, 3), order="F")
            """,
        ),
        Invalid(
            """
            import numpy as np

            def channels(path, n_channels):
                return np.memmap(path, dtype="<i2", mode="r", offset=64).reshape(-1, n_channels)
            """,
            options={"require-sink": False},
            lines=[4],
            versions={"joblib": "1.4.2"},
            unsafe=True,
            fixed="""
            import numpy as np
            import os

            def channels(path, n_channels):
                return np.memmap(path, dtype="<i2", mode="r", offset=64, shape=((os.path.getsize(path) - 64) // (np.dtype("<i2").itemsize * n_channels), n_channels))
            """,
            note="-1 counted from the file size: an unsafe fix",
        ),
        Invalid(
            """
            import numpy as np
            def load(path, ncols):
                data = np.memmap(path, dtype=np.float64, mode="r")
                data = data.reshape(-1, ncols)
                return data
            """,
            options={"require-sink": False},
            lines=[4],
            versions={"joblib": "1.4.2"},
            message="file size",
            note="-1 in the shape, the name rebound: no fix, the message says how to compute the shape",
        ),
        Invalid(
            """
            import numpy as np
            arr = np.load("flat.npy", mmap_mode="r")
            grid = np.reshape(arr, (5, 3))
            """,
            options={"require-sink": False},
            lines=[3],
            versions={"joblib": "1.4.2"},
            message="may",
        ),
        Invalid(
            """
            import numpy as np
            def read(path, lazy):
                if lazy:
                    data = np.memmap(path, dtype="<u2", mode="r")
                else:
                    data = np.fromfile(path, dtype="<u2")
                data.shape = (128, 128)
                return data
            """,
            options={"require-sink": False},
            lines=[7],
            versions={"joblib": "1.4.2"},
            message="may",
        ),
        Invalid(
            """
            import numpy as np
            def traces(path, n_samples, n_channels):
                raw = np.memmap(path, dtype="<i2", mode="r", shape=n_samples * n_channels)
                by_channel = np.memmap(path, dtype="<i2", mode="r", shape=n_samples)
                return raw.reshape(n_samples, n_channels), by_channel.reshape(-1, 2)
            """,
            options={"require-sink": False},
            lines=[5, 5],
            versions={"joblib": "1.4.2"},
            fixed="""
            import numpy as np
            def traces(path, n_samples, n_channels):
                raw = np.memmap(path, dtype="<i2", mode="r", shape=(n_samples, n_channels))
                by_channel = np.memmap(path, dtype="<i2", mode="r", shape=n_samples)
                return raw, by_channel.reshape(-1, 2)
            """,
            note="an element count as the shape: the second one is a guess, so no fix",
        ),
        Invalid(
            """
            import numpy as np
            import joblib
            model = joblib.load("weights.pkl", mmap_mode="r")
            m = model.reshape(10, 10)
            """,
            options={"require-sink": False},
            lines=[4],
            versions={"joblib": "1.2.0"},
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        target, dims, order = mm.reshape_info(node, self.ctx.model)
        if target is None:
            return
        if dims is not None and len(dims) < 2:
            return
        if self._sliced_apart(node, dims, order):
            return
        flagged = self._flagged(target)
        if not flagged or self._only_threads(node):
            return
        sink = None
        if self.option["require-sink"]:
            found = self._sink(node)
            if found is None:
                return
            order, sink = found
        elif self._transposed_at_once(node):
            return  # the chain ends in a transposed view: its layout decides (MEM102)
        self._report(node, flagged[0], dims, order, sink=sink)

    def _sink(self, node: cst.Call) -> tuple[str | None, str] | None:
        """Where the view `node` makes goes wrong: (the layout joblib must rebuild, a phrase
        for the message), judging the whole chain of views up to the sink: a task argument
        of a `Parallel` run with worker processes in the module."""
        model = self.ctx.model
        for m in self._task_memmaps():
            if m.reshape is node and mm.reshape_hazard(m, model) is not None:
                return _final_order(m, model), "the view is handed to `Parallel`'s worker processes"
        return None

    def _source_reaches_sink(self, source: cst.Call) -> bool:
        """The memmap opened by `source` itself (no view of it) is a task argument of a
        `Parallel` run with worker processes."""
        return any(m.source is source and not m.ops for m in self._task_memmaps())

    def _task_memmaps(self) -> list:
        """The memmaps the task arguments of `Parallel` runs with worker processes hold
        (found once per module: each reshape asks)."""
        if self._memmaps_in_tasks is None:
            model = self.ctx.model
            self._memmaps_in_tasks = [m for argument in process_task_arguments(model)
                                      for m in mm.memmaps(argument.value, model)]
        return self._memmaps_in_tasks

    def _transposed_at_once(self, node: cst.Call) -> bool:
        """`m.reshape(...).T`, `.transpose()`, `.swapaxes(...)` or `np.transpose(m.reshape(...))`."""
        model = self.ctx.model
        parent = model.parent.get(node)
        if isinstance(parent, cst.Attribute) and parent.value is node:
            if parent.attr.value == "T":
                return True
            call = model.parent.get(parent)
            return parent.attr.value in ("transpose", "swapaxes") and isinstance(call, cst.Call)
        if isinstance(parent, cst.Arg):
            call = model.parent.get(parent)
            return (
                isinstance(call, cst.Call) and call.args and call.args[0] is parent
                and model.qualified_name(call.func) in ("numpy.transpose", "numpy.swapaxes", "numpy.moveaxis")
            )
        return False

    def visit_Assign(self, node: cst.Assign) -> None:
        # `m.shape = (5, 3)` reshapes in place.
        for t in node.targets:
            target = t.target
            if isinstance(target, cst.Attribute) and target.attr.value == "shape":
                value = node.value
                if isinstance(value, (cst.Tuple, cst.List)) and len(value.elements) < 2:
                    continue
                if isinstance(value, (cst.Integer, cst.UnaryOperation)):
                    continue  # `m.shape = -1`: still 1-D
                dims = [e.value for e in value.elements] if isinstance(value, (cst.Tuple, cst.List)) else None
                for m in self._flagged(target.value):
                    sink = None
                    if self.option["require-sink"]:
                        if not self._source_reaches_sink(m.source):
                            continue
                        sink = "the array is handed to `Parallel`'s worker processes"
                    self._report(node, m, dims, "C", shape_assignment=True, sink=sink)
                    return

    def _flagged(self, target: cst.BaseExpression) -> list[mm.Memmap]:
        out = []
        for m in mm.memmaps(target, self.ctx.model):
            if any(op in (mm.TRANSPOSE, mm.RESHAPE) for op in m.ops):
                continue  # the base of the new view is no longer 1-D: not this hazard
            if m.kind == mm.MEMMAP and m.base_ndim != 1:
                continue
            if m.kind == mm.OPEN_MEMMAP and m.base_ndim not in (None, 1):
                continue
            if m.layout == "strided":
                continue  # `m[::2].reshape(...)` copies
            out.append(m)
        return out

    def _only_threads(self, node: cst.Call) -> bool:
        """`grid = m.reshape(...)` whose every use is an argument of a joblib task run by
        threads: nothing is rebuilt from the file, so the layout cannot go wrong."""
        model = self.ctx.model
        assign = model.parent.get(node)
        if not (isinstance(assign, cst.Assign) and assign.value is node and len(assign.targets) == 1):
            return False
        target = assign.targets[0].target
        if not isinstance(target, cst.Name):
            return False
        _, bindings = model.lookup(target.value, target)
        binding = next((b for b in bindings if b.node is target), None)
        uses = model.uses_of(binding) if binding is not None else []
        if not uses:
            return False
        for use in uses:
            run = run_of_task_argument(use, model)
            if run is None or thread_backend(run, model) is not True:
                return False
        return True

    def _sliced_apart(self, node: cst.Call, dims, order) -> bool:
        """`m.reshape(-1, d + 1)[:, 1:]` (faiss): the view that leaves the expression is
        not contiguous, and joblib ships the strides of such views, so it arrives intact."""
        parent = self.ctx.model.parent.get(node)
        if not (isinstance(parent, cst.Subscript) and parent.value is node) or order not in ("C", "F"):
            return False
        layout, _ = mm.subscript_layout(order, len(dims) if dims is not None else None, parent)
        return layout == "strided"

    def _report(self, node, m: mm.Memmap, dims, order, shape_assignment=False,
                sink: str | None = None) -> None:
        lib = "joblib"
        if order == "F":
            if not self.ctx.affected(lib, F_AFFECTED):
                return
        elif order == "C":
            if not self.ctx.affected(lib, C_AFFECTED):
                return
        elif not (self.ctx.affected(lib, C_AFFECTED) or self.ctx.affected(lib, F_AFFECTED)):
            return
        version = self.ctx.version(lib).describe()
        known_1d = (
            m.kind == mm.MEMMAP and m.certain and m.base_ndim_certain
            and all(op in (mm.VIEW, mm.SLICE) for op in m.ops)
        )
        opened = {
            mm.MEMMAP: "`np.memmap` opened without an N-D `shape=`",
            mm.LOAD: "`np.load(..., mmap_mode=...)` result",
            mm.OPEN_MEMMAP: "`open_memmap` result of unknown shape",
            mm.JOBLIB_LOAD: "`joblib.load(..., mmap_mode=...)` result",
        }[m.kind]
        how = "`.shape = ...`" if shape_assignment else (
            'an `order="F"` reshape' if order == "F" else "a reshape"
        )
        verb = "is" if known_1d else "may be"
        makes = "makes" if dims is not None else "may make"
        fixed_in = "fixed in 1.5.0" if order != "F" else "broken since 1.5.0"
        if sink is None:
            consequence = "if it reaches `Parallel`, they compute on scrambled values"
        else:
            consequence = f"{sink}, which compute on scrambled values"
        message = (
            f"{opened} {verb} 1-D, and {how} {makes} an N-D view of it: {version} rebuilds "
            f"such a view with the wrong memory order in process workers; {consequence} "
            f"(joblib #1703, {fixed_in})."
        )
        fix = self._fix(node, m, dims, order) if not shape_assignment else None
        if fix is not None:
            message += " Pass the shape to np.memmap instead."
        else:
            message += (
                " Open the memmap with its N-D `shape=`; if the row count is unknown, "
                "compute it from the file size: `shape=(os.path.getsize(path) // "
                "(itemsize * ncols), ncols)`."
            )
        self.report(node, message, fix=fix)

    # -- fix -------------------------------------------------------------------------------
    def _fix(self, node: cst.Call, m: mm.Memmap, dims, order) -> FixSpec | None:
        if m.kind != mm.MEMMAP or not (m.certain and m.base_ndim_certain) or m.ops:
            return None
        if dims is None or order not in ("C", "F"):
            return None
        model = self.ctx.model
        target = node.func.value if isinstance(node.func, cst.Attribute) else node.args[0].value
        source = m.source
        if arg(source, "order", 5) is not None:
            return None
        texts = [self.ctx.code_for(d).strip() for d in dims]
        applicability, extra = "safe", []
        if any(_is_minus_one(d) for d in dims):
            counted = self._counted_dimension(source, dims, texts)
            if counted is None:
                return None
            texts, extra = counted
            applicability = "unsafe"
        shape = "(" + ", ".join(texts) + ("," if len(dims) == 1 else "") + ")"
        new_call = _with_shape(source, shape, order)
        if new_call is None:
            return None
        new_code = self.ctx.code_for(new_call)
        title = f"Pass shape={shape} to np.memmap" + (' with order="F"' if order == "F" else "")
        if target is source:
            # Chained: np.memmap(...).reshape(...) -> np.memmap(..., shape=...)
            if not isinstance(node.func, cst.Attribute):
                return None
            return FixSpec(applicability, title, [Replace(node, _chained_code(node, new_call, self.ctx)), *extra])
        if not isinstance(target, cst.Name):
            return None
        binding = sole_binding(target, model)
        if binding is None or binding.kind != "assign" or binding.value is not source:
            return None
        if model.uses_of(binding) != [target]:
            return None
        # The dimensions must already be bound where np.memmap is called.
        for d in dims:
            for name in _names_in(d):
                _, bs = model.lookup(name.value, name)
                if any(model.index.get(b.node, 0) >= model.index[source] and b.kind != "import" for b in model.reaching(bs, name)):
                    return None
        return FixSpec(
            applicability,
            title,
            [Replace(source, new_code), Replace(node, target.value), *extra],
        )

    def _counted_dimension(self, source: cst.Call, dims, texts: list[str]):
        """The dimensions with the `-1` one counted from the file's size (`(-1, n)` ->
        `(os.path.getsize(path) // (np.dtype(dtype).itemsize * n), n)`), and the import
        it needs; None where that cannot be written: more than one unknown dimension, a
        path that is not a plain name or string (evaluated twice, or a file object), a
        file the call creates (`w+`), a numpy spelled otherwise than `np.memmap`."""
        if sum(_is_minus_one(d) for d in dims) != 1 or any(isinstance(d, cst.StarredElement) for d in dims):
            return None
        path = arg_value(source, "filename", 0)
        if not _plain_path(path, self.ctx.model):
            return None
        mode = arg_value(source, "mode", 2)
        if mode is not None and literal(mode, None) not in ("r", "r+", "c", "readonly", "readwrite", "copyonwrite"):
            return None
        func = source.func
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)):
            return None
        numpy = func.value.value
        dtype = arg_value(source, "dtype", 1)
        itemsize = f"{numpy}.dtype({self.ctx.code_for(dtype).strip()}).itemsize" if dtype is not None else "1"
        known = [t for d, t in zip(dims, texts) if not _is_minus_one(d)]
        per_row = " * ".join(known) if len(known) == 1 else " * ".join(f"({t})" for t in known)
        size = f"os.path.getsize({self.ctx.code_for(path).strip()})"
        offset = arg_value(source, "offset", 3)
        if offset is not None:
            size = f"({size} - {self.ctx.code_for(offset).strip()})"
        counted = f"{size} // ({itemsize} * {per_row})" if itemsize != "1" else f"{size} // ({per_row})"
        new_texts = [counted if _is_minus_one(d) else t for d, t in zip(dims, texts)]
        return new_texts, [AddImport("import os")]


def _plain_path(path: cst.BaseExpression | None, model) -> bool:
    """A path that can be read twice with the same result: a string, an f-string of
    names, a name or attribute (not bound to an open file)."""
    if isinstance(path, (cst.SimpleString, cst.ConcatenatedString)):
        return True
    if isinstance(path, cst.FormattedString):
        return all(isinstance(part.expression, (cst.Name, cst.Attribute))
                   for part in path.parts if isinstance(part, cst.FormattedStringExpression))
    if isinstance(path, cst.Name):
        b = sole_binding(path, model)
        value = b.value if b is not None else None
        return not (isinstance(value, cst.Call) and (
            is_builtin(value.func, "open", model) or model.qualified_name(value.func) == "io.open"))
    return isinstance(path, cst.Attribute)


def _is_minus_one(d: cst.BaseExpression) -> bool:
    return literal(d, None) == -1 or isinstance(d, cst.StarredElement)


def _names_in(expr: cst.CSTNode) -> list[cst.Name]:
    found: list[cst.Name] = []

    class Collect(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            found.append(n)

        def visit_Attribute(self, n: cst.Attribute) -> bool:
            n.value.visit(self)
            return False

    expr.visit(Collect())
    return found


def _with_shape(call: cst.Call, shape: str, order: str) -> cst.Call | None:
    shape_expr = cst.parse_expression(shape)
    args = list(call.args)
    existing = arg(call, "shape", 4)
    if existing is not None:
        args[args.index(existing)] = existing.with_changes(value=shape_expr)
    else:
        if any(a.star for a in args):
            return None
        args = _append(args, cst.Arg(shape_expr, keyword=cst.Name("shape"),
                                     equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))))
    if order == "F":
        args = _append(args, cst.Arg(cst.SimpleString('"F"'), keyword=cst.Name("order"),
                                     equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))))
    return call.with_changes(args=args)


def _append(args: list[cst.Arg], new: cst.Arg) -> list[cst.Arg]:
    """Append an argument, keeping the call's layout: with a trailing comma the new
    argument takes it over, and the old last one takes its predecessor's separator."""
    if not args:
        return [new]
    last = args[-1]
    if isinstance(last.comma, cst.Comma):
        separator = args[-2].comma if len(args) > 1 and isinstance(args[-2].comma, cst.Comma) else _space_comma()
        return args[:-1] + [last.with_changes(comma=separator), new.with_changes(comma=last.comma)]
    return args[:-1] + [last.with_changes(comma=_space_comma()), new]


def _space_comma() -> cst.Comma:
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _chained_code(reshape: cst.Call, new_call: cst.Call, ctx) -> str:
    # `(np.memmap(...)).reshape(5, 3)`: the receiver's own parentheses go with it; the
    # reshape call's parentheses (if any) wrap the whole replaced range already.
    receiver = reshape.func.value  # type: ignore[union-attr]
    return ctx.code_for(receiver.with_changes(args=new_call.args))


def _final_order(m: mm.Memmap, model) -> str | None:
    """The memory order of the view the workers get: its layout, else the reshape's."""
    if m.layout in ("C", "F"):
        return m.layout
    return mm.reshape_info(m.reshape, model)[2] if m.reshape is not None else None


def _holds_parallel(data: bytes) -> bool:
    return b"Parallel" in data


# MEM101 with `require-sink` on: its file filter also asks for `Parallel`. A class
# attribute, so that it pickles by name and the registry still sees one rule here.
MemmapReshape.WithSink = type("WithSink", (MemmapReshape,), {
    "__module__": __name__, "__qualname__": "MemmapReshape.WithSink", "__doc__": MemmapReshape.__doc__,
    "shape_filter": staticmethod(_holds_parallel),
})
