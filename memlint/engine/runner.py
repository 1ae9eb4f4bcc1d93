"""Run the checker over files: group them by project, build each project's settings once,
check (and fix) every file, write fixed files atomically."""

from __future__ import annotations

import difflib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from memlint.diagnostics import Diagnostic
from memlint.engine.checker import FileResult, Settings


@dataclass
class Project:
    """A project root with its config and resolved library versions."""

    config: "object"  # memlint.config.Config
    resolver: "object"  # memlint.versions.VersionResolver

    def settings_for(self, filename: str) -> Settings:
        from memlint.engine.registry import all_rules

        cfg = self.config
        rules = [r for code, r in all_rules().items() if cfg.is_enabled(code, filename)]
        options = {r.code: cfg.options_for(r.code, {k: o.default for k, o in r.options.items()}) for r in rules}
        return Settings(rules, options, self.resolver.resolve, self.resolver.affected)

    def enabled(self, code: str, filename: str) -> bool:
        return self.config.is_enabled(code, filename)


@dataclass
class FixOptions:
    fix: bool = False
    unsafe: bool = False
    diff: bool = False  # compute fixes, print a diff, write nothing


@dataclass
class RunResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    fixed: int = 0  # fixes applied (or that would be, with --diff)
    diffs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one-line problems (unreadable files...)
    sources: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, bytes] = field(default_factory=dict)  # fixed bytes by filename
    fixed_codes: dict[str, list[str]] = field(default_factory=dict)  # codes fixed, by file


def process_bytes(
    data: bytes, filename: str, project: Project, opts: FixOptions
) -> tuple[FileResult, bytes | None, str | None]:
    """Check one file's bytes; with fixing, also return the fixed bytes (None when
    unchanged) and an error message when a fix had to be rolled back."""
    from memlint.engine.checker import check_bytes, decode, encode, fix_text

    settings = project.settings_for(filename)
    result = check_bytes(data, filename, settings)
    result.diagnostics = [d for d in result.diagnostics if project.enabled(d.code, filename)]
    if not (opts.fix or opts.diff) or not any(d.fix for d in result.diagnostics):
        return result, None, None
    text, encoding = decode(data)
    new_text, applied, remaining, error = fix_text(
        text, filename, settings, unsafe=opts.unsafe, fixed_codes=result.fixed_codes
    )
    result.diagnostics = [d for d in remaining if project.enabled(d.code, filename)]
    result.fixes_applied = applied
    if new_text == text:
        return result, None, error
    result.fixed_text = new_text
    return result, encode(new_text, encoding), error


def write_atomic(path: Path, data: bytes) -> None:
    """Write through a temporary file in the same directory and rename it over the
    original, keeping its permission bits: a crash never leaves half a file."""
    mode = path.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".memlint", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def unified_diff(filename: str, before: str, after: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=filename,
            tofile=filename,
        )
    )


class ProjectCache:
    """Config and version resolution, once per project root."""

    def __init__(self, config_path: Path | None = None, overrides: dict | None = None) -> None:
        self.config_path = config_path
        self.overrides = overrides or {}
        self._by_root: dict[Path, Project] = {}
        self._root_of_dir: dict[Path, Path] = {}

    def for_file(self, path: Path) -> Project:
        from memlint.config import find_project_root, load_config

        if self.config_path is not None:
            root = self.config_path.resolve().parent
        else:
            directory = path.parent
            root = self._root_of_dir.get(directory)
            if root is None:
                root = find_project_root(directory)
                self._root_of_dir[directory] = root
        project = self._by_root.get(root)
        if project is None:
            from memlint.versions import VersionResolver

            config = load_config(root, self.config_path)
            if self.overrides:
                config = config.with_overrides(**self.overrides)
            project = Project(config, VersionResolver(config))
            self._by_root[root] = project
        return project


def run_files(files: Iterable[Path], projects: ProjectCache, opts: FixOptions) -> RunResult:
    out = RunResult()
    for path in files:
        filename = str(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            out.errors.append(f"memlint: cannot read {filename}: {exc.strerror or exc}")
            continue
        project = projects.for_file(path)
        result, fixed, error = process_bytes(data, filename, project, opts)
        if error:
            out.errors.append(f"memlint: {filename}: {error}")
        out.diagnostics.extend(result.diagnostics)
        if fixed is not None:
            out.fixed += result.fixes_applied
            out.fixed_codes[filename] = result.fixed_codes
            if opts.diff:
                from memlint.engine.checker import decode

                before, _ = decode(data)
                out.diffs.append(unified_diff(filename, before, result.fixed_text or before))
            else:
                write_atomic(path, fixed)
    out.diagnostics.sort(key=Diagnostic.sort_key)
    return out


def relevant_files(
    paths: Sequence[Path], projects: ProjectCache, force_exclude: bool = False
) -> list[Path]:
    """Expand the given paths, with the excludes of the project the first of them is in
    (applied to files named explicitly too with `force_exclude`, as pre-commit needs)."""
    from memlint.engine.discovery import discover

    first = paths[0].resolve() if paths else Path.cwd()
    anchor = first if first.is_dir() else first.parent
    cfg = projects.for_file(anchor / "__init__.py").config
    return discover(paths, root=cfg.root, exclude=cfg.exclude, extend_exclude=cfg.extend_exclude,
                    force_exclude=force_exclude)
