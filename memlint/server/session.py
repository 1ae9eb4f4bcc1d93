"""What the language server asks of memlint, without the protocol: the findings of an open
document's text (in this process, with the project's configuration and versions found as
the CLI finds them), its fixed text, the line a noqa directive goes on, and what a hover
says about a finding or a code. The protocol side is memlint.server.lsp."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Callable, Mapping

from memlint.diagnostics import Diagnostic, rule_url

# Files an edit of which changes findings of other files: configuration, and the lock and
# requirements files versions come from (glob patterns for the client's file watcher).
CONFIG_GLOBS = (
    "**/pyproject.toml", "**/memlint.toml", "**/requirements*.txt", "**/requirements/*.txt",
    "**/*.lock", "**/pylock*.toml", "**/environment.yml", "**/environment.yaml", "**/.python-version",
)
# Source files the project index reads.
SOURCE_GLOBS = ("**/*.py",)


@dataclass(frozen=True)
class ServerSettings:
    """The server's settings (`initializationOptions`, `workspace/didChangeConfiguration`,
    or the client's `memlint` configuration section), in their JSON spelling."""

    run: str = "onType"  # lint as the text changes ("onType") or when it is saved ("onSave")
    debounce: int = 0  # milliseconds to wait after an edit before linting
    maxFileSize: int = 1_000_000  # characters; a larger document is not linted
    unsafeFixes: bool = False  # the fix-all action applies unsafe fixes too
    showSyntaxErrors: bool = True  # MEM001 findings are shown

    @classmethod
    def of(cls, options: Any, base: "ServerSettings | None" = None) -> tuple["ServerSettings", list[str]]:
        """Settings from the client's options over `base`, and a message per option that is
        unknown or has the wrong type (that option keeps its value)."""
        settings = base or cls()
        if options is None:
            return settings, []
        if isinstance(options, Mapping) and isinstance(options.get("memlint"), Mapping):
            options = options["memlint"]
        if not isinstance(options, Mapping):
            return settings, [f"memlint: settings must be an object, not {type(options).__name__}"]
        flat = dict(options)
        if isinstance(flat.get("lint"), Mapping):  # `{"lint": {"run": "onSave"}}`, as ruff spells it
            flat.update(flat.pop("lint"))
        known = {f.name: f for f in fields(cls)}
        changes, problems = {}, []
        for key, value in flat.items():
            if key not in known:
                problems.append(f"memlint: unknown setting {key!r} (known: {', '.join(known)})")
                continue
            default = getattr(cls(), key)
            if isinstance(default, bool) != isinstance(value, bool) or not isinstance(value, type(default)):
                problems.append(f"memlint: setting {key!r} must be {type(default).__name__}, not {value!r}")
            elif key == "run" and value not in ("onType", "onSave"):
                problems.append(f"memlint: setting 'run' must be \"onType\" or \"onSave\", not {value!r}")
            elif isinstance(value, int) and not isinstance(value, bool) and value < 0:
                problems.append(f"memlint: setting {key!r} must not be negative")
            else:
                changes[key] = value
        return replace(settings, **changes), problems


