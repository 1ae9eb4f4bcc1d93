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

        from memlint.engine.checker import check_text

        filename = str(self.path)
        settings = replace(self.project.settings_for(filename), apply_noqa=False)
        for d in check_text("".join(self.lines), filename, settings):
            if self.project.enabled(d.code, filename):
                # flake8 columns are 0-based and it adds 1 when printing.
                yield d.location.row, d.location.column - 1, f"{d.code} {d.message}", type(self)


def _path_of(filename: str) -> Path:
    # flake8 names standard input "stdin" (or --stdin-display-name): the project is then the
    # one around the working directory, as for `memlint --stdin-filename`.
    if filename in ("stdin", "-") or not os.path.exists(filename):
        return Path.cwd() / (os.path.basename(filename) or "stdin")
    return Path(filename).resolve()
