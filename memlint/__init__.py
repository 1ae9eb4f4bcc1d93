"""memlint: a linter for the memory and serialization hazards of parallel scientific Python."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "check_source", "check_paths", "fix_source"]


def __getattr__(name: str):
    # The public API lives in memlint.api; importing it lazily keeps `import memlint`
    # (and so `memlint --version`) free of libcst.
    if name in ("check_source", "check_paths", "fix_source"):
        from memlint import api

        return getattr(api, name)
    raise AttributeError(name)
