"""Which files to check: expand the paths given on the command line into Python files and
Jupyter notebooks.

Directories are walked top-down and pruned as soon as they are excluded, so an ignored
`node_modules` or data directory costs one name check, not a walk. Exclusion comes from three
places: directory names in DEFAULT_EXCLUDES, the `exclude`/`extend-exclude` glob patterns
(gitignore syntax, relative to the project root) and, optionally, .gitignore files.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

if TYPE_CHECKING:  # pragma: no cover
    import pathspec

DEFAULT_EXCLUDES = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "build",
    "dist",
    "__pycache__",
    "node_modules",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".memlint_cache",
    ".eggs",
    ".ipynb_checkpoints",
)

# Jupyter notebooks are checked as the module their code cells make.
PYTHON_SUFFIXES = (".py", ".pyi", ".ipynb")

_DEFAULT_EXCLUDED_NAMES = frozenset(DEFAULT_EXCLUDES)


class PathError(Exception):
    """A command-line path that cannot be checked; str() is the one-line message to print."""


def discover(
    paths: Sequence[Path],
    root: Path,
    exclude: Sequence[str] = (),
    extend_exclude: Sequence[str] = (),
    respect_gitignore: bool = True,
    force_exclude: bool = False,
    notices: list[str] | None = None,
) -> list[Path]:
    """The Python files under `paths`: sorted, de-duplicated, absolute and resolved. What
    was left out that the user may not expect (a link out of the project, a directory that
    cannot be read) is said in `notices`, one line each.

    A file named explicitly is kept whatever its suffix, unless `force_exclude` is set and
    it matches an exclusion (default directory names or exclude patterns; .gitignore is
    only consulted while walking, as ruff does).
    """
    root = root.resolve()
    patterns = _compile([*exclude, *extend_exclude])
    found: set[Path] = set()
    for given in paths:
        path = Path(given).absolute()
        try:
            path = _resolved(path, given)
        except PermissionError:
            # Named but not ours to read: checked as the others are, so that reading it
            # fails in one line naming it and the run goes on.
            found.add(path)
            continue
        if force_exclude and _is_excluded(path, root, patterns):
            continue
        if path.is_dir():
            found.update(_walk(path, root, patterns, respect_gitignore,
                               notices if notices is not None else []))
        elif path.is_file():
            found.add(path)
        elif notices is not None:  # a FIFO, a device: reading it would wait or never end
            notices.append(f"skipping {given}: not a regular file")
    return sorted(found)


def _resolved(path: Path, given) -> Path:
    """`path` with its links followed; PathError, one line, for what cannot be."""
    try:
        os.stat(path)
        return path.resolve()
    except (OSError, RuntimeError) as exc:
        if isinstance(exc, OSError) and exc.errno == errno.ELOOP or isinstance(exc, RuntimeError):
            raise PathError(f"memlint: cannot check {given}: a symlink loop") from None
        if isinstance(exc, FileNotFoundError):  # a dangling symlink counts as missing
            raise PathError(f"memlint: path does not exist: {given}") from None
        if isinstance(exc, PermissionError):
            raise
        raise PathError(f"memlint: cannot check {given}: {exc.strerror or exc}") from None


# --- walking ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ignore:
    """The patterns of one .gitignore file, which apply below the directory holding it."""

    base: Path
    spec: pathspec.PathSpec


def _walk(top: Path, root: Path, patterns: pathspec.PathSpec, gitignore: bool,
          notices: list[str]) -> Iterator[Path]:
    """Python files under `top`, skipping excluded and git-ignored entries without descending."""
    inherited = _ancestor_gitignores(top, root) if gitignore else []
    stack: list[tuple[Path, list[_Ignore]]] = [(top, inherited)]
    while stack:
        directory, ignores = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except FileNotFoundError:  # vanished mid-walk: nothing to check there
            continue
        except OSError as exc:
            notices.append(f"cannot read directory {directory}: {exc.strerror or exc}")
            continue
        if gitignore:
            ignores = _with_local_gitignore(directory, entries, ignores)
        for entry in entries:
            path = directory / entry.name
            if _is_dir(entry):
                if not _skip_dir(path, root, patterns, ignores):
                    stack.append((path, ignores))
            elif _is_python_file(entry) and not _skip_file(path, root, patterns, ignores):
                # Only a symlinked file can resolve elsewhere: the directories walked are
                # already resolved and symlinked directories are never entered. A link out
                # of the project is not followed (as formatters do: --fix would write there).
                if not entry.is_symlink():
                    yield path
                    continue
                target = path.resolve()
                if target.is_relative_to(root):
                    yield target
                else:
                    notices.append(f"skipping {path}: it links to {target}, outside the project")


def _is_dir(entry: os.DirEntry) -> bool:
    # Symlinked directories are not followed: they can loop or leave the project.
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _is_python_file(entry: os.DirEntry) -> bool:
    if not entry.name.endswith(PYTHON_SUFFIXES):
        return False
    try:
        return entry.is_file()  # follows symlinks, so a dangling link is dropped here
    except OSError:
        return False


def _skip_dir(path: Path, root: Path, patterns: pathspec.PathSpec, ignores: list[_Ignore]) -> bool:
    if path.name in _DEFAULT_EXCLUDED_NAMES:
        return True
    return _matches(patterns, path, root, is_dir=True) or _git_ignored(path, ignores, is_dir=True)


def _skip_file(path: Path, root: Path, patterns: pathspec.PathSpec, ignores: list[_Ignore]) -> bool:
    return _matches(patterns, path, root, is_dir=False) or _git_ignored(path, ignores, is_dir=False)


# --- exclude patterns ------------------------------------------------------------------------


class _NoPatterns:
    """Stands in for an empty PathSpec, so that checking named files with no exclude
    patterns does not import pathspec (about 18 ms)."""

    patterns: list = []


def _compile(lines: Iterable[str], lenient: bool = False) -> pathspec.PathSpec:
    """The patterns as one spec. `lenient` (a .gitignore): a line pathspec rejects but git
    takes (`!` alone, `\\` alone) is left out, as git leaves it; otherwise it raises
    ValueError naming the pattern."""
    lines = list(lines)
    if not lines:
        return _NoPatterns()  # type: ignore[return-value]
    import pathspec

    # GitIgnoreSpec is gitwildmatch with git's own precedence rules, and is the spelling
    # that works without deprecation warnings on both pathspec 0.x and 1.x.
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except ValueError:  # GitIgnorePatternError is one
        if not lenient:
            raise
    kept = []
    for line in lines:
        try:
            pathspec.GitIgnoreSpec.from_lines([line])
        except ValueError:
            continue
        kept.append(line)
    return pathspec.GitIgnoreSpec.from_lines(kept)


def _match_key(path: Path, base: Path, is_dir: bool) -> str | None:
    """`path` relative to `base` in gitignore form (a trailing slash marks a directory)."""
    try:
        rel = path.relative_to(base).as_posix()
    except ValueError:
        return None
    if rel == ".":
        return None
    return rel + "/" if is_dir else rel


def _matches(patterns: pathspec.PathSpec, path: Path, root: Path, is_dir: bool) -> bool:
    if not patterns.patterns:
        return False
    key = _match_key(path, root, is_dir)
    if key is None:
        # Outside the root, anchored patterns mean nothing; a bare name still matches
        # by name, as ruff's basename matching does.
        key = path.name + "/" if is_dir else path.name
    return patterns.match_file(key)


def _is_excluded(path: Path, root: Path, patterns: pathspec.PathSpec) -> bool:
    """Whether an explicitly given path, or a directory it sits in, is excluded."""
    is_dir = path.is_dir()
    if (is_dir and path.name in _DEFAULT_EXCLUDED_NAMES) or _matches(patterns, path, root, is_dir):
        return True
    try:
        inside = path.relative_to(root).parts
    except ValueError:
        return False  # outside the root only the path's own name can match
    ancestors = (root.joinpath(*inside[:i]) for i in range(1, len(inside)))
    return any(
        d.name in _DEFAULT_EXCLUDED_NAMES or _matches(patterns, d, root, is_dir=True)
        for d in ancestors
    )


# --- .gitignore ------------------------------------------------------------------------------


def _read_gitignore(directory: Path) -> _Ignore | None:
    try:
        text = (directory / ".gitignore").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    spec = _compile(text.splitlines(), lenient=True)
    return _Ignore(directory, spec) if spec.patterns else None


def _ancestor_gitignores(top: Path, root: Path) -> list[_Ignore]:
    """The .gitignore files of the root and of every directory between it and `top`
    (`top`'s own file is read when the walk lists it)."""
    try:
        parts = top.relative_to(root).parts
    except ValueError:
        return []
    ignores = []
    for depth in range(len(parts)):
        found = _read_gitignore(root.joinpath(*parts[:depth]))
        if found:
            ignores.append(found)
    return ignores


def _with_local_gitignore(
    directory: Path, entries: list[os.DirEntry], ignores: list[_Ignore]
) -> list[_Ignore]:
    if not any(e.name == ".gitignore" for e in entries):
        return ignores
    found = _read_gitignore(directory)
    return [*ignores, found] if found else ignores


def _git_ignored(path: Path, ignores: list[_Ignore], is_dir: bool) -> bool:
    # The deepest .gitignore with an opinion wins, so a nested `!keep.py` can re-include a
    # file that the root's `*.py` ignores (as git does).
    for ignore in reversed(ignores):
        key = _match_key(path, ignore.base, is_dir)
        if key is None:
            continue
        verdict = _verdict(ignore.spec, key)
        if verdict is not None:
            return verdict
    return False


def _verdict(spec: pathspec.PathSpec, key: str) -> bool | None:
    """True if the last matching pattern ignores `key`, False if it re-includes it, None if
    no pattern matches."""
    for pattern in reversed(spec.patterns):
        if pattern.include is not None and pattern.match_file(key) is not None:
            return bool(pattern.include)
    return None
