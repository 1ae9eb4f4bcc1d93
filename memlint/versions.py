"""Which version of dask, distributed, joblib, ray, numpy, modin, netCDF4 or h5netcdf the checked
project uses, and which Python.

Sources, first hit wins: `[tool.memlint.versions]`; lock files in the project root; exact pins
in requirements*.txt and requirements/*.txt; a conda environment.yml (its dependencies and
their `pip:` list); `[project]` dependency ranges in pyproject.toml; the version installed
in the running interpreter; else unknown. A malformed file is skipped, never fatal, and each
file is read at most once per resolver.

Python ("python") is resolved like a library, from its own sources: `[tool.memlint]
target-version` (ruff's `py312`), `[project] requires-python` (a range: affected when any
version it admits is), `.python-version`, then the running interpreter.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from packaging.version import InvalidVersion, Version

from memlint.config import KNOWN_LIBRARIES, LOCK_FILES, normalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

if TYPE_CHECKING:  # pragma: no cover
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet

    from memlint.config import Config

# importlib.metadata, packaging.specifiers and packaging.requirements are imported where
# used (together about 50 ms): a run whose versions are unknown or exact pins pays less.

LIBRARIES = tuple(sorted(KNOWN_LIBRARIES))
PYTHON = "python"

_INCLUDE = re.compile(r"^(?:-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+|(?=\S))(\S+)")


@dataclass(frozen=True)
class ResolvedVersion:
    library: str
    version: Version | None  # an exact version, when known
    specifier: SpecifierSet | None  # a range, from [project] dependencies
    source: str | None  # "requirements.txt", "uv.lock", "installed", ...
    absent: bool = False  # a lock file exists and does not list the library

    def describe(self) -> str:
        name = "Python" if self.library == PYTHON else self.library
        if self.absent:
            return f"{name} (not in {self.source})"
        if self.version is not None:
            return f"{name} {self.version} ({self.source})"
        if self.specifier is not None:
            return f"{name} {format_specifier(self.specifier)} ({self.source})"
        return f"{name} (version unknown)"


def format_specifier(specifier: SpecifierSet) -> str:
    """Lower bounds first, then upper bounds, then exclusions: ">=1.3,<1.5,!=1.4.1".
    (packaging's own str() sorts clauses alphabetically, which puts "<" before ">=".)"""
    order = {"===": 0, "==": 0, "~=": 1, ">=": 1, ">": 1, "<=": 2, "<": 2, "!=": 3}
    clauses = sorted(specifier, key=lambda s: (order.get(s.operator, 4), _sort_version(s)))
    return ",".join(str(s) for s in clauses)


def _sort_version(spec: Any) -> tuple:
    try:
        return (0, Version(spec.version.removesuffix(".*")))
    except InvalidVersion:
        return (1, spec.version)


class VersionResolver:
    """Versions of the libraries used by the project at `config.root`."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.root = Path(config.root).resolve()
        self._resolved: dict[str, ResolvedVersion] = {}

    # -- public ----------------------------------------------------------------------
    def resolve(self, library: str) -> ResolvedVersion:
        name = normalize_name(library)
        if name not in self._resolved:
            self._resolved[name] = self._resolve(name)
        return self._resolved[name]

    def affected(self, library: str, affected: str | SpecifierSet) -> bool:
        """Whether the project's `library` may be in the `affected` range."""
        found = self.resolve(library)
        if found.absent:
            return False
        if found.version is None and found.specifier is None:
            return self.config.unknown_versions == "assume-affected"
        from packaging.specifiers import SpecifierSet

        spec = affected if isinstance(affected, SpecifierSet) else SpecifierSet(affected)
        if found.version is not None:
            return spec.contains(found.version, prereleases=True)
        if found.specifier is not None:
            return ranges_overlap(found.specifier, spec)
        return self.config.unknown_versions == "assume-affected"

    def fingerprint(self, libraries: Iterable[str] | None = None) -> str:
        """A hash of the resolved versions of `libraries` (default: all known ones)."""
        data = [self.config.unknown_versions]
        for library in sorted(set(LIBRARIES if libraries is None else map(normalize_name, libraries))):
            r = self.resolve(library)
            data.append([library, str(r.version), str(r.specifier), r.source, r.absent])
        from memlint._hashing import digest

        return digest(json.dumps(data).encode())

    # -- the sources, in order -------------------------------------------------------
    def _resolve(self, library: str) -> ResolvedVersion:
        if library == PYTHON:
            return self._python()
        for source in (
            self._from_config,
            self._from_locks,
            self._from_requirements,
            self._from_conda,
            self._from_pyproject,
            self._from_installed,
        ):
            found = source(library)
            if found is not None:
                return found
        return ResolvedVersion(library, None, None, None)

    def _python(self) -> ResolvedVersion:
        if self.config.target_version:
            return ResolvedVersion(PYTHON, Version(self.config.target_version), None, "target-version")
        data = self._toml(self.root / "pyproject.toml")
        project = data.get("project") if data else None
        requires = project.get("requires-python") if isinstance(project, dict) else None
        if isinstance(requires, str):
            from packaging.specifiers import InvalidSpecifier, SpecifierSet

            try:
                return ResolvedVersion(PYTHON, None, SpecifierSet(requires), "requires-python")
            except InvalidSpecifier:
                pass
        pinned = _read_bytes(self.root / ".python-version")
        line = pinned.decode("utf-8", "replace").strip().splitlines()[0] if pinned and pinned.strip() else ""
        version = _parse_version(line.removeprefix("python").removeprefix("cpython-").split("/")[0])
        if version is not None:
            return ResolvedVersion(PYTHON, version, None, ".python-version")
        running = ".".join(map(str, sys.version_info[:3]))
        return ResolvedVersion(PYTHON, Version(running), None, "running interpreter")

    def _from_config(self, library: str) -> ResolvedVersion | None:
        for name, text in self.config.versions.items():
            if normalize_name(name) == library:
                version = _parse_version(text)
                if version is not None:
                    return ResolvedVersion(library, version, None, "[tool.memlint.versions]")
        return None

    def _from_locks(self, library: str) -> ResolvedVersion | None:
        listed = False
        absent_from = None
        for source, packages in self._locks:
            if library in packages:
                listed = True
                if packages[library]:
                    # Forked locks may hold several versions; the newest stands for them.
                    return ResolvedVersion(library, max(packages[library]), None, source)
            elif packages and absent_from is None:
                absent_from = source
        if absent_from is not None and not listed:
            return ResolvedVersion(library, None, None, absent_from, absent=True)
        return None  # listed without a usable version, or no lock: ask the next source

    def _from_requirements(self, library: str) -> ResolvedVersion | None:
        pins = self._pins.get(library)
        if not pins:
            return None
        # Prefer a pin whose marker holds here; a project pinning per Python version
        # lists several, and any one is better than none.
        version, source = next(((v, s) for v, s, ok in pins if ok), pins[0][:2])
        return ResolvedVersion(library, version, None, source)

    def _from_conda(self, library: str) -> ResolvedVersion | None:
        """A conda environment file's dependency (`joblib=1.6.0`, `dask>=2024.12`) or an
        entry of its `pip:` list."""
        for source, entries in self._conda:
            for name, version, specifier in entries:
                if name == library and (version is not None or specifier is not None):
                    return ResolvedVersion(library, version, specifier, source)
        return None

    @cached_property
    def _conda(self) -> list[tuple[str, list[tuple[str, Version | None, Any]]]]:
        out = []
        for name in ("environment.yml", "environment.yaml"):
            data = _read_bytes(self.root / name)
            if data is not None:
                out.append((name, _conda_dependencies(data.decode("utf-8-sig", errors="replace"))))
        return out

    def _from_pyproject(self, library: str) -> ResolvedVersion | None:
        entries = self._ranges.get(library)
        if not entries:
            return None
        main = [e for e in entries if e[2]] or entries  # [project] dependencies first
        applicable = [e for e in main if e[1]] or main  # then those whose marker holds
        from packaging.specifiers import SpecifierSet

        specifier = SpecifierSet()
        for spec, _, _ in applicable:
            specifier &= spec
        if not str(specifier):  # a bare "dask" says nothing about the version
            return None
        return ResolvedVersion(library, None, specifier, "pyproject.toml")

    def _from_installed(self, library: str) -> ResolvedVersion | None:
        if not self._own_interpreter:
            return None
        version = _parse_version(_installed_version(library))
        if version is None:
            return None
        return ResolvedVersion(library, version, None, "installed")

    @cached_property
    def _own_interpreter(self) -> bool:
        """Whether the interpreter running memlint is the project's own environment: its
        prefix inside the project root (a `.venv` there, an activated VIRTUAL_ENV or
        CONDA_PREFIX made there), or `installed-versions = true` says to trust it. An
        isolated environment (pre-commit's, pipx's) says nothing of the project."""
        if self.config.installed_versions:
            return True
        return _inside(Path(_interpreter_prefix()), Path(self.root))

    # -- parsed files: each is read by one of these, once ---------------------------
    @cached_property
    def _locks(self) -> list[tuple[str, dict[str, list[Version]]]]:
        """(file name, {normalized name: versions}) for every readable lock file."""
        paths = [self.root / name for name in LOCK_FILES]
        paths += sorted(self.root.glob("pylock.*.toml"))
        locks = []
        for path in paths:
            data = self._toml(path)
            if data is None:
                continue
            entries = data.get("package", data.get("packages"))  # PEP 751 says "packages"
            if isinstance(entries, list):
                locks.append((path.name, _lock_packages(entries)))
        return locks

    @cached_property
    def _pins(self) -> dict[str, list[tuple[Version, str, bool]]]:
        """{name: [(version, source, marker holds)]} from requirements*.txt, in file order."""
        pins: dict[str, list[tuple[Version, str, bool]]] = {}
        seen: set[Path] = set()
        for path in self._requirement_files():
            for file, line in self._requirement_lines(path, seen):
                pin = _exact_pin(line)
                if pin is not None:
                    name, version, marker_ok = pin
                    pins.setdefault(name, []).append((version, self._source(file), marker_ok))
        return pins

    @cached_property
    def _ranges(self) -> dict[str, list[tuple[SpecifierSet, bool, bool]]]:
        """{name: [(specifier, marker holds, from [project] dependencies)]}."""
        data = self._toml(self.root / "pyproject.toml")
        project = data.get("project") if data else None
        if not isinstance(project, dict):
            return {}
        groups: list[tuple[Any, bool]] = [(project.get("dependencies"), True)]
        optional = project.get("optional-dependencies")
        if isinstance(optional, dict):
            groups += [(deps, False) for deps in optional.values()]
        ranges: dict[str, list[tuple[SpecifierSet, bool, bool]]] = {}
        for deps, main in groups:
            for text in deps if isinstance(deps, list) else ():
                req = _requirement(text)
                if req is not None:
                    ranges.setdefault(normalize_name(req.name), []).append(
                        (req.specifier, _marker_holds(req), main)
                    )
        return ranges

    def _requirement_files(self) -> list[Path]:
        try:
            found = sorted(p for p in self.root.glob("requirements*.txt") if p.is_file())
            folder = sorted(p for p in (self.root / "requirements").glob("*.txt") if p.is_file())
        except OSError:
            return []
        # requirements.txt is the project's main list, then the others beside it; in a
        # requirements/ folder, base.txt (what the others include) first.
        found.sort(key=lambda p: p.name != "requirements.txt")
        folder.sort(key=lambda p: p.name != "base.txt")
        return found + folder

    def _requirement_lines(self, path: Path, seen: set[Path]) -> Iterator[tuple[Path, str]]:
        """(file, requirement) for each requirement line, following -r and -c includes."""
        path = path.resolve()  # so that symlinks cannot hide an include cycle
        if path in seen:
            return
        seen.add(path)
        data = _read_bytes(path)
        if data is None:
            return
        for line in _logical_lines(data.decode("utf-8-sig", errors="replace")):
            if not line.startswith("-"):
                yield path, line
                continue
            include = _INCLUDE.match(line)
            if include and "://" not in include.group(1):
                yield from self._requirement_lines(path.parent / include.group(1), seen)

    def _source(self, path: Path) -> str:
        try:
            return Path(os.path.relpath(path, self.root)).as_posix()
        except ValueError:  # another drive
            return path.as_posix()

    def _toml(self, path: Path) -> dict[str, Any] | None:
        data = _read_bytes(path)
        if data is None:
            return None
        try:
            return tomllib.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError):
            return None


