"""`memlint server`: memlint as a language server (pygls) over standard input and output.

The engine runs in this process, one lint at a time in a worker thread, so the event loop
keeps answering. For each open document only its latest version is linted: edits that
arrive while a lint runs are coalesced, and a result for a version the document has left
is dropped. Diagnostics are pulled when the client can pull them, else pushed (with the
document version), and cleared on close. Each carries, in `data`, its fix and noqa row:
code actions need no new lint. Positions are converted to the encoding the client chose
(UTF-16 unless it offered another).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from memlint import __version__
from memlint.diagnostics import SAFE, Diagnostic, Location
from memlint.server.session import (
    CONFIG_GLOBS, SOURCE_GLOBS, ServerSettings, Session, code_at, lines_of, noqa_line,
)

FIX_ALL = "source.fixAll.memlint"
# libcst's code generation recurses: the worker thread gets a stack like the main thread's.
LINT_STACK_BYTES = 64 * 1024 * 1024

log = logging.getLogger("memlint.server")


class MemlintServer(LanguageServer):
    def __init__(self) -> None:
        # Full sync: the client sends the whole text, cut into lines by the protocol's own
        # line breaks only (an incremental change is applied to lines cut more finely).
        super().__init__("memlint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Full,
                         notebook_document_sync=types.NotebookDocumentSyncOptions(notebook_selector=[
                             types.NotebookDocumentFilterWithCells(
                                 cells=[types.NotebookCellLanguage(language="python")],
                                 notebook="jupyter-notebook")], save=True))
        self.session = Session(self.show_error)
        self.pull = False  # the client pulls diagnostics
        self.refresh = False  # the client can be asked to pull again
        self.open: set[str] = set()
        # The latest lint of each open document: (version, text, findings).
        self.results: dict[str, tuple[int | None, str, list[Diagnostic]]] = {}
        self._loops: dict[str, asyncio.Task] = {}
        self.notebooks: dict[str, set[str]] = {}  # open notebook -> the cells it published to
        self._pending_messages: list[str] = []
        self._initialized = False
        self.event_loop: asyncio.AbstractEventLoop | None = None  # the server's, set on initialize
        previous = threading.stack_size(LINT_STACK_BYTES)
        try:
            self.linter = ThreadPoolExecutor(1, thread_name_prefix="memlint-lint")
            self.linter.submit(int).result()  # its thread starts now, with that stack
        finally:
            threading.stack_size(previous)

    # -- messages --------------------------------------------------------------------------
    def show_error(self, message: str) -> None:
        """One window/showMessage (from any thread; before `initialized`, held until then)."""
        if threading.current_thread() is threading.main_thread() or self.event_loop is None:
            self._show_now(message)
        else:
            self.event_loop.call_soon_threadsafe(self._show_now, message)

    def _show_now(self, message: str) -> None:
        if not self._initialized:
            self._pending_messages.append(message)
            return
        self.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=message))

    def log(self, message: str, kind: types.MessageType = types.MessageType.Log) -> None:
        self.window_log_message(types.LogMessageParams(type=kind, message=message))

    # -- documents -------------------------------------------------------------------------
    def path_of(self, uri: str) -> Path:
        """The file a document is (an unsaved one: as if in the first workspace folder)."""
        path = to_fs_path(uri)
        if path:
            return Path(path)
        base = Path(to_fs_path(self.workspace.root_uri) or ".") if self.workspace.root_uri else Path.cwd()
        return base / (uri.rsplit("/", 1)[-1] or "untitled.py")

    def document(self, uri: str):
        return self.workspace.get_text_document(uri)

    def schedule(self, uri: str, delay: float = 0.0) -> None:
        """Lint the document's latest version soon (after `delay` seconds)."""
        if uri not in self.open:
            return
        running = self._loops.get(uri)
        if running is None or running.done():
            self._loops[uri] = asyncio.ensure_future(self._lint_latest(uri, delay))

    def relint_all(self) -> None:
        for uri in list(self.notebooks):
            self.schedule_notebook(uri)
        if self.pull:
            if self.refresh:
                asyncio.ensure_future(self.workspace_diagnostic_refresh_async(None))
            return
        for uri in list(self.open):
            self.results.pop(uri, None)
            self.schedule(uri)

    async def _lint_latest(self, uri: str, delay: float) -> None:
        while uri in self.open:
            if delay:
                await asyncio.sleep(delay)
            doc = self.document(uri)
            version, text = doc.version, doc.source
            found = await self.findings(uri, version, text)
            if uri not in self.open:
                return
            if self.document(uri).version == version:
                if found is not None and not self.pull:
                    self.publish(uri, version, found, text)
                return
            # The document changed while it was linted: lint what it is now.

    # -- notebooks: the cells are checked as one module, the findings published per cell ----
    def schedule_notebook(self, uri: str) -> None:
        if uri not in self.notebooks:
            return
        running = self._loops.get(uri)
        if running is None or running.done():
            self._loops[uri] = asyncio.ensure_future(self._lint_notebook(uri))

    def _cells(self, uri: str) -> tuple[list[tuple[int, str, str, int | None]], int]:
        """(number, cell uri, text, version) of the notebook's Python cells, and its version."""
        notebook = self.workspace.get_notebook_document(notebook_uri=uri)
        cells = []
        for number, cell in enumerate(notebook.cells, 1):
            if cell.kind == types.NotebookCellKind.Code:
                doc = self.document(cell.document)
                if doc.language_id in (None, "python"):
                    cells.append((number, cell.document, doc.source, doc.version))
        return cells, notebook.version

    async def _lint_notebook(self, uri: str) -> None:
        while uri in self.notebooks:
            cells, version = self._cells(uri)
            path = self.path_of(uri)
            try:
                found = await asyncio.get_running_loop().run_in_executor(
                    self.linter, self.session.lint_cells, path, [(n, text) for n, _, text, _ in cells])
            except Exception as exc:  # noqa: BLE001 - one notebook must not end the server
                log.exception("linting %s failed", uri)
                self.log(f"memlint: linting {uri} failed: {type(exc).__name__}: {exc}", types.MessageType.Error)
                return
            if uri not in self.notebooks:
                return
            now, now_version = self._cells(uri)
            if (now, now_version) != (cells, version):
                continue  # edited meanwhile: check what it is now
            published = set()
            for number, cell_uri, text, cell_version in cells:
                own = [d for d in found if d.cell == number]
                self.results[cell_uri] = (cell_version, text, own)
                self.publish(cell_uri, cell_version, own, text)
                published.add(cell_uri)
            for gone in self.notebooks[uri] - published:
                self.results.pop(gone, None)
                self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=gone, diagnostics=[]))
            self.notebooks[uri] = published
            return

    def is_cell(self, uri: str) -> bool:
        return self.workspace.get_notebook_document(cell_uri=uri) is not None

    async def findings(self, uri: str, version: int | None, text: str) -> list[Diagnostic] | None:
        """The document's findings at `version` (from the latest lint when it was of that
        version); None when linting failed (said in the log)."""
        cached = self.results.get(uri)
        if cached is not None and cached[0] == version and cached[1] == text:
            return cached[2]
        if self.is_cell(uri):
            return cached[2] if cached is not None else []  # checked with its notebook
        loop = asyncio.get_running_loop()
        try:
            found = await loop.run_in_executor(self.linter, self.session.lint, self.path_of(uri), text)
        except Exception as exc:  # noqa: BLE001 - one document must not end the server
            log.exception("linting %s failed", uri)
            self.log(f"memlint: linting {uri} failed: {type(exc).__name__}: {exc}", types.MessageType.Error)
            return None
        self.results[uri] = (version, text, found)
        return found

    def publish(self, uri: str, version: int | None, found: list[Diagnostic], text: str) -> None:
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, diagnostics=self.to_lsp(found, text, uri), version=version))

    # -- conversions -------------------------------------------------------------------------
    def to_lsp(self, found: list[Diagnostic], text: str, uri: str) -> list[types.Diagnostic]:
        lines = lines_of(text)
        codec = self.document(uri).position_codec
        return [self._diagnostic(d, lines, codec) for d in found]

    def _diagnostic(self, d: Diagnostic, lines: list[str], codec) -> types.Diagnostic:
        return types.Diagnostic(
            range=lsp_range(lines, codec, d.location, d.end_location),
            message=d.message,
            severity=types.DiagnosticSeverity.Error if d.code == "MEM001" else types.DiagnosticSeverity.Warning,
            code=d.code,
            code_description=types.CodeDescription(href=d.url),
            source="memlint",
            data={
                "fix": d.fix.as_dict() if d.fix else None,
                "noqa_row": d.noqa_row,
                "row": d.location.row,
                "column": d.location.column,
            },
        )


