"""Jupyter notebooks as a source the checker reads: the code cells, in order, as one module
(what the kernel runs), with IPython's own syntax masked; and the way back, from fixed
module text to notebook bytes in which nothing but the changed cells' sources differs.

The module is the masked code cells joined by a boundary comment line that holds none of
the cells' text, so a fixed module is cut back into cells at those lines. A masked line
(a magic, a shell escape, a help request) becomes `pass` at its indentation followed by a
marker comment, which is how it is found again and given back its original text.

Rows: a finding's row in the module becomes its cell (counted 1-based among all the
notebook's cells, markdown included, as ruff counts them) and its row in that cell.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field, replace
from typing import Sequence

from memlint.diagnostics import Diagnostic, Edit, Fix, Location

SUFFIX = ".ipynb"

# Cell magics whose body is Python run in the kernel's namespace: only their first line is
# masked. The body of any other (%%bash, %%writefile, %%html, %%sql...) is not Python.
TRANSPARENT_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})
# Line magics IPython runs without their `%` (automagic) that begin lines of notebooks.
AUTOMAGICS = frozenset({"pip", "conda", "mamba", "cd", "ls", "pwd", "env", "load_ext", "matplotlib"})

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
# Escapes IPython reads at the start of a logical line: magics (%), shell (!), help (?),
# autocall (/ , ;).
_ESCAPE = re.compile(r"[ \t]*[%!?/,;]")
# `x = !ls`, `files, n = %sx ls`: the value of a shell escape or a magic.
_ASSIGNED_ESCAPE = re.compile(r"[ \t]*[\w.\[\], \t*]+?[ \t]*=[ \t]*[!%]")
# `obj?`, `np.load??`, `np.*load*?`: help on a name.
_HELP_AFTER = re.compile(r"[ \t]*[A-Za-z_*][\w.*]*[ \t]*\?\??[ \t]*$")
_AUTOMAGIC = re.compile(r"[ \t]*(" + "|".join(sorted(AUTOMAGICS)) + r")[ \t]+[\w\-~./'\"]")


class NotebookError(ValueError):
    """A file that is not a notebook memlint can read; str() says why, for MEM001."""


def is_notebook(filename: str) -> bool:
    return filename.endswith(SUFFIX)


@dataclass
class _Cell:
    number: int  # 1-based among all cells
    source: str  # as the notebook holds it
    text: str  # as the module holds it: IPython's syntax masked, a final line break
    magics: list[str]  # the original text of each masked line, in order
    newline_added: bool  # the text got a final line break the source lacks


@dataclass
class Notebook:
    """A notebook's JSON text and its Python code cells as one module (`text`)."""

    raw: str
    bom: bool
    cells: list[_Cell]
    text: str
    boundary: str  # the line between two cells in `text`, line break included
    marker: str  # ends every masked line in `text`
    # For each row of `text` (index row - 1): (cell number, row in the cell), or the
    # cell a boundary row closes with a row past its end.
    rows: list[tuple[int, int]] = field(repr=False)

    # -- reading ---------------------------------------------------------------------------
    @classmethod
    def read(cls, data: bytes) -> "Notebook":
        bom = data.startswith(b"\xef\xbb\xbf")
        try:
            raw = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise NotebookError(f"not a Jupyter notebook: the file is not valid UTF-8 (byte {exc.start})") from None
        if not raw.strip():
            raise NotebookError("not a Jupyter notebook: the file is empty")
        try:
            document = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise NotebookError(
                f"not a Jupyter notebook: invalid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
            ) from None
        except RecursionError:
            raise NotebookError("not a Jupyter notebook: the JSON nests too deeply") from None
        return cls._of(raw, bom, document)

    @classmethod
    def _of(cls, raw: str, bom: bool, document) -> "Notebook":
        if not isinstance(document, dict):
            raise NotebookError("not a Jupyter notebook: the JSON is not an object")
        if "cells" not in document and "worksheets" in document:
            raise NotebookError("notebook format 3 is not supported: convert it with "
                                "`jupyter nbconvert --to notebook --nbformat 4`")
        cells = document.get("cells")
        if not isinstance(cells, list):
            raise NotebookError('not a Jupyter notebook: it has no "cells" list')
        sources = []
        if _is_python(document.get("metadata")):
            for number, cell in enumerate(cells, 1):
                if isinstance(cell, dict) and cell.get("cell_type") == "code":
                    sources.append((number, _joined(cell.get("source", ""), number)))
        return cls._of_sources(raw, bom, sources)

    @classmethod
    def of_cells(cls, sources: Sequence[tuple[int, str]]) -> "Notebook":
        """The notebook of these code cells ((number, source), in order), as an editor
        holds them: there is no JSON text to write back to."""
        return cls._of_sources("", False, sources)

    @classmethod
    def _of_sources(cls, raw: str, bom: bool, sources: Sequence[tuple[int, str]]) -> "Notebook":
        boundary, marker = _separators([source for _, source in sources])
        cells: list[_Cell] = []
        for number, source in sources:
            masked = mask(source, marker)
            if masked is not None:
                cells.append(_cell(number, source, masked))
        pieces, rows = [], []
        for i, cell in enumerate(cells):
            if i:
                pieces.append(boundary)
                rows.append((cells[i - 1].number, _row_count(cells[i - 1].text) + 1))
            pieces.append(cell.text)
            rows.extend((cell.number, r) for r in range(1, _row_count(cell.text) + 1))
        return cls(raw, bom, cells, "".join(pieces), boundary, marker, rows)

    # -- findings ----------------------------------------------------------------------------
    def locate(self, loc: Location) -> tuple[int, Location]:
        """The cell of a module position and the position inside it."""
        if not self.rows:
            return 1, loc
        if loc.row > len(self.rows):  # past the last line: the end of the last cell
            number, row = self.rows[-1]
            return number, Location(row + loc.row - len(self.rows), loc.column)
        number, row = self.rows[max(loc.row, 1) - 1]
        return number, Location(row, loc.column)

    def in_cells(self, diagnostic: Diagnostic) -> Diagnostic:
        """The finding with its cell, and rows and columns inside that cell."""
        cell, start = self.locate(diagnostic.location)
        end_cell, end = self.locate(diagnostic.end_location)
        if end_cell != cell:
            end = start
        noqa_cell, noqa = self.locate(Location(diagnostic.noqa_row or diagnostic.location.row, 1))
        fix = diagnostic.fix
        if fix is not None:
            fix = self._fix_in_cells(fix)
        return replace(diagnostic, location=start, end_location=end, fix=fix, cell=cell,
                       noqa_row=noqa.row if noqa_cell == cell else start.row)

    def _fix_in_cells(self, fix: Fix) -> Fix | None:
        edits = []
        for edit in fix.edits:
            cell, start = self.locate(edit.location)
            end_cell, end = self.locate(edit.end_location)
            if end_cell != cell:  # an edit across cells cannot be shown in one
                return None
            edits.append(Edit(edit.content, start, end))
        return replace(fix, edits=tuple(edits))

    def cell_source(self, number: int) -> str | None:
        cell = self._cell(number)
        return cell.source if cell is not None else None

    def cell_text(self, number: int) -> str | None:
        """The code cell as the module holds it (magics masked)."""
        cell = self._cell(number)
        return cell.text if cell is not None else None

    def source_from(self, number: int, text: str) -> str:
        """The source of a code cell whose text in the module is now `text`."""
        return _unmarked(text, self._cell(number), self.marker)

    def _cell(self, number: int) -> _Cell | None:
        for cell in self.cells:
            if cell.number == number:
                return cell
        return None

    # -- writing back ------------------------------------------------------------------------
    def sources_of(self, text: str) -> dict[int, str]:
        """The source of every code cell whose source `text` (this notebook's module after
        fixing) changes, by cell number; raises NotebookError when `text` cannot be cut
        back into the cells (a fix that crossed a cell boundary or took a magic's line)."""
        pieces = text.split(self.boundary)
        if len(pieces) != max(len(self.cells), 1) or any(
            pieces[i - 1] and not pieces[i - 1].endswith(("\n", "\r")) for i in range(1, len(pieces))
        ):
            raise NotebookError("a fix would cross a cell boundary")
        changed = {}
        for cell, piece in zip(self.cells, pieces):
            source = _unmarked(piece, cell, self.marker)
            if source != cell.source:
                changed[cell.number] = source
        return changed

    def with_sources(self, sources: dict[int, str]) -> bytes:
        """The notebook's bytes with those cells' sources replaced, every other byte kept."""
        raw = self.raw
        if sources:
            spans = _source_spans(raw)
            style = _Style.of(raw)
            for number in sorted(sources, reverse=True):
                if spans[number - 1] is None:
                    raise NotebookError(f'cell {number} has no "source" to write to')
                start, end = spans[number - 1]
                value = style.dump(sources[number], raw, start, end)
                raw = raw[:start] + value + raw[end:]
        data = raw.encode("utf-8")
        return b"\xef\xbb\xbf" + data if self.bom else data


