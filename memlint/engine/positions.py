"""Positions of reported nodes, computed only for the top-level statements that hold them.

libcst's PositionProvider generates the code of the whole module, and running it through a
MetadataWrapper adds a visitor walk that rebuilds every node: on a large file with one
finding that cost as much as parsing it. Here the code is generated only for the top-level
statements a position is asked for, starting at the line the statement starts on, which
the lexical scan of memlint.engine.partial gives (the line of its first code token, less
the comment and blank lines libcst attaches to it). The generated code is compared with
the text at that place; on any disagreement the whole module's positions are computed
the usual way, so the answer is always libcst's own.
"""

from __future__ import annotations

from bisect import bisect_right

from memlint.diagnostics import Location


class Positions:
    """`positions(node)` -> (start, end) Locations, 1-based rows and columns, as libcst's
    PositionProvider gives them."""

    def __init__(self, module, text: str, parent: dict, line_starts: list[int]) -> None:
        self.module = module
        self.text = text
        self.parent = parent  # node -> parent node (the semantic model's map)
        self.line_starts = line_starts  # offsets where each line starts (see LineIndex)
        self.ranges: dict = {}
        self.done: set[int] = set()  # ids of top-level statements generated
        self.code_starts: list[int] | None = None
        self.whole = False  # set once the whole module's positions were computed
        self.body_index = {id(stmt): i for i, stmt in enumerate(module.body)}

    def __call__(self, node) -> tuple[Location, Location]:
        rng = self.ranges.get(node)
        if rng is None:
            if not self.whole:
                top = self._top_statement(node)
                if top is None or not self._generate(top):
                    self._whole_module()
            rng = self.ranges[node]
        return (
            Location(rng.start.line, rng.start.column + 1),
            Location(rng.end.line, rng.end.column + 1),
        )

    def _top_statement(self, node):
        current = node
        while id(current) not in self.body_index:
            current = self.parent.get(current)
            if current is None:
                return None
        return current

    def _generate(self, stmt) -> bool:
        """Positions for the nodes of one top-level statement; False when its start
        cannot be placed with certainty."""
        from libcst.metadata.position_provider import PositionProvider, PositionProvidingCodegenState

        if id(stmt) in self.done:
            return False  # generated already, yet the node was not found in it
        starts = self._code_starts()
        k = self.body_index[id(stmt)]
        if starts is None or len(starts) != len(self.module.body):
            return False
        leading = len(stmt.leading_lines)
        decorators = getattr(stmt, "decorators", ())
        if decorators:
            leading += len(decorators[0].leading_lines)
        first_row = bisect_right(self.line_starts, starts[k])  # 1-based row of the code start
        line = first_row - leading
        if line < 1:
            return False
        provider = PositionProvider()
        state = PositionProvidingCodegenState(
            default_indent=self.module.default_indent,
            default_newline=self.module.default_newline,
            provider=provider,
            line=line,
            column=0,
        )
        stmt._codegen(state)
        code = "".join(state.tokens)
        offset = self.line_starts[line - 1]
        if self.text[offset : offset + len(code)] != code:
            return False
        self.ranges.update(provider._computed)
        self.done.add(id(stmt))
        return True

    def _code_starts(self) -> list[int] | None:
        if self.code_starts is None:
            from memlint.engine.partial import statement_starts

            starts = statement_starts(self.text)
            if starts is None:
                return None
            # The first span may hold only the comments and blank lines above the code.
            if starts and (not self.text or self.text[0] in " \t\f\r\n#\\"):
                starts = starts[1:]
            self.code_starts = starts
        return self.code_starts

    def _whole_module(self) -> None:
        from libcst.metadata import MetadataWrapper, PositionProvider

        self.ranges = dict(MetadataWrapper(self.module, unsafe_skip_copy=True).resolve(PositionProvider))
        self.whole = True