def lsp_position(lines: list[str], codec, loc: Location) -> types.Position:
    """A 1-based (row, column in characters) as the protocol's 0-based position in the
    client's units; a column past the line's end counts one unit a character (the break)."""
    row = max(loc.row, 1) - 1
    if row >= len(lines):
        return types.Position(line=len(lines) - 1, character=codec.client_num_units(lines[-1]))
    line = lines[row]
    chars = max(loc.column, 1) - 1
    return types.Position(line=row, character=codec.client_num_units(line[:chars]) + max(0, chars - len(line)))


def lsp_range(lines: list[str], codec, start: Location, end: Location) -> types.Range:
    return types.Range(start=lsp_position(lines, codec, start), end=lsp_position(lines, codec, end))


def memlint_location(lines: list[str], codec, position: types.Position) -> Location:
    """The protocol's position as memlint's 1-based row and column in characters."""
    line = lines[position.line] if position.line < len(lines) else ""
    units, chars = 0, 0
    for ch in line:
        if units >= position.character:
            break
        units += codec.client_num_units(ch)
        chars += 1
    return Location(position.line + 1, chars + 1)


def _edits(fix: dict, lines: list[str], codec) -> list[types.TextEdit]:
    out = []
    for edit in fix["edits"]:
        start = Location(edit["location"]["row"], edit["location"]["column"])
        end = Location(edit["end_location"]["row"], edit["end_location"]["column"])
        out.append(types.TextEdit(range=lsp_range(lines, codec, start, end), new_text=edit["content"]))
    return out