# -- file contents -------------------------------------------------------------------------


def _read_bytes(path: Path) -> bytes | None:
    try:
        if not path.is_file():  # missing, a directory, a FIFO or device (never ends)
            return None
        return path.read_bytes()
    except OSError:  # unreadable
        return None


def _interpreter_prefix() -> str:
    return sys.prefix


def _inside(path: Path, root: Path) -> bool:
    try:
        path, root = path.resolve(), root.resolve()
    except OSError:
        return False
    return path == root or root in path.parents


def _installed_version(library: str) -> str | None:
    import importlib.util

    # A library that cannot be imported is not installed: no need to load
    # importlib.metadata (about 12 ms) and scan every distribution to learn that.
    try:
        if importlib.util.find_spec(library) is None:
            return None
    except (ImportError, ValueError):
        return None
    import importlib.metadata

    try:
        return importlib.metadata.version(library)
    except Exception:  # not installed, or broken metadata
        return None


def _parse_version(text: Any) -> Version | None:
    if not isinstance(text, str):
        return None
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _lock_packages(entries: list[Any]) -> dict[str, list[Version]]:
    packages: dict[str, list[Version]] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        versions = packages.setdefault(normalize_name(entry["name"]), [])
        version = _parse_version(entry.get("version"))
        if version is not None:
            versions.append(version)
    return packages


