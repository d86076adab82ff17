"""The daily pipeline: resolve → install claude → boot the proxy → run → build → publish."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from compat.console import err
from compat.files import write_atomic
from compat.job import RESULTS_NAME, JobRequest, run_job
from compat.known_issues import KnownIssues
from compat.manifest import Manifest
from compat.matrix import Matrix, build_matrix, canonical_json, load_results
from compat.outcome import ResultsFile
from compat.publish import PublishOutcome, publish_matrix
from compat.render import write_page

MATRIX_NAME = "compatibility-matrix.json"


@dataclass(frozen=True)
class Versions:
    litellm: str
    """The PyPI version (local runtime) the matrix is labelled with."""
    docker_tag: str | None
    claude_code: str


def resolve_versions(
    *,
    litellm_version: str | None,
    litellm_channel: str,
    claude_code_version: str | None,
    min_age: timedelta | None,
    registry: str,
) -> Versions:
    """Take the versions given; resolve the rest (GitHub for LiteLLM, npm for Claude Code)."""
    from compat.resolve import litellm_release, resolve_claude_code, resolve_litellm

    docker_tag = None
    if litellm_version is None:
        resolved = resolve_litellm(channel=litellm_channel)  # type: ignore[arg-type]
        err.print(f"LiteLLM: {resolved.explanation}", markup=False)
        release = litellm_release(resolved.version)
        litellm_version, docker_tag = release.pip_version, release.docker_tag
    if claude_code_version is None:
        resolved = resolve_claude_code(registry=registry, min_age=min_age)
        err.print(f"Claude Code: {resolved.explanation}", markup=False)
        claude_code_version = resolved.version
    return Versions(litellm=litellm_version, docker_tag=docker_tag, claude_code=claude_code_version)


def write_outputs(
    matrix: Matrix,
    out_dir: Path,
    results: list[ResultsFile],
    known_issues: KnownIssues | None,
) -> tuple[Path, Path]:
    """compatibility-matrix.json and index.html side by side in `out_dir`."""
    matrix_path = out_dir / MATRIX_NAME
    write_atomic(matrix_path, canonical_json(matrix))
    page = write_page(matrix, out_dir, results=results, known_issues=known_issues)
    return matrix_path, page


@dataclass
class PipelineReport:
    matrix_path: Path
    page_path: Path
    results_paths: list[Path]
    publish: PublishOutcome | None
    interrupted: bool = False


def run_pipeline(
    *,
    manifest: Manifest,
    job: JobRequest | None,
    results: list[Path],
    out_dir: Path,
    known_issues: KnownIssues | None,
    docs_repo: str | None,
    publish_options: dict[str, Any],
    skip_publish: bool,
    generated_at: str | None = None,
) -> PipelineReport:
    """Run (unless `results` are given), build, render, then publish or say why not."""
    interrupted = False
    if job is not None:
        report = run_job(job)
        interrupted = report.interrupted
        results = [report.results_path]
    else:
        results = results or [out_dir / RESULTS_NAME]
    loaded = load_results(results)
    matrix = build_matrix(manifest, loaded, generated_at=generated_at)
    matrix_path, page = write_outputs(matrix, out_dir, [r.file for r in loaded], known_issues)
    outcome = None
    if interrupted:
        err.print("interrupted: not publishing a partial matrix")
    elif docs_repo is None:
        err.print("no --docs-repo given: the matrix is built, nothing is published")
    else:
        options = dict(publish_options)
        if skip_publish:
            err.print("--skip-publish: doing everything but the push (clone, diff, stage)")
            if matrix.upstream == "emulated" and not options.get("allow_emulated"):
                err.print("note: this matrix is emulated; publishing it needs --allow-emulated")
                options["allow_emulated"] = True  # nothing is pushed in a dry run
        outcome = publish_matrix(matrix_path, repo_url=docs_repo, dry_run=skip_publish, **options)
    return PipelineReport(matrix_path, page, results, outcome, interrupted)
