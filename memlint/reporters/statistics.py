"""`--statistics`: how often each rule fired, most frequent first (ruff's table)."""

from __future__ import annotations

from collections import Counter
from typing import Sequence

from memlint.diagnostics import Diagnostic
from memlint.reporters.common import is_applicable, text


def render_statistics(
    diagnostics: Sequence[Diagnostic], *, unsafe_fixes_enabled: bool = False, json_format: bool = False
) -> str:
    """One row per code, `count  CODE  [*]  name`; the fix column appears only when some code
    is fixable. Empty output when there is nothing to count. With `json_format`, ruff's
    JSON: a list of {"code", "name", "count", "fixable"}, most frequent first."""
    counts = Counter(d.code for d in diagnostics)
    names = {d.code: d.name for d in diagnostics}
    fixable = {d.code for d in diagnostics if is_applicable(d, unsafe_fixes_enabled)}
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if json_format:
        import json

        entries = [{"code": code, "name": names[code], "count": count, "fixable": code in fixable}
                   for code, count in rows]
        return json.dumps(entries, indent=2) + "\n"
    count_width = max((len(str(n)) for _, n in rows), default=0)
    code_width = max((len(code) for code, _ in rows), default=0)
    lines = []
    for code, count in rows:
        columns = [f"{count:>{count_width}}", f"{code:<{code_width}}"]
        if fixable:
            columns.append("[*]" if code in fixable else "[ ]")
        columns.append(names[code])
        lines.append("  ".join(columns))
    return text(lines)
