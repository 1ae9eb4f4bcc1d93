"""Every rule's VALID and INVALID examples, run as a user would see them: the findings,
their lines, their messages, and the fixed source."""

from __future__ import annotations

import pytest

from memlint.api import check_source, fix_source
from memlint.engine.registry import all_rules
from memlint.engine.rule import DOC_SECTIONS

RULES = [r for r in all_rules().values() if r.code != "MEM001"]


def _cases(kind: str):
    for rule in RULES:
        for i, example in enumerate(getattr(rule, kind)):
            yield pytest.param(rule, example, id=f"{rule.code}-{kind}-{i}")


def _select(rule, example):
    return [rule.code, *example.extend_select]


def _own(found, example):
    # Findings of the rules enabled alongside (extend_select) are not the example's subject.
    return [d for d in found if d.code not in example.extend_select]


@pytest.mark.parametrize("rule, example", list(_cases("valid")))
def test_valid_example_is_quiet(rule, example):
    found = check_source(
        example.source, "example.py", select=_select(rule, example), versions=example.versions,
        options={rule.code: example.options},
    )
    assert [(d.code, d.location.row, d.message) for d in _own(found, example)] == []


@pytest.mark.parametrize("rule, example", list(_cases("invalid")))
def test_invalid_example_reports(rule, example):
    found = _own(check_source(
        example.source, "example.py", select=_select(rule, example), versions=example.versions,
        options={rule.code: example.options},
    ), example)
    assert [d.code for d in found] == [rule.code] * len(example.lines)
    assert [d.location.row for d in found] == list(example.lines)
    if example.message is not None:
        for d in found:
            assert example.message in d.message
    for d in found:
        for lib in rule.libraries:
            if lib in example.versions:
                # The message names the version that makes the finding real.
                named = f"{lib} {example.versions[lib]}".lower()  # "Python 3.12" for python
                assert named in d.message.lower() or rule.code in ("MEM102",)


@pytest.mark.parametrize("rule, example", list(_cases("invalid")))
def test_invalid_example_fix(rule, example):
    fixed = fix_source(
        example.source, "example.py", unsafe=example.unsafe, select=_select(rule, example),
        versions=example.versions, options={rule.code: example.options},
    )
    if example.fixed_source is None:
        found = check_source(example.source, "example.py", select=_select(rule, example),
                             versions=example.versions, options={rule.code: example.options})
        fixable = [d for d in found if d.fix and (d.fix.applicability == "safe" or example.unsafe)]
        assert fixable == [], "the example has a fix; give its fixed source"
        assert fixed == example.source
        return
    assert fixed == example.fixed_source
    # Fixing twice changes nothing more.
    assert fix_source(fixed, "example.py", unsafe=example.unsafe, select=_select(rule, example),
                      versions=example.versions, options={rule.code: example.options}) == fixed


@pytest.mark.parametrize("rule", RULES + [all_rules()["MEM001"]], ids=lambda r: r.code)
def test_rule_documentation_sections(rule):
    sections = rule.doc_sections()
    missing = [s for s in DOC_SECTIONS if not sections.get(s)]
    assert missing == []
    assert rule.name == rule.name.lower() and " " not in rule.name
    assert rule.summary and not rule.summary.endswith(".")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_has_examples_and_triggers(rule):
    # A rule reports only through visit_ hooks, or (MEM002) by judging suppressions.
    assert bool(rule.hooks()) != rule.judges_suppressions
    assert rule.valid and rule.invalid and rule.triggers
    # Each invalid example must contain the rule's trigger bytes, or the engine would
    # never parse it.
    for example in rule.invalid:
        assert rule.could_match(example.source.encode())
    if rule.fix_availability != "none":
        assert any(e.fixed is not None for e in rule.invalid)
