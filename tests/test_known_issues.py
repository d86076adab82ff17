"""known_issues.yaml: schema, validation against the manifest, and "ready to remove"."""

from __future__ import annotations

from pathlib import Path

import pytest

from compat.errors import InputError
from compat.known_issues import load_known_issues, ready_to_remove
from compat.manifest import Manifest, load_manifest
from compat.outcome import Fail, Pass
from support.render_samples import (
    issue,
    sample_known_issues,
    sample_matrix,
    with_cell,
    write_known_issues,
)

CONVERSE_CELL = {"feature": "thinking_with_tool_use", "provider": "bedrock_converse"}


@pytest.fixture
def manifest(manifest_path: Path) -> Manifest:
    return load_manifest(manifest_path)


def load(tmp_path: Path, manifest: Manifest, issues: list[dict]):
    return load_known_issues(write_known_issues(tmp_path / "known_issues.yaml", issues), manifest)


def error_of(tmp_path: Path, manifest: Manifest, issues: list[dict]) -> str:
    with pytest.raises(InputError) as caught:
        load(tmp_path, manifest, issues)
    assert caught.value.exit_code == 2
    return str(caught.value)


def test_the_shipped_file_is_valid(repo_root: Path, manifest: Manifest):
    known = load_known_issues(repo_root / "known_issues.yaml", manifest)
    assert known.schema_version == "1"
    # The earlier entries were retracted with the emulator rules that produced them.
    assert {issue.id for issue in known.issues} == {
        "converse-cache-ttl-split-lost",
        "azure-passthrough-drops-anthropic-version",
        "bedrock-no-keep-alive",
        "attribution-block-removed",
        "open-lists-allowlisted",
        "gpt-reasoning-not-asked-for",
        "gpt-pdf-sent-as-image",
    }
    assert [i.id for i in known.for_cell("pdf_input", "bedrock_mantle")] == [
        "gpt-pdf-sent-as-image"
    ]
    # Contract checks are cells like the features': an entry may name one.
    assert [i.id for i in known.for_cell("contract_keep_alive", "bedrock_invoke")] == [
        "bedrock-no-keep-alive"
    ]
    assert all(issue.status == "open" and issue.cells for issue in known.issues)


def test_a_full_entry_loads(tmp_path: Path, manifest: Manifest):
    known = sample_known_issues(tmp_path)
    fixed = known.issues[1]
    assert fixed.status == "fixed"
    assert fixed.fix is not None and fixed.fix.release == "v1.107.0-stable"
    assert str(fixed.fix.pr_url) == "https://github.com/BerriAI/litellm/pull/1"
    assert fixed.cells[0].tiers == ["opus-4-7"]
    assert [i.id for i in known.for_cell("thinking_with_tool_use", "bedrock_converse")] == [
        "converse-thinking-signature"
    ]
    assert known.for_cell("tool_use", "anthropic") == []


def test_unknown_provider_names_the_entry_and_suggests(tmp_path: Path, manifest: Manifest):
    entries = [
        issue("a", [CONVERSE_CELL]),
        issue("b", [CONVERSE_CELL]),
        issue("c", [{"feature": "tool_use", "provider": "vertex"}]),
    ]
    message = error_of(tmp_path, manifest, entries)
    assert message == (
        f"{tmp_path / 'known_issues.yaml'}: issues[2].cells[0].provider: "
        "unknown provider 'vertex' (did you mean 'vertex_ai'?)"
    )


def test_unknown_feature_and_tier_are_each_named(tmp_path: Path, manifest: Manifest):
    entries = [
        issue(
            "a",
            [
                CONVERSE_CELL,
                {"feature": "tool_usage", "provider": "azure", "tiers": ["sonnet-4-6", "opus-9"]},
            ],
        )
    ]
    message = error_of(tmp_path, manifest, entries)
    assert "2 problems" in message
    assert (
        "issues[0].cells[1].feature: unknown feature 'tool_usage' (did you mean 'tool_use'?)"
        in (message)
    )
    assert "issues[0].cells[1].tiers[1]: unknown tier 'opus-9'" in message


def test_duplicate_ids_and_cells_are_rejected(tmp_path: Path, manifest: Manifest):
    entries = [issue("same", [CONVERSE_CELL, CONVERSE_CELL]), issue("same", [CONVERSE_CELL])]
    message = error_of(tmp_path, manifest, entries)
    assert "issues: duplicate id 'same'" in message
    assert "issues[0].cells[1]: (thinking_with_tool_use, bedrock_converse) is listed twice" in (
        message
    )