def _changed_block(before: str, after: str, lines: list[str], codec) -> types.TextEdit:
    """One edit replacing the lines that differ between `before` and `after` (the cursor
    and folds elsewhere in the document stay where they are)."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    start = Location(head + 1, 1)
    end_row = len(old) - tail
    end = Location(end_row + 1, 1) if end_row < len(old) or before.endswith(("\n", "\r")) else \
        Location(end_row, len(old[-1]) + 1)
    return types.TextEdit(range=lsp_range(lines, codec, start, end), new_text="".join(new[head:len(new) - tail]))


def _from_data(uri_path: Path, diagnostic: types.Diagnostic) -> Diagnostic | None:
    data = diagnostic.data if isinstance(diagnostic.data, dict) else None
    if diagnostic.source != "memlint" or data is None or not isinstance(diagnostic.code, str):
        return None
    loc = Location(int(data.get("row", diagnostic.range.start.line + 1)), int(data.get("column", 1)))
    return Diagnostic(diagnostic.code, "", diagnostic.message, str(uri_path), loc, loc,
                      noqa_row=int(data.get("noqa_row") or loc.row))


def create_server() -> MemlintServer:
    server = MemlintServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: MemlintServer, params: types.InitializeParams) -> None:
        ls.event_loop = asyncio.get_event_loop()
        caps = params.capabilities
        ls.pull = caps.text_document is not None and caps.text_document.diagnostic is not None
        ls.refresh = bool(caps.workspace and caps.workspace.diagnostics and caps.workspace.diagnostics.refresh_support)
        ls.session.settings, problems = ServerSettings.of(params.initialization_options)
        for problem in problems:
            ls.show_error(problem)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: MemlintServer, params: types.InitializedParams) -> None:
        ls._initialized = True
        for message in ls._pending_messages:
            ls._show_now(message)
        ls._pending_messages.clear()
        caps = ls.client_capabilities
        watch = caps.workspace and caps.workspace.did_change_watched_files
        if watch and watch.dynamic_registration:
            watchers = [types.FileSystemWatcher(glob_pattern=g) for g in (*CONFIG_GLOBS, *SOURCE_GLOBS)]
            try:
                await ls.client_register_capability_async(types.RegistrationParams(registrations=[
                    types.Registration(id="memlint-watched-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                                       register_options=types.DidChangeWatchedFilesRegistrationOptions(
                                           watchers=watchers)),
                ]))
            except Exception as exc:  # noqa: BLE001 - edits of config files then need a restart
                ls.log(f"memlint: the client did not watch the configuration files: {exc}")
        if caps.workspace and caps.workspace.configuration:
            await _fetch_settings(ls)
        # Load the engine now, not on the first keystroke.
        asyncio.get_running_loop().run_in_executor(ls.linter, _warm_up, ls.session)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: MemlintServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.open.add(params.text_document.uri)
        ls.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: MemlintServer, params: types.DidChangeTextDocumentParams) -> None:
        if ls.session.settings.run == "onType" and not ls.pull:
            ls.schedule(params.text_document.uri, ls.session.settings.debounce / 1000)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: MemlintServer, params: types.DidSaveTextDocumentParams) -> None:
        # The saved module may be one the others import.
        ls.session.sources_changed()
        ls.results.clear()
        ls.relint_all()

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: MemlintServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.open.discard(uri)
        ls.results.pop(uri, None)
        running = ls._loops.pop(uri, None)
        if running is not None:
            running.cancel()
        if not ls.pull:
            ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(types.TEXT_DOCUMENT_DIAGNOSTIC,
                    types.DiagnosticOptions(identifier="memlint", inter_file_dependencies=True,
                                            workspace_diagnostics=False))
    async def diagnostic(ls: MemlintServer, params: types.DocumentDiagnosticParams):
        uri = params.text_document.uri
        doc = ls.document(uri)
        if ls.session.settings.run == "onSave" and uri in ls.results:
            version, text, found = ls.results[uri]
        else:
            text = doc.source
            found = await ls.findings(uri, doc.version, text) or []
        return types.RelatedFullDocumentDiagnosticReport(items=ls.to_lsp(found, text, uri))

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll, FIX_ALL]))
    async def code_action(ls: MemlintServer, params: types.CodeActionParams):
        return await _code_actions(ls, params)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: MemlintServer, params: types.HoverParams):
        return await _hover(ls, params)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
    def notebook_did_open(ls: MemlintServer, params: types.DidOpenNotebookDocumentParams) -> None:
        ls.notebooks[params.notebook_document.uri] = set()
        ls.schedule_notebook(params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def notebook_did_change(ls: MemlintServer, params: types.DidChangeNotebookDocumentParams) -> None:
        if ls.session.settings.run == "onType":
            ls.schedule_notebook(params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_SAVE)
    def notebook_did_save(ls: MemlintServer, params: types.DidSaveNotebookDocumentParams) -> None:
        ls.schedule_notebook(params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def notebook_did_close(ls: MemlintServer, params: types.DidCloseNotebookDocumentParams) -> None:
        cells = ls.notebooks.pop(params.notebook_document.uri, set())
        running = ls._loops.pop(params.notebook_document.uri, None)
        if running is not None:
            running.cancel()
        for cell_uri in cells:
            ls.results.pop(cell_uri, None)
            ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=cell_uri, diagnostics=[]))

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: MemlintServer, params: types.DidChangeConfigurationParams) -> None:
        if params.settings:
            ls.session.settings, problems = ServerSettings.of(params.settings)
            for problem in problems:
                ls.show_error(problem)
        elif ls.client_capabilities.workspace and ls.client_capabilities.workspace.configuration:
            await _fetch_settings(ls)
        ls.results.clear()
        ls.relint_all()

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: MemlintServer, params: types.DidChangeWatchedFilesParams) -> None:
        names = [c.uri.rsplit("/", 1)[-1] for c in params.changes]
        if any(not name.endswith(".py") for name in names):
            ls.session.reload()
        ls.session.sources_changed()
        ls.results.clear()
        ls.relint_all()

    return server


async def _fetch_settings(ls: MemlintServer) -> None:
    try:
        [options] = await ls.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section="memlint")]))
    except Exception:  # noqa: BLE001 - a client that cannot answer keeps the settings it gave
        return
    if options:
        ls.session.settings, problems = ServerSettings.of(options, ls.session.settings)
        for problem in problems:
            ls.show_error(problem)


def _warm_up(session: Session) -> None:
    try:
        session.lint(Path.cwd() / "memlint-warm-up.py", "import numpy as np\nx = np.memmap('f').reshape(2, 2)\n")
    except Exception:  # noqa: BLE001 - only a head start
        pass


async def _code_actions(ls: MemlintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    doc = ls.document(uri)
    text, lines, codec = doc.source, lines_of(doc.source), doc.position_codec
    path = ls.path_of(uri)
    only = params.context.only
    actions: list[types.CodeAction] = []

    def wanted(kind: str) -> bool:
        return not only or any(kind == k or kind.startswith(k + ".") for k in only)

    ours = [d for d in params.context.diagnostics if d.source == "memlint" and isinstance(d.data, dict)]
    if wanted(types.CodeActionKind.QuickFix):
        for d in ours:
            fix = d.data.get("fix")
            if fix and fix.get("edits"):
                safe = fix.get("applicability") == SAFE
                actions.append(types.CodeAction(
                    title=f"memlint: {fix.get('message') or 'Fix ' + str(d.code)}" + ("" if safe else " (unsafe)"),
                    kind=types.CodeActionKind.QuickFix, diagnostics=[d], is_preferred=safe,
                    edit=types.WorkspaceEdit(changes={uri: _edits(fix, lines, codec)})))
        # A cell's magics are masked first, as `--add-noqa` masks them (the lines the
        # directive goes on are the same).
        plain = _masked_cell(text) if ls.is_cell(uri) else text
        for d in ours:
            finding = _from_data(path, d)
            if finding is None or finding.code == "MEM001":
                continue
            found = noqa_line(plain, finding)
            if found is not None:
                row, new_line = found
                old = lines[row - 1]
                edit = types.TextEdit(range=lsp_range(lines, codec, Location(row, 1), Location(row, len(old) + 1)),
                                      new_text=new_line)
                actions.append(types.CodeAction(
                    title=f"memlint: Disable {finding.code} for this line", kind=types.CodeActionKind.QuickFix,
                    diagnostics=[d], edit=types.WorkspaceEdit(changes={uri: [edit]})))
    fixable = any(d.data.get("fix") for d in ours)
    if ls.is_cell(uri):
        return actions  # (the quick fixes: a cell is not fixed alone)
    if (only and wanted(FIX_ALL)) or (not only and fixable):
        loop = asyncio.get_running_loop()
        try:
            fixed = await loop.run_in_executor(ls.linter, ls.session.fix_all, path, text)
        except Exception as exc:  # noqa: BLE001
            ls.log(f"memlint: fixing {uri} failed: {type(exc).__name__}: {exc}", types.MessageType.Error)
            fixed = text
        if fixed != text or only:
            edits = [_changed_block(text, fixed, lines, codec)] if fixed != text else []
            actions.append(types.CodeAction(
                title="memlint: Fix all auto-fixable problems", kind=FIX_ALL,
                edit=types.WorkspaceEdit(changes={uri: edits})))
    return actions


def _masked_cell(text: str) -> str:
    from memlint.engine.notebook import Notebook

    return Notebook.of_cells([(1, text)]).cell_text(1) or text


async def _hover(ls: MemlintServer, params: types.HoverParams) -> types.Hover | None:
    uri = params.text_document.uri
    doc = ls.document(uri)
    lines, codec = lines_of(doc.source), doc.position_codec
    at = memlint_location(lines, codec, params.position)
    path = ls.path_of(uri)
    found = await ls.findings(uri, doc.version, doc.source) or []
    for d in found:
        if (d.location.row, d.location.column) <= (at.row, at.column) <= (d.end_location.row, d.end_location.column):
            text = await _explain(ls, path, d.code, d)
            if text:
                return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text),
                                   range=lsp_range(lines, codec, d.location, d.end_location))
    line = lines[at.row - 1] if at.row <= len(lines) else ""
    code = code_at(line, at.column - 1)
    if code is None:
        return None
    text = await _explain(ls, path, code, None)
    return None if text is None else types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown,
                                                                             value=text))


async def _explain(ls: MemlintServer, path: Path, code: str, d: Diagnostic | None) -> str | None:
    # Resolving versions reads lock files: in the worker, as linting does.
    return await asyncio.get_running_loop().run_in_executor(ls.linter, ls.session.explain, path, code, d)


def serve() -> None:
    create_server().start_io()


__all__ = ["create_server", "serve"]
