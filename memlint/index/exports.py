"""What a module's top level binds, read lexically (no parse): the names its imports bind,
with what they import, and the names its defs, classes and assignments bind.

Enough to follow a re-export (`from .common import np` in one module, `from .pkg import
np` in another) to the library it names, at the cost of a scan of the text. Imports
nested in `try:` or `if` blocks count; those inside defs and classes do not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_FROM = re.compile(r"from\s+(\.*[\w.]*)\s+import\s+\(?([^()]*)\)?\s*\Z")
_IMPORT = re.compile(r"import\s+([^();]*?)\s*\Z")
_ALIAS = re.compile(r"([\w.]+)(?:\s+as\s+(\w+))?\Z")
_DEFINES = re.compile(r"(?:async\s+)?(def|class)\s+(\w+)")
_ASSIGNS = re.compile(r"(\w+)\s*(?::[^=]*)?=(?!=)")
_BLOCK = re.compile(r"(?:@|(?:async\s+)?def\b|class\b)")

IMPORT = "import"
DEFINED = "defined"  # a def, a class or an assignment of the module itself


@dataclass
class Exports:
    """name -> (IMPORT, dotted target, relative or absolute) or (DEFINED, "def", "class"
    or None for an assignment); a name bound both ways (an import overridden by a def) is
    DEFINED."""

    names: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    star: list[str] = field(default_factory=list)  # modules star-imported


def read_exports(text: str) -> Exports:
    from memlint.engine.partial import scan

    found = Exports()
    sc = scan(text)
    if sc is None:
        return found
    masked = sc.masked
    lines = sc.lines
    in_block = False  # inside a top-level def or class
    for k, (line, code) in enumerate(lines):
        end = lines[k + 1][0] if k + 1 < len(lines) else len(masked)
        if code == line:
            in_block = bool(_BLOCK.match(masked, code))
        if in_block and code != line:
            continue
        statement = masked[code:end].replace("\\\n", " ").strip()
        for part in statement.split(";"):
            _read_statement(part.strip(), found, top=code == line)
    return found


def _read_statement(statement: str, found: Exports, top: bool) -> None:
    m = _FROM.match(statement)
    if m is not None:
        module, names = m.group(1), m.group(2)
        for part in names.split(","):
            part = " ".join(part.split())
            if part == "*":
                found.star.append(module)
                continue
            alias = _ALIAS.match(part)
            if alias is None or "." in alias.group(1):
                continue
            bound = alias.group(2) or alias.group(1)
            target = f"{module}{'' if module.endswith('.') else '.'}{alias.group(1)}"
            _bind(found, bound, (IMPORT, target))
        return
    m = _IMPORT.match(statement)
    if m is not None:
        for part in m.group(1).split(","):
            alias = _ALIAS.match(" ".join(part.split()))
            if alias is None:
                continue
            name, asname = alias.group(1), alias.group(2)
            if asname:
                _bind(found, asname, (IMPORT, name))
            else:
                top_name = name.split(".")[0]
                _bind(found, top_name, (IMPORT, top_name))
        return
    m = _DEFINES.match(statement)
    if m is not None and top:
        found.names[m.group(2)] = (DEFINED, m.group(1))
        return
    m = _ASSIGNS.match(statement)
    if m is not None and statement[m.end():].strip() != "None":
        # (`except ImportError: np = None` leaves the import the meaningful value.)
        found.names[m.group(1)] = (DEFINED, None)


def _bind(found: Exports, name: str, value: tuple[str, str | None]) -> None:
    current = found.names.get(name)
    if current is not None and current[0] == DEFINED:
        return
    if current is not None and current != value:
        # Two imports of one name (`try: import a as x / except: import b as x`): the
        # first is the one the code is written for.
        return
    found.names[name] = value
