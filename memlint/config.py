"""Configuration: `[tool.memlint]` in pyproject.toml, or the same keys at the top level of a
memlint.toml, discovered from the checked path and validated against the rule registry.

This module stays cheap to import: the rule registry (which imports every rule module) is
loaded only when a config file actually names codes or rule options.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass, field, fields, replace
from fnmatch import fnmatchcase
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterable, Mapping, Sequence

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

# Looked for in the project root, in order of precedence.
CONFIG_FILES = ("memlint.toml", "pyproject.toml")
KNOWN_LIBRARIES = frozenset({"dask", "distributed", "joblib", "ray", "numpy", "modin", "netcdf4", "h5netcdf"})
UNKNOWN_VERSIONS_CHOICES = ("assume-affected", "skip")

_KEYS = (
    "select",
    "ignore",
    "extend-select",
    "exclude",
    "extend-exclude",
    "per-file-ignores",
    "unknown-versions",
    "versions",
    "target-version",
    "installed-versions",
    "rules",
)
# ruff's spelling of the Python version a project targets: "py310" is Python 3.10.
_TARGET_VERSION = re.compile(r"py3(\d{1,2})")


class ConfigError(Exception):
    """A configuration problem; str() is a one-line message naming the file and the key."""


def _check_patterns(patterns: Sequence[str], key: str, where) -> None:
    """Each exclude pattern as gitignore reads it: one pathspec rejects is an error here,
    naming it, rather than a traceback when the files are listed."""
    if not patterns:
        return
    import pathspec

    for pattern in patterns:
        try:
            pathspec.GitIgnoreSpec.from_lines([pattern])
        except ValueError as exc:
            raise where.error(f"{key!r}: invalid pattern {pattern!r} ({exc})") from None


def normalize_name(name: str) -> str:
    """A distribution name normalized per PEP 503."""
    return re.sub(r"[-_.]+", "-", name).lower()


# -- the settings ------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    root: Path
    path: Path | None = None
    select: tuple[str, ...] = ("MEM",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    unknown_versions: str = "assume-affected"
    target_version: str | None = None  # "3.12", from `target-version = "py312"`
    # Whether the interpreter running memlint is a version source even when it is not the
    # project's own environment (its prefix outside the project root).
    installed_versions: bool = False
    # Mappings are compared but left out of the hash, so a Config stays usable as a key.
    versions: Mapping[str, str] = field(default_factory=dict, hash=False)
    rule_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        # Accept lists and dicts from callers, store immutable values.
        set_ = object.__setattr__
        set_(self, "root", Path(self.root))
        for name in ("select", "ignore", "extend_select", "exclude", "extend_exclude"):
            set_(self, name, tuple(getattr(self, name)))
        set_(self, "per_file_ignores", _pairs(self.per_file_ignores))
        set_(self, "versions", MappingProxyType(dict(self.versions)))
        set_(
            self,
            "rule_options",
            MappingProxyType(
                {code: MappingProxyType(dict(opts)) for code, opts in self.rule_options.items()}
            ),
        )

    # mappingproxy does not pickle, and the runner may send a Config to worker processes.
    def __getstate__(self) -> dict[str, Any]:
        state = {f.name: getattr(self, f.name) for f in fields(self)}
        state["versions"] = dict(self.versions)
        state["rule_options"] = {code: dict(o) for code, o in self.rule_options.items()}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)
        self.__post_init__()

    @classmethod
    def default(cls, root: Path) -> Config:
        return cls(root=Path(root).resolve())

    def with_overrides(
        self,
        select: Sequence[str] | None = None,
        ignore: Sequence[str] = (),
        extend_select: Sequence[str] = (),
        per_file_ignores: Mapping[str, Sequence[str]]
        | Sequence[tuple[str, Sequence[str]]]
        | None = None,
        exclude: Sequence[str] | None = None,
        extend_exclude: Sequence[str] = (),
    ) -> Config:
        """A copy with command-line settings applied: `select` replaces the selection (and,
        as in ruff, drops the file's extend-select), `ignore` and `extend_select` add to the
        file's, `per_file_ignores` replaces the file's; `exclude` replaces the file's
        exclusions and `extend_exclude` adds to them. Unknown codes raise ConfigError."""
        registry = _Registry()
        changes: dict[str, Any] = {}
        if select is not None:
            registry.check_codes(select, "--select")
            changes["select"] = tuple(select)
            changes["extend_select"] = ()
        if ignore:
            registry.check_codes(ignore, "--ignore")
            changes["ignore"] = self.ignore + tuple(ignore)
        if extend_select:
            registry.check_codes(extend_select, "--extend-select")
            changes["extend_select"] = changes.get("extend_select", self.extend_select) + tuple(
                extend_select
            )
        if per_file_ignores is not None:
            pairs = _pairs(per_file_ignores)
            for pattern, codes in pairs:
                registry.check_codes(codes, f"--per-file-ignores {pattern!r}")
            changes["per_file_ignores"] = pairs
        if exclude is not None:
            changes["exclude"] = tuple(exclude)
        if extend_exclude:
            changes["extend_exclude"] = self.extend_exclude + tuple(extend_exclude)
        return replace(self, **changes) if changes else self

    # -- selection -------------------------------------------------------------------
    def is_enabled(self, code: str, filename: str | os.PathLike[str] | None = None) -> bool:
        """Whether `code` is reported (for `filename`, when given).

        The longest matching select/extend-select prefix must be longer than the longest
        matching ignore prefix (a tie goes to ignore, as in ruff). per-file-ignores then
        remove codes for matching files whatever the selection says."""
        if not self._selected(code):
            return False
        if filename is None or not self.per_file_ignores:
            return True
        return not any(code.startswith(p) for p in self._file_ignores(os.fspath(filename)))

    def _selected(self, code: str) -> bool:
        memo = self._memo
        if code not in memo:
            chosen = _longest_prefix(code, self.select + self.extend_select)
            ignored = _longest_prefix(code, self.ignore)
            memo[code] = chosen > ignored
        return memo[code]

    def _file_ignores(self, filename: str) -> tuple[str, ...]:
        memo = self._memo_files
        if filename not in memo:
            rel, name = self._relative(filename), os.path.basename(filename)
            found: list[str] = []
            for pattern, codes in self.per_file_ignores:
                negated = pattern.startswith("!")
                if _glob_match(pattern[1:] if negated else pattern, rel, name) != negated:
                    found.extend(codes)
            memo[filename] = tuple(found)
        return memo[filename]

    def _relative(self, filename: str) -> str:
        path = Path(os.path.abspath(filename))
        root = Path(os.path.abspath(self.root))
        # The root may be a resolved path while the file was named through a symlink.
        for candidate in (path, path.resolve()):
            try:
                return candidate.relative_to(root).as_posix()
            except ValueError:
                pass
        return path.as_posix()  # outside the root: patterns see the absolute path

    @cached_property
    def _memo(self) -> dict[str, bool]:
        return {}

    @cached_property
    def _memo_files(self) -> dict[str, tuple[str, ...]]:
        return {}

    # -- options and cache key -------------------------------------------------------
    def options_for(self, code: str, defaults: Mapping[str, Any]) -> dict[str, Any]:
        return {**defaults, **self.rule_options.get(code, {})}

    def fingerprint(self) -> str:
        data = {
            "root": str(self.root),
            "select": self.select,
            "ignore": self.ignore,
            "extend_select": self.extend_select,
            "exclude": self.exclude,
            "extend_exclude": self.extend_exclude,
            "per_file_ignores": self.per_file_ignores,
            "unknown_versions": self.unknown_versions,
            "target_version": self.target_version,
            "installed_versions": self.installed_versions,
            "versions": dict(self.versions),
            "rule_options": {code: dict(opts) for code, opts in self.rule_options.items()},
        }
        blob = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
        from memlint._hashing import digest

        return digest(blob.encode())


def _pairs(value: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    return tuple((str(pattern), tuple(codes)) for pattern, codes in items)


def _longest_prefix(code: str, prefixes: Iterable[str]) -> int:
    return max((len(p) for p in prefixes if p and code.startswith(p)), default=0)


def _glob_match(pattern: str, rel: str, name: str) -> bool:
    if pattern.startswith("./"):
        pattern = pattern[2:]
    patterns = [pattern]
    # "**/x" should also match "x" at the root, which fnmatch's "**/" alone would not.
    if pattern.startswith("**/"):
        patterns.append(pattern[3:])
    return any(fnmatchcase(text, p) for text in (rel, name) for p in patterns)


# -- discovery and loading ---------------------------------------------------------------


# Where a project without a config file has its root: what a project keeps at its top
# (lock files and dependency lists, memlint.versions reads them; a git checkout).
# Lock files in the order memlint.versions consults them; pylock.*.toml (PEP 751 named
# locks) follow.
LOCK_FILES = ("uv.lock", "poetry.lock", "pdm.lock", "pylock.toml")
ROOT_MARKERS = (*LOCK_FILES, "requirements.txt", "requirements", "environment.yml", "environment.yaml", ".git")
_ROOT_PATTERNS = ("pylock.*.toml", "requirements*.txt")
_PATTERN_STARTS = ("pylock.", "requirements")


def find_project_root(path: Path, memo: dict | None = None) -> Path:
    """The project root of a file or directory, from `path` upwards, never from the working
    directory: the nearest directory holding memlint.toml or pyproject.toml; if there is
    none, the nearest holding a lock file, requirements*.txt, a requirements/ folder,
    environment.yml or .git (ROOT_MARKERS); else the folder its imports start from (above
    its top-level package; a script's own folder). `memo` remembers
    the answers for every directory passed on the way up, so the directories of a whole
    tree are looked at once each."""
    current = Path(path).resolve()
    if not current.is_dir():
        current = current.parent
    memo = {} if memo is None else memo
    found = _nearest(current, memo, 0)
    if found is None:
        found = _nearest(current, memo, 1)
    return found if found is not None else _import_root(current, memo)


def _import_root(directory: Path, memo: dict | None = None) -> Path:
    """The folder a module's imports start from: above its top-level package (the last of
    the folders holding `__init__.py` on the way up), or its own folder."""
    memo = {} if memo is None else memo
    while _holds(directory, memo)[2] and directory.parent != directory:
        directory = directory.parent
    return directory


def _nearest(start: Path, memo: dict, kind: int) -> Path | None:
    """The nearest directory from `start` up holding a config file (`kind` 0) or a root
    marker (1)."""
    passed: list[Path] = []
    found: Path | None = None
    directory = start
    while True:
        key = (kind, directory)
        if key in memo:
            found = memo[key]
            break
        passed.append(directory)
        if _holds(directory, memo)[kind]:
            found = directory
            break
        if directory.parent == directory:
            break
        directory = directory.parent
    for directory in passed:
        memo[(kind, directory)] = found
    return found


def _holds(directory: Path, memo: dict) -> tuple[bool, bool, bool]:
    """Whether `directory` holds a config file, a root marker, and `__init__.py`: one
    listing of it (a walk up a tree asks this of every folder, where a test of each name
    cost 14 system calls)."""
    key = ("holds", directory)
    found = memo.get(key)
    if found is None:
        config = marker = package = False
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    name = entry.name
                    if name == "__init__.py":
                        package = _is_file(entry)
                    elif name in CONFIG_FILES and not config:
                        config = _is_file(entry)
                    elif name in ROOT_MARKERS or (name.startswith(_PATTERN_STARTS)
                                                  and any(fnmatchcase(name, p) for p in _ROOT_PATTERNS)):
                        marker = True
        except OSError:
            pass
        found = memo[key] = (config, marker, package)
    return found


def _is_file(entry: os.DirEntry) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def load_config(start: Path, config_path: Path | None = None) -> Config:
    """The configuration for files under `start`, or the one in `config_path` if given."""
    if config_path is not None:
        path = Path(config_path).resolve()
        return _load_file(path, path.parent)
    root = find_project_root(start)
    for name in CONFIG_FILES:
        candidate = root / name
        if candidate.is_file():
            return _load_file(candidate, root)
    return Config.default(root)


def _load_file(path: Path, root: Path) -> Config:
    display = _display(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{display}: cannot read config file: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # its message ends with "(at line L, column C)"
        raise ConfigError(f"{display}: invalid TOML: {exc}") from None

    if path.name != "pyproject.toml":
        return _parse(data, _Where(display, ""), root, path)
    tool = data.get("tool")
    settings = tool.get("memlint") if isinstance(tool, dict) else None
    if settings is None:
        return Config(root=root, path=path)
    if not isinstance(settings, dict):
        raise ConfigError(f"{display}: [tool] 'memlint' must be a table, got {_kind(settings)}")
    return _parse(settings, _Where(display, "tool.memlint"), root, path)


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class _Where:
    """Where settings came from, for error messages."""

    file: str
    table: str  # "tool.memlint" in pyproject.toml, "" at the top of memlint.toml

    def error(self, detail: str, subtable: str = "") -> ConfigError:
        table = ".".join(part for part in (self.table, subtable) if part)
        prefix = f"{self.file}: [{table}] " if table else f"{self.file}: "
        return ConfigError(prefix + detail)


def _did_you_mean(given: str, known: Iterable[str]) -> str:
    """"; did you mean 'x'?" when `given` is close to one of `known` (a misspelling), else
    ""."""
    import difflib

    close = difflib.get_close_matches(given, list(known), n=1, cutoff=0.75)
    if not close and given.upper() != given:
        close = difflib.get_close_matches(given.upper(), list(known), n=1, cutoff=0.75)
    return f"; did you mean {close[0]!r}?" if close else ""


def _parse(settings: dict[str, Any], where: _Where, root: Path, path: Path) -> Config:
    for key in settings:
        if key not in _KEYS:
            raise where.error(f"unknown key {key!r}{_did_you_mean(key, _KEYS)}")
    registry = _Registry(where)
    values: dict[str, Any] = {}

    for key in ("select", "ignore", "extend-select"):
        if key in settings:
            codes = _str_list(settings[key], key, where)
            registry.check_codes(codes, repr(key))
            values[key.replace("-", "_")] = codes
    for key in ("exclude", "extend-exclude"):
        if key in settings:
            patterns = _str_list(settings[key], key, where)
            _check_patterns(patterns, key, where)
            values[key.replace("-", "_")] = patterns
    if "per-file-ignores" in settings:
        pfi = settings["per-file-ignores"]
        values["per_file_ignores"] = _per_file_ignores(pfi, where, registry)
    if "unknown-versions" in settings:
        values["unknown_versions"] = _unknown_versions(settings["unknown-versions"], where)
    if "versions" in settings:
        values["versions"] = _versions(settings["versions"], where)
    if "target-version" in settings:
        values["target_version"] = _target_version(settings["target-version"], where)
    if "installed-versions" in settings:
        value = settings["installed-versions"]
        if not isinstance(value, bool):
            raise where.error(f"'installed-versions' must be true or false, got {value!r}")
        values["installed_versions"] = value
    if "rules" in settings:
        values["rule_options"] = _rule_options(settings["rules"], where, registry)
    return Config(root=root, path=path, **values)


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "table"
    return type(value).__name__


def _str_list(value: Any, key: str, where: _Where) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise where.error(f"{key!r} must be a list of strings, got {_kind(value)}")
    for item in value:
        if not isinstance(item, str):
            got = f"a list containing {_kind(item)}"
            raise where.error(f"{key!r} must be a list of strings, got {got}")
    return tuple(value)


def _per_file_ignores(value: Any, where: _Where, registry: _Registry) -> tuple:
    if not isinstance(value, dict):
        expected = "a table of pattern = [codes]"
        raise where.error(f"'per-file-ignores' must be {expected}, got {_kind(value)}")
    pairs = []
    for pattern, codes in value.items():
        key = f"per-file-ignores.{json.dumps(pattern)}"
        codes = _str_list(codes, key, where)
        registry.check_codes(codes, repr(key))
        pairs.append((pattern, codes))
    return tuple(pairs)


def _unknown_versions(value: Any, where: _Where) -> str:
    if not isinstance(value, str) or value not in UNKNOWN_VERSIONS_CHOICES:
        choices = " or ".join(repr(c) for c in UNKNOWN_VERSIONS_CHOICES)
        raise where.error(f"'unknown-versions' must be {choices}, got {value!r}")
    return value


def _target_version(value: Any, where: _Where) -> str:
    """`py312` -> "3.12"."""
    found = _TARGET_VERSION.fullmatch(value) if isinstance(value, str) else None
    if found is None:
        raise where.error(f"'target-version' must be a Python version like \"py312\", got {value!r}")
    return f"3.{int(found.group(1))}"


def _versions(value: Any, where: _Where) -> dict[str, str]:
    from packaging.version import InvalidVersion, Version

    if not isinstance(value, dict):
        raise where.error(f"'versions' must be a table, got {_kind(value)}")
    versions = {}
    for library, text in value.items():
        name = normalize_name(library)
        if name not in KNOWN_LIBRARIES:
            known = ", ".join(sorted(KNOWN_LIBRARIES))
            raise where.error(f"unknown library {library!r} (known: {known})", "versions")
        if not isinstance(text, str):
            got = _kind(text)
            raise where.error(f"{library!r} must be a version string, got {got}", "versions")
        try:
            Version(text)
        except InvalidVersion:
            raise where.error(f"{library!r}: invalid version {text!r}", "versions") from None
        versions[name] = text
    return versions


def _rule_options(value: Any, where: _Where, registry: _Registry) -> dict[str, dict[str, Any]]:
    if not isinstance(value, dict):
        raise where.error(f"'rules' must be a table, got {_kind(value)}")
    result = {}
    for code, options in value.items():
        table = f"rules.{code}"
        rule = registry.rules.get(code)
        if rule is None:
            raise where.error(f"unknown rule code {code!r}{_did_you_mean(code, registry.rules)}", table)
        if not isinstance(options, dict):
            raise where.error(f"must be a table of options, got {_kind(options)}", table)
        schema = rule.options
        result[code] = {}
        for name, option_value in options.items():
            if name not in schema:
                known = ", ".join(sorted(schema)) or "none"
                raise where.error(
                    f"unknown option {name!r}{_did_you_mean(name, schema)} (options of {code}: {known})", table)
            result[code][name] = _check_option(option_value, schema[name].type, name, where, table)
    return result


def _check_option(
    value: Any, expected: type | tuple[type, ...], name: str, where: _Where, table: str
) -> Any:
    types = expected if isinstance(expected, tuple) else (expected,)
    # TOML has no tuples and writes 3 for 3.0: convert where the schema clearly means it.
    if isinstance(value, list) and tuple in types and list not in types:
        value = tuple(value)
    elif type(value) is int and float in types and int not in types:
        value = float(value)
    # bool is an int subclass, but `true` is not a count.
    ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
    if not ok:
        names = " or ".join(t.__name__ for t in types)
        raise where.error(f"{name!r} must be {names}, got {_kind(value)}", table)
    return value


class _Registry:
    """The rule registry, imported on first use only."""

    def __init__(self, where: _Where | None = None) -> None:
        self.where = where

    @cached_property
    def rules(self) -> Mapping[str, Any]:
        from memlint.engine.registry import all_rules

        return all_rules()

    def check_codes(self, codes: Iterable[str], key: str) -> None:
        """Every code must be a known code or a prefix of one; `key` names the setting."""
        for code in codes:
            if code and any(known.startswith(code) for known in self.rules):
                continue
            hint = " ('ALL' is not supported; use 'MEM')" if code == "ALL" else _did_you_mean(code, self.rules)
            detail = f"{key}: unknown rule code or prefix {code!r}{hint}"
            if self.where is None:
                raise ConfigError(detail)
            raise self.where.error(detail)
