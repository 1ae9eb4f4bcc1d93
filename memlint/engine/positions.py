"""Positions of reported nodes, computed only for the top-level statements that hold them.

libcst's PositionProvider generates the code of the whole module, and running it through a
MetadataWrapper adds a visitor walk that rebuilds every node: on a large file with one
finding that cost as much as parsing it. Here the code is generated only for the top-level
statements a position is asked for, starting at the line the statement starts on, which
the lexical scan of memlint.engine.partial gives (the line of its first code token, less
the comment and blank lines libcst attaches to it). The generated code is compared with
the text at that place; on any disagreement the whole module's positions are computed
the usual way, so the answer is always libcst's own. In a class only the member holding
the node is generated (a large class's other methods cost most of it), placed where its
code is found, once, in the text after the class starts.
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
        self.members: list = []  # (ranges of a class member generated alone, rows to add)
        self.body_index = {id(stmt): i for i, stmt in enumerate(module.body)}

    def __call__(self, node) -> tuple[Location, Location]:
        rng, shift = self._found(node)
        if rng is None:
            if not self.whole:
                top, member = self._top_statement(node)
                if top is None or not (member is not None and self._generate_member(top, member)
                                       or self._generate(top)):
                    self._whole_module()
            rng, shift = self._found(node)
        return (
            Location(rng.start.line + shift, rng.start.column + 1),
            Location(rng.end.line + shift, rng.end.column + 1),
        )

    def _found(self, node):
        """The node's range as generated, and the rows to add to it."""
        rng = self.ranges.get(node)
        if rng is not None:
            return rng, 0
        for ranges, shift in self.members:
            rng = ranges.get(node)
            if rng is not None:
                return rng, shift
        return None, 0

    def _top_statement(self, node):
        """The top-level statement holding `node`, and the member of its body holding it
        when that statement is a class (else None)."""
        path = [node]
        while id(path[-1]) not in self.body_index:
            up = self.parent.get(path[-1])
            if up is None:
                return None, None
            path.append(up)
        top = path[-1]
        if (len(path) >= 3 and type(top).__name__ == "ClassDef" and path[-2] is top.body
                and type(top.body).__name__ == "IndentedBlock"):
            return top, path[-3]
        return top, None

    def _generate_member(self, top, member) -> bool:
        """Positions for the nodes of one member of the class `top`, generated alone and
        placed where its code is, once, in the text after the class starts; False when it
        cannot be placed with certainty."""
        if id(member) in self.done or id(top) in self.done:
            return False
        starts = self._code_starts()
        if starts is None or len(starts) != len(self.module.body):
            return False
        indent = top.body.indent
        code, computed = self._codegen(member, 1, self.module.default_indent if indent is None else indent)
        text = self.text
        at = text.find(code, starts[self.body_index[id(top)]])
        if not code or at < 0 or (at > 0 and text[at - 1] not in "\n\r") or text.find(code, at + 1) >= 0:
            return False
        self.members.append((computed, bisect_right(self.line_starts, at) - 1))
        self.done.add(id(member))
        return True

    def _generate(self, stmt) -> bool:
        """Positions for the nodes of one top-level statement; False when its start
        cannot be placed with certainty."""
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
        code, computed = self._codegen(stmt, line)
        offset = self.line_starts[line - 1]
        if self.text[offset : offset + len(code)] != code:
            return False
        self.ranges.update(computed)
        self.done.add(id(stmt))
        return True

    def _codegen(self, node, line: int, indent: str | None = None):
        """The code libcst generates for `node` from row `line` (inside a block indented by
        `indent`), and the ranges of its nodes."""
        from libcst.metadata.position_provider import PositionProvider, PositionProvidingCodegenState

        provider = PositionProvider()
        state = PositionProvidingCodegenState(
            default_indent=self.module.default_indent,
            default_newline=self.module.default_newline,
            provider=provider,
            line=line,
            column=0,
        )
        if indent is not None:
            state.increase_indent(indent)
        node._codegen(state)
        return "".join(state.tokens), provider._computed

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

