"""rules.md is generated from the rule classes; it must be current and complete."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from memlint.docs import rule_markdown, rules_markdown
from memlint.engine.registry import all_rules
from memlint.engine.rule import DOC_SECTIONS

RULES_MD = Path(__file__).resolve().parents[1] / "rules.md"
REGENERATE = "regenerate it: memlint rules --format markdown > rules.md"


def test_rules_md_is_current():
    assert RULES_MD.read_text(encoding="utf-8") == rules_markdown(), f"rules.md is stale; {REGENERATE}"


def test_cli_writes_the_same_markdown(memlint, tmp_path):
    run = memlint("rules", "--format", "markdown", cwd=tmp_path)
    assert run.returncode == 0
    assert run.stdout == rules_markdown()


def _sections(markdown: str) -> dict[str, str]:
    """`## CODE` heading -> the text up to the next one."""
    parts = re.split(r"^## (MEM\d{3})$", markdown, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2]))


@pytest.mark.parametrize("code", list(all_rules()))
def test_every_rule_has_a_complete_section(code):
    section = _sections(RULES_MD.read_text(encoding="utf-8")).get(code)
    assert section is not None, f"rules.md has no section for {code}; {REGENERATE}"
    rule = all_rules()[code]
    assert f"**{rule.name}**: {rule.summary}." in section
    headings = re.findall(r"^### (.+)$", section, flags=re.MULTILINE)
    assert [h for h in headings if h in DOC_SECTIONS] == list(DOC_SECTIONS), code
    for title in DOC_SECTIONS:
        body = section.split(f"### {title}\n", 1)[1].split("\n### ", 1)[0]
        assert body.strip(), f"{code}: empty {title!r} section"
    # The index table at the top links to the section.
    assert f"| [{code}](#{code.lower()}) |" in RULES_MD.read_text(encoding="utf-8")


def test_a_missing_section_is_caught():
    # The same check on a rule whose docstring lacks "Use instead" must fail.
    from memlint.engine.rule import Rule

    class Incomplete(Rule):
        """
        ## What it does
        x
        ## Why is this bad?
        x
        ## Example
        x
        ## Fix safety
        x
        ## Affected versions
        x
        ## References
        x
        """

        code, name, summary = "MEM999", "incomplete", "Incomplete"

    headings = re.findall(r"^### (.+)$", rule_markdown(Incomplete), flags=re.MULTILINE)
    assert [h for h in headings if h in DOC_SECTIONS] != list(DOC_SECTIONS)


def test_readme_shows_every_pre_commit_hook():
    yaml = pytest.importorskip("yaml")
    root = RULES_MD.parent
    hooks = yaml.safe_load((root / ".pre-commit-hooks.yaml").read_text())
    assert [h["id"] for h in hooks] == ["memlint", "memlint-fix"]
    for hook in hooks:
        assert hook["language"] == "python" and hook["require_serial"] is True
        assert hook["types_or"] == ["python", "pyi", "jupyter"]
        assert hook["entry"].startswith("memlint check --force-exclude")
    assert "--fix" in hooks[1]["entry"].split()
    readme = (root / "README.md").read_text(encoding="utf-8")
    for hook in hooks:
        assert f"id: {hook['id']}" in readme
    for section in ("### flake8", "### pre-commit", "### Editors", "**VS Code.**", "**Neovim**", "**Helix**",
                    "source.fixAll.memlint", 'cmd = { "memlint", "server" }'):
        assert section in readme