def test_unknown_keys_are_rejected(tmp_path: Path, manifest: Manifest):
    entry = issue("a", [CONVERSE_CELL])
    entry["severity"] = "high"
    assert "issues[0].severity: unknown key" in error_of(tmp_path, manifest, [entry])


def test_bad_status_and_fixed_without_fix(tmp_path: Path, manifest: Manifest):
    message = error_of(
        tmp_path,
        manifest,
        [issue("a", [CONVERSE_CELL], status="closed"), issue("b", [CONVERSE_CELL], status="fixed")],
    )
    assert "issues[0].status: Input should be 'open', 'fixed' or 'wont_fix'" in message
    assert "issues[1]: Value error, status 'fixed' needs a `fix`" in message


def test_pr_url_must_be_a_web_address(tmp_path: Path, manifest: Manifest):
    entry = issue("a", [CONVERSE_CELL], fix={"description": "d", "pr_url": "javascript:alert(1)"})
    assert "issues[0].fix.pr_url" in error_of(tmp_path, manifest, [entry])


def test_an_issue_needs_at_least_one_cell(tmp_path: Path, manifest: Manifest):
    assert "issues[0].cells" in error_of(tmp_path, manifest, [issue("a", [])])


def test_wrong_schema_version_and_empty_file(tmp_path: Path, manifest: Manifest):
    path = tmp_path / "known_issues.yaml"
    path.write_text('schema_version: "2"\nissues: []\n')
    with pytest.raises(InputError, match=r'schema_version: expected "1" \(a string\), found .2.'):
        load_known_issues(path, manifest)
    path.write_text("")
    with pytest.raises(InputError, match="expected a known issues mapping at the top level"):
        load_known_issues(path, manifest)


def test_ready_to_remove_only_when_every_cell_passes(tmp_path: Path):
    known = sample_known_issues(tmp_path)
    failing, passing = known.issues
    matrix = sample_matrix()
    assert not ready_to_remove(failing, matrix)
    assert ready_to_remove(passing, matrix)
    healed = with_cell(matrix, "thinking_with_tool_use", "bedrock_converse", Pass())
    assert ready_to_remove(failing, healed)
    broken = with_cell(matrix, "count_tokens", "vertex_ai", Fail(error="e"))
    assert not ready_to_remove(passing, broken)


def test_bisect_records_fixed_in_and_keeps_every_comment(tmp_path):
    from compat.known_issues import record_fixed_in

    path = tmp_path / "known_issues.yaml"
    path.write_text(
        "# The file's documentation stays.\n"
        'schema_version: "1"\n'
        "issues:\n"
        "  - id: first\n"
        "    title: One  # inline comment\n"
        "  - id: vertex-stream\n"
        "    # why this issue exists\n"
        "    title: Two\n"
        "  - id: last\n"
        "    title: Three\n"
    )
    assert record_fixed_in(path, "vertex-stream", "1.92.0")
    text = path.read_text()
    assert "# The file's documentation stays." in text and "# inline comment" in text
    assert '  - id: vertex-stream\n    fixed_in: "1.92.0"\n' in text
    assert text.count("fixed_in") == 1
    # A second bisect replaces the release rather than adding another line.
    assert record_fixed_in(path, "vertex-stream", "1.91.0")
    assert not record_fixed_in(path, "vertex-stream", "1.91.0")
    text = path.read_text()
    assert '    fixed_in: "1.91.0"\n' in text and text.count("fixed_in") == 1
    with pytest.raises(InputError, match="no issue with id 'nope'"):
        record_fixed_in(path, "nope", "1.0.0")


def test_affects_is_a_version_range_and_fixed_in_a_release(tmp_path):
    from compat.known_issues import KnownIssue

    base = {
        "id": "x",
        "title": "t",
        "cells": [{"feature": "vision", "provider": "vertex_ai"}],
        "symptom": "s",
        "workaround": "w",
        "status": "open",
    }
    issue = KnownIssue.model_validate({**base, "affects": ">=1.83.0,<1.92.0", "fixed_in": "1.92.0"})
    assert issue.affects_release("1.90.7") and not issue.affects_release("1.92.0")
    with pytest.raises(ValueError, match="version specifier"):
        KnownIssue.model_validate({**base, "affects": "since 1.83"})
    with pytest.raises(ValueError, match="release version"):
        KnownIssue.model_validate({**base, "fixed_in": "soon"})
