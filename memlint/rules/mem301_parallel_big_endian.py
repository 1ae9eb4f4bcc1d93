from __future__ import annotations

import libcst as cst

from memlint.analysis import byteorder as bo
from memlint.analysis.calls import is_none, literal
from memlint.analysis.parallel import run_at, runs_in_parent, setting, uses_threads
from memlint.engine.rule import FixSpec, InsertBefore, Invalid, Replace, Rule, Valid

AFFECTED = ">=1.3.0,<1.5.0"
DEFAULT_MAX_NBYTES = 1024 ** 2  # joblib's max_nbytes="1M"
_UNITS = {"K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}
NATIVE_FORM = '{x}.astype({x}.dtype.newbyteorder("="))'


class ParallelBigEndian(Rule):
    """
    ## What it does
    Finds an array with a non-native (on x86-64 and ARM64: big-endian) dtype passed to
    `delayed(f)(...)` in a joblib `Parallel` call that uses worker processes, on the joblib
    versions that crash on it: a `">f8"`-style dtype given to a constructor or reader,
    `.astype(">f4")`, `.view(">i4")`, a dtype made with `.newbyteorder(">")`, a structured
    dtype whose fields are all non-native, or astropy FITS data (`fits.getdata(...)`,
    `fits.open(...)[i].data`), which is big-endian.

    ## Why is this bad?
    joblib dumps an argument larger than `max_nbytes` (1 MB by default) to a temporary file
    and has the worker memory-map it. From joblib 1.3.0 the worker swaps a non-native array
    to native order while loading it, which yields an in-memory array without a file name,
    and the next step fails on that: the whole call dies with `BrokenProcessPool: A task has
    failed to un-serialize` (joblib #1545). Smaller arrays are pickled and work, so the
    crash appears only on real data sizes. joblib 1.5.0 fixed it (PR #1561).

    ## Example
    ```python
    import numpy as np
    from joblib import Parallel, delayed

    data = np.fromfile("scan.bin", dtype=">f8").reshape(4, -1)
    sums = Parallel(n_jobs=2)(delayed(np.sum)(data[i]) for i in range(4))
    ```

    ## Use instead
    ```python
    import numpy as np
    from joblib import Parallel, delayed

    data = np.fromfile("scan.bin", dtype=">f8").reshape(4, -1)
    data = data.astype(data.dtype.newbyteorder("="))
    sums = Parallel(n_jobs=2)(delayed(np.sum)(data[i]) for i in range(4))
    ```
    Or pass `max_nbytes=None` to `Parallel` (no memory-mapping: each task pickles its
    arrays), or upgrade to joblib 1.5.0 or later.

    ## Fix safety
    The fix converts the array to native byte order with
    `x.astype(x.dtype.newbyteorder("="))`: the values are unchanged, only their byte order
    differs, and joblib still memory-maps the converted array. When the array is a name
    bound in the same scope, the conversion is inserted once before the `Parallel` call
    (before an enclosing loop that does not bind it); otherwise it wraps the argument when
    that is a plain name, attribute or subscript. The fix is safe when the value is
    non-native on every path, and unsafe when it only may be: the conversion then copies
    an array that did not need it.

    ## Affected versions
    joblib 1.3.0 to 1.4.2 (1.3.0, 1.3.1, 1.3.2, 1.4.0 and 1.4.2 fail; 1.4.1 was never
    released). 1.2.0 and 1.5.0 and later work. Only the default `loky` backend fails: the
    `multiprocessing` backend converts the array and works, thread backends and `n_jobs=1`
    pickle nothing, and `max_nbytes=None` turns the memory-mapping off. Arrays that are
    already memory-mapped files (`np.memmap`, `np.load(..., mmap_mode=...)`) are sent by
    file name and work too.

    ## References
    - [joblib #1545: large big-endian arrays cannot be serialized in Parallel](https://github.com/joblib/joblib/issues/1545)
    - [joblib #1561: disable endianness alteration when unpickling in Parallel](https://github.com/joblib/joblib/pull/1561)
    - [joblib: working with numerical data in shared memory (max_nbytes)](https://joblib.readthedocs.io/en/stable/parallel_numpy.html)
    - [numpy: dtype.newbyteorder](https://numpy.org/doc/stable/reference/generated/numpy.dtype.newbyteorder.html)
    """

    code = "MEM301"
    name = "parallel-big-endian"
    summary = "Large non-native byte order array passed to joblib Parallel crashes its workers"
    libraries = ("joblib",)
    # A '>' opening a string (">f8", '>i4', ">" + kind), not any comparison; FITS data
    # only through astropy's imports (not every `num_fits` or "fits in memory").
    triggers = (
        (b"Parallel", b"delayed", b"\">"),
        (b"Parallel", b"delayed", b"'>"),
        (b"Parallel", b"delayed", b"newbyteorder"),
        (b"Parallel", b"delayed", b"byteswap"),
        (b"Parallel", b"delayed", b"astropy"),
    )
    name_triggers = frozenset({b"Parallel", b"delayed"})
    # The array may come from a loader of another module (`fits.getdata` in `io.py`).
    project_triggers = ((b"Parallel", b"delayed"),)
    # A big-endian dtype spelled there (not any '>' in a string), a swap, or FITS data.
    source_triggers = frozenset(
        {q + b">" + kind for q in (b'"', b"'") for kind in (b"f", b"i", b"u", b"c", b"d", b"M", b"m")}
        | {b"newbyteorder", b"byteswap", b"astropy"}
    )
    fix_availability = "sometimes"

    valid = (
        Valid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            data = np.fromfile("scan.bin", dtype=">f8")
            out = Parallel(n_jobs=2)(delayed(np.sum)(data) for _ in range(2))
            """,
            versions={"joblib": "1.2.0"},
            note="before 1.3.0 the worker did not swap the array",
        ),
        Valid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            data = np.fromfile("scan.bin", dtype=">f8")
            out = Parallel(n_jobs=2)(delayed(np.sum)(data) for _ in range(2))
            """,
            versions={"joblib": "1.5.0"},
            note="fixed in 1.5.0",
        ),
        Valid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            data = np.fromfile("scan.bin", dtype=">f8")
            out = Parallel(n_jobs=2, max_nbytes=None)(delayed(np.sum)(data) for _ in range(2))
            """,
            versions={"joblib": "1.4.2"},
            note="max_nbytes=None: arrays are pickled, never memory-mapped",
        ),
        Valid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            data = np.fromfile("scan.bin", dtype=">f8")
            data = data.astype(data.dtype.newbyteorder("="))
            out = Parallel(n_jobs=2)(delayed(np.sum)(data) for _ in range(2))
            """,
            versions={"joblib": "1.4.2"},
            note="converted to native byte order first",
        ),
        Valid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            raw = np.fromfile("scan.bin", dtype=">f4")
            out = Parallel(n_jobs=2)(delayed(np.sum)(raw.astype(np.float32)) for _ in range(2))
            """,
            versions={"joblib": "1.4.2"},
            note=".astype to a native dtype at the argument",
        ),
        Valid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            from astropy.io import fits
            cube = fits.getdata("cube.fits")
            cube = cube.byteswap().view(cube.dtype.newbyteorder())
            out = Parallel(n_jobs=2)(delayed(np.sum)(cube[i]) for i in range(4))
            """,
            versions={"joblib": "1.4.2"},
            note="byteswap plus a swapped dtype turns big-endian FITS data native",
        ),
        Valid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            data = np.fromfile("scan.bin", dtype=">f8")
            out = Parallel(n_jobs=2, backend="threading")(delayed(np.sum)(data) for _ in range(2))
            """,
            versions={"joblib": "1.4.2"},
            note="threads share memory: nothing is pickled",
        ),
        Valid(
            """
            import numpy as np
            from joblib import Parallel, delayed, parallel_config
            data = np.fromfile("scan.bin", dtype=">f8")
            with parallel_config(max_nbytes=None):
                out = Parallel(n_jobs=2)(delayed(np.sum)(data) for _ in range(2))
            """,
            versions={"joblib": "1.4.2"},
        ),
        Valid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            data = np.fromfile("scan.bin", dtype=">f8")
            out = Parallel(n_jobs=2, backend="multiprocessing")(delayed(np.sum)(data) for _ in range(2))
            """,
            versions={"joblib": "1.4.2"},
            note="the multiprocessing backend converts the array and works (measured)",
        ),
        Valid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            data = np.fromfile("scan.bin", dtype=">f8")
            out = Parallel(n_jobs=1)(delayed(np.sum)(data) for _ in range(2))
            """,
            versions={"joblib": "1.4.2"},
            note="n_jobs=1 runs in the calling process",
        ),
        Valid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            small = np.zeros((100, 100), dtype=">f8")
            out = Parallel(n_jobs=2)(delayed(np.sum)(small) for _ in range(2))
            """,
            versions={"joblib": "1.4.2"},
            note="80 kB: below max_nbytes, pickled normally",
        ),
        Valid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            mm = np.memmap("scan.bin", dtype=">f8", mode="r")
            out = Parallel(n_jobs=2)(delayed(np.sum)(mm[i::2]) for i in range(2))
            """,
            versions={"joblib": "1.4.2"},
            note="a memory-mapped file is sent by name, not dumped (measured)",
        ),
        Valid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            header = np.fromfile("scan.bin", dtype=">u1")
            text = np.fromfile("names.bin", dtype="S16")
            out = Parallel(n_jobs=2)(delayed(f)(header, text) for _ in range(2))
            """,
            versions={"joblib": "1.4.2"},
            note="single-byte dtypes have no byte order",
        ),
        Valid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            rec = np.fromfile("records.bin", dtype=[("t", ">f8"), ("flag", "u1")])
            out = Parallel(n_jobs=2)(delayed(f)(rec) for _ in range(2))
            """,
            versions={"joblib": "1.4.2"},
            note="joblib swaps a structured array only when every field is non-native",
        ),
        Valid(
            """
            from joblib import Parallel, delayed
            from astropy.io import fits
            out = Parallel(n_jobs=4)(delayed(photometry)(path) for path in paths)
            """,
            versions={"joblib": "1.4.2"},
            note="file names are sent, the FITS file is opened in the worker",
        ),
        Valid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            def blockfile(endianess, path):
                data = np.fromfile(path, dtype=endianess + "u1")
                return Parallel(n_jobs=2)(delayed(f)(data) for _ in range(2))
            """,
            versions={"joblib": "1.4.2"},
            note="whatever the prefix, u1 has no byte order",
        ),
        Valid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            def native(data):
                kind, size = data.dtype.kind, data.dtype.itemsize
                return data.astype("=" + kind + str(size))
            data = np.fromfile("scan.bin", dtype=">f4")
            clean = data.astype("=" + data.dtype.kind + str(data.dtype.itemsize))
            out = Parallel(n_jobs=2)(delayed(np.sum)(clean) for _ in range(2))
            """,
            versions={"joblib": "1.4.2"},
            note='an explicit "=" byte order in a built dtype string',
        ),
    )
    invalid = (
        Invalid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            data = np.fromfile("scan.bin", dtype=">f8").reshape(4, -1)
            sums = Parallel(n_jobs=2)(delayed(np.sum)(data[i]) for i in range(4))
            """,
            lines=[4],
            message="joblib 1.4.2",
            versions={"joblib": "1.4.2"},
            fixed="""
            import numpy as np
            from joblib import Parallel, delayed
            data = np.fromfile("scan.bin", dtype=">f8").reshape(4, -1)
            data = data.astype(data.dtype.newbyteorder("="))
            sums = Parallel(n_jobs=2)(delayed(np.sum)(data[i]) for i in range(4))
            """,
        ),
        Invalid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            x = np.random.randint(0, 100, (200000, 3)).view(">i4")
            out = Parallel(n_jobs=2)(delayed(np.sum)(x) for _ in range(2))
            """,
            lines=[4],
            message="BrokenProcessPool",
            versions={"joblib": "1.3.0"},
            note="the reproducer of joblib #1545",
            fixed="""
            import numpy as np
            from joblib import Parallel, delayed
            x = np.random.randint(0, 100, (200000, 3)).view(">i4")
            x = x.astype(x.dtype.newbyteorder("="))
            out = Parallel(n_jobs=2)(delayed(np.sum)(x) for _ in range(2))
            """,
        ),
        Invalid(
            """
            import numpy
            import joblib
            big = numpy.dtype(">u2")
            def run(path):
                frames = numpy.fromfile(path, big)
                return joblib.Parallel(n_jobs=4)(
                    joblib.delayed(process)(frame=frames, index=i) for i in range(4)
                )
            """,
            lines=[7],
            versions={"joblib": "1.4.0"},
            note="a dtype bound to a module name, positional; a keyword argument",
            fixed="""
            import numpy
            import joblib
            big = numpy.dtype(">u2")
            def run(path):
                frames = numpy.fromfile(path, big)
                frames = frames.astype(frames.dtype.newbyteorder("="))
                return joblib.Parallel(n_jobs=4)(
                    joblib.delayed(process)(frame=frames, index=i) for i in range(4)
                )
            """,
        ),
        Invalid(
            """
            import numpy as np
            from sklearn.utils.parallel import Parallel, delayed
            record = [("time", ">f8"), ("value", ">f4")]
            table = np.frombuffer(buf, dtype=record)
            pool = Parallel(n_jobs=2)
            tasks = [delayed(summarise)(table) for _ in range(3)]
            results = pool(tasks)
            """,
            lines=[6],
            message="structured dtype",
            versions={"joblib": "1.4.2"},
            note="a structured dtype with every field big-endian; sklearn's wrappers",
            fixed="""
            import numpy as np
            from sklearn.utils.parallel import Parallel, delayed
            record = [("time", ">f8"), ("value", ">f4")]
            table = np.frombuffer(buf, dtype=record)
            pool = Parallel(n_jobs=2)
            table = table.astype(table.dtype.newbyteorder("="))
            tasks = [delayed(summarise)(table) for _ in range(3)]
            results = pool(tasks)
            """,
        ),
        Invalid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            from astropy.io import fits
            def fit_all(path):
                with fits.open(path) as hdul:
                    cube = hdul["SCI"].data
                    return Parallel(n_jobs=4)(delayed(fit)(cube[:, i]) for i in range(cube.shape[1]))
            """,
            lines=[7],
            message="FITS data",
            versions={"joblib": "1.4.2"},
            fixed="""
            import numpy as np
            from joblib import Parallel, delayed
            from astropy.io import fits
            def fit_all(path):
                with fits.open(path) as hdul:
                    cube = hdul["SCI"].data
                    cube = cube.astype(cube.dtype.newbyteorder("="))
                    return Parallel(n_jobs=4)(delayed(fit)(cube[:, i]) for i in range(cube.shape[1]))
            """,
        ),
        Invalid(
            """
            import astropy.io.fits as pyfits
            from joblib import Parallel, delayed
            out = Parallel(n_jobs=2)(delayed(f)(pyfits.getdata(p)) for p in paths)
            """,
            lines=[3],
            versions={"joblib": "1.4.2"},
            note="an inline expression: no fix, the message shows the conversion",
        ),
        Invalid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            class Reader:
                def run(self):
                    self.raw = np.fromfile(self.path, dtype=np.dtype("f4").newbyteorder("big"))
                    return Parallel(n_jobs=2)(delayed(f)(self.raw) for _ in range(2))
            """,
            lines=[6],
            versions={"joblib": "1.4.2"},
            note="newbyteorder with a spelled-out order; an attribute is converted at the argument",
            fixed="""
            import numpy as np
            from joblib import Parallel, delayed
            class Reader:
                def run(self):
                    self.raw = np.fromfile(self.path, dtype=np.dtype("f4").newbyteorder("big"))
                    return Parallel(n_jobs=2)(delayed(f)(self.raw.astype(self.raw.dtype.newbyteorder("="))) for _ in range(2))
            """,
        ),
        Invalid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            native = np.arange(1_000_000, dtype=np.float64)
            swapped = native.byteswap().view(native.dtype.newbyteorder())
            out = Parallel(n_jobs=2)(delayed(np.sum)(swapped) for _ in range(2))
            """,
            lines=[5],
            versions={"joblib": "1.4.2"},
            note="byteswap plus a swapped dtype makes native data big-endian",
            fixed="""
            import numpy as np
            from joblib import Parallel, delayed
            native = np.arange(1_000_000, dtype=np.float64)
            swapped = native.byteswap().view(native.dtype.newbyteorder())
            swapped = swapped.astype(swapped.dtype.newbyteorder("="))
            out = Parallel(n_jobs=2)(delayed(np.sum)(swapped) for _ in range(2))
            """,
        ),
        Invalid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            def load(path, lazy):
                if lazy:
                    data = np.fromfile(path, dtype="<f8")
                else:
                    data = np.fromfile(path, dtype=">f8")
                return Parallel(n_jobs=2)(delayed(np.sum)(data) for _ in range(2))
            """,
            lines=[8],
            message="may be",
            versions={"joblib": "1.4.2"},
            unsafe=True,
            note="non-native on one path only: the fix is unsafe",
            fixed="""
            import numpy as np
            from joblib import Parallel, delayed
            def load(path, lazy):
                if lazy:
                    data = np.fromfile(path, dtype="<f8")
                else:
                    data = np.fromfile(path, dtype=">f8")
                data = data.astype(data.dtype.newbyteorder("="))
                return Parallel(n_jobs=2)(delayed(np.sum)(data) for _ in range(2))
            """,
        ),
        Invalid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            grid = np.zeros((1024, 1024), dtype=">f8")
            for step in range(10):
                out = Parallel(n_jobs=2, max_nbytes="4M")(delayed(f)(grid, step) for _ in range(2))
            """,
            lines=[5],
            versions={"joblib": "1.4.2"},
            note="8 MB above max_nbytes=4M; the conversion goes before the loop",
            fixed="""
            import numpy as np
            from joblib import Parallel, delayed
            grid = np.zeros((1024, 1024), dtype=">f8")
            grid = grid.astype(grid.dtype.newbyteorder("="))
            for step in range(10):
                out = Parallel(n_jobs=2, max_nbytes="4M")(delayed(f)(grid, step) for _ in range(2))
            """,
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        model = self.ctx.model
        run = run_at(node, model)
        if run is None or not run.tasks:
            return
        if not self.ctx.affected("joblib", AFFECTED):
            return
        if uses_threads(run, model) or runs_in_parent(run, model):
            return
        doubts: list[str] = []
        backend_expr = setting(run, model, "backend")
        if backend_expr is not None:
            backend = literal(backend_expr, None)
            if backend is None:
                doubts.append("backend")
            elif backend != "loky":
                return  # multiprocessing converts the array and works; others are not known to fail
        limit_expr = setting(run, model, "max_nbytes")
        limit: int | None = DEFAULT_MAX_NBYTES
        if limit_expr is not None:
            if is_none(limit_expr):
                return  # memory-mapping is off
            limit = max_nbytes(literal(limit_expr, None))
            if limit is None:
                doubts.append("max_nbytes")
        reported: set[int] = set()
        for _task, argument in run.task_arguments():
            if argument.star or id(argument.value) in reported:
                continue
            self._check(run, argument.value, limit, doubts)
            reported.add(id(argument.value))

    def _check(self, run, expr: cst.BaseExpression, limit: int | None, doubts: list[str]) -> None:
        found = bo.array_orders(expr, self.ctx.model)
        flagged = [
            a for a in found
            if a.order == bo.NONNATIVE and not a.file_backed
            and not (a.nbytes is not None and limit is not None and a.nbytes <= limit)
        ]
        if not flagged:
            return
        definite = len(flagged) == len(found) and all(a.certain for a in found)
        verb = "is" if definite and not doubts else "may be"
        version = self.ctx.version("joblib").describe()
        sources = sorted({a.what for a in flagged if a.what})
        whence = f" ({'; '.join(sources)})" if sources else ""
        root = expr
        while isinstance(root, cst.Subscript):
            root = root.value
        if isinstance(root, cst.Name):
            example = f"{root.value} = {NATIVE_FORM.format(x=root.value)}"
        else:
            example = NATIVE_FORM.format(x=self.ctx.code_for(expr).strip() if _simple(expr) else "x")
        message = (
            f"This argument {verb} an array with a non-native (big-endian) byte order{whence}: "
            f"{version} cannot send such an array above `max_nbytes` (1 MB by default) to its "
            "worker processes, and `Parallel` fails with `BrokenProcessPool: A task has failed "
            "to un-serialize` (joblib #1545, fixed in 1.5.0). Convert it to native order first: "
            f"`{example}`, or pass `max_nbytes=None`."
        )
        fix = self._fix(run, expr, "safe" if definite else "unsafe")
        self.report(expr, message, fix=fix)

    # -- fix -------------------------------------------------------------------------------
    def _fix(self, run, expr: cst.BaseExpression, applicability: str) -> FixSpec | None:
        root = expr
        while isinstance(root, cst.Subscript):
            root = root.value
        if isinstance(root, cst.Name):
            where = self._insertion_point(root, expr)
            if where is not None:
                name = root.value
                return FixSpec(
                    applicability,
                    f"Convert `{name}` to native byte order before `Parallel`",
                    [InsertBefore(where, f"{name} = {NATIVE_FORM.format(x=name)}")],
                )
        if _simple(expr):
            code = self.ctx.code_for(expr).strip()
            return FixSpec(
                applicability,
                "Convert the argument to native byte order",
                [Replace(expr, NATIVE_FORM.format(x=code))],
            )
        return None

    def _insertion_point(self, name: cst.Name, argument: cst.BaseExpression) -> cst.CSTNode | None:
        """The statement before which `name = name.astype(...)` converts the value once:
        the statement that evaluates the task argument (a list of tasks may be built
        before the Parallel call), or an enclosing loop of the same scope that does not
        bind the name. None when such a line could change which value the name holds
        elsewhere."""
        model = self.ctx.model
        scope, bindings = model.lookup(name.value, name)
        reaching = model.reaching(bindings, name)
        if scope is None or not reaching or scope.kind not in ("module", "function"):
            return None
        if name.value in scope.globals or name.value in scope.nonlocals:
            return None
        if any(b.kind not in ("assign", "annassign") for b in reaching):
            return None
        stmt = model.statement_of(argument)
        if model.scope(stmt) is not scope:
            return None  # the name comes from an enclosing scope: a new binding would shadow it
        if isinstance(stmt, cst.If) and isinstance(model.parent.get(stmt), cst.If):
            return None  # an `elif` test: nothing can go before it
        binding_stmts = [b.stmt for b in reaching]
        if any(s is stmt or stmt in set(model.ancestors(s)) for s in binding_stmts):
            return None  # bound in the statement itself (walrus) or inside it
        for anc in model.ancestors(stmt):
            if anc is scope.node:
                break
            if isinstance(anc, (cst.For, cst.While)) and not any(
                anc in set(model.ancestors(s)) for s in binding_stmts
            ):
                stmt = anc
        if any(model.index.get(s, 0) >= model.index.get(stmt, 0) for s in binding_stmts):
            return None
        return stmt


def _simple(expr: cst.BaseExpression) -> bool:
    """A name, attribute or subscript of those with simple indices: cheap to repeat and
    free of side effects."""
    if isinstance(expr, cst.Name):
        return True
    if isinstance(expr, cst.Attribute):
        return _simple(expr.value)
    if isinstance(expr, cst.Subscript):
        if not _simple(expr.value):
            return False
        for el in expr.slice:
            part = el.slice
            values = [part.value] if isinstance(part, cst.Index) else [
                v for v in (part.lower, part.upper, part.step) if v is not None
            ]
            if not all(isinstance(v, (cst.Name, cst.Integer, cst.UnaryOperation)) for v in values):
                return False
        return True
    return False


def max_nbytes(value) -> int | None:
    """joblib's max_nbytes: an int in bytes or a string such as "1M" (K, M, G: powers of
    1024). None when it cannot be read."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value and value[-1] in _UNITS:
        try:
            return int(_UNITS[value[-1]] * float(value[:-1]))
        except ValueError:
            return None
    return None
