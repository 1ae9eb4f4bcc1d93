"""`--output-format sarif`: a SARIF 2.1.0 log, as GitHub code scanning and other viewers read
it. Every rule is described in `tool.driver.rules` (id, name, descriptions, help and its
URI); each finding is a result with its rule, level, message, location and, when it has
one, its fix. Columns count characters (`columnKind: unicodeCodePoints`), as memlint's do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence
from urllib.parse import quote

from memlint import __version__
from memlint.diagnostics import DOCS_URL, Diagnostic, Location, rule_url
from memlint.reporters.common import FileTexts, RenderOptions

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"


def render(diagnostics: Sequence[Diagnostic], options: RenderOptions) -> str:
    from memlint.engine.registry import all_rules

    rules = all_rules()
    codes = list(rules)
    # A code no registered rule has (none today) still gets a descriptor, so indices hold.
    codes += sorted({d.code for d in diagnostics} - set(codes))
    index = {code: i for i, code in enumerate(codes)}
    base = options.cwd.resolve()
    texts = FileTexts(options)
    run = {
        "tool": {
            "driver": {
                "name": "memlint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": DOCS_URL,
                "rules": [_descriptor(code, rules.get(code)) for code in codes],
            }
        },
        "originalUriBaseIds": {SRCROOT: {"uri": base.as_uri() + "/"}},
        "columnKind": "unicodeCodePoints",
        "results": [_result(d, index[d.code], base, texts) for d in diagnostics],
    }
    log = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2) + "\n"


def _descriptor(code: str, rule) -> dict:
    if rule is None:
        return {"id": code, "helpUri": rule_url(code)}
    sections = rule.doc_sections()
    out = {
        "id": code,
        "name": rule.name,
        "shortDescription": {"text": f"{rule.summary}."},
        "helpUri": rule_url(code),
        "help": {"text": rule.docs(), "markdown": rule.docs()},
        "defaultConfiguration": {"level": "error"},
        "properties": {"fixAvailability": rule.fix_availability},
    }
    if sections.get("What it does"):
        out["fullDescription"] = {"text": sections["What it does"]}
    if rule.libraries:
        out["properties"]["tags"] = list(rule.libraries)
    return out


def _result(d: Diagnostic, rule_index: int, base: Path, texts: FileTexts) -> dict:
    artifact = _artifact(d.filename, base)
    start, end = d.location, d.end_location
    if d.cell is not None:  # the region in the notebook's JSON text; the cell's own row too
        start, end = texts.file_position(d, start), texts.file_position(d, end)
    out = {
        "ruleId": d.code,
        "ruleIndex": rule_index,
        "level": "error",
        "message": {"text": d.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": artifact,
                    "region": _region(start, end),
                }
            }
        ],
    }
    if d.cell is not None:
        out["properties"] = {"cell": d.cell, "cellLine": d.location.row, "cellColumn": d.location.column}
    elif d.fix is not None and d.fix.edits:  # (a notebook's fix is not an edit of its JSON text)
        out["fixes"] = [
            {
                "description": {"text": d.fix.message or f"Fix {d.code}"},
                "artifactChanges": [
                    {
                        "artifactLocation": artifact,
                        "replacements": [
                            {
                                "deletedRegion": _region(e.location, e.end_location),
                                "insertedContent": {"text": e.content},
                            }
                            for e in d.fix.edits
                        ],
                    }
                ],
                "properties": {"applicability": d.fix.applicability},
            }
        ]
    return out


def _artifact(filename: str, base: Path) -> dict:
    """A path relative to the working directory under %SRCROOT% (what code scanning maps to
    the repository), else an absolute file URI; stdin stays as it was named."""
    path = Path(filename)
    if not path.is_absolute():
        return {"uri": quote(path.as_posix())}
    try:
        rel = path.relative_to(base)
    except ValueError:
        return {"uri": path.as_uri()}
    return {"uri": quote(rel.as_posix()), "uriBaseId": SRCROOT}


def _region(start: Location, end: Location) -> dict:
    return {
        "startLine": start.row,
        "startColumn": start.column,
        "endLine": max(end.row, start.row),
        "endColumn": max(end.column, 1),
    }
