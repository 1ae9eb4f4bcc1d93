"""Which module a file of the project is, and which file a module name is.

A file's module name is read from the packages around it, as Python would import it from
the directory above its outermost package (the first directory up without an
`__init__.py`): `satpy/readers/core/netcdf.py` under a root holding `satpy/__init__.py` is
`satpy.readers.core.netcdf`. Names are looked up in those source directories (and the
project root and its `src/`), never outside the project root. Namespace packages (no
`__init__.py`) are not followed: a name found nowhere is not the project's.
"""

from __future__ import annotations

import os
from pathlib import Path

_INIT = "__init__.py"


def module_name(path: Path, root: Path | None) -> tuple[str, Path, bool] | None:
    """(dotted name, source directory, is a package's `__init__`) of a `.py` file (or a
    notebook), or None when its name is not a Python identifier path."""
    # Strings, not Paths: asked for every file a project trigger may concern.
    path = str(path)
    directory, base = os.path.split(path)
    if base.endswith(".ipynb"):
        # A notebook runs as the kernel's __main__, importing from its own directory.
        return "__main__", Path(directory), False
    if not base.endswith(".py"):
        return None
    bound = str(root) if root is not None else None
    parts = [] if base == _INIT else [base[:-3]]
    while os.path.isfile(os.path.join(directory, _INIT)) and (
        bound is None or _under(os.path.dirname(directory), bound)
    ):
        parts.append(os.path.basename(directory))
        directory = os.path.dirname(directory)
    if base == _INIT and not parts:
        return None  # an __init__.py outside any package
    if os.path.isfile(os.path.join(directory, _INIT)):
        # Stopped at the root: the root itself is a package, named by its directory.
        parts.append(os.path.basename(directory))
        directory = os.path.dirname(directory)
    name = ".".join(reversed(parts))
    if not all(p.isidentifier() for p in parts):
        return None
    return name, Path(directory), base == _INIT


def inside(directory: Path, root: Path | None) -> bool:
    """Whether `directory` is `root` or under it (always, with no root)."""
    if root is None:
        return True
    try:
        directory.relative_to(root)
    except ValueError:
        return False
    return True


def find_module(name: str, roots: list[Path], root: Path | None) -> Path | None:
    """The file of the module `name` under one of `roots` (a module file or a package's
    `__init__.py`), staying inside `root`."""
    parts = name.split(".")
    bound = str(root) if root is not None else None
    for base in roots:
        # Strings, not Paths: asked for every import of every checked file.
        directory = os.path.join(str(base), *parts[:-1])
        for candidate in (os.path.join(directory, parts[-1] + ".py"), os.path.join(directory, parts[-1], _INIT)):
            if os.path.isfile(candidate) and (bound is None or _under(candidate, bound)):
                return Path(candidate)
    return None


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def top_level_names(roots: list[Path]) -> frozenset[str]:
    """The modules and packages directly in the source directories: the first part of
    every name the project can import from itself."""
    names: set[str] = set()
    for base in roots:
        try:
            entries = os.listdir(base)
        except OSError:
            continue
        for entry in entries:
            if entry.endswith(".py") and entry[:-3].isidentifier():
                names.add(entry[:-3])
            elif entry.isidentifier() and os.path.isfile(os.path.join(base, entry, _INIT)):
                names.add(entry)
    return frozenset(names)


def absolute(relative: str, module: str, is_package: bool) -> str | None:
    """The absolute name of a relative import's `.x.y` (leading dots: levels) seen from
    `module`, or None when it climbs above the top package."""
    level = len(relative) - len(relative.lstrip("."))
    rest = relative[level:]
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    climb = level - 1
    if climb > len(base) or (climb == len(base) and not rest):
        return None
    base = base[: len(base) - climb] if climb else base
    return ".".join([*base, rest] if rest else base) or None
