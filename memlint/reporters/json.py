"""`--output-format json`: the list of findings in ruff's JSON shape (see DESIGN.md, Output)."""

from __future__ import annotations

import json
from typing import Sequence

from memlint.diagnostics import Diagnostic
from memlint.reporters.common import RenderOptions


def render(diagnostics: Sequence[Diagnostic], options: RenderOptions) -> str:
    # Filenames stay absolute, as ruff writes them, whatever the working directory.
    return json.dumps([d.as_dict() for d in diagnostics], indent=2) + "\n"