def cell_diff(before: bytes, after: bytes, shown: str) -> str:
    """The change between two versions of a notebook as a unified diff per changed code
    cell, headed `a/<shown>:cell N` as ruff shows them."""
    import difflib

    old, new = Notebook.read(before), Notebook.read(after)
    sources = {cell.number: cell.source for cell in old.cells}
    out: list[str] = []
    for cell in new.cells:
        was = sources.get(cell.number, "")
        if cell.source != was:
            out.extend(difflib.unified_diff(
                _lines(was), _lines(cell.source),
                fromfile=f"a/{shown}:cell {cell.number}", tofile=f"b/{shown}:cell {cell.number}"))
    return "".join(out)


def cell_texts(notebook: Notebook) -> list[tuple[int, str]]:
    """(cell number, text in the module) of each code cell: joined by the boundary line,
    the module."""
    return [(cell.number, cell.text) for cell in notebook.cells]


def blank(text: str) -> str:
    """Empty lines as many as `text` has."""
    return "\n" * _row_count(text)


def _lines(text: str) -> list[str]:
    """The lines of a cell for a diff, the last one with a line break too."""
    lines = _LINE.findall(text)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n"
    return lines


def _is_python(metadata) -> bool:
    """Whether the notebook's kernel runs Python (a notebook that does not say is taken to)."""
    if not isinstance(metadata, dict):
        return True
    for key, name in (("kernelspec", "language"), ("language_info", "name")):
        section = metadata.get(key)
        if isinstance(section, dict) and isinstance(section.get(name), str):
            return section[name].lower() in ("python", "python3", "ipython", "ipython3")
    return True


