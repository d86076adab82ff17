"""`compat history`: the selected cells at each release, as history.json and a timeline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from compat.commands.options import (
    DEFAULT_MANIFEST_PATH,
    FeatureOption,
    ManifestOption,
    ProviderOption,
    TierOption,
    TimeoutOption,
)
from compat.commands.proxy_options import ProxyOptions, proxy_options
from compat.errors import InputError

EVERY_CHOICES = ("patch", "minor", "stable")

LitellmReleasesOption = Annotated[
    list[str] | None,
    typer.Option(
        "--litellm",
        help="LiteLLM releases: a range A..B (PyPI's releases within it, either end open) "
        "and/or versions (repeatable). One version with several --claude-code holds "
        "LiteLLM fixed.",
    ),
]
ClaudeReleasesOption = Annotated[
    list[str] | None,
    typer.Option(
        "--claude-code",
        help="Claude Code releases: a range A..B (npm's time map) and/or versions "
        "(repeatable). One version holds Claude Code fixed [default: the installed claude].",
    ),
]
EveryOption = Annotated[
    str,
    typer.Option(
        "--every",
        help="Within a range: `minor` (the newest patch of each X.Y), `patch` (every "
        "release) or `stable` (LiteLLM's -stable tags, from GitHub).",
    ),
]


@proxy_options(resolves_litellm="each column's release, or the one --litellm")
def history(
    *,
    litellm: LitellmReleasesOption = None,
    claude_code: ClaudeReleasesOption = None,
    every: EveryOption = "minor",
    prereleases: Annotated[
        bool, typer.Option("--prereleases", help="Include release candidates and dev builds.")
    ] = False,
    feature: FeatureOption = None,
    provider: ProviderOption = None,
    tier: TierOption = None,
    shard: Annotated[
        str | None,
        typer.Option("--shard", help="Only shard K of N of the cells at every release."),
    ] = None,
    manifest: ManifestOption = DEFAULT_MANIFEST_PATH,
    out_dir: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Directory for history.json, timeline.html and releases/."
        ),
    ] = Path("out/history"),
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", min=1, help="Releases at once [default: 2 with 2+ cores]."),
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency", "-j", min=1, help="Cells at once, shared by the releases running."
        ),
    ] = None,
    timeout: TimeoutOption = 120.0,
    attempts: Annotated[
        int, typer.Option("--attempts", min=1, help="Tries per cell on 429 and 5xx answers.")
    ] = 3,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="Keep releases (and cells) a previous history finished."),
    ] = False,
    registry: Annotated[
        str | None,
        typer.Option("--registry", help="npm registry for Claude Code releases."),
    ] = None,
    known_issues: Annotated[
        Path | None,
        typer.Option("--known-issues", help="known_issues.yaml [default: beside the manifest]."),
    ] = None,
    merge: Annotated[
        list[Path] | None,
        typer.Option(
            "--merge",
            help="Run nothing: merge these histories (directories of history.json, e.g. "
            "one per release × shard job) into OUT.",
        ),
    ] = None,
    list_releases: Annotated[
        bool,
        typer.Option(
            "--list-releases",
            help="Run nothing: print the releases the flags select, as a JSON array (a CI "
            "job matrix).",
        ),
    ] = False,
    proxy: ProxyOptions,
) -> None:
    """Run the selected cells at each release; write OUT/history.json and OUT/timeline.html.

    Releases come from PyPI (LiteLLM) or npm (Claude Code); the answers are cached, so a
    rerun works offline. A release that cannot be installed is a column saying why.
    """
    from compat.commands.history_display import execute
    from compat.history.plan import (
        axis_of,
        claude_code_plan,
        fixed_claude_code,
        litellm_plan,
        split_versions,
    )
    from compat.history.runner import HistoryRequest, default_jobs
    from compat.manifest import load_manifest
    from compat.paths import known_issues_beside
    from compat.resolve import NPM_REGISTRY
    from compat.run.cells import parse_shard, select_cells
    from compat.run.scheduler import SchedulerSettings, default_concurrency

    if merge:
        _merge(merge, out_dir, manifest, known_issues)
        return
    if every not in EVERY_CHOICES:
        raise InputError(f"--every: expected one of {', '.join(EVERY_CHOICES)}, got {every!r}")
    litellm, claude_code = litellm or [], claude_code or []
    axis = axis_of(litellm, claude_code)
    loaded = load_manifest(manifest)
    parsed_shard = parse_shard(shard) if shard else None
    cells = select_cells(
        loaded, features=feature, providers=provider, tiers=tier, shard=parsed_shard
    )
    if not cells:
        raise InputError(
            "the selection is empty: no cell matches these --feature/--provider/--tier"
        )
    claude_binary, claude_version, fixed_litellm = None, None, None
    if axis == "litellm":
        if proxy.litellm_version is not None:
            raise InputError("--litellm-version: the --litellm releases are the columns; drop it")
        span, explicit = split_versions(litellm)
        planned = litellm_plan(
            span=span,
            explicit=explicit,
            every=every,
            include_prereleases=prereleases,  # type: ignore[arg-type]
            note=_note,
        )
        if len(claude_code) > 1:
            raise InputError(
                "--claude-code: give one version when the columns are LiteLLM releases"
            )
        claude_binary, claude_version = fixed_claude_code(claude_code[0] if claude_code else None)
    else:
        span, explicit = split_versions(claude_code)
        planned = claude_code_plan(
            span=span,
            explicit=explicit,
            every=every,
            registry=registry or NPM_REGISTRY,  # type: ignore[arg-type]
        )
        fixed_litellm = litellm[0] if litellm else proxy.litellm_version
    if not planned:
        raise InputError("no release matches: check the range and --every")
    if list_releases:
        import json

        from compat.console import out

        out.print(json.dumps([p.release for p in planned if not p.refused]), markup=False)
        return
    settings = proxy.settings(litellm_version=fixed_litellm) if fixed_litellm else proxy.settings()
    issues_path = known_issues or known_issues_beside(manifest)
    request = HistoryRequest(
        axis=axis,
        releases=planned,
        litellm=settings.litellm_version if axis == "claude_code" else None,
        claude_code=claude_version,
        claude=claude_binary,
        manifest_path=manifest,
        cells=cells,
        out_dir=out_dir,
        proxy=settings,
        scheduler=SchedulerSettings(
            concurrency=concurrency or default_concurrency(),
            max_attempts=attempts,
            timeout_s=timeout,
        ),
        jobs=jobs or default_jobs(),
        resume=resume,
        known_issues_path=issues_path if issues_path.is_file() else None,
        upstream=settings.upstream.value,
    )
    code = execute(request)
    if code:
        raise typer.Exit(code)


def _merge(parts: list[Path], out_dir: Path, manifest: Path, known_issues: Path | None) -> None:
    from compat.commands.history_display import show_history
    from compat.history.merge import merge_histories
    from compat.manifest import load_manifest
    from compat.outputs import page_known_issues

    loaded = load_manifest(manifest)
    issues = page_known_issues(known_issues, manifest, loaded)
    history, history_path, timeline = merge_histories(parts, out_dir, loaded, known_issues=issues)
    headline = f"merged {len(parts)} histories: {len(history.columns)} releases"
    show_history(history, headline, history_path, timeline)


def _note(line: str) -> None:
    from compat.console import err

    err.print(line, markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command("history")(history)
