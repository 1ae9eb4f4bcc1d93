"""The project index: what the checked project's own modules define, read lazily from
their files (never imported). Analyses ask it; rules never see it."""

from memlint.index.project import ProjectIndex

__all__ = ["ProjectIndex"]
