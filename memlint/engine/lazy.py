"""Load libcst lazily: `import libcst as cst` in a rule module costs nothing until a file
is actually parsed, so a run over files that cannot match never pays libcst's import."""

from __future__ import annotations

import importlib.util
import sys


def install() -> None:
    if "libcst" in sys.modules:
        return
    spec = importlib.util.find_spec("libcst")
    if spec is None or spec.loader is None:  # pragma: no cover - libcst is a dependency
        return
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["libcst"] = module
    loader.exec_module(module)