def _joined(source, number: int) -> str:
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(s, str) for s in source):
        return "".join(source)
    raise NotebookError(f'not a Jupyter notebook: the "source" of cell {number} is not text')


def _cell(number: int, source: str, masked: tuple[str, list[str]]) -> _Cell:
    text, magics = masked
    added = bool(text) and not text.endswith(("\n", "\r"))
    return _Cell(number, source, text + "\n" if added else text, magics, added)


def _row_count(text: str) -> int:
    return len(_LINE.findall(text))


def _separators(texts: Sequence[str]) -> tuple[str, str]:
    """A boundary line and a masked-line marker that none of the cells' sources holds."""
    salt = 0
    while True:
        boundary = f"# memlint cell boundary {salt:x}" if salt else "# memlint cell boundary"
        marker = f"{DEFAULT_MARKER} {salt:x}" if salt else DEFAULT_MARKER
        if not any(boundary in t or marker in t for t in texts):
            return boundary + "\n", marker
        salt += 1


def _unmarked(piece: str, cell: _Cell, marker: str) -> str:
    """A cell's fixed text with its masked lines given back and its final line break as
    the source had it."""
    if cell.newline_added and piece.endswith("\n"):
        piece = piece[:-1]
    if not cell.magics:
        return piece
    out, magics = [], iter(cell.magics)
    count = 0
    for line in _LINE.findall(piece):
        body = line.rstrip("\r\n")
        if body.endswith("pass" + marker):
            original = next(magics, None)
            if original is None:
                raise NotebookError("a fix would change a line IPython reads as a magic")
            count += 1
            line = original.rstrip("\r\n") + line[len(body):]
        out.append(line)
    if count != len(cell.magics):
        raise NotebookError("a fix would change a line IPython reads as a magic")
    return "".join(out)


DEFAULT_MARKER = "  # memlint masked"


