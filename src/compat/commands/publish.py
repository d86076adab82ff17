"""`compat publish`: the whole daily pipeline as one command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from compat.commands.options import (
    DEFAULT_MANIFEST_PATH,
    FeatureOption,
    ManifestOption,
    ProviderOption,
    RpmOption,
    TierOption,
    TimeoutOption,
)
from compat.commands.proxy_options import ProxyOptions, proxy_options
from compat.console import err, out


@proxy_options(resolves_litellm="the newest --litellm-channel release on GitHub")
def publish(
    *,
    docs_repo: Annotated[
        str | None,
        typer.Option(
            "--docs-repo",
            help="Git URL of the docs repository ($DOCS_REPO_TOKEN authenticates https).",
            envvar="COMPAT_DOCS_REPO",
        ),
    ] = None,
    branch: Annotated[str, typer.Option("--branch", help="Branch to publish to.")] = "main",
    target_path: Annotated[
        str, typer.Option("--target-path", help="Path of the matrix inside the docs repository.")
    ] = "src/data/compatibility-matrix.json",
    skip_publish: Annotated[
        bool, typer.Option("--skip-publish", help="Do everything but the push, and say so.")
    ] = False,
    open_pr: Annotated[
        bool, typer.Option("--open-pr", help="Push to a compat-matrix/… branch and open a PR.")
    ] = False,
    allow_regressions: Annotated[
        bool, typer.Option("--allow-regressions", help="Publish even if cells went pass → fail.")
    ] = False,
    allow_emulated: Annotated[
        bool,
        typer.Option("--allow-emulated", help="Publish an emulated-upstream matrix (labelled)."),
    ] = False,
    results: Annotated[
        list[Path] | None,
        typer.Option(
            "--results",
            "-r",
            help="Publish these results (e.g. merged CI shards) instead of running the cells.",
        ),
    ] = None,
    litellm_channel: Annotated[
        str, typer.Option("--litellm-channel", help="stable or latest, when resolving.")
    ] = "stable",
    claude_code_version: Annotated[
        str | None,
        typer.Option(
            "--claude-code-version", help="Claude Code release [default: resolved with --min-age]."
        ),
    ] = None,
    min_age: Annotated[
        str, typer.Option("--min-age", help="Newest Claude Code at least this old (3d, 36h, 0).")
    ] = "3d",
    registry: Annotated[
        str, typer.Option("--registry", help="npm registry for Claude Code.")
    ] = "https://registry.npmjs.org",
    feature: FeatureOption = None,
    provider: ProviderOption = None,
    tier: TierOption = None,
    manifest: ManifestOption = DEFAULT_MANIFEST_PATH,
    known_issues: Annotated[
        Path | None,
        typer.Option(
            "--known-issues",
            "-k",
            help="known_issues.yaml for the page [default: the one beside the manifest, if any].",
        ),
    ] = None,
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Where results, matrix and page are written.")
    ] = Path("out"),
    proxy: ProxyOptions,
    rpm: RpmOption = None,
    timeout: TimeoutOption = 120.0,
) -> None:
    """Resolve → install claude → boot the proxy → run → build → diff → publish."""
    from compat.claude_install import install_claude_code
    from compat.durations import parse_duration
    from compat.manifest import load_manifest
    from compat.outputs import page_known_issues
    from compat.run.cells import select_cells
    from compat.run.job import JobRequest, exit_code
    from compat.run.pacing import parse_rpm_flags
    from compat.run.pipeline import resolve_versions, run_pipeline
    from compat.run.scheduler import SchedulerSettings

    def note(line: str) -> None:
        err.print(line, markup=False)

    loaded = load_manifest(manifest)
    rates = parse_rpm_flags(rpm or [], loaded)
    issues = page_known_issues(known_issues, manifest, loaded)
    job = None
    if not results:
        # Checked before resolving and installing anything: a typo costs no network.
        cells = select_cells(loaded, features=feature, providers=provider, tiers=tier)
        versions = resolve_versions(
            litellm_version=proxy.litellm_version,
            litellm_channel=litellm_channel,
            claude_code_version=claude_code_version,
            min_age=parse_duration(min_age),
            registry=registry,
            note=note,
        )
        binary = install_claude_code(versions.claude_code)
        job = JobRequest(
            manifest=loaded,
            cells=cells,
            out_dir=out_dir,
            scheduler=SchedulerSettings(timeout_s=timeout, requests_per_minute=rates),
            proxy=proxy.settings(
                litellm_version=versions.litellm, tag=proxy.tag or versions.docker_tag
            ),
            claude=binary,
        )
        err.print(
            f"running {len(job.cells)} cells: Claude Code {versions.claude_code}, "
            f"LiteLLM {versions.litellm} ({proxy.runtime.value}, {proxy.upstream.value} upstream)"
        )
    report = run_pipeline(
        manifest=loaded,
        job=job,
        results=list(results or []),
        out_dir=out_dir,
        known_issues=issues,
        docs_repo=docs_repo,
        publish_options={
            "branch": branch,
            "target_path": target_path,
            "open_pr": open_pr,
            "allow_regressions": allow_regressions,
            "allow_emulated": allow_emulated,
        },
        skip_publish=skip_publish,
        note=note,
    )
    out.print(f"matrix:  {report.matrix_path}")
    out.print(f"page:    {report.page_path}")
    for path in report.results_paths:
        out.print(f"results: {path}")
    if report.publish is not None:
        out.print(report.publish.message, markup=False)
    if report.job is not None:
        code = exit_code(report.job)
        if code:
            raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("publish")(publish)