def _logical_lines(text: str) -> Iterator[str]:
    """Requirement lines with continuations joined and comments removed, as pip reads them."""
    pending = ""
    for raw in text.splitlines():
        pending += raw
        if pending.endswith("\\"):
            pending = pending[:-1]
            continue
        line, pending = _strip_comment(pending), ""
        if line:
            yield line
    line = _strip_comment(pending)
    if line:
        yield line


def _strip_comment(line: str) -> str:
    return re.sub(r"(^|\s)#.*$", "", line).strip()


def _requirement(text: Any) -> Requirement | None:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.specifiers import InvalidSpecifier

    if not isinstance(text, str):
        return None
    try:
        return Requirement(text)
    except (InvalidRequirement, InvalidSpecifier):
        return None


_CONDA_ITEM = re.compile(r"^(\s*)-\s*(.*?)\s*(?:#.*)?$")
_CONDA_SPEC = re.compile(r"^(?:[\w.-]+::)?([A-Za-z0-9][\w.-]*)\s*(.*)$")


def _conda_dependencies(text: str) -> list[tuple[str, Version | None, Any]]:
    """(name, exact version, specifier) for each entry of an environment file's
    `dependencies:` list and of its `pip:` sub-list. Conda's `name=1.6.0` (a build string
    may follow: `=1.6.0=py_0`) is 1.6.0, `name=1.6` every 1.6.x; `==`, `>=`, `<` and
    commas as in pip. Read line by line: the files are a list of strings, and no YAML
    library is needed for that."""
    out: list[tuple[str, Version | None, Any]] = []
    inside = False
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace() and not line.startswith("-"):
            inside = line.split("#", 1)[0].strip() == "dependencies:"
            continue
        item = _CONDA_ITEM.match(line) if inside else None
        if item is None or item.group(2).endswith(":"):
            continue  # not a list item, or the `- pip:` header
        entry = item.group(2).strip("'\"")
        found = _pip_entry(entry) if "==" in entry or not re.search(r"(?<![<>=!~])=(?!=)", entry) else None
        if found is None:
            found = _conda_entry(entry)
        if found is not None:
            out.append(found)
    return out


