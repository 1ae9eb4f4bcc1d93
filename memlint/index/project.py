"""The project index: the checked project's modules, read on demand, never imported.

Analyses ask it what a name of the project is (`symbol`), what a re-exported name
really names (`canonical`), and for a model that holds a definition whole
(`model_of_part`). Everything is lazy: a module is scanned for its top-level names when a
name of it is asked about, and only the part of it a question needs is parsed: the def
asked about, or the class, or the statements naming a helper, with the imports and
module-level statements they use and the signatures of what they call (the first pass's
reduction, memlint.engine.partial); following a call further asks for that def's part in
turn. What a check reads besides the checked file is recorded (`dependencies`): a cached
result stays valid while those files are unchanged.

The packages of `opaque` (the libraries the analyses model) are never followed into, even
when they are the checked project: checking dask itself, its functions are dask's.
"""

from __future__ import annotations

import collections
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from memlint.index import modules as _modules
from memlint.index.exports import DEFINED, IMPORT, Exports, read_exports

if TYPE_CHECKING:  # pragma: no cover
    import libcst as cst

    from memlint.analysis.model import SemanticModel

# Parsed modules kept per process (a dependency is usually asked about by many files).
MAX_MODELS = 48
MAX_PARTS = 256  # parts of modules (one def, one class, the uses of one name)
MAX_DEPTH = 12


