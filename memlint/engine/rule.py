"""The rule base class and the example types that double as tests and documentation.

A rule module must not touch libcst at import time (use `import libcst as cst` and refer to
`cst.X` inside methods only): rule metadata is read on every run, libcst is loaded lazily and
only when a file can match (see memlint.engine.lazy).
"""

from __future__ import annotations

import inspect
import re
import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Mapping, Sequence

if TYPE_CHECKING:  # pragma: no cover
    import libcst as cst

    from memlint.diagnostics import Diagnostic
    from memlint.engine.context import Context
    from memlint.engine.suppression import Suppressions

DOC_SECTIONS = (
    "What it does",
    "Why is this bad?",
    "Example",
    "Use instead",
    "Fix safety",
    "Affected versions",
    "References",
)


@dataclass(frozen=True)
class Option:
    """A per-rule option, set under `[tool.memlint.rules.CODE]`."""

    default: Any
    type: type | tuple[type, ...]
    help: str


@dataclass(frozen=True)
class Valid:
    """Source that must produce no finding of the rule."""

    code: str
    versions: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""
    # Other rules enabled alongside (for rules about other rules' findings, such as MEM002).
    extend_select: Sequence[str] = ()

    @property
    def source(self) -> str:
        return textwrap.dedent(self.code).lstrip("\n")


@dataclass(frozen=True)
class Invalid:
    """Source that must produce findings of the rule at `lines` (1-based rows of the dedented
    source). `fixed`, when given, is the source after `--fix` (with `unsafe=True`, after
    `--fix --unsafe-fixes`); `message` is a substring every finding's message must contain.
    `extend_select` enables other rules alongside; only the rule's own findings are counted."""

    code: str
    lines: Sequence[int]
    fixed: str | None = None
    unsafe: bool = False
    message: str | None = None
    versions: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""
    extend_select: Sequence[str] = ()

    @property
    def source(self) -> str:
        return textwrap.dedent(self.code).lstrip("\n")

    @property
    def fixed_source(self) -> str | None:
        return None if self.fixed is None else textwrap.dedent(self.fixed).lstrip("\n")


