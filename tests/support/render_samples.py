"""Real matrices, results and known issues for the render tests, built from the shipped sample."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from compat.known_issues import KnownIssues, load_known_issues
from compat.manifest import load_manifest
from compat.matrix import AnyOutcome, Matrix, load_matrix
from compat.outcome import Evidence, Fail, ResultsFile, UpstreamRequest

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "tests" / "fixtures"
SAMPLE_MATRIX = FIXTURES / "sample-matrix.json"
SAMPLE_RESULTS = FIXTURES / "sample-results.json"

HOSTILE_ERROR = (
    "<script>window.__pwned = 1</script> \"double\" 'single' & <b>bold</b> | pipe\nnewline "
    + "x" * 3000
)
"""An error that must render as text: markup, quotes, a pipe, a newline and a 3,000-char word."""


def sample_matrix(*, upstream: str = "emulated") -> Matrix:
    return load_matrix(SAMPLE_MATRIX).model_copy(update={"upstream": upstream})


def with_cell(matrix: Matrix, feature: str, provider: str, outcome: AnyOutcome) -> Matrix:
    """A copy of `matrix` with one cell replaced."""
    rows = [
        row.model_copy(update={"providers": {**row.providers, provider: outcome}})
        if row.id == feature
        else row
        for row in matrix.features
    ]
    return matrix.model_copy(update={"features": rows})


def all_failed(matrix: Matrix, error: str) -> Matrix:
    """Every cell of `matrix` failed with `error`."""

    def failed(rows):
        return [
            row.model_copy(update={"providers": dict.fromkeys(row.providers, Fail(error=error))})
            for row in rows
        ]

    update: dict = {"features": failed(matrix.features)}
    if matrix.gateway_contract is not None:
        checks = failed(matrix.gateway_contract.checks)
        update["gateway_contract"] = matrix.gateway_contract.model_copy(update={"checks": checks})
    return matrix.model_copy(update=update)


def sample_results(*, with_requests: bool = True) -> ResultsFile:
    """The shipped results; failing tiers get the upstream requests and transcript a run records."""
    results = ResultsFile.model_validate(json.loads(SAMPLE_RESULTS.read_text()))
    if not with_requests:
        return results
    for result in results.results:
        if result.outcome.status != "fail":
            continue
        result.evidence = Evidence(
            usage={"input_tokens": 1200, "output_tokens": 40, "cache_read_input_tokens": 0},
            upstream_requests=[
                UpstreamRequest(
                    provider=result.provider,
                    method="POST",
                    path=f"/model/{result.tier}/converse-stream",
                    status=400,
                    summary="ValidationException",
                    body_excerpt=json.dumps({"messages": [{"role": "user"}], "pad": "y" * 5000}),
                )
            ],
            transcript_excerpt='{"type":"result","is_error":true}',
            exit_code=1,
            attempts=2,
        )
    return results


def write_known_issues(path: Path, issues: list[dict]) -> Path:
    path.write_text(yaml.safe_dump({"schema_version": "1", "issues": issues}, sort_keys=False))
    return path


def issue(
    issue_id: str, cells: list[dict], *, status: str = "open", fix: dict | None = None
) -> dict:
    """One known_issues.yaml entry with plausible texts."""
    entry: dict = {
        "id": issue_id,
        "title": f"Title of {issue_id}",
        "cells": cells,
        "symptom": f"Symptom of {issue_id}",
        "workaround": f"Workaround for {issue_id}",
        "status": status,
    }
    if fix is not None:
        entry["fix"] = fix
    return entry


def converse_issue() -> dict:
    """An open issue on thinking with tool use on Bedrock Converse, which fails in the samples."""
    return issue(
        "converse-thinking-signature",
        [{"feature": "thinking_with_tool_use", "provider": "bedrock_converse"}],
    )


def known_issues_of(tmp_path: Path, issues: list[dict]) -> KnownIssues:
    """`issues` written to `tmp_path/known_issues.yaml` and loaded against the shipped manifest."""
    path = write_known_issues(tmp_path / "known_issues.yaml", issues)
    return load_known_issues(path, load_manifest(REPO_ROOT / "manifest.yaml"))


def sample_known_issues(tmp_path: Path) -> KnownIssues:
    """One open issue on a failing cell, one fixed issue whose cell passes (ready to remove)."""
    return known_issues_of(
        tmp_path,
        [
            converse_issue(),
            issue(
                "vertex-count-tokens",
                [{"feature": "count_tokens", "provider": "vertex_ai", "tiers": ["opus-4-7"]}],
                status="fixed",
                fix={
                    "description": "Route count_tokens to the Vertex endpoint.",
                    "pr_url": "https://github.com/BerriAI/litellm/pull/1",
                    "release": "v1.107.0-stable",
                },
            ),
        ],
    )
