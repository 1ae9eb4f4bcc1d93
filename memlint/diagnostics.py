"""Plain-data results: what a check produces, what the cache stores, what reporters print.

Everything here is picklable and JSON-friendly, so results cross process boundaries and
the cache without carrying libcst nodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SAFE = "safe"
UNSAFE = "unsafe"

DOCS_URL = "https://github.com/memlint/memlint/blob/main/rules.md"


def rule_url(code: str) -> str:
    return f"{DOCS_URL}#{code.lower()}"


@dataclass(frozen=True, order=True)
class Location:
    """A 1-based row and 1-based column (columns count characters, as ruff's do)."""

    row: int
    column: int

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column}


@dataclass(frozen=True)
class Edit:
    """Replace the text between `location` and `end_location` with `content`."""

    content: str
    location: Location
    end_location: Location

    def as_dict(self) -> dict:
        return {
            "content": self.content,
            "location": self.location.as_dict(),
            "end_location": self.end_location.as_dict(),
        }


@dataclass(frozen=True)
class Fix:
    applicability: str  # SAFE or UNSAFE
    message: str
    edits: tuple[Edit, ...]

    def as_dict(self) -> dict:
        return {
            "applicability": self.applicability,
            "message": self.message,
            "edits": [e.as_dict() for e in self.edits],
        }


@dataclass(frozen=True)
class Diagnostic:
    code: str
    name: str
    message: str
    filename: str
    location: Location
    end_location: Location
    fix: Fix | None = None
    noqa_row: int | None = None
    url: str = field(default="")
    # In a notebook: the cell (1-based among all its cells), the rows being the cell's.
    cell: int | None = None

    def __post_init__(self) -> None:
        if not self.url:
            object.__setattr__(self, "url", rule_url(self.code))
        if self.noqa_row is None:
            object.__setattr__(self, "noqa_row", self.location.row)

    def sort_key(self) -> tuple:
        return (self.filename, self.cell or 0, self.location.row, self.location.column, self.code)

    def as_dict(self) -> dict:
        """The JSON shape of one finding, field for field as ruff writes it (with ruff's
        "cell" for a finding in a notebook)."""
        out = {
            "code": self.code,
            "message": self.message,
            "filename": self.filename,
            "location": self.location.as_dict(),
            "end_location": self.end_location.as_dict(),
            "fix": self.fix.as_dict() if self.fix else None,
            "url": self.url,
            "noqa_row": self.noqa_row,
        }
        if self.cell is not None:
            out["cell"] = self.cell
        return out
