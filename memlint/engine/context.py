"""What a rule sees while it checks one file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping

if TYPE_CHECKING:  # pragma: no cover
    import libcst as cst

    from memlint.analysis.model import SemanticModel
    from memlint.engine.rule import FixSpec, Rule
    from memlint.versions import ResolvedVersion


@dataclass
class PendingReport:
    code: str
    name: str
    node: "cst.CSTNode"
    end_node: "cst.CSTNode | None"
    message: str
    fix: "FixSpec | None"


class Context:
    def __init__(
        self,
        *,
        filename: str,
        source: str,
        module: "cst.Module",
        model: "SemanticModel",
        options: Mapping[str, Mapping[str, Any]],
        resolve_version: Callable[[str], "ResolvedVersion"],
        affected: Callable[[str, str], bool],
    ) -> None:
        self.filename = filename
        self.source = source
        self.module = module
        self.model = model
        self._options = options
        self._resolve_version = resolve_version
        self._affected = affected
        self.reports: list[PendingReport] = []

    def options_for(self, code: str) -> Mapping[str, Any]:
        return self._options.get(code, {})

    def version(self, library: str) -> "ResolvedVersion":
        """The checked project's version of `library`, with where it was found."""
        return self._resolve_version(library)

    def affected(self, library: str, specifier: str) -> bool:
        """Whether the project's `library` may be in the PEP 440 range `specifier`."""
        return self._affected(library, specifier)

    def code_for(self, node: "cst.CSTNode") -> str:
        return self.module.code_for_node(node)

    def report(
        self,
        rule: "Rule",
        node: "cst.CSTNode",
        message: str,
        *,
        fix: "FixSpec | None" = None,
        end_node: "cst.CSTNode | None" = None,
    ) -> None:
        self.reports.append(PendingReport(rule.code, rule.name, node, end_node, message, fix))