def mask(source: str, marker: str = DEFAULT_MARKER) -> tuple[str, list[str]] | None:
    """The cell's source with every line IPython reads as its own syntax (magics, shell
    escapes, help requests, automagics) replaced by `pass` and the marker, and those
    lines' original text; None for a cell magic cell whose body is not Python."""
    lines = _LINE.findall(source)
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    groups: list[list[int]] = []
    body = 0  # the row the Python starts on
    if first is not None and lines[first].lstrip().startswith("%%"):
        name = lines[first].lstrip()[2:].split(None, 1)
        if not name or name[0] not in TRANSPARENT_CELL_MAGICS:
            return None
        groups.append([first])
        body = first + 1
    groups.extend(_escape_rows(lines, body))
    if not groups:
        return source, []
    out = list(lines)
    for group in groups:
        # Each line of the escape becomes a statement at the indentation of its first.
        head = lines[group[0]]
        indent = head[: len(head) - len(head.lstrip(" \t"))]
        for r in group:
            line = lines[r]
            out[r] = indent + "pass" + marker + line[len(line.rstrip("\r\n")):]
    originals = [lines[r] for group in sorted(groups) for r in group]
    return "".join(out), originals


def _escape_rows(lines: list[str], start: int) -> list[list[int]]:
    """The rows of each escape IPython reads as its own syntax (a line, and those its
    logical line goes on to), found at the start of logical lines from row `start` on."""
    groups: list[list[int]] = []
    scanner = _Scanner()
    escape: _Scanner | None = None  # the logical line of an escape, while it goes on
    for r in range(start, len(lines)):
        body = lines[r].rstrip("\r\n")
        if escape is None and scanner.at_logical_start() and _is_escape(body):
            escape = _Scanner()
            groups.append([])
        if escape is not None:
            # IPython reads the escape's whole logical line (open brackets, a backslash).
            groups[-1].append(r)
            escape.feed(body)
            if escape.at_logical_start():
                escape = None
            continue
        scanner.feed(body)
    return groups


def _is_escape(body: str) -> bool:
    stripped = body.strip()
    if not stripped or stripped.startswith("#"):
        return False
    return bool(_ESCAPE.match(body) or _ASSIGNED_ESCAPE.match(body) or _HELP_AFTER.match(body)
                or _AUTOMAGIC.match(body))


class _Scanner:
    """Just enough of Python's tokenizer to tell where logical lines start: open
    brackets, strings spanning lines, backslash continuations; comments skipped."""

    def __init__(self) -> None:
        self.depth = 0
        self.quote: str | None = None  # the open triple quote
        self.continued = False

    def at_logical_start(self) -> bool:
        return self.depth == 0 and self.quote is None and not self.continued

    def feed(self, line: str) -> None:
        i, n = 0, len(line)
        self.continued = False
        while i < n:
            if self.quote is not None:
                end = _string_end(line, i, self.quote)
                if end < 0:
                    self.continued = False
                    return
                self.quote, i = None, end
                continue
            ch = line[i]
            if ch == "#":
                return
            if ch in "([{":
                self.depth += 1
            elif ch in ")]}":
                self.depth = max(0, self.depth - 1)
            elif ch in "'\"":
                quote = line[i:i + 3] if line[i:i + 3] in ("'''", '"""') else ch
                end = _string_end(line, i + len(quote), quote)
                if end < 0:
                    if len(quote) == 3:
                        self.quote = quote
                    else:
                        self.continued = line.endswith("\\")
                    return
                i = end
                continue
            elif ch == "\\" and i == n - 1:
                self.continued = True
            i += 1


def _string_end(line: str, i: int, quote: str) -> int:
    """The index after the quote that closes a string whose text starts at `i`, or -1."""
    n = len(line)
    while i < n:
        if line[i] == "\\":
            i += 2
            continue
        if line.startswith(quote, i):
            return i + len(quote)
        i += 1
    return -1


# -- finding and writing cells' sources in the JSON text --------------------------------------

_WS = re.compile(r"[ \t\n\r]*")


@functools.lru_cache(maxsize=4)
def _source_spans(raw: str) -> tuple[tuple[int, int] | None, ...]:
    """For each cell, the span of its "source" value in the JSON text (the last one, as
    json.loads reads duplicate keys). Kept for the last few texts: a report asks for the
    positions of each finding of a notebook."""
    decoder = json.JSONDecoder()
    spans: list[tuple[int, int] | None] = []

    def value_end(i: int) -> int:
        return decoder.raw_decode(raw, i)[1]

    def members(i: int, visit) -> int:
        """Walk an object at `i` ('{'), calling visit(key, value start) -> value end."""
        i = _WS.match(raw, i + 1).end()
        while raw[i] != "}":
            key, i = json.decoder.scanstring(raw, i + 1)
            i = _WS.match(raw, i).end() + 1  # the colon
            i = _WS.match(raw, i).end()
            i = _WS.match(raw, visit(key, i)).end()
            if raw[i] == ",":
                i = _WS.match(raw, i + 1).end()
        return i + 1

    def cell(key: str, i: int) -> int:
        end = value_end(i)
        if key == "source":
            spans[-1] = (i, end)
        return end

    def top(key: str, i: int) -> int:
        if key != "cells":
            return value_end(i)
        spans.clear()
        i = _WS.match(raw, i + 1).end()
        while raw[i] != "]":
            spans.append(None)
            i = members(i, cell) if raw[i] == "{" else value_end(i)
            i = _WS.match(raw, i).end()
            if raw[i] == ",":
                i = _WS.match(raw, i + 1).end()
        return i + 1

    members(_WS.match(raw, 0).end(), top)
    return tuple(spans)