class Session:
    """The projects of the open documents, found and configured as `memlint check` finds
    them; `say` gets a one-line message for a problem the user must hear of (a bad
    configuration: its defaults are used meanwhile), once per message."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.settings = ServerSettings()
        self._said: set[str] = set()
        self.reload()

    def reload(self) -> None:
        """Configuration and versions are found again (a watched file changed)."""
        from memlint.engine.runner import ProjectCache

        self.projects = ProjectCache()
        self._fallbacks: dict[Path, Any] = {}
        self._said.clear()

    def sources_changed(self) -> None:
        """What the project index knows of the project's files is dropped."""
        for project in [*self.projects._by_root.values(), *self._fallbacks.values()]:
            project._index = None

    def project_for(self, path: Path):
        from memlint.config import ConfigError, find_project_root
        from memlint.engine.runner import Project

        try:
            return self.projects.for_file(path)
        except ConfigError as exc:
            self._tell(f"{exc}; memlint uses its defaults until it is fixed")
            root = find_project_root(path.parent)
            if root not in self._fallbacks:
                from memlint.config import Config

                self._fallbacks[root] = Project(Config(root=root))
            return self._fallbacks[root]

    def _tell(self, message: str) -> None:
        if message not in self._said:
            self._said.add(message)
            self.say(message)

    # -- findings and fixes --------------------------------------------------------------------
    def lint(self, path: Path, text: str) -> list[Diagnostic]:
        """The findings of `text`, the document at `path`, as `memlint check` reports them."""
        from memlint.engine.checker import check_notebook, check_text
        from memlint.engine.notebook import is_notebook

        if len(text) > self.settings.maxFileSize:
            return []
        filename = str(path)
        project, settings = self._document_settings(path)
        if is_notebook(filename):  # a notebook opened as its JSON text
            found = _in_json(text, check_notebook(text.encode("utf-8"), filename, settings).diagnostics)
        else:
            found = check_text(text, filename, settings)
        return self._shown(project, filename, found)

    def lint_cells(self, path: Path, cells: list[tuple[int, str]]) -> list[Diagnostic]:
        """The findings of a notebook's code cells ((number, source), in order), each with
        its cell and its row in that cell, as `memlint check` reports them for the file."""
        from memlint.engine.checker import lint_notebook
        from memlint.engine.notebook import Notebook

        if sum(len(source) for _, source in cells) > self.settings.maxFileSize:
            return []
        project, settings = self._document_settings(path)
        found = lint_notebook(Notebook.of_cells(cells), str(path), settings)
        return self._shown(project, str(path), found)

    def _document_settings(self, path: Path):
        """The project of an open document, and its settings (findings are expected)."""
        project = self.project_for(path)
        return project, replace(project.settings_for(str(path)), expect_findings=True)

    def _shown(self, project, filename: str, found: list[Diagnostic]) -> list[Diagnostic]:
        """The findings the configuration and the server's settings let through."""
        return [d for d in found if project.enabled(d.code, filename)
                and (self.settings.showSyntaxErrors or d.code != "MEM001")]

    def fix_all(self, path: Path, text: str) -> str:
        """`text` with every fix `memlint --fix` would apply (and the unsafe ones with the
        unsafeFixes setting)."""
        from memlint.engine.checker import fix_text
        from memlint.engine.notebook import is_notebook

        if len(text) > self.settings.maxFileSize:
            return text
        filename = str(path)
        if is_notebook(filename):
            return text  # (its cells are fixed through the notebook, not its JSON text)
        settings = self.project_for(path).settings_for(filename)
        fixed, _, _, _ = fix_text(text, filename, settings, unsafe=self.settings.unsafeFixes)
        return fixed

    # -- hover -----------------------------------------------------------------------------------
    def explain(self, path: Path, code: str, diagnostic: Diagnostic | None = None) -> str | None:
        """Markdown for a hover on a finding or on a code: the rule, what the finding says
        (the versions that make it real, the issue, the version that fixes it), and the
        versions of the rule's libraries for this document and where each was found."""
        from memlint.engine.registry import all_rules

        rule = all_rules().get(code)
        if rule is None:
            return None
        lines = [f"**{rule.code}** `{rule.name}`: {rule.summary}.", ""]
        if diagnostic is not None:
            lines += [diagnostic.message, ""]
            if diagnostic.fix is not None:
                label = "safe fix" if diagnostic.fix.applicability == "safe" else "unsafe fix"
                lines += [f"Fix ({label}): {diagnostic.fix.message}", ""]
        if rule.libraries:
            project = self.project_for(path)
            described = [project.resolve(library).describe() for library in rule.libraries]
            lines += ["Versions for this file: " + "; ".join(described) + ".", ""]
        else:
            lines += [_first_paragraph(rule.doc_sections().get("What it does", "")), ""]
        lines.append(f"[{rule.code} documentation]({rule_url(rule.code)})")
        return "\n".join(lines)


def _in_json(raw: str, found: list[Diagnostic]) -> list[Diagnostic]:
    """Findings in a notebook's cells placed where those lines are in its JSON text (their
    fixes are edits of the cells, not of that text, and are left out)."""
    from memlint.engine.notebook import file_position

    out = []
    for d in found:
        if d.cell is not None:
            start = file_position(raw, d.cell, d.location) or d.location
            end = file_position(raw, d.cell, d.end_location) or start
            d = replace(d, location=start, end_location=end, noqa_row=start.row, fix=None, cell=None)
        out.append(d)
    return out


def _first_paragraph(text: str) -> str:
    return text.strip().split("\n\n")[0].replace("\n", " ")


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def lines_of(text: str) -> list[str]:
    """The lines of a document, cut as the parser and the protocol cut them."""
    return _LINE_BREAK.split(text)


def noqa_line(text: str, diagnostic: Diagnostic) -> tuple[int, str] | None:
    """The row (1-based) a `# noqa: CODE` for the finding goes on and that line's new text
    (merged into a `# noqa:` already there), or None when it cannot be added."""
    from memlint.engine.noqa import NoqaError, add_noqa

    try:
        new_text, count = add_noqa(text, [diagnostic])
    except NoqaError:
        return None
    if not count:
        return None
    old, new = lines_of(text), lines_of(new_text)
    for row, (a, b) in enumerate(zip(old, new), 1):
        if a != b:
            return row, b
    return None


_CODE = re.compile(r"[A-Za-z]+[0-9]+")


def code_at(line: str, column: int) -> str | None:
    """The rule code under `column` (0-based, in characters) of a `# noqa: ...` or
    `# memlint: ignore[...]` comment on `line` (read as suppressions are read)."""
    from memlint.engine.suppression import IGNORE_RE, NOQA_RE

    for directive in (NOQA_RE, IGNORE_RE):
        for m in directive.finditer(line):
            if m.group("codes") is None:
                continue
            start = m.start("codes")
            for code in _CODE.finditer(m.group("codes")):
                if start + code.start() <= column <= start + code.end():
                    return code.group(0).upper()
    return None
