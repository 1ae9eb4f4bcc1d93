"""`--output-format json-lines`: one finding per line, each the object `json` lists."""

from __future__ import annotations

import json
from typing import Sequence

from memlint.diagnostics import Diagnostic
from memlint.reporters.common import RenderOptions


def render(diagnostics: Sequence[Diagnostic], options: RenderOptions) -> str:
    return "".join(json.dumps(d.as_dict()) + "\n" for d in diagnostics)