class ProjectIndex:
    """`opaque`: top-level packages never followed into even when they are the checked
    project's own (the libraries the analyses know by their documented behaviour: checking
    dask itself, `dask.array.from_array` is still dask's, not a def to read)."""

    def __init__(self, root: Path | str | None, opaque: frozenset[str] = frozenset()) -> None:
        self.root = Path(root).resolve() if root is not None else None
        self.opaque = frozenset(opaque)
        self._reset()

    def _reset(self) -> None:
        self._current: tuple[str, str] | None = None  # (filename, text) being checked
        self._current_model: "SemanticModel | None" = None
        self._current_roots: list[Path] | None = None
        self._current_roots_key: tuple[str, ...] = ()
        self._models: collections.OrderedDict[str, "SemanticModel | None"] = collections.OrderedDict()
        self._parts: collections.OrderedDict[tuple[str, str, str], "SemanticModel | None"] = collections.OrderedDict()
        self._exports: dict[str, Exports | None] = {}
        self._names: dict[str, tuple[str, Path, bool] | None] = {}
        self._files: dict[tuple, str | None] = {}  # (module name, search roots) -> file
        self._tops: dict[Path, frozenset[str]] = {}
        self._tops_of: dict[tuple[str, ...], frozenset[str]] = {}
        self._texts: dict[str, tuple[str, tuple[int, int]] | None] = {}
        self._twice: dict[tuple[str, str], bool] = {}
        self._imports_name: dict[str, "set[str]"] = {}  # file -> names its imports may bind
        self._holding: dict[tuple[str, tuple[bytes, ...]], tuple[bool, tuple[int, int]]] = {}
        self._read: dict[str, tuple[int, int]] = {}  # files read for the current check
        self._package: dict[str, tuple[list[str], dict[str, tuple[int, int]]]] = {}
        self._importers: dict[tuple[str, str], tuple[list[str], dict[str, tuple[int, int]]]] = {}
        self._package_index: dict[str, dict[str, list[tuple[str, str]]]] = {}

    # The index travels to worker processes as its root and opaque packages alone.
    def __getstate__(self) -> dict:
        return {"root": self.root, "opaque": self.opaque}

    def __setstate__(self, state: dict) -> None:
        self.root = state["root"]
        self.opaque = state["opaque"]
        self._reset()

    # -- the file being checked ----------------------------------------------------------
    def begin(self, filename: str, text: str) -> None:
        """A check of `filename` with this text starts: its own module is this text (not
        what is on disk), and what it reads of other files is recorded from here."""
        key = _key(filename)
        self._current = (key, text)
        self._current_model = None
        self._current_roots = None
        self._models.pop(key, None)
        self._exports.pop(key, None)
        self._twice = {k: v for k, v in self._twice.items() if k[0] != key}
        self._imports_name.pop(key, None)
        for part in [p for p in self._parts if p[0] == key]:
            del self._parts[part]
        self._read = {}

    def adopt(self, model: "SemanticModel") -> None:
        """The whole-module model of the file being checked, built by the checker: asked
        about the file's own definitions, the index answers from it."""
        self._current_model = model

    def dependencies(self) -> dict[str, tuple[int, int]]:
        """The files read since `begin` (other than the checked one), with their size and
        mtime when read."""
        return dict(self._read)

    # -- modules ---------------------------------------------------------------------------
    def module_of(self, filename: str | None) -> tuple[str, Path, bool] | None:
        """(dotted name, source directory, is a package) of a project file."""
        if filename is None:
            return None
        key = _key(filename)
        if key not in self._names:
            self._names[key] = _modules.module_name(Path(key), self._bound(key)) if _is_file(key) else None
        return self._names[key]

    def _bound(self, key: str) -> Path | None:
        """The directory module names stay inside for a file: the root, or none for a file
        outside it (checked from elsewhere: its packages are named by their `__init__`s)."""
        if self.root is None or not _modules.inside(Path(key), self.root):
            return None
        return self.root

    def follows(self, filename: str) -> bool:
        """Whether values of `filename` can be followed into other modules of its project:
        it is a module of a project (not a file checked alone) that is not one of the
        opaque packages."""
        if self.root is None:
            return False
        return self.module_of(filename) is not None and not self.in_library(filename)

    def in_library(self, filename: str) -> bool:
        """Whether `filename` is a module of one of the opaque packages."""
        found = self.module_of(filename)
        return found is not None and found[0].split(".")[0] in self.opaque

    def imports_holding(self, text: str, words: "list[str]") -> bool:
        """Whether the file being checked (`text`) imports, at its top level, a module of
        the project whose source holds one of `words` (the texts read are dependencies
        of the check)."""
        if self._current is None:
            return False
        wanted = tuple(w.encode("utf-8") for w in words)
        for module in self._imported_modules(_imported_names(text)):
            filename = self.file_of(module)
            if filename is not None and self._holds(filename, wanted):
                return True
        return False

    def _holds(self, filename: str, words: tuple[bytes, ...]) -> bool:
        """Whether the file's bytes hold one of `words` (read without decoding; a read
        like any other, so a dependency of the check)."""
        key = _key(filename)
        found = self._holding.get((key, words))
        if found is None:
            cached = self._texts.get(key)
            if cached:  # already read and decoded for another question
                text, stamp = cached
                found = (any(w.decode("utf-8") in text for w in words), stamp)
            else:
                try:
                    st = os.stat(key)
                    with open(key, "rb") as fh:
                        data = fh.read()
                except OSError:
                    return False
                found = (any(w in data for w in words), (st.st_size, st.st_mtime_ns))
            self._holding[key, words] = found
        self._read[key] = found[1]
        return found[0]

    def _imported_modules(self, names: "list[str]") -> "Iterator[str]":
        """The project modules among the module names a file's imports may name, each
        once; `pkg.x` from `from pkg import x` only where `pkg` is a package."""
        seen: set[str] = set()
        for name in names:
            if name.startswith("."):
                name = self.absolute(name, self._current[0]) or ""
            if not name or name in seen:
                continue
            seen.add(name)
            parent = name.rpartition(".")[0]
            if parent in seen and not self._is_package(parent):
                continue
            if self.is_project(name) and self.file_of(name) is not None:
                yield name

    def _is_package(self, module: str) -> bool:
        filename = self.file_of(module)
        return filename is not None and os.path.basename(filename) == "__init__.py"

    def absolute(self, relative: str, filename: str | None) -> str | None:
        """The absolute module name a relative import (`.x`, `..y.z`) names in `filename`."""
        found = self.module_of(filename)
        if found is None:
            return None
        return _modules.absolute(relative, found[0], found[2])

    def _roots(self, near: Path | None = None) -> list[Path]:
        if near is None and self._current_roots is not None:
            return self._current_roots
        roots: list[Path] = []
        if near is not None:
            roots.append(near)
        if self.root is not None:
            roots.extend([self.root, self.root / "src"])
        if self._current is not None:
            found = self.module_of(self._current[0])
            if found is not None:
                roots.append(found[1])
        roots = list(dict.fromkeys(roots))
        if near is None and self._current is not None:
            self._current_roots = roots  # asked for every name: once per checked file
            self._current_roots_key = tuple(str(r) for r in roots)
        return roots

    def _roots_key(self) -> tuple[str, ...]:
        """The search roots as a tuple of strings: a cheap key (Paths hash slowly)."""
        roots = self._roots()
        if self._current is not None and roots is self._current_roots:
            return self._current_roots_key
        return tuple(str(r) for r in roots)

    def file_of(self, module: str) -> str | None:
        """The file of a module of the project, or None."""
        if self.root is None:
            return None  # a file checked alone: no other module is known
        key = (module, self._roots_key())  # the roots hold the checked file's source directory
        found = self._files.get(key, False)
        if found is not False:
            return found
        found = None
        roots = self._roots()
        if module.split(".")[0] in self._top_names(roots):
            bound = self._bound(self._current[0]) if self._current else self.root
            path = _modules.find_module(module, list(roots), bound)
            found = _key(str(path)) if path is not None else None
        self._files[key] = found
        return found

    def _top_names(self, roots: list[Path]) -> frozenset[str]:
        key = self._roots_key() if roots is self._current_roots else tuple(str(r) for r in roots)
        found = self._tops_of.get(key)
        if found is None:
            names: set[str] = set()
            for r in roots:
                if r not in self._tops:
                    self._tops[r] = _modules.top_level_names([r])
                names |= self._tops[r]
            found = self._tops_of[key] = frozenset(names)
        return found

    def is_project(self, qualname: str) -> bool:
        if self.root is None:
            return False
        top = qualname.split(".")[0]
        return top not in self.opaque and top in self._top_names(self._roots())

    def split(self, qualname: str) -> tuple[str, list[str]] | None:
        """(the longest project module `qualname` starts with, the names after it)."""
        if not self.is_project(qualname):
            return None
        parts = qualname.split(".")
        for i in range(len(parts), 0, -1):
            module = ".".join(parts[:i])
            if self.file_of(module) is not None:
                return module, parts[i:]
        return None

    def importers(self, filename: str, name: str) -> list[str]:
        """The files of the package of `filename`'s module whose imports may bind its
        top-level `name` (`from pkg.par import run`, `from ..par import run`). Their
        files, and the package's directories (a new module changes them), are
        dependencies of the check."""
        found = self.module_of(filename)
        if found is None or self.in_library(filename):
            return []
        key = (_key(filename), name)
        cached = self._importers.get(key)
        if cached is None:
            module, source = found[0], found[1]
            package = source / module.split(".")[0]
            # A module outside any package: its source directory's modules, not below.
            base, below = (package, True) if package.is_dir() else (source, False)
            files, stamps = self._package_files(base, below)
            stamps = dict(stamps)
            hits = []
            for path, spelled in self._import_index(base, files).get(name, ()):
                if path == key[0]:
                    continue
                absolute = self.absolute(spelled, path) if spelled.startswith(".") else spelled
                if absolute is not None and (absolute == f"{module}.{name}" or self.canonical(absolute) == f"{module}.{name}"):
                    stamps[path] = _stamp(path)
                    hits.append(path)
            cached = self._importers[key] = (sorted(set(hits)), stamps)
        self._read.update({p: s for p, s in cached[1].items() if p != (self._current or ("",))[0]})
        return cached[0]

    def _import_index(self, base: Path, files: list[str]) -> dict[str, list[tuple[str, str]]]:
        """name -> (file, the module its import names) for every import statement of the
        package's files that binds `name`: read once per package."""
        found = self._package_index.get(str(base))
        if found is None:
            found = {}
            for path in files:
                try:
                    with open(path, "rb") as fh:
                        data = fh.read()
                except OSError:
                    continue
                if b"import" not in data:
                    continue
                for module, bound in _imports(data.decode("utf-8", "replace")):
                    if bound is not None:
                        found.setdefault(bound, []).append((path, module))
            self._package_index[str(base)] = found
        return found

    def _package_files(self, base: Path, below: bool) -> tuple[list[str], dict[str, tuple[int, int]]]:
        """The `.py` files of the directory `base` (and, `below`, of its subpackages) and
        the stamps of the directories listed."""
        found = self._package.get(str(base))
        if found is None:
            files: list[str] = []
            stamps: dict[str, tuple[int, int]] = {}
            for directory, dirs, names in os.walk(base):
                try:
                    st = os.stat(directory)
                except OSError:
                    continue
                stamps[_key(directory)] = (st.st_size, st.st_mtime_ns)
                if not below:
                    dirs[:] = []
                else:  # subpackages only: a folder without `__init__.py` holds no modules
                    dirs[:] = sorted(d for d in dirs if os.path.isfile(os.path.join(directory, d, "__init__.py")))
                files.extend(_key(os.path.join(directory, n)) for n in sorted(names) if n.endswith(".py"))
            found = self._package[str(base)] = (files, stamps)
        return found

    # -- texts and models -----------------------------------------------------------------
    def text_of(self, filename: str) -> str | None:
        key = _key(filename)
        if self._current is not None and self._current[0] == key:
            return self._current[1]
        cached = self._texts.get(key, False)
        if cached is False:
            cached = self._texts[key] = _read_text(key)
        if cached is None:
            return None
        text, stamp = cached
        self._read[key] = stamp
        return text

    def exports(self, module: str) -> Exports | None:
        filename = self.file_of(module)
        if filename is None:
            return None
        found = self._exports.get(filename, False)
        if found is False:
            text = self.text_of(filename)
            found = self._exports[filename] = read_exports(text) if text is not None else None
        elif filename in self._texts and self._texts[filename] is not None:
            self._read[filename] = self._texts[filename][1]
        return found

    def model_of_file(self, filename: str) -> "SemanticModel | None":
        """The whole-module model of a project file (the checked one included)."""
        key = _key(filename)
        if self._current is not None and self._current[0] == key and self._current_model is not None:
            return self._current_model
        if key in self._models:
            self._models.move_to_end(key)
            model = self._models[key]
            if key in self._texts and self._texts[key] is not None:
                self._read[key] = self._texts[key][1]
            return model
        text = self.text_of(key)
        model = _build(text, key, self) if text is not None else None
        self._models[key] = model
        while len(self._models) > MAX_MODELS:
            self._models.popitem(last=False)
        return model

    def model_of_part(self, filename: str, kind: str, name: str) -> "SemanticModel | None":
        """A model of the part of a project file that answers a question about `name`,
        parsed as the first pass parses (memlint.engine.partial): the top-level def `name`
        whole (`kind` "def"), or the class `name` whole ("class"), or the methods
        `name` ("Class.method") names with what their class keeps ("method"), or every statement
        naming `name` ("uses": the calls of a helper), each with what it reaches through
        names. The whole-module model when the file is small, or is the checked one and
        already parsed whole."""
        key = _key(filename)
        if self._current is not None and self._current[0] == key and self._current_model is not None:
            return self._current_model
        if key in self._models:
            return self.model_of_file(key)
        part = (key, kind, name)
        if part in self._parts:
            self._parts.move_to_end(part)
            self._touch(key)
            return self._parts[part]
        text = self.text_of(key)
        if text is None:
            return None
        reduced = _reduced(text, kind, name)
        if reduced is None or (not reduced and kind != "uses"):
            return self.model_of_file(key)  # small, or spelled so the scan does not see it
        model = _build(reduced, key, self, complete=False) if reduced else None
        self._parts[part] = model
        while len(self._parts) > MAX_PARTS:
            self._parts.popitem(last=False)
        return model

    def names_twice(self, filename: str, name: str) -> bool:
        """Whether the file's text spells the name `name` (as a whole word) twice or more."""
        key = (_key(filename), name)
        found = self._twice.get(key)
        if found is None:
            text = self.text_of(key[0])
            found = self._twice[key] = text is not None and text.count(name) > 1 and len(
                re.findall(r"(?<!\w)" + re.escape(name) + r"(?!\w)", text)) > 1
        else:
            self._touch(key[0])
        return found

    def _touch(self, key: str) -> None:
        if self._current is not None and self._current[0] == key:
            return  # the checked file is no dependency of itself
        if key in self._texts and self._texts[key] is not None:
            self._read[key] = self._texts[key][1]

    # -- names ------------------------------------------------------------------------------
    def canonical(self, qualname: str, depth: int = 0) -> str:
        """`qualname` with re-exports of the project followed: `pkg.common.np.memmap` is
        `numpy.memmap` when `pkg/common.py` binds `np` by `import numpy as np`. A name the
        project defines stays as it is."""
        if depth > MAX_DEPTH:
            return qualname
        where = self.split(qualname)
        if where is None or not where[1]:
            return qualname
        module, rest = where
        if not self._may_import(module, rest[0]):
            return qualname  # no import binds the name: nothing to follow, no scan
        exports = self.exports(module)
        if exports is None:
            return qualname
        bound = exports.names.get(rest[0])
        if bound is None or bound[0] != IMPORT:
            return qualname
        target = bound[1]
        if target.startswith("."):
            target = self.absolute(target, self.file_of(module))
            if target is None:
                return qualname
        return self.canonical(".".join([target, *rest[1:]]), depth + 1)

    def _may_import(self, module: str, name: str) -> bool:
        """Whether an import statement of the module may bind `name` (read off its import
        lines: a superset of what its exports say)."""
        filename = self.file_of(module)
        text = self.text_of(filename) if filename is not None else None
        if text is None:
            return False
        bound = self._imports_name.get(filename)
        if bound is None:
            bound = self._imports_name[filename] = _bound_names(text)
        return name in bound

    def symbol(self, qualname: str) -> "tuple[SemanticModel, cst.CSTNode] | None":
        """The def or class of the project `qualname` names (through re-exports), in the
        whole-module model of its file: `pkg.io.load`, `pkg.io.Reader.read`."""
        name = self.canonical(qualname)
        where = self.split(name)
        if where is None or not where[1]:
            return None
        module, rest = where
        exports = self.exports(module)
        bound = exports.names.get(rest[0]) if exports is not None else None
        if bound is None or bound[0] != DEFINED or bound[1] is None:
            return None
        filename = self.file_of(module)
        kind, name = ("method", ".".join(rest)) if len(rest) > 1 else (bound[1], rest[0])
        model = self.model_of_part(filename, kind, name) if filename is not None else None
        if model is None:
            return None
        node = definition_in(model, rest)
        return (model, node) if node is not None else None