@dataclass
class _Style:
    """How the notebook's JSON is written: the indentation step (None: on one line) and
    whether non-ASCII text is escaped."""

    unit: str | None
    ascii: bool
    newline: str = "\n"

    @classmethod
    def of(cls, raw: str) -> "_Style":
        m = re.match(r"\s*\{\r?\n([ \t]+)\"", raw)
        ascii_only = raw.isascii() and re.search(r"\\u[0-9a-fA-F]{4}", raw) is not None
        return cls(m.group(1) if m else None, ascii_only, "\r\n" if "\r\n" in raw[:200] else "\n")

    def dump(self, source: str, raw: str, start: int, end: int) -> str:
        """`source` written as the value at raw[start:end] was: a string, or a list of
        lines as Jupyter writes them, indented as the text around it."""
        old = raw[start:end]
        if not old.startswith("["):
            return json.dumps(source, ensure_ascii=self.ascii)
        lines = re.findall(r"[^\n]*\n|[^\n]+$", source)
        if not lines:
            return "[]"
        items = [json.dumps(line, ensure_ascii=self.ascii) for line in lines]
        if "\n" not in old and (old != "[]" or self.unit is None):
            return "[" + (", " if ", " in old or old == "[]" else ",").join(items) + "]"
        before = raw[raw.rfind("\n", 0, start) + 1:start]  # `   "source": ` on its line
        key_indent = before[: len(before) - len(before.lstrip(" \t"))]
        inner = _item_indent(old) or key_indent + (self.unit or " ")
        nl = self.newline
        return "[" + nl + ("," + nl).join(inner + item for item in items) + nl + key_indent + "]"


def _item_indent(old: str) -> str | None:
    m = re.match(r"\[\r?\n([ \t]*)\S", old)
    return m.group(1) if m else None


def file_position(raw: str, cell: int, loc: Location) -> Location | None:
    """Where a cell's (row, column) is in the notebook's JSON text (the line and column of
    that character inside the "source" strings), for formats that point into the file;
    None when the cell or position is not there."""
    try:
        spans = _source_spans(raw)
    except (ValueError, IndexError):
        return None
    if not 1 <= cell <= len(spans) or spans[cell - 1] is None:
        return None
    start, end = spans[cell - 1]
    strings = [start] if raw[start] == '"' else _item_starts(raw, start)
    row, column = 1, 1
    for at in strings:
        text, after = json.decoder.scanstring(raw, at + 1)
        for i, ch in enumerate(text):
            if (row, column) == (loc.row, loc.column):
                return _file_location(raw, at, text[:i])
            row, column = (row + 1, 1) if ch == "\n" else (row, column + 1)
        if (row, column) == (loc.row, loc.column) and at == strings[-1]:
            return _file_location(raw, at, text)
    return None


def _item_starts(raw: str, start: int) -> list[int]:
    """The offsets of the opening quotes of the strings in the list at `start`."""
    out, i = [], _WS.match(raw, start + 1).end()
    while raw[i] == '"':
        out.append(i)
        _, i = json.decoder.scanstring(raw, i + 1)
        i = _WS.match(raw, i).end()
        if raw[i] == ",":
            i = _WS.match(raw, i + 1).end()
    return out


def _file_location(raw: str, quote: int, prefix: str) -> Location:
    """The position in `raw` of the character after `prefix` in the string at `quote`
    (escapes counted as json writes them)."""
    at = quote + 1 + len(json.dumps(prefix, ensure_ascii=_Style.of(raw).ascii)) - 2
    line_start = raw.rfind("\n", 0, at) + 1
    return Location(raw.count("\n", 0, at) + 1, at - line_start + 1)
