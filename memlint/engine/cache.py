"""The result cache: `.memlint_cache/` in the project root (or `--cache-dir` /
MEMLINT_CACHE_DIR), one JSON file per project root.

Two kinds of entries, each valid only under its own key:
- "skip": files that can match no enabled rule, by path, size and mtime. Valid while
  memlint's code and the effective configuration are unchanged (the prefilter depends on
  nothing else), so looking them up needs no version resolution.
- "results": the findings of files that can match, by path and content hash (and size
  and mtime, so an unchanged file is not even read). Valid while memlint's code, the
  effective configuration and the resolved library versions are unchanged, and while
  the other files of the project the findings were drawn from (the project index's
  reads: a loader module, a base class) keep their size and mtime.

The cache is plain JSON (never pickle: a cache directory can come from anywhere), written
atomically; an unreadable or malformed cache is ignored and replaced.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from memlint._hashing import digest, hasher
from memlint.diagnostics import Diagnostic, Edit, Fix, Location

CACHE_DIR_NAME = ".memlint_cache"
ENV_CACHE_DIR = "MEMLINT_CACHE_DIR"
FORMAT = 2
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by memlint.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """memlint's version and the size and mtime of each of its source files: a new
    release or an edited rule invalidates every cache."""
    from memlint import __version__

    package = Path(__file__).resolve().parents[1]
    h = hasher()
    h.update(f"{FORMAT}:{__version__}".encode())
    for directory, _, names in sorted(os.walk(package)):
        for name in sorted(names):
            if name.endswith(".py"):
                st = os.stat(os.path.join(directory, name))
                h.update(f"{directory}/{name}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()


def content_hash(data: bytes) -> str:
    return digest(data, 20)


def default_dir(root: Path) -> Path:
    env = os.environ.get(ENV_CACHE_DIR)
    return Path(env) if env else Path(root) / CACHE_DIR_NAME


class ResultCache:
    """The cache of one project root."""

    def __init__(self, directory: Path, root: Path, skip_key: str, result_key) -> None:
        """`result_key` is a callable returning the full key; it is called only when a
        file that can match is looked up (it resolves library versions)."""
        self.directory = Path(directory)
        self.root = Path(root)
        self.path = self.directory / (digest(str(root).encode(), 12) + ".json")
        self.skip_key = skip_key
        self._result_key_fn = result_key
        self._result_key: str | None = None
        self.skip: dict[str, list] = {}
        self.results: dict[str, list] = {}
        self._stored_result_key: str | None = None
        self.dirty = False
        self._load()

    # -- loading ---------------------------------------------------------------------
    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            return  # missing or corrupt: start empty
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            return
        if data.get("skip_key") == self.skip_key and isinstance(data.get("skip"), dict):
            self.skip = _valid(data["skip"], _is_skip_entry)
        if isinstance(data.get("results"), dict) and isinstance(data.get("result_key"), str):
            self.results = _valid(data["results"], _is_result_entry)
            self._stored_result_key = data["result_key"]
        # An entry of the wrong shape (an edited or damaged file) is a miss, and the file
        # is written again without it.
        self.dirty = len(self.skip) != len(data.get("skip") or {}) or \
            len(self.results) != len(data.get("results") or {})

    def result_key(self) -> str:
        if self._result_key is None:
            self._result_key = self._result_key_fn()
            if self._stored_result_key != self._result_key:
                if self.results:
                    self.dirty = True
                self.results = {}
        return self._result_key

    # -- lookups ---------------------------------------------------------------------
    def skipped(self, rel: str, st: os.stat_result) -> bool:
        """Whether the file, unchanged since, was found unable to match."""
        entry = self.skip.get(rel)
        return entry is not None and entry == [st.st_size, st.st_mtime_ns]

    def by_stat(self, rel: str, st: os.stat_result, filename: str) -> list[Diagnostic] | None:
        if not self.results:
            return None
        self.result_key()
        entry = self.results.get(rel)
        if entry is None or entry[0] != st.st_size or entry[1] != st.st_mtime_ns:
            return None
        if not self._dependencies_unchanged(entry):
            return None
        return _decode(entry[3], filename)

    def _dependencies_unchanged(self, entry: list) -> bool:
        deps = entry[4] if len(entry) > 4 else None
        if not isinstance(deps, dict):
            return False
        for rel, stamp in deps.items():
            try:
                st = os.stat(self.root / rel)
            except OSError:
                return False
            if [st.st_size, st.st_mtime_ns] != stamp:
                return False
        return True

    def by_hash(self, rel: str, digest: str, st: os.stat_result, filename: str) -> list[Diagnostic] | None:
        self.result_key()
        entry = self.results.get(rel)
        if entry is None or entry[2] != digest or not self._dependencies_unchanged(entry):
            return None
        diagnostics = _decode(entry[3], filename)
        if diagnostics is not None and (entry[0], entry[1]) != (st.st_size, st.st_mtime_ns):
            entry[0], entry[1] = st.st_size, st.st_mtime_ns  # touched, not changed
            self.dirty = True
        return diagnostics

    # -- updates ---------------------------------------------------------------------
    def store_skip(self, rel: str, st: os.stat_result) -> None:
        self.results.pop(rel, None)
        self.skip[rel] = [st.st_size, st.st_mtime_ns]
        self.dirty = True

    def store(self, rel: str, st: os.stat_result, digest: str, diagnostics: list[Diagnostic],
              dependencies: dict[str, tuple[int, int]] | None = None) -> None:
        self.result_key()
        self.skip.pop(rel, None)
        deps = {}
        for path, (size, mtime) in (dependencies or {}).items():
            try:
                key = Path(path).relative_to(self.root).as_posix()
            except ValueError:
                key = str(path)  # (the index reads nothing outside the root)
            deps[key] = [size, mtime]
        self.results[rel] = [st.st_size, st.st_mtime_ns, digest, [_encode(d) for d in diagnostics], deps]
        self.dirty = True

    def forget(self, rel: str) -> None:
        if self.skip.pop(rel, None) is not None or self.results.pop(rel, None) is not None:
            self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        # Entries of files that no longer exist would otherwise pile up forever.
        for table in (self.skip, self.results):
            for rel in [r for r in table if not (self.root / r).exists()]:
                del table[rel]
        data = {
            "format": FORMAT,
            "skip_key": self.skip_key,
            "skip": self.skip,
            "result_key": self._result_key or self._stored_result_key,
            "results": self.results if (self._result_key or self._stored_result_key) else {},
        }
        import tempfile

        try:
            prepare_dir(self.directory, self.root)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(data, fh, separators=(",", ":"))
                os.replace(tmp, self.path)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except OSError:
            pass  # a read-only checkout still gets its findings, just not cached
        self.dirty = False


def _valid(table: Any, is_entry) -> dict[str, list]:
    if not isinstance(table, dict):
        return {}
    return {rel: entry for rel, entry in table.items() if isinstance(rel, str) and is_entry(entry)}


def _is_skip_entry(entry: Any) -> bool:
    return isinstance(entry, list) and len(entry) == 2 and all(type(v) is int for v in entry)


def _is_result_entry(entry: Any) -> bool:
    # [size, mtime_ns, content hash, findings, dependencies]
    return (isinstance(entry, list) and len(entry) == 5 and type(entry[0]) is int
            and type(entry[1]) is int and isinstance(entry[2], str) and isinstance(entry[3], list)
            and isinstance(entry[4], dict))


def prepare_dir(directory: Path, root: Path | None = None) -> None:
    """Create the cache directory with a .gitignore (so it is never committed) and a
    CACHEDIR.TAG (so backup tools skip it). Inside the project (`root`) the directory must
    not be a link to elsewhere, and no link in it is written through: OSError then, and
    nothing is cached."""
    if root is not None and directory.is_symlink() and directory.absolute().is_relative_to(Path(root).absolute()) \
            and not directory.resolve().is_relative_to(Path(root).resolve()):
        raise OSError(f"{directory} links out of the project")
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in ((".gitignore", "# Created by memlint.\n*\n"), ("CACHEDIR.TAG", CACHEDIR_TAG)):
        path = directory / name
        if not os.path.lexists(path):  # a dangling link counts: never written through
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            with os.fdopen(os.open(path, flags, 0o644), "w", encoding="utf-8") as fh:
                fh.write(text)


# -- diagnostics as JSON -------------------------------------------------------------------


def _loc(loc: Location) -> list[int]:
    return [loc.row, loc.column]


def _encode(d: Diagnostic) -> dict[str, Any]:
    out: dict[str, Any] = {
        "code": d.code,
        "name": d.name,
        "message": d.message,
        "location": _loc(d.location),
        "end_location": _loc(d.end_location),
        "noqa_row": d.noqa_row,
    }
    if d.cell is not None:
        out["cell"] = d.cell
    if d.fix is not None:
        out["fix"] = {
            "applicability": d.fix.applicability,
            "message": d.fix.message,
            "edits": [[e.content, _loc(e.location), _loc(e.end_location)] for e in d.fix.edits],
        }
    return out


def _decode(items: Any, filename: str) -> list[Diagnostic] | None:
    """Diagnostics from their JSON form; None for anything malformed."""
    try:
        out = []
        for item in items:
            fix = None
            if item.get("fix") is not None:
                f = item["fix"]
                fix = Fix(
                    str(f["applicability"]),
                    str(f["message"]),
                    tuple(
                        Edit(str(content), Location(*map(int, start)), Location(*map(int, end)))
                        for content, start, end in f["edits"]
                    ),
                )
            out.append(
                Diagnostic(
                    str(item["code"]),
                    str(item["name"]),
                    str(item["message"]),
                    filename,
                    Location(*map(int, item["location"])),
                    Location(*map(int, item["end_location"])),
                    fix=fix,
                    noqa_row=int(item["noqa_row"]),
                    cell=None if item.get("cell") is None else int(item["cell"]),
                )
            )
        return out
    except (TypeError, KeyError, ValueError, AttributeError):
        return None
