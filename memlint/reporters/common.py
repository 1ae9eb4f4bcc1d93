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
    """`path:row:col: CODE [*] message`, the one-line form of a finding."""
    path = display_path(diagnostic.filename, options.cwd)
    loc = diagnostic.location
    marker = " [*]" if is_applicable(diagnostic, options.unsafe_fixes_enabled) else ""
    return f"{path}:{loc.row}:{loc.column}: {diagnostic.code}{marker} {diagnostic.message}"


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
