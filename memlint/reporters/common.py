"""What the text formats share: ordering, display paths, fix markers and the summary lines."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from memlint.diagnostics import SAFE, Diagnostic


@dataclass(frozen=True)
class RenderOptions:
    """Everything a format may need besides the findings themselves."""

    cwd: Path
    show_fixes_hint: bool = True
    unsafe_fixes_enabled: bool = False
    sources: Mapping[str, str] | None = None
    fixed: int = 0  # findings fixed by --fix in this run (they are not in the list)
    quiet: bool = False  # the findings only: no summary, no hints (-q)


def in_order(diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    return sorted(diagnostics, key=Diagnostic.sort_key)


def display_path(filename: str, cwd: Path) -> str:
    """`filename` relative to `cwd` when it lies inside it, else unchanged."""
    path = Path(filename)
    if not path.is_absolute():
        return filename
    for base in (cwd, cwd.resolve()):
        try:
            return str(path.relative_to(base))
        except ValueError:
            continue
    return filename


def is_applicable(diagnostic: Diagnostic, unsafe_fixes_enabled: bool) -> bool:
    """Whether `--fix` (with the current `--unsafe-fixes` setting) would apply the fix."""
    fix = diagnostic.fix
    if fix is None:
        return False
    return fix.applicability == SAFE or unsafe_fixes_enabled


def is_hidden(diagnostic: Diagnostic, unsafe_fixes_enabled: bool) -> bool:
    """Whether the finding has a fix that only `--unsafe-fixes` would apply."""
    return diagnostic.fix is not None and not is_applicable(diagnostic, unsafe_fixes_enabled)


def header(diagnostic: Diagnostic, options: RenderOptions) -> str:
    """`path:row:col: CODE [*] message` (`path:cell N:row:col: ...` in a notebook), the
    one-line form of a finding."""
    path = display_path(diagnostic.filename, options.cwd)
    marker = " [*]" if is_applicable(diagnostic, options.unsafe_fixes_enabled) else ""
    return f"{path}:{where(diagnostic)}: {diagnostic.code}{marker} {diagnostic.message}"


def where(diagnostic: Diagnostic) -> str:
    """`row:col`, after `cell N:` in a notebook (ruff's form)."""
    loc = diagnostic.location
    cell = f"cell {diagnostic.cell}:" if diagnostic.cell is not None else ""
    return f"{cell}{loc.row}:{loc.column}"


class FileTexts:
    """Files' text as the caller handed it over, else as read from disk (None when it
    cannot be read), each read once; for a notebook, its cells' sources and positions in
    its JSON text too."""

    def __init__(self, options: RenderOptions) -> None:
        self._given = options.sources or {}
        self._texts: dict[str, str | None] = {}
        self._notebooks: dict[str, object] = {}

    def text(self, filename: str) -> str | None:
        if filename not in self._texts:
            source = self._given.get(filename)
            self._texts[filename] = source if source is not None else _read(filename)
        return self._texts[filename]

    def cell_source(self, filename: str, cell: int) -> str | None:
        notebook = self._notebook(filename)
        return notebook.cell_source(cell) if notebook is not None else None

    def file_position(self, diagnostic: Diagnostic, loc):
        """Where `loc` of a finding in a notebook cell is in the notebook's JSON text (its
        own position when the text cannot be read)."""
        from memlint.engine.notebook import file_position

        raw = self.text(diagnostic.filename)
        found = file_position(raw, diagnostic.cell, loc) if raw is not None else None
        return found or loc

    def _notebook(self, filename: str):
        if filename not in self._notebooks:
            from memlint.engine.notebook import Notebook, NotebookError

            raw = self.text(filename)
            try:
                self._notebooks[filename] = None if raw is None else Notebook.read(raw.encode("utf-8"))
            except NotebookError:
                self._notebooks[filename] = None
        return self._notebooks[filename]


def _read(filename: str) -> str | None:
    import tokenize

    try:
        # tokenize.open honours a PEP 263 coding cookie and a BOM, as the parser does.
        with tokenize.open(filename) as handle:
            return handle.read()
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None


def summary(diagnostics: Sequence[Diagnostic], options: RenderOptions) -> list[str]:
    """The closing lines: how many findings, and how many `--fix` could take care of."""
    if options.quiet:
        return []
    if options.fixed:
        # ruff's shape after --fix: the total found, then how many were fixed and remain.
        total = options.fixed + len(diagnostics)
        lines = [f"Found {_plural(total, 'error')} ({options.fixed} fixed, {len(diagnostics)} remaining)."]
    elif not diagnostics:
        return ["All checks passed!"]
    else:
        lines = [f"Found {_plural(len(diagnostics), 'error')}."]
    if not options.show_fixes_hint:
        return lines
    unsafe = options.unsafe_fixes_enabled
    fixable = sum(is_applicable(d, unsafe) for d in diagnostics)
    hidden = sum(is_hidden(d, unsafe) for d in diagnostics)
    if fixable:
        lines.append(f"[*] {fixable} fixable with the --fix option.")
    if hidden:
        verb = "fix can" if hidden == 1 else "fixes can"
        lines.append(f"({hidden} hidden {verb} be enabled with the --unsafe-fixes option.)")
    return lines


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def text(lines: Sequence[str]) -> str:
    """Join output lines; non-empty output ends with a newline so it can be written as is."""
    return "".join(line + "\n" for line in lines)
