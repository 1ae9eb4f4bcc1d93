"""The machine formats: json-lines, github annotations and SARIF (validated against the
official SARIF 2.1.0 JSON schema, stored in tests/data)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memlint.diagnostics import SAFE, Diagnostic, Edit, Fix, Location
from memlint.engine.registry import all_rules
from memlint.reporters import render

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"

PROJECT = {
    "requirements.txt": "joblib==1.4.2\n",
    "memlint.toml": "[rules.MEM101]\nrequire-sink = false\n",
    "src/job.py": """
        import numpy as np
        from joblib import Parallel, delayed

        data = np.memmap("data.bin", dtype=np.float64, mode="r").reshape(5, 3)
        grid = np.memmap("grid.bin", dtype=np.float64, mode="r", shape=(3, 4))
        out = Parallel(n_jobs=2)(delayed(np.sum)(grid.T, axis=1) for _ in range(2))
        note = "100%, done: yes"  # noqa: MEM101
        """,
}


def finding(code, message, filename, start, end, fix=None) -> Diagnostic:
    return Diagnostic(code, "name", message, str(filename), Location(*start), Location(*end), fix)


def test_json_lines_is_one_json_object_per_finding(tmp_path):
    a = tmp_path / "a.py"
    fix = Fix(SAFE, "Pass shape", (Edit(", shape=(5, 3)", Location(2, 34), Location(2, 34)),))
    found = [finding("MEM102", "second", a, (3, 1), (3, 4)), finding("MEM101", "first", a, (2, 5), (2, 35), fix)]
    out = render("json-lines", found, cwd=tmp_path)
    assert out.endswith("\n") and out.count("\n") == 2
    objects = [json.loads(line) for line in out.splitlines()]
    # The same objects as `--format json`, in the same order.
    assert objects == json.loads(render("json", found, cwd=tmp_path))
    assert [o["code"] for o in objects] == ["MEM101", "MEM102"]
    assert render("json-lines", [], cwd=tmp_path) == ""


def test_github_annotations(tmp_path):
    a = tmp_path / "src" / "a.py"
    found = [
        finding("MEM101", "Memmap: 100%, reshaped\nsecond line", a, (4, 8), (4, 70)),
        finding("MEM001", "SyntaxError: bad", "/elsewhere/b,c.py", (1, 1), (1, 1)),
    ]
    assert render("github", found, cwd=tmp_path).splitlines() == [
        "::error title=memlint (MEM001),file=/elsewhere/b%2Cc.py,line=1,col=1,endLine=1,endColumn=1"
        "::/elsewhere/b,c.py:1:1: MEM001 SyntaxError: bad",
        "::error title=memlint (MEM101),file=src/a.py,line=4,col=8,endLine=4,endColumn=70"
        "::src/a.py:4:8: MEM101 Memmap: 100%25, reshaped%0Asecond line",
    ]
    assert render("github", [], cwd=tmp_path) == ""


def test_github_format_from_the_command_line(memlint, project):
    root = project(PROJECT)
    run = memlint("check", "--format", "github", ".", cwd=root)
    assert run.returncode == 1
    lines = run.stdout.splitlines()
    assert lines[0].startswith("::error title=memlint (MEM101),file=src/job.py,line=4,col=8,endLine=4,")
    assert [line.split(",")[0] for line in lines] == [
        "::error title=memlint (MEM101)", "::error title=memlint (MEM102)", "::error title=memlint (MEM002)",
    ]


@pytest.fixture
def sarif_log(memlint, project):
    root = project(PROJECT)
    run = memlint("check", "--format", "sarif", "src", cwd=root)
    assert run.returncode == 1, run
    return json.loads(run.stdout), root


def test_sarif_is_valid_against_the_official_schema(sarif_log):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    log, _ = sarif_log
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert [f"{list(e.path)}: {e.message}" for e in errors] == []
    # The schema does catch a broken log: a result without its message.
    broken = json.loads(json.dumps(log))
    del broken["runs"][0]["results"][0]["message"]
    assert not validator.is_valid(broken)


def test_sarif_content(sarif_log):
    log, root = sarif_log
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "memlint"
    rules = driver["rules"]
    assert [r["id"] for r in rules] == list(all_rules())
    for r in rules:
        rule = all_rules()[r["id"]]
        assert r["name"] == rule.name
        assert r["shortDescription"]["text"] == rule.summary + "."
        assert r["helpUri"].endswith("rules.md#" + rule.code.lower())
    results = run["results"]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results] == [
        ("MEM101", 4), ("MEM102", 6), ("MEM002", 7),
    ]
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        assert r["level"] == "error" and r["message"]["text"]
        location = r["locations"][0]["physicalLocation"]
        assert location["artifactLocation"] == {"uri": "src/job.py", "uriBaseId": "%SRCROOT%"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == root.resolve().as_uri() + "/"
    mem101, mem102, mem002 = results
    assert mem101["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 4, "startColumn": 8, "endLine": 4, "endColumn": 71,
    }
    (fix,) = mem101["fixes"]
    assert fix["description"]["text"] == "Pass shape=(5, 3) to np.memmap"
    assert fix["properties"] == {"applicability": "safe"}
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "src/job.py"
    (replacement,) = change["replacements"]
    assert replacement["insertedContent"]["text"] == 'np.memmap("data.bin", dtype=np.float64, mode="r", shape=(5, 3))'
    assert "fixes" not in mem102  # MEM102 has no fix
    assert mem002["fixes"][0]["description"]["text"] == "Remove unused `noqa` directive"


def test_sarif_with_no_findings_is_valid(memlint, project):
    jsonschema = pytest.importorskip("jsonschema")
    root = project({"a.py": "x = 1\n"})
    run = memlint("check", "--format", "sarif", ".", cwd=root)
    assert run.returncode == 0
    log = json.loads(run.stdout)
    assert log["runs"][0]["results"] == []
    jsonschema.validate(log, json.loads(SCHEMA.read_text()), cls=jsonschema.Draft7Validator)
