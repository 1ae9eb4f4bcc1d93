"""The flake8 plugin: `flake8 --select MEM` runs memlint's rules through flake8.

Registered under the `flake8.extension` entry point as `MEM`. flake8 runs a plugin once per
file only when it takes `tree`; memlint ignores that `ast` tree and reparses the file's
`lines` with libcst through the same engine, project configuration and library-version
resolution as `memlint check`. flake8 applies `# noqa` and `--select`/`--ignore` itself, so
the engine leaves `# noqa` to it and applies only memlint's own `# memlint: ignore[...]`
comments. Only flake8's public plugin interface is used.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator, Sequence

from memlint import __version__

_projects = None  # one ProjectCache per process: config and versions resolved once per root


def _project_for(path: Path):
    global _projects
    if _projects is None:
        from memlint.engine.runner import ProjectCache

        _projects = ProjectCache()
    return _projects.for_file(path)


class Plugin:
    name = "memlint"
    version = __version__

    def __init__(self, tree: Any, lines: Sequence[str], filename: str) -> None:
        self.lines = lines
        self.filename = filename
        # Resolved here, not in run(): flake8 reports an exception raised while it builds
        # the plugin as one line naming the file, where one raised from run() is a traceback.
        self.path = _path_of(filename)
        self.project = _project_for(self.path)

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        from dataclasses import replace

        from memlint.engine.checker import check_bytes, check_text

        filename = str(self.path)
        if filename.endswith(".ipynb"):
            # flake8 reads files as Python source, rows and all: a notebook's findings are
            # in its cells, which `memlint check` reports.
            return
        settings = replace(self.project.settings_for(filename), apply_noqa=False)
        data = self._bytes()
        if data is not None:
            # The file's own bytes, decoded as `memlint check` and Python decode them (BOMs,
            # coding declarations): flake8's `lines` differ for some (a BOM and a cookie).
            found = check_bytes(data, filename, settings).diagnostics
        else:
            found = check_text("".join(self.lines), filename, settings)
        for d in found:
            if self.project.enabled(d.code, filename):
                # flake8 columns are 0-based and it adds 1 when printing.
                yield d.location.row, d.location.column - 1, f"{d.code} {d.message}", type(self)


    def _bytes(self) -> bytes | None:
        """The file as it is on disk, when flake8 read it from there (not standard input)."""
        if self.filename in ("stdin", "-") or not os.path.isfile(self.filename):
            return None
        try:
            with open(self.filename, "rb") as fh:
                return fh.read()
        except OSError:
            return None


def _path_of(filename: str) -> Path:
    # flake8 names standard input "stdin" (or --stdin-display-name): the project is then the
    # one around the working directory, as for `memlint --stdin-filename`.
    if filename in ("stdin", "-") or not os.path.exists(filename):
        return Path.cwd() / (os.path.basename(filename) or "stdin")
    return Path(filename).resolve()
