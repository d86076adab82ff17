"""`diff_matrices` and `compat diff`: regressions, fixes, other changes, exit code 3."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from compat.diff import diff_matrices, summary, to_markdown
from compat.matrix import Matrix, canonical_json, load_matrix, parse_matrix

SAMPLE = Path(__file__).parent / "fixtures" / "sample-matrix.json"


@pytest.fixture
def old() -> Matrix:
    return load_matrix(SAMPLE)


def changed(base: Matrix, edit: Any) -> Matrix:
    """A copy of `base` with `edit(doc)` applied to its JSON form."""
    doc = base.model_dump(mode="json")
    edit(doc)
    return parse_matrix(doc, Path("edited.json"))


def set_cell(feature: str, provider: str, outcome: dict[str, str]) -> Any:
    def edit(doc: dict[str, Any]) -> None:
        row = next(r for r in doc["features"] if r["id"] == feature)
        row["providers"][provider] = outcome

    return edit


def first_cell_with(matrix: Matrix, status: str) -> tuple[str, str]:
    for row in matrix.features:
        for provider, outcome in row.providers.items():
            if outcome.status == status:
                return row.id, provider
    raise AssertionError(f"the sample has no {status} cell")


def test_identical_matrices_have_no_changes(old):
    diff = diff_matrices(old, old)
    assert diff.is_empty
    assert not diff.has_regressions
    assert summary(diff) == "0 regressions, 0 fixes, 0 other changes"


def test_pass_to_fail_is_a_regression(old):
    feature, provider = first_cell_with(old, "pass")
    new = changed(old, set_cell(feature, provider, {"status": "fail", "error": "[haiku-4-5] x"}))
    diff = diff_matrices(old, new)
    assert diff.has_regressions
    [regression] = diff.regressions
    assert (regression.feature, regression.provider) == (feature, provider)
    assert (regression.old, regression.new, regression.detail) == ("pass", "fail", "[haiku-4-5] x")
    assert diff.fixes == [] and diff.changes == []


def test_fail_to_pass_is_a_fix(old):
    feature, provider = first_cell_with(old, "fail")
    diff = diff_matrices(old, changed(old, set_cell(feature, provider, {"status": "pass"})))
    assert [(c.kind, c.feature, c.provider) for c in diff.fixes] == [("fix", feature, provider)]
    assert not diff.has_regressions


def test_other_status_changes(old):
    feature, provider = first_cell_with(old, "pass")
    new = changed(old, set_cell(feature, provider, {"status": "not_tested"}))
    diff = diff_matrices(old, new)
    assert [(c.kind, c.old, c.new) for c in diff.changes] == [
        ("status_changed", "pass", "not_tested")
    ]
    assert not diff.has_regressions and not diff.fixes


def test_a_changed_error_text_alone_is_not_a_change(old):
    feature, provider = first_cell_with(old, "fail")
    new = changed(old, set_cell(feature, provider, {"status": "fail", "error": "other words"}))
    assert diff_matrices(old, new).is_empty


def test_added_and_removed_rows_and_providers(old):
    def edit(doc: dict[str, Any]) -> None:
        removed_row = doc["features"].pop(0)
        doc["features"].append(
            {"id": "new_feature", "name": "New feature", "providers": removed_row["providers"]}
        )
        doc["providers"] = [p for p in doc["providers"] if p != "azure"] + ["mistral"]
        doc["provider_names"].pop("azure")
        doc["provider_names"]["mistral"] = "Mistral"
        for row in doc["features"] + doc["gateway_contract"]["checks"]:
            row["providers"]["mistral"] = row["providers"].pop("azure")
        routes = doc["gateway_contract"]["routes"]
        routes[routes.index("azure")] = "mistral"

    diff = diff_matrices(old, changed(old, edit))
    kinds = {(c.kind, c.feature or c.provider, c.detail) for c in diff.changes}
    assert kinds == {
        ("feature_added", "new_feature", "New feature"),
        ("feature_removed", old.features[0].id, old.features[0].name),
        ("provider_added", "mistral", "Mistral"),
        ("provider_removed", "azure", "Azure (Foundry)"),
    }
    assert not diff.has_regressions


def test_markdown_escapes_table_breakers(old):
    feature, provider = first_cell_with(old, "pass")
    new = changed(old, set_cell(feature, provider, {"status": "fail", "error": "a | b\nc"}))
    markdown = to_markdown(diff_matrices(old, new))
    assert "**1 regression, 0 fixes, 0 other changes**" in markdown
    assert f"| regression | {feature} | {provider} | pass → fail | a \\| b c |" in markdown


# --- the command ------------------------------------------------------------------------------


def write(tmp_path: Path, name: str, matrix: Matrix) -> Path:
    path = tmp_path / name
    path.write_text(canonical_json(matrix))
    return path


def test_cli_exits_3_on_a_regression(old, tmp_path, compat_cli):
    feature, provider = first_cell_with(old, "pass")
    new = changed(old, set_cell(feature, provider, {"status": "fail", "error": "[opus-4-7] 500"}))
    proc = compat_cli("diff", SAMPLE, write(tmp_path, "new.json", new))
    assert proc.returncode == 3, proc.stderr
    assert "regression" in proc.stdout
    # Brackets in errors are text, not markup.
    assert "[opus-4-7] 500" in proc.stdout
    assert "1 regression, 0 fixes, 0 other changes: the new matrix regresses" in proc.stderr


def test_cli_markdown_and_exit_0_for_fixes(old, tmp_path, compat_cli):
    feature, provider = first_cell_with(old, "fail")
    new = changed(old, set_cell(feature, provider, {"status": "pass"}))
    proc = compat_cli("diff", SAMPLE, write(tmp_path, "new.json", new), "--format", "md")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("### Compatibility matrix changes\n")
    assert f"| fix | {feature} | {provider} | fail → pass |  |" in proc.stdout


def test_cli_no_changes(tmp_path, compat_cli):
    proc = compat_cli("diff", SAMPLE, SAMPLE)
    assert proc.returncode == 0
    assert proc.stdout.strip().endswith("no changes")


def test_cli_bad_input_is_exit_2(tmp_path, compat_cli):
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"schema_version": "1"}))
    proc = compat_cli("diff", SAMPLE, broken)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ")
    assert str(broken) in proc.stderr


def test_a_contract_check_turning_red_is_a_regression(old):
    assert old.gateway_contract is not None
    check = next(
        row for row in old.gateway_contract.checks if row.providers["anthropic"].status == "pass"
    )

    def edit(doc: dict[str, Any]) -> None:
        row = next(r for r in doc["gateway_contract"]["checks"] if r["id"] == check.id)
        row["providers"]["anthropic"] = {"status": "fail", "error": "pings dropped"}

    diff = diff_matrices(old, changed(old, edit))
    assert [(c.kind, c.feature, c.provider, c.detail) for c in diff.regressions] == [
        ("regression", check.id, "anthropic", "pings dropped")
    ]
