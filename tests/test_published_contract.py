"""The JSON contract with LiteLLM's docs site, checked on matrices it really published."""

from __future__ import annotations

import html
import json
import re
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from compat.diff import diff_matrices
from compat.manifest import load_manifest
from compat.matrix import COMPAT_KEYS, PUBLISHED_KEYS, canonical_json, load_matrix

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT / "tests" / "fixtures"
LIVE_DIR = FIXTURES / "live-matrices"
# Oldest first: the file names start with the LiteLLM version and end with the date.
LIVE = sorted(LIVE_DIR.glob("*.json"), key=lambda p: p.stem.rsplit("_", 1)[-1])
OURS = FIXTURES / "sample-matrix.json"


def assert_published_cell(cell: Any, where: str) -> None:
    """Exactly one of the four published cell shapes, nothing more."""
    assert isinstance(cell, dict), where
    status = cell.get("status")
    extra = {"pass": None, "fail": "error", "not_applicable": "reason", "not_tested": None}
    assert status in extra, f"{where}: status {status!r}"
    keys = {"status"} | ({extra[status]} if extra[status] else set())
    assert set(cell) == keys, f"{where}: keys {sorted(cell)}"
    if extra[status]:
        text = cell[extra[status]]
        assert isinstance(text, str) and text.strip(), f"{where}: empty {extra[status]}"


def assert_published_shape(doc: dict[str, Any]) -> None:
    """The published keys first and in order, any compat keys after; every cell published."""
    keys = list(doc)
    assert keys[: len(PUBLISHED_KEYS)] == list(PUBLISHED_KEYS)
    assert set(keys[len(PUBLISHED_KEYS) :]) <= set(COMPAT_KEYS)
    assert doc["schema_version"] == "1"
    providers = doc["providers"]
    assert all(isinstance(p, str) for p in providers)
    assert len(set(providers)) == len(providers)
    for row in doc["features"]:
        assert list(row) == ["id", "name", "providers"]
        assert list(row["providers"]) == providers, row["id"]
        for provider, cell in row["providers"].items():
            assert_published_cell(cell, f"{row['id']} × {provider}")


def test_the_fixtures_are_the_four_published_files():
    assert [p.name for p in LIVE] == [
        "v1.98.0_2.1.228_2026-08-26.json",
        "v1.98.0_2.1.228_2026-08-27.json",
        "v1.102.1_2.1.281_2026-09-27.json",
        "v1.104.2_2.1.292_2026-10-10.json",
    ]
    assert (LIVE_DIR / "README.md").is_file()


