from __future__ import annotations

import libcst as cst

from memlint.analysis.calls import arg_value, literal
from memlint.engine.rule import Invalid, Rule, Valid

# joblib 1.5.0 loads a compressed dump in memory with a warning instead of failing.
WARNS = ">=1.5.0"
_COMPRESSED = (".gz", ".z", ".bz2", ".xz", ".lzma", ".lz4")
_JOBLIB_LOAD = ("joblib.load", "joblib.numpy_pickle.load")
_JOBLIB_DUMP = ("joblib.dump", "joblib.numpy_pickle.dump")
_NP_LOAD = "numpy.load"
_NP_SAVEZ = ("numpy.savez", "numpy.savez_compressed")


class MmapModeIgnored(Rule):
    """
    ## What it does
    Finds `mmap_mode=` given where it cannot memory-map: `joblib.load(path, mmap_mode=...)`
    of a compressed dump (a path with a compression suffix, `.gz`, `.z`, `.bz2`, `.xz`,
    `.lzma`, `.lz4`, or the path a `joblib.dump(..., compress=...)` of the module writes),
    and `np.load(path, mmap_mode=...)` of an `.npz` archive (a path ending in `.npz`, or
    one `np.savez`/`np.savez_compressed` of the module writes).

    ## Why is this bad?
    A compressed stream cannot be mapped. Before joblib 1.5.0, `load` tried anyway and
    failed or returned wrong data (measured on joblib 1.4.2: `ValueError: mmap length is
    greater than file size`); from 1.5.0 it warns and loads the whole array into memory,
    so each worker that loads it holds its own copy, which is what `mmap_mode` was meant
    to avoid (joblib #281). numpy ignores `mmap_mode` for `.npz` files without a word
    (numpy #5976, open since 2015): the arrays are read into memory when accessed.

    ## Example
    ```python
    import joblib

    joblib.dump(features, "features.pkl.gz", compress=3)
    features = joblib.load("features.pkl.gz", mmap_mode="r")
    ```

    ## Use instead
    ```python
    import joblib

    joblib.dump(features, "features.pkl")
    features = joblib.load("features.pkl", mmap_mode="r")
    ```
    Dump without compression what is to be memory-mapped; for numpy, `np.save` one array
    per `.npy` file and `np.load(path, mmap_mode="r")` each.

    ## Fix safety
    No fix: the file must be written differently.

    ## Affected versions
    Every joblib version: below 1.5.0 the load fails, from 1.5.0 it loads in memory with a
    warning. Every numpy version for `.npz`.

    ## References
    - [joblib #281: mmap_mode is silently ignored for compressed files](https://github.com/joblib/joblib/issues/281)
    - [joblib 1.5.0 changelog: load of a compressed file with mmap_mode](https://joblib.readthedocs.io/en/stable/developing.html)
    - [numpy #5976: np.load ignores mmap_mode for npz files](https://github.com/numpy/numpy/issues/5976)
    """

    code = "MEM303"
    name = "mmap-mode-ignored"
    summary = "`mmap_mode=` on a compressed joblib dump or an `.npz` archive maps nothing"
    libraries = ("joblib",)
    triggers = ((b"mmap_mode", b"joblib"), (b"mmap_mode", b"npz"), (b"mmap_mode", b"savez"))

    valid = (
        Valid(
            """
            import joblib
            import numpy as np
            joblib.dump(features, "features.pkl")
            a = joblib.load("features.pkl", mmap_mode="r")
            b = np.load("weights.npy", mmap_mode="r")
            c = joblib.load("features.pkl.gz")
            d = np.load("bundle.npz")
            """,
            note="uncompressed dumps, .npy files, no mmap_mode",
        ),
        Valid(
            """
            import joblib
            joblib.dump(model, path, compress=0)
            model = joblib.load(path, mmap_mode="r")
            """,
            note="compress=0 writes no compression",
        ),
    )
    invalid = (
        Invalid(
            """
            import joblib

            joblib.dump(features, "features.pkl.gz", compress=3)
            features = joblib.load("features.pkl.gz", mmap_mode="r")
            """,
            lines=[4],
            versions={"joblib": "1.4.2"},
            message="fails",
        ),
        Invalid(
            """
            import joblib

            def cache(model, path):
                joblib.dump(model, path, compress=("lz4", 3))
                return joblib.load(path, mmap_mode="r+")
            """,
            lines=[5],
            versions={"joblib": "1.6.0"},
            message="into memory",
        ),
        Invalid(
            """
            import numpy as np

            np.savez_compressed(out, coords=coords, values=values)
            bundle = np.load(out, mmap_mode="r")
            table = np.load(f"{run}/table.npz", mmap_mode="r")
            """,
            lines=[4, 5],
            message="numpy #5976",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        model = self.ctx.model
        q = model.qualified_name(node.func)
        if q not in _JOBLIB_LOAD and q != _NP_LOAD:
            return
        mode = arg_value(node, "mmap_mode", 1)
        if mode is None or literal(mode, "unknown") is None:
            return
        path = arg_value(node, "filename" if q in _JOBLIB_LOAD else "file", 0)
        if path is None:
            return
        if q in _JOBLIB_LOAD:
            why = self._compressed(path)
            if why is not None:
                self._report_joblib(node, why)
        else:
            why = self._archive(path)
            if why is not None:
                self.report(
                    node,
                    f"`np.load` ignores `mmap_mode` for {why}: the arrays are read into memory "
                    "when they are accessed, without a warning (numpy #5976). Save each array "
                    "with `np.save` to its own `.npy` file and memory-map that.",
                )

    # -- what the path is ----------------------------------------------------------------------
    def _compressed(self, path: cst.BaseExpression) -> str | None:
        text = _text_of(path, self.ctx.model)
        if text is not None and text.lower().endswith(_COMPRESSED):
            return f"`{text}`, a compressed file"
        dump = self._written_by(path, _JOBLIB_DUMP, "compress", 2)
        if dump is not None:
            return "a dump written with `compress=`"
        return None

    def _archive(self, path: cst.BaseExpression) -> str | None:
        text = _text_of(path, self.ctx.model)
        if text is not None and text.lower().endswith(".npz"):
            return "an `.npz` archive"
        if self._written_by(path, _NP_SAVEZ, None, None) is not None:
            return "an `.npz` archive (`np.savez` writes it)"
        return None

    def _written_by(self, path: cst.BaseExpression, writers, keyword: str | None, position: int | None):
        """A call of `writers` in the module given the same path (the same name with the
        same binding, or the same literal), and with a truthy `keyword` when one is named."""
        model = self.ctx.model
        for node in model.index:
            if type(node) is not cst.Call or model.qualified_name(node.func) not in writers:
                continue
            target = arg_value(node, "filename" if keyword else "file", 1 if keyword else 0)
            if target is None or not _same_path(target, path, model):
                continue
            if keyword is None:
                return node
            level = arg_value(node, keyword, position)
            value = literal(level, None) if level is not None else None
            if value not in (0, False, None, "") and value is not None:
                return node  # a compression level or method the code spells out
        return None

    def _report_joblib(self, node: cst.Call, why: str) -> None:
        version = self.ctx.version("joblib").describe()
        if self.ctx.affected("joblib", WARNS):
            what = ("joblib loads it into memory instead, with only a warning, so every "
                    "process that loads it holds a copy")
        else:
            what = ("joblib tries to map it anyway and fails (`ValueError: mmap length is greater "
                    "than file size`) or returns wrong data")
        self.report(
            node,
            f"`mmap_mode` cannot map {why}: {what} ({version}; joblib #281). Dump "
            "without compression what is to be memory-mapped.",
        )


def _text_of(expr: cst.BaseExpression, model) -> str | None:
    """A path's literal text, or the literal tail of an f-string (`f"{d}/x.npz"`)."""
    for o in model.origins(expr):
        value = o.expr
        found = literal(value, None)
        if isinstance(found, str):
            return found
        if isinstance(value, cst.FormattedString) and value.parts:
            last = value.parts[-1]
            if isinstance(last, cst.FormattedStringText):
                return last.value
    return None


def _same_path(a: cst.BaseExpression, b: cst.BaseExpression, model) -> bool:
    if isinstance(a, cst.Name) and isinstance(b, cst.Name) and a.value == b.value:
        return model.lookup(a.value, a)[1] == model.lookup(b.value, b)[1]
    la, lb = literal(a, None), literal(b, None)
    return isinstance(la, str) and la == lb
