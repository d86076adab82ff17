"""The daily pipeline: resolve → install claude → boot the proxy → run → build → publish."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from compat.known_issues import KnownIssues
from compat.manifest import Manifest
from compat.matrix import build_matrix, load_results
from compat.outputs import write_outputs
from compat.paths import MATRIX_NAME, RESULTS_NAME
from compat.publish import PublishOutcome, publish_matrix
from compat.run.job import JobEvents, JobReport, JobRequest, run_job

Note = Callable[[str], None]
"""Where the pipeline says what it decided (the command prints these)."""


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
    note: Note = lambda _line: None,
) -> Versions:
    """Take the versions given; resolve the rest (GitHub for LiteLLM, npm for Claude Code)."""
    from compat.resolve import litellm_release, resolve_claude_code, resolve_litellm

    docker_tag = None
    if litellm_version is None:
        resolved = resolve_litellm(channel=litellm_channel)  # type: ignore[arg-type]
        note(f"LiteLLM: {resolved.explanation}")
        release = litellm_release(resolved.version)
        litellm_version, docker_tag = release.pip_version, release.docker_tag
    if claude_code_version is None:
        resolved = resolve_claude_code(registry=registry, min_age=min_age)
        note(f"Claude Code: {resolved.explanation}")
        claude_code_version = resolved.version
    return Versions(litellm=litellm_version, docker_tag=docker_tag, claude_code=claude_code_version)


@dataclass
class PipelineReport:
    matrix_path: Path
    page_path: Path
    results_paths: list[Path]
    publish: PublishOutcome | None
    job: JobReport | None = None
    """The job the pipeline ran; None when it published results given to it."""

    @property
    def interrupted(self) -> bool:
        return self.job is not None and self.job.interrupted


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
    events: JobEvents | None = None,
    note: Note = lambda _line: None,
) -> PipelineReport:
    """Run (unless `results` are given), build, render, then publish or say why not."""
    report = None
    if job is not None:
        report = run_job(job, events)
        results = [report.results_path]
    else:
        results = results or [out_dir / RESULTS_NAME]
    loaded = load_results(results)
    matrix = build_matrix(manifest, loaded, generated_at=generated_at)
    written = write_outputs(
        matrix, out_dir / MATRIX_NAME, results=[r.file for r in loaded], known_issues=known_issues
    )
    assert written.page_path is not None
    outcome = None
    if report is not None and report.interrupted:
        note("interrupted: not publishing a partial matrix")
    elif docs_repo is None:
        note("no --docs-repo given: the matrix is built, nothing is published")
    else:
        options = dict(publish_options)
        if skip_publish:
            note("--skip-publish: doing everything but the push (clone, diff, stage)")
            if matrix.upstream == "emulated" and not options.get("allow_emulated"):
                note("note: this matrix is emulated; publishing it needs --allow-emulated")
                options["allow_emulated"] = True  # nothing is pushed in a dry run
        outcome = publish_matrix(
            written.matrix_path, repo_url=docs_repo, dry_run=skip_publish, note=note, **options
        )
    return PipelineReport(written.matrix_path, written.page_path, results, outcome, report)