# An import's names run to the end of the line, past backslash continuations, or to the
# closing parenthesis.
_FROM_IMPORT = re.compile(r"^[ \t]*from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]*(\([^)]*\)|(?:[^\n\\#;]|\\\n)*)", re.M)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+((?:[^\n\\;#]|\\\n)*)", re.M)


def _imports(text: str) -> "Iterator[tuple[str, str | None]]":
    """(a module the import statements of `text` may name, the name it binds, if any):
    `from .x import y as z` gives (.x, None) and (.x.y, z). Read off its lines without a
    scan: a superset (an import spelled in a docstring counts), which costs only a read
    of the module named."""
    froms, plains = _import_matches(text)
    for m in froms:
        module = m.group(1)
        yield module, None
        sep = "" if module.endswith(".") else "."
        for part in m.group(2).strip("()").replace("\\", " ").split(","):
            words = part.split()
            if words and words[0].isidentifier():
                yield module + sep + words[0], words[-1]
    for m in plains:
        for part in m.group(1).replace("\\", " ").split(","):
            words = part.split()
            if words and all(w.isidentifier() for w in words[0].split(".")):
                yield words[0], words[-1] if len(words) == 3 else words[0].split(".")[0]


def _import_matches(text: str) -> "tuple[list[re.Match[str]], list[re.Match[str]]]":
    """The matches of _FROM_IMPORT and of _IMPORT in `text`, as their `finditer` gives
    them: tried only at the lines spelling `import` (found at memory speed), not at
    every line, which reading a whole package's imports did for every file."""
    froms: list[re.Match[str]] = []
    plains: list[re.Match[str]] = []
    from_end = plain_end = line = -1
    at = text.find("import")
    while at >= 0:
        start = text.rfind("\n", 0, at) + 1
        if start != line:
            line = start
            if start >= from_end and (m := _FROM_IMPORT.match(text, start)) is not None:
                froms.append(m)
                from_end = m.end()
            if start >= plain_end and (m := _IMPORT.match(text, start)) is not None:
                plains.append(m)
                plain_end = m.end()
        at = text.find("import", at + 6)
    return froms, plains


def _imported_names(text: str) -> list[str]:
    """The modules the import statements of `text` may name (`from .x import y`: .x and
    .x.y)."""
    return [module for module, _ in _imports(text)]


def _bound_names(text: str) -> set[str]:
    """The names the import statements of `text` may bind (`y`, the `as` names, the top
    of `import a.b`)."""
    return {bound for _, bound in _imports(text) if bound is not None}


def definition_in(model: "SemanticModel", path: list[str]) -> "cst.CSTNode | None":
    """The def or class reached by the dotted `path` from the module's top level (`C.m`:
    the method `m` of class `C`), the last binding of each name winning."""
    import libcst as cst

    body = model.module.body
    node = None
    for part in path:
        node = None
        for stmt in body:
            if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)) and stmt.name.value == part:
                node = stmt  # the last definition wins, as at run time
        if node is None:
            return None
        body = node.body.body if isinstance(node, cst.ClassDef) else ()
    return node


def _reduced(text: str, kind: str, name: str) -> str | None:
    """The first pass's reduction of `text` to the part `model_of_part` describes; None:
    parse the whole file."""
    from memlint.engine.checker import PARTIAL_MIN_CHARS
    from memlint.engine.partial import reduce_to

    if len(text) < PARTIAL_MIN_CHARS:
        return None
    if kind == "def":
        return reduce_to(text, [(f"def {name}(",)])
    if kind == "class":
        return reduce_to(text, [(f"class {name}(",), (f"class {name}:",)])
    if kind == "method":  # "Class.method": the defs of that name, with their classes
        return reduce_to(text, [(f"def {name.rpartition('.')[2]}(",)])
    return reduce_to(text, [(name,)], names=[name])


def _build(text: str, filename: str, index: ProjectIndex, complete: bool = True) -> "SemanticModel | None":
    from memlint.analysis.builder import build
    from memlint.engine.parsing import parse_module

    try:
        module = parse_module(text)
    except Exception:  # noqa: BLE001 - a module that does not parse tells nothing
        return None
    model, _ = build(module)
    model.attach(index, filename, complete=complete)
    return model


def _read_text(filename: str) -> tuple[str, tuple[int, int]] | None:
    from memlint.engine.checker import DecodeError, decode

    try:
        st = os.stat(filename)
        with open(filename, "rb") as fh:
            data = fh.read()
        text, _ = decode(data)
    except (OSError, DecodeError):
        return None
    return text, (st.st_size, st.st_mtime_ns)


def _stamp(filename: str) -> tuple[int, int]:
    try:
        st = os.stat(filename)
    except OSError:
        return (0, 0)
    return (st.st_size, st.st_mtime_ns)


def _key(filename: str) -> str:
    return os.path.abspath(filename)


def _is_file(key: str) -> bool:
    return os.path.isfile(key)
