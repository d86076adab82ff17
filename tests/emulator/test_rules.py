"""The rules table: every rule carries evidence, code cites only rules it has, the doc is fresh."""

from __future__ import annotations

import re
from pathlib import Path

from compat.emulator.rules import RULES, RULES_BY_ID, rules_markdown

ROOT = Path(__file__).resolve().parents[2]
EMULATOR = ROOT / "src" / "compat" / "emulator"
# `rule("x.y")` in code, and "rule x.y" / "rules x.y and a.b" in comments and docstrings.
CITED = re.compile(
    r"""rule\(["']([a-z0-9.\-]+)["']\)|\b[Rr]ules? ([a-z][a-z0-9\-]*\.[a-z0-9.\-*]+)"""
)


def test_every_rule_has_evidence_with_a_source() -> None:
    assert len(RULES_BY_ID) == len(RULES), "rule ids are unique"
    for rule in RULES:
        assert rule.evidence, rule.id
        for evidence in rule.evidence:
            assert evidence.url and evidence.url.startswith("https://"), (rule.id, evidence)


def test_code_cites_only_rules_the_table_has() -> None:
    cited: set[str] = set()
    for path in EMULATOR.glob("*.py"):
        for match in CITED.finditer(path.read_text()):
            cited.add((match.group(1) or match.group(2)).rstrip("."))
    assert cited, "the checks name the rules they enforce"
    known = set(RULES_BY_ID)
    patterns = {c for c in cited if "*" in c}
    for pattern in patterns:
        prefix, _, suffix = pattern.partition("*")
        assert any(k.startswith(prefix) and k.endswith(suffix) for k in known), pattern
    assert cited - patterns <= known, sorted(cited - patterns - known)


def test_the_generated_document_is_current() -> None:
    shipped = (ROOT / "docs" / "emulator-rules.md").read_text()
    assert shipped == rules_markdown(), "docs/emulator-rules.md is stale: run `make docs`"