@pytest.mark.parametrize("path", LIVE, ids=lambda p: p.stem)
def test_a_published_matrix_has_only_published_keys(path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert list(doc) == list(PUBLISHED_KEYS)
    assert_published_shape(doc)


@pytest.mark.parametrize("path", LIVE, ids=lambda p: p.stem)
def test_a_published_matrix_reads_as_live_and_rewrites_to_the_same_bytes(path):
    matrix = load_matrix(path)
    assert matrix.upstream == "live"
    assert matrix.provider_names is None
    assert matrix.providers == json.loads(path.read_text(encoding="utf-8"))["providers"]
    assert canonical_json(matrix).encode("utf-8") == path.read_bytes()


@pytest.mark.parametrize("path", LIVE, ids=lambda p: p.stem)
def test_compat_diff_from_a_published_matrix_to_ours(path, compat_cli):
    expected = diff_matrices(load_matrix(path), load_matrix(OURS))
    proc = compat_cli("diff", path, OURS, cwd=REPO_ROOT)
    assert proc.returncode == (3 if expected.has_regressions else 0), proc.stderr
    assert "Traceback" not in proc.stderr and "error:" not in proc.stderr
    assert f"{expected.old_versions} → {expected.new_versions}" in " ".join(proc.stdout.split())
    assert expected.old_versions.endswith("(live)")
    # Columns and rows only one side has are changes, never failures to read.
    removed = {c.provider for c in expected.changes if c.kind == "provider_removed"}
    assert removed == set(load_matrix(path).providers) - set(load_matrix(OURS).providers)


@pytest.mark.parametrize("old, new", list(pairwise(LIVE)), ids=lambda p: p.stem)
def test_compat_diff_between_published_matrices(old, new, compat_cli):
    expected = diff_matrices(load_matrix(old), load_matrix(new))
    proc = compat_cli("diff", old, new, "--format", "md", cwd=REPO_ROOT)
    assert proc.returncode == (3 if expected.has_regressions else 0), proc.stderr
    assert "Traceback" not in proc.stderr and "error:" not in proc.stderr
    assert proc.stdout.startswith("### Compatibility matrix changes\n")
    assert f"{expected.old_versions} → {expected.new_versions}" in proc.stdout
    for change in expected.all():
        assert f"| {change.feature or ''} | {change.provider or ''} |" in proc.stdout


def test_published_columns_and_rows_show_up_in_the_diff():
    # 09-27 added the passthrough row and the four GPT columns to what 08-27 had.
    old, new = LIVE[1], LIVE[2]
    diff = diff_matrices(load_matrix(old), load_matrix(new))
    assert ("feature_added", "passthrough") in {(c.kind, c.feature) for c in diff.changes}
    assert {c.provider for c in diff.changes if c.kind == "provider_added"} == {
        "openai",
        "azure_openai",
        "bedrock_mantle",
        "vertex_ai_gpt",
    }


def page_table(page: str) -> tuple[list[str], list[str], list[str]]:
    """The column headers, the row headers and every cell's status of the rendered page."""
    columns = [html.unescape(t) for t in re.findall(r'<th scope="col">(.*?)</th>', page)]
    rows = [html.unescape(t) for t in re.findall(r'<th scope="row">(.*?)</th>', page)]
    return columns, rows, re.findall(r'<td class="s-\w+" data-status="(\w+)">', page)


@pytest.mark.parametrize("path", LIVE, ids=lambda p: p.stem)
def test_compat_render_html_of_a_published_matrix(path, tmp_path, compat_cli):
    doc = json.loads(path.read_text(encoding="utf-8"))
    proc = compat_cli("render", path, "-o", tmp_path, cwd=REPO_ROOT)
    assert proc.returncode == 0, proc.stderr
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    columns, rows, statuses = page_table(page)
    # In a checkout the manifest names the columns it knows; the others keep their ids.
    manifest = load_manifest(REPO_ROOT / "manifest.yaml")
    names = {p.id: p.name for p in manifest.providers}
    assert columns == ["Feature", *(names.get(p, p) for p in doc["providers"])]
    assert rows == [row["name"] for row in doc["features"]]
    assert statuses == [c["status"] for row in doc["features"] for c in row["providers"].values()]
    assert 'data-upstream="live"' in page
    assert "Emulated upstream" not in page


@pytest.mark.parametrize("path", LIVE, ids=lambda p: p.stem)
def test_compat_render_md_of_a_published_matrix(path, tmp_path, compat_cli):
    doc = json.loads(path.read_text(encoding="utf-8"))
    # No manifest in this directory: the columns are headed by their ids.
    proc = compat_cli("render", path, "--format", "md", "-o", tmp_path, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert f"| Feature | {' | '.join(doc['providers'])} |" in summary.splitlines()
    assert "upstream **live**" in summary
    failures = sum(
        c["status"] == "fail" for row in doc["features"] for c in row["providers"].values()
    )
    assert (f"### Failures ({failures})" in summary) == bool(failures)


def test_what_compat_build_writes_is_published_shaped(tmp_path, compat_cli):
    out = tmp_path / "compatibility-matrix.json"
    proc = compat_cli(
        "build",
        "-r",
        FIXTURES / "sample-results.json",
        "-o",
        out,
        "--generated-at",
        "2026-01-01T00:00:00Z",
        cwd=REPO_ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    manifest = load_manifest(REPO_ROOT / "manifest.yaml")
    assert list(doc["providers"]) == manifest.provider_ids
    assert [row["id"] for row in doc["features"]] == manifest.feature_ids
    assert_published_shape(doc)
    assert list(doc) == [*PUBLISHED_KEYS, *COMPAT_KEYS]
    assert doc["upstream"] == "emulated"
    assert doc["provider_names"] == {p.id: p.name for p in manifest.providers}