class Rule:
    """Base class of every rule.

    Subclasses set the class attributes below and define `visit_<NodeType>(self, node)`
    methods, called in source order for every node of that libcst type. The docstring is
    the rule's documentation, in Markdown, with the sections of DOC_SECTIONS.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    # Libraries whose version decides whether the rule fires (for docs and the cache key).
    libraries: ClassVar[tuple[str, ...]] = ()
    # A file can match only if, for at least one group, it contains every byte string of it.
    triggers: ClassVar[tuple[tuple[bytes, ...], ...]] = ()
    # Groups that count only in a file of a project whose other modules the index can
    # follow values into (`da.from_array(x)` where x may come from a loader elsewhere):
    # not in a file checked alone, nor in the sources of a library the analyses model,
    # and only where the file imports a module of its project holding one of the rule's
    # `source_triggers` (where such a value is made).
    project_triggers: ClassVar[tuple[tuple[bytes, ...], ...]] = ()
    # Trigger strings that stand for a name the rule waits for (b"delayed": a call of
    # `dask.delayed`). In the first pass they count where a statement spells the name as a
    # whole word or uses a name imported as it, not where they are part of a longer name or
    # of the module an import comes from (`from dask.delayed import Delayed`).
    name_triggers: ClassVar[frozenset[bytes]] = frozenset()
    # A cheap test of a file's bytes the triggers let through, for the shape of the hazard
    # where plain strings are not sharp enough (`Parallel` is in every file that uses
    # joblib; `sum(Parallel(` is not): a staticmethod taking the bytes, or None.
    shape_filter: ClassVar[Callable[[bytes], bool] | None] = None
    # The same shape in one def or method, where the hazard sits in one (`sum(Parallel(`
    # and a run reduced later in the same def): a staticmethod taking the file's bytes and
    # giving a test of a def's code (str, string literals blanked), or None. In a large
    # file's first pass only the defs and methods it holds for are seeds of the rule.
    unit_shape: ClassVar[Callable[[bytes], Callable[[str], bool]] | None] = None
    # Trigger strings that mark where a value comes from (a memmap opened), which the
    # analyses follow through what calls return: in the first pass they reach the units
    # that call a function or method holding them.
    source_triggers: ClassVar[frozenset[bytes]] = frozenset()
    # In a large file the rule first sees only the statements that mention a trigger
    # string and what they reach through names (memlint.engine.partial); set False if it
    # must see every statement to decide.
    partial_parse: ClassVar[bool] = True
    # In that first pass a class may be cut to its header, its instance data and the
    # methods that can matter; set False if the rule must see every method of a class
    # (each method of a Ray actor runs remotely).
    partial_classes: ClassVar[bool] = True
    options: ClassVar[Mapping[str, Option]] = {}
    fix_availability: ClassVar[str] = "none"  # "none" | "sometimes" | "always"
    # Its fixes read only the reported statement's own code and the module's imports (no
    # fresh names, no "is this the only use" question): its findings in a large file can
    # then be reported from the first pass's statements, kept at their own positions,
    # without parsing the rest. A rule without fixes can always.
    local_fixes: ClassVar[bool] = False
    valid: ClassVar[Sequence[Valid]] = ()
    invalid: ClassVar[Sequence[Invalid]] = ()
    # A rule about the suppression comments themselves (MEM002) sets this and overrides
    # `check_suppressions`: it has no visit_ hooks and runs after every other rule's
    # findings were matched against the comments.
    judges_suppressions: ClassVar[bool] = False

    def __init__(self, ctx: "Context") -> None:
        self.ctx = ctx

    # -- helpers for subclasses -------------------------------------------------------
    @property
    def option(self) -> Mapping[str, Any]:
        return self.ctx.options_for(self.code)

    def report(
        self,
        node: "cst.CSTNode",
        message: str,
        *,
        fix: "FixSpec | None" = None,
        end_node: "cst.CSTNode | None" = None,
    ) -> None:
        self.ctx.report(self, node, message, fix=fix, end_node=end_node)

    # -- metadata ----------------------------------------------------------------------
    @classmethod
    def hooks(cls) -> dict[str, str]:
        """libcst node type name -> method name, for every visit_<Type> the rule defines."""
        return {
            name[len("visit_"):]: name
            for name, _ in inspect.getmembers(cls, inspect.isfunction)
            if name.startswith("visit_")
        }

    @classmethod
    def docs(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def doc_sections(cls) -> dict[str, str]:
        """Section title -> body, parsed from the `## Title` headings of the docstring."""
        sections: dict[str, str] = {}
        current = None
        lines: list[str] = []
        for line in cls.docs().splitlines():
            m = re.match(r"^##\s+(.*?)\s*$", line)
            if m:
                if current is not None:
                    sections[current] = "\n".join(lines).strip()
                current, lines = m.group(1), []
            elif current is not None:
                lines.append(line)
        if current is not None:
            sections[current] = "\n".join(lines).strip()
        return sections

    @classmethod
    def check_suppressions(
        cls, suppressions: "Suppressions", *, filename: str, text: str, enabled: frozenset[str]
    ) -> "list[Diagnostic]":
        """Findings about `suppressions` (whose `used` sets are filled) in `text`, given the
        codes of the rules `enabled` for the file. Only for `judges_suppressions` rules."""
        return []

    @classmethod
    def configured(cls, options: Mapping[str, Any]) -> "type[Rule]":
        """The rule as its `options` make it: itself, or a variant of it (a subclass, same
        code) whose file filter is sharper because under these options some of its
        triggers lead to no finding (MEM101 reporting only views that reach a `Parallel`
        run of the module needs `Parallel` in the file)."""
        return cls

    @classmethod
    def could_match(cls, data: bytes) -> bool:
        """Whether `data` holds every trigger of some group (a name trigger as a word)."""
        from memlint.engine.checker import could_match

        return bool(could_match(data, [cls], project=True))


def one_line(code: str, limit: int = 40) -> str:
    """Source code for a message: on one line, cut to `limit` characters."""
    code = " ".join(code.split())
    return code if len(code) <= limit else code[: limit - 3] + "..."


@dataclass(frozen=True)
class Replace:
    """Replace a node's source (its syntactic range) with `text`."""

    node: "cst.CSTNode"
    text: str


@dataclass(frozen=True)
class InsertBefore:
    """Insert a whole line `text` (without indentation or newline) before the statement
    `stmt`, indented like it."""

    stmt: "cst.CSTNode"
    text: str


@dataclass(frozen=True)
class DeleteStatement:
    """Remove the statement `stmt`: its whole lines (with a trailing comment) when nothing
    else is on them, else just its text. The rule must leave its block non-empty."""

    stmt: "cst.CSTNode"


@dataclass(frozen=True)
class AddImport:
    """Ensure the module has the top-level statement `text` (e.g. "import dask"); inserted
    after the docstring, `__future__` imports and the leading import block."""

    text: str


@dataclass(frozen=True)
class FixSpec:
    applicability: str  # "safe" | "unsafe"
    message: str
    changes: Sequence[Replace | InsertBefore | DeleteStatement | AddImport]
