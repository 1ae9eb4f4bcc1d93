"""`memlint server`, end to end: `python -m memlint server` spawned as a real subprocess and
driven by pytest-lsp's client under the VS Code and Neovim capability profiles and a bare
client (no optional capabilities, as Helix's are mostly absent)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls")
pytest_lsp = pytest.importorskip("pytest_lsp")

from lsprotocol import types  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "memlint", "server"],
                            server_env={**os.environ, "PYTHONPATH": str(REPO)})
PROFILES = {
    "vscode": lambda: client_capabilities("visual-studio-code"),
    "neovim": lambda: client_capabilities("neovim"),
    "bare": lambda: types.ClientCapabilities(),
}
PINNED = '[tool.memlint.versions]\njoblib = "1.4.2"\ndask = "2024.5.0"\n'
RESHAPE = (
    "import numpy as np\n"
    "from joblib import Parallel, delayed\n"
    "data = np.memmap('d.bin', dtype='f8', mode='r').reshape(5, 3)\n"
    "rows = Parallel(n_jobs=2)(delayed(np.sum)(data, axis=1) for i in range(5))\n"
)
FROM_ARRAY = (
    "import numpy as np\nimport dask.array as da\n"
    "raw = np.memmap('d.bin', mode='r')\n"
    "arr = da.from_array(raw, chunks=100)\n"
)

pytestmark = pytest.mark.asyncio(loop_scope="function")


def uri_of(path: Path) -> str:
    return path.resolve().as_uri()


async def start(client: LanguageClient, root: Path, profile: str = "vscode", options=None) -> None:
    await client.initialize_session(types.InitializeParams(
        capabilities=PROFILES[profile](),
        root_uri=uri_of(root),
        workspace_folders=[types.WorkspaceFolder(uri=uri_of(root), name=root.name)],
        initialization_options=options,
    ))


def pulls(profile: str) -> bool:
    caps = PROFILES[profile]()
    return caps.text_document is not None and caps.text_document.diagnostic is not None


async def open_doc(client: LanguageClient, path: Path, text: str, version: int = 1) -> str:
    uri = uri_of(path)
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)))
    return uri


async def change(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


async def diagnostics_of(client: LanguageClient, uri: str, profile: str, version: int | None = None,
                         timeout: float = 30.0) -> list[types.Diagnostic]:
    """The document's diagnostics as the profile's client gets them: pulled, or the
    published ones (for `version`, when given)."""
    if pulls(profile):
        report = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri)))
        return list(report.items)

    return list((await published_after(client, len(client.published), uri, version, timeout)).diagnostics)


async def published_after(client: LanguageClient, start: int, uri: str, version: int | None = None,
                          timeout: float = 30.0) -> types.PublishDiagnosticsParams:
    """The first publish for `uri` (and `version`) among those recorded from `start` on."""
    for _ in range(int(timeout * 20)):
        for params in client.published[start:]:
            if params.uri == uri and (version is None or params.version == version):
                return params
        await asyncio.sleep(0.05)
    raise AssertionError(f"no diagnostics published for {uri} (version {version})")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(PINNED)
    return tmp_path


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient):
    lsp_client.registrations = []
    # Every publish, in order (the client itself keeps only the latest per document).
    lsp_client.published = []
    handle = lsp_client.protocol._handle_notification

    def record(method: str, params) -> None:
        if method == types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS:
            lsp_client.published.append(params)
        handle(method, params)

    lsp_client.protocol._handle_notification = record

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:  # as VS Code and Neovim answer it
        lsp_client.registrations.extend(params.registrations)

    yield
    try:
        await asyncio.wait_for(lsp_client.shutdown_session(), 20)
    finally:
        # A test that failed before `initialize` leaves the server waiting for it: a
        # server left running would hold the whole run.
        server = lsp_client._server
        if server is not None and server.returncode is None:
            server.kill()
            await server.wait()


# -- capabilities, push and pull -----------------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILES)
async def test_advertised_capabilities(client: LanguageClient, workspace: Path, profile: str) -> None:
    result = await client.initialize_session(types.InitializeParams(capabilities=PROFILES[profile](),
                                                                    root_uri=uri_of(workspace)))
    caps = result.capabilities
    assert result.server_info.name == "memlint"
    assert caps.text_document_sync.change == types.TextDocumentSyncKind.Full
    assert caps.diagnostic_provider.identifier == "memlint"
    assert set(caps.code_action_provider.code_action_kinds) == {"quickfix", "source.fixAll", "source.fixAll.memlint"}
    assert caps.hover_provider


@pytest.mark.parametrize("profile", PROFILES)
async def test_a_finding_is_reported_with_its_code_link_and_fix(client: LanguageClient, workspace: Path,
                                                                profile: str) -> None:
    await start(client, workspace, profile)
    uri = await open_doc(client, workspace / "a.py", RESHAPE)
    [d] = await diagnostics_of(client, uri, profile, version=1)
    assert (d.code, d.source, d.severity) == ("MEM101", "memlint", types.DiagnosticSeverity.Warning)
    assert d.range.start == types.Position(line=2, character=7)
    assert d.code_description.href.endswith("rules.md#mem101")
    assert "joblib 1.4.2 ([tool.memlint.versions])" in d.message
    assert d.data["fix"]["applicability"] == "safe" and d.data["noqa_row"] == 3


async def test_diagnostics_are_pushed_to_a_client_that_cannot_pull(client: LanguageClient, workspace: Path) -> None:
    await start(client, workspace, "bare")
    uri = await open_doc(client, workspace / "a.py", RESHAPE)
    params = await published_after(client, 0, uri)
    assert (params.uri, params.version, [d.code for d in params.diagnostics]) == (uri, 1, ["MEM101"])


async def test_a_burst_of_edits_ends_with_the_last_version(client: LanguageClient, workspace: Path) -> None:
    await start(client, workspace, "bare")
    uri = await open_doc(client, workspace / "a.py", RESHAPE)
    await diagnostics_of(client, uri, "bare", version=1)
    mark = len(client.published)
    for version in range(2, 11):
        # Every other version has the finding; the last one (10) has it.
        text = RESHAPE if version % 2 == 0 else RESHAPE.replace(".reshape(5, 3)", "")
        await change(client, uri, text, version)
    last = await published_after(client, mark, uri, 10)
    await asyncio.sleep(1.0)  # anything older arriving late would be recorded now
    published = [p for p in client.published[mark:] if p.uri == uri]
    assert published[-1] is last and [p.version for p in published] == sorted({p.version for p in published})
    assert [d.code for d in last.diagnostics] == ["MEM101"]


async def test_closing_a_document_clears_its_diagnostics(client: LanguageClient, workspace: Path) -> None:
    await start(client, workspace, "bare")
    uri = await open_doc(client, workspace / "a.py", RESHAPE)
    await diagnostics_of(client, uri, "bare", version=1)
    mark = len(client.published)
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    params = await published_after(client, mark, uri)
    assert (params.uri, list(params.diagnostics)) == (uri, [])


# -- code actions ----------------------------------------------------------------------------------


def apply(text: str, edits: list[types.TextEdit]) -> str:
    """The text with LSP edits applied (UTF-16 columns)."""
    lines = text.split("\n")

    def offset(pos: types.Position) -> int:
        before = sum(len(line) + 1 for line in lines[:pos.line])
        line = lines[pos.line] if pos.line < len(lines) else ""
        units, chars = 0, 0
        for ch in line:
            if units >= pos.character:
                break
            units += 2 if ord(ch) > 0xFFFF else 1
            chars += 1
        return before + chars

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[:offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
    return text


async def actions_for(client: LanguageClient, uri: str, diagnostics, only=None) -> list[types.CodeAction]:
    rng = diagnostics[0].range if diagnostics else types.Range(start=types.Position(line=0, character=0),
                                                               end=types.Position(line=0, character=0))
    return await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=rng,
        context=types.CodeActionContext(diagnostics=list(diagnostics), only=only)))


@pytest.mark.parametrize("profile", PROFILES)
async def test_applying_the_quick_fix_clears_its_finding(client: LanguageClient, workspace: Path, profile: str) -> None:
    await start(client, workspace, profile)
    uri = await open_doc(client, workspace / "a.py", RESHAPE)
    found = await diagnostics_of(client, uri, profile, version=1)
    actions = await actions_for(client, uri, found)
    [quick] = [a for a in actions if a.is_preferred]
    assert quick.kind == types.CodeActionKind.QuickFix and quick.title.startswith("memlint: Pass shape=(5, 3)")
    fixed = apply(RESHAPE, quick.edit.changes[uri])
    assert "np.memmap('d.bin', dtype='f8', mode='r', shape=(5, 3))" in fixed
    await change(client, uri, fixed, 2)
    assert await diagnostics_of(client, uri, profile, version=2) == []


@pytest.mark.parametrize("existing, expected", [
    ("", "  # noqa: MEM101"),
    ("  # noqa: MEM999", "  # noqa: MEM999, MEM101"),
    ("  # a comment", "  # a comment  # noqa: MEM101"),
])
async def test_disable_for_this_line_merges_into_a_noqa_comment(client: LanguageClient, workspace: Path,
                                                                existing: str, expected: str) -> None:
    await start(client, workspace, "bare")
    line = "data = np.memmap('d.bin', dtype='f8', mode='r').reshape(5, 3)"
    text = RESHAPE.replace(line, line + existing)
    uri = await open_doc(client, workspace / "a.py", text)
    found = [d for d in await diagnostics_of(client, uri, "bare", version=1) if d.code == "MEM101"]
    [disable] = [a for a in await actions_for(client, uri, found) if "Disable MEM101" in a.title]
    after = apply(text, disable.edit.changes[uri])
    assert after.splitlines()[2] == line + expected
    await change(client, uri, after, 2)
    assert [d.code for d in await diagnostics_of(client, uri, "bare", version=2) if d.code == "MEM101"] == []


UNSAFE = (
    "import dask\nimport pandas as pd\nlookup = pd.read_parquet('lookup.parquet')\n"
    "parts = [dask.delayed(join)(path, lookup) for path in paths]\n"
)


async def test_fix_all_applies_safe_fixes_only_and_is_idempotent(client: LanguageClient, workspace: Path) -> None:
    await start(client, workspace, "bare")
    text = RESHAPE + UNSAFE
    uri = await open_doc(client, workspace / "a.py", text)
    await diagnostics_of(client, uri, "bare", version=1)
    [fix_all] = await actions_for(client, uri, [], only=["source.fixAll.memlint"])
    assert fix_all.kind == "source.fixAll.memlint"
    fixed = apply(text, fix_all.edit.changes[uri])
    assert "shape=(5, 3)" in fixed and "lookup = dask.delayed(lookup)" not in fixed
    await change(client, uri, fixed, 2)
    await diagnostics_of(client, uri, "bare", version=2)
    [again] = await actions_for(client, uri, [], only=["source.fixAll"])
    assert list(again.edit.changes[uri]) == []


async def test_fix_all_with_unsafe_fixes_enabled(client: LanguageClient, workspace: Path) -> None:
    await start(client, workspace, "bare", options={"unsafeFixes": True})
    text = RESHAPE + UNSAFE
    uri = await open_doc(client, workspace / "a.py", text)
    await diagnostics_of(client, uri, "bare", version=1)
    [fix_all] = await actions_for(client, uri, [], only=["source.fixAll"])
    fixed = apply(text, fix_all.edit.changes[uri])
    assert "shape=(5, 3)" in fixed and "lookup = dask.delayed(lookup)\n" in fixed


# -- hover -----------------------------------------------------------------------------------------


async def test_hover_on_a_finding_names_the_version_and_where_it_came_from(client: LanguageClient,
                                                                           workspace: Path) -> None:
    (workspace / "pyproject.toml").write_text("")
    (workspace / "requirements.txt").write_text("joblib==1.4.2\n")
    await start(client, workspace, "bare")
    uri = await open_doc(client, workspace / "a.py", RESHAPE)
    await diagnostics_of(client, uri, "bare", version=1)
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=2, character=12)))
    value = hover.contents.value
    assert value.startswith("**MEM101** `memmap-reshape`")
    assert "joblib 1.4.2 (requirements.txt)" in value and "fixed in 1.5.0" in value


async def test_hover_on_a_code_in_a_noqa_comment(client: LanguageClient, workspace: Path) -> None:
    await start(client, workspace, "bare")
    text = FROM_ARRAY.replace("chunks=100)", "chunks=100)  # noqa: MEM201")
    uri = await open_doc(client, workspace / "a.py", text)
    column = text.splitlines()[3].index("MEM201") + 2
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=3, character=column)))
    assert hover.contents.value.startswith("**MEM201** `from-array-memmap`")
    assert "dask 2024.5.0 ([tool.memlint.versions])" in hover.contents.value


# -- configuration ---------------------------------------------------------------------------------


async def test_a_watched_config_edit_refreshes_diagnostics(client: LanguageClient, workspace: Path) -> None:
    await start(client, workspace, "bare")
    uri = await open_doc(client, workspace / "a.py", RESHAPE)
    assert [d.code for d in await diagnostics_of(client, uri, "bare", version=1)] == ["MEM101"]
    (workspace / "pyproject.toml").write_text('[tool.memlint.versions]\njoblib = "1.6.0"\n')
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=uri_of(workspace / "pyproject.toml"), type=types.FileChangeType.Changed)]))
    assert await diagnostics_of(client, uri, "bare", version=1) == []


async def test_two_roots_with_different_configurations(client: LanguageClient, tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    for root, version in ((old, "1.4.2"), (new, "1.6.0")):
        root.mkdir()
        (root / "pyproject.toml").write_text(f'[tool.memlint.versions]\njoblib = "{version}"\n')
    await client.initialize_session(types.InitializeParams(
        capabilities=types.ClientCapabilities(), root_uri=uri_of(old),
        workspace_folders=[types.WorkspaceFolder(uri=uri_of(r), name=r.name) for r in (old, new)]))
    a = await open_doc(client, old / "a.py", RESHAPE)
    assert [d.code for d in await diagnostics_of(client, a, "bare", version=1)] == ["MEM101"]
    b = await open_doc(client, new / "b.py", RESHAPE)
    assert await diagnostics_of(client, b, "bare", version=1) == []


async def test_an_invalid_configuration_is_one_message_and_the_defaults(client: LanguageClient,
                                                                        workspace: Path) -> None:
    (workspace / "pyproject.toml").write_text('[tool.memlint]\nselect = "MEM"\nbogus = 1\n')
    await start(client, workspace, "bare")
    uri = await open_doc(client, workspace / "a.py", RESHAPE)
    assert [d.code for d in await diagnostics_of(client, uri, "bare", version=1)] == ["MEM101"]
    await change(client, uri, RESHAPE + "\n", 2)
    await diagnostics_of(client, uri, "bare", version=2)
    errors = [m for m in client.messages if m.type == types.MessageType.Error]
    assert len(errors) == 1 and "pyproject.toml" in errors[0].message


async def test_settings_from_the_client(client: LanguageClient, workspace: Path) -> None:
    await start(client, workspace, "bare", options={"lint": {"run": "onSave"}, "bogus": 1})
    message = await asyncio.wait_for(client.wait_for_notification(types.WINDOW_SHOW_MESSAGE), 30)
    assert "unknown setting 'bogus'" in message.message
    uri = await open_doc(client, workspace / "a.py", RESHAPE.replace(".reshape(5, 3)", ""))
    assert await diagnostics_of(client, uri, "bare", version=1) == []
    await change(client, uri, RESHAPE, 2)  # on save only: nothing yet
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    assert [d.code for d in await diagnostics_of(client, uri, "bare", version=2)] == ["MEM101"]
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"memlint": {"showSyntaxErrors": False}}))
    await change(client, uri, "def broken(:\n", 3)
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    assert await diagnostics_of(client, uri, "bare", version=3) == []


# -- robustness and positions ----------------------------------------------------------------------


async def test_a_syntax_error_is_a_finding_and_the_server_goes_on(client: LanguageClient, workspace: Path) -> None:
    await start(client, workspace, "bare")
    broken = "import numpy as np\nfrom joblib import Parallel\nx = np.memmap('f').reshape(5,\n"
    uri = await open_doc(client, workspace / "a.py", broken)
    [d] = await diagnostics_of(client, uri, "bare", version=1)
    assert (d.code, d.severity) == ("MEM001", types.DiagnosticSeverity.Error)
    await change(client, uri, RESHAPE, 2)
    assert [d.code for d in await diagnostics_of(client, uri, "bare", version=2)] == ["MEM101"]


async def test_columns_are_utf16_code_units(client: LanguageClient, workspace: Path) -> None:
    await start(client, workspace, "bare")
    text = FROM_ARRAY.replace("arr = da", "s = '🎉é'; arr = da")
    uri = await open_doc(client, workspace / "a.py", text)
    [d] = await diagnostics_of(client, uri, "bare", version=1)
    # `s = '🎉é'; arr = ` is 16 characters, 17 UTF-16 units (the emoji takes two).
    assert (d.range.start.line, d.range.start.character) == (3, 17)
    [quick] = [a for a in await actions_for(client, uri, [d]) if a.is_preferred]
    assert apply(text, quick.edit.changes[uri]).splitlines()[3] == "s = '🎉é'; arr = da.from_array(raw, chunks=100, name=False)"


# -- the same findings as `memlint check` ----------------------------------------------------------


def _rule_examples():
    from memlint.engine.registry import all_rules

    for rule in all_rules().values():
        for i, example in enumerate(rule.invalid):
            if rule.code != "MEM001":
                yield f"{rule.code}-{i}", rule, example


def check_json(args: list[str], data: bytes, cwd: Path) -> list[dict]:
    """`memlint ARGS` run in this process (a process per example would take a minute),
    with `data` on standard input: its JSON report."""
    import contextlib
    import io

    from memlint import cli

    stdin = io.TextIOWrapper(io.BytesIO(data))
    out = io.StringIO()
    before = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out):
            old, sys.stdin = sys.stdin, stdin
            try:
                cli.main(args)
            finally:
                sys.stdin = old
    finally:
        os.chdir(before)
    return json.loads(out.getvalue())


async def test_the_same_findings_as_the_command_for_every_rule_example(client: LanguageClient, tmp_path: Path) -> None:
    cases = list(_rule_examples())
    await client.initialize_session(types.InitializeParams(capabilities=types.ClientCapabilities(),
                                                           root_uri=uri_of(tmp_path)))
    for name, rule, example in cases:
        root = tmp_path / name
        root.mkdir()
        config = {"select": [rule.code, *example.extend_select]}
        python = example.versions.get("python")
        lines = [f"select = {json.dumps(config['select'])}",
                 *([f'target-version = "py{python.replace(".", "")}"'] if python else []), "[versions]",
                 *(f'{lib} = "{v}"' for lib, v in example.versions.items() if lib != "python")]
        if example.options:
            lines += [f"[rules.{rule.code}]", *(f"{k} = {json.dumps(v)}" for k, v in example.options.items())]
        (root / "memlint.toml").write_text("\n".join(lines) + "\n")
        path = root / "example.py"
        report = check_json(["check", "--no-cache", "--format", "json", "--stdin-filename", str(path), "-"],
                            example.source.encode(), root)
        expected = [(f["code"], f["location"]["row"] - 1, f["location"]["column"] - 1, f["message"]) for f in report]
        uri = await open_doc(client, path, example.source)
        found = await diagnostics_of(client, uri, "bare", version=1)
        assert [(d.code, d.range.start.line, d.range.start.character, d.message) for d in found] == expected, name


# -- notebooks ---------------------------------------------------------------------------------------

NOTEBOOK_CLIENT = types.ClientCapabilities(notebook_document=types.NotebookDocumentClientCapabilities(
    synchronization=types.NotebookDocumentSyncClientCapabilities()))


async def test_notebook_cells_are_checked_as_one_module(client: LanguageClient, workspace: Path) -> None:
    await client.initialize_session(types.InitializeParams(capabilities=NOTEBOOK_CLIENT, root_uri=uri_of(workspace)))
    notebook = uri_of(workspace / "explore.ipynb")
    sources = ["import numpy as np\nimport dask.array as da\n!ls", "# Notes", "raw = np.memmap('d.bin', mode='r')",
               "%%time\narr = da.from_array(raw, chunks=100)"]
    kinds = [types.NotebookCellKind.Code, types.NotebookCellKind.Markup, types.NotebookCellKind.Code,
             types.NotebookCellKind.Code]
    cells = [f"vscode-notebook-cell:{notebook[len('file:'):]}#cell{i}" for i in range(len(sources))]
    client.notebook_document_did_open(types.DidOpenNotebookDocumentParams(
        notebook_document=types.NotebookDocument(
            uri=notebook, notebook_type="jupyter-notebook", version=1,
            cells=[types.NotebookCell(kind=k, document=c) for k, c in zip(kinds, cells)]),
        cell_text_documents=[
            types.TextDocumentItem(uri=c, language_id="python" if k == types.NotebookCellKind.Code else "markdown",
                                   version=1, text=t)
            for c, k, t in zip(cells, kinds, sources)]))

    async def until(test) -> None:
        """(Publishes for several cells come at once: the client's record is watched.)"""
        for _ in range(300):
            if test():
                return
            await asyncio.sleep(0.1)
        raise AssertionError("nothing published")

    await until(lambda: cells[3] in client.diagnostics)
    [d] = client.diagnostics[cells[3]]
    [disable] = [a for a in await actions_for(client, cells[3], [d]) if "Disable MEM201" in a.title]
    assert apply(sources[3], disable.edit.changes[cells[3]]) == sources[3] + "  # noqa: MEM201"
    assert (d.code, d.range.start.line, d.range.start.character) == ("MEM201", 1, 6)
    assert all(list(client.diagnostics.get(c, [])) == [] for c in cells[:3])
    [quick] = [a for a in await actions_for(client, cells[3], [d]) if a.is_preferred]
    assert apply(sources[3], quick.edit.changes[cells[3]]).endswith("chunks=100, name=False)")
    # An edit of the third cell (the memmap is gone) clears the fourth's finding.
    client.notebook_document_did_change(types.DidChangeNotebookDocumentParams(
        notebook_document=types.VersionedNotebookDocumentIdentifier(uri=notebook, version=2),
        change=types.NotebookDocumentChangeEvent(cells=types.NotebookDocumentCellChanges(text_content=[
            types.NotebookDocumentCellContentChanges(
                document=types.VersionedTextDocumentIdentifier(uri=cells[2], version=2),
                changes=[types.TextDocumentContentChangeWholeDocument(text="raw = np.zeros(3)")])]))))
    await until(lambda: not client.diagnostics[cells[3]])


async def test_a_notebook_opened_as_its_json_text_gets_its_findings_in_that_text(client: LanguageClient,
                                                                                workspace: Path) -> None:
    cells = [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
              "source": FROM_ARRAY.splitlines(keepends=True)}]
    text = json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1) + "\n"
    await start(client, workspace, "bare")
    uri = await open_doc(client, workspace / "n.ipynb", text)
    [d] = await diagnostics_of(client, uri, "bare", version=1)
    line = next(i for i, s in enumerate(text.splitlines()) if "da.from_array" in s)
    assert (d.code, d.range.start.line) == ("MEM201", line)
    assert text.splitlines()[line][d.range.start.character:].startswith("da.from_array")
    assert d.data["fix"] is None