def _pip_entry(entry: str) -> tuple[str, Version | None, Any] | None:
    req = _requirement(entry)
    if req is None:
        return None
    pin = _exact_pin(entry)
    if pin is not None:
        return pin[0], pin[1], None
    return normalize_name(req.name), None, req.specifier if str(req.specifier) else None


def _conda_entry(entry: str) -> tuple[str, Version | None, Any] | None:
    """`name=1.6.0`, `name=1.6.0=build`, `channel::name=1.6`."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    match = _CONDA_SPEC.match(entry.replace(" ", ""))
    if match is None:
        return None
    name, rest = normalize_name(match.group(1)), match.group(2)
    if not rest.startswith("=") or rest.startswith("=="):
        return None
    version_text = rest[1:].split("=", 1)[0].rstrip("*").rstrip(".")
    version = _parse_version(version_text)
    if version is None:
        return None
    if len(version.release) >= 3:
        return name, version, None
    try:
        return name, None, SpecifierSet(f"=={version_text}.*")
    except InvalidSpecifier:
        return None


def _exact_pin(line: str) -> tuple[str, Version, bool] | None:
    """(name, version, marker holds) for a `name==X.Y.Z` line, else None."""
    # Per-requirement options such as --hash follow the requirement.
    req = _requirement(re.split(r"\s--", line, maxsplit=1)[0])
    if req is None:
        return None
    clauses = list(req.specifier)
    if len(clauses) != 1 or clauses[0].operator not in ("==", "==="):
        return None
    version = _parse_version(clauses[0].version)  # None for a wildcard such as ==1.4.*
    if version is None:
        return None
    return normalize_name(req.name), version, _marker_holds(req)


def _marker_holds(req: Requirement) -> bool:
    if req.marker is None:
        return True
    try:
        return bool(req.marker.evaluate({"extra": ""}))
    except Exception:  # a marker this interpreter cannot evaluate
        return True


# -- range overlap -------------------------------------------------------------------------


def ranges_overlap(a: SpecifierSet, b: SpecifierSet) -> bool:
    """Whether some version satisfies both `a` and `b` (pre-releases included).

    Every clause bounds the versions it admits at a version it names (a wildcard at two:
    ==1.4.* spans [1.4, 1.5)). A non-empty intersection therefore holds a boundary itself,
    or a version just above one (past an exclusive bound or a != hole), or just below one
    (under an upper bound), so testing those candidates decides the question without a
    list of real releases. "0" covers two sets without any boundary."""
    candidates = {Version("0")}
    for spec in (a, b):
        for boundary in _boundaries(spec):
            candidates.update(_around(boundary))
    return any(
        a.contains(v, prereleases=True) and b.contains(v, prereleases=True) for v in candidates
    )


def _boundaries(spec: SpecifierSet) -> Iterator[Version]:
    for clause in spec:
        wildcard = clause.version.endswith(".*")
        version = _parse_version(clause.version[:-2] if wildcard else clause.version)
        if version is None:
            continue
        yield version
        if wildcard:
            yield _bump(version, len(version.release) - 1)


def _around(v: Version) -> Iterator[Version]:
    """v, a version just above it and a version just below it."""
    release = v.release
    yield v
    yield _make(v.epoch, release + (0, 1))  # 1.4 -> 1.4.0.1
    nonzero = [i for i, part in enumerate(release) if part]
    if nonzero:  # nothing final lies below 0
        i = nonzero[-1]
        yield _make(v.epoch, release[:i] + (release[i] - 1, 999999))  # 1.4 -> 1.3.999999


def _bump(v: Version, index: int) -> Version:
    return _make(v.epoch, v.release[:index] + (v.release[index] + 1,))


def _make(epoch: int, release: tuple[int, ...]) -> Version:
    text = ".".join(str(part) for part in release)
    return Version(f"{epoch}!{text}" if epoch else text)
