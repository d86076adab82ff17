"""`compat run`: every selected (feature, provider, tier) cell through real claude + LiteLLM."""

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
from compat.errors import InputError


@proxy_options()
def run(
    *,
    feature: FeatureOption = None,
    provider: ProviderOption = None,
    tier: TierOption = None,
    shard: Annotated[
        str | None,
        typer.Option("--shard", help="Run shard K of N (e.g. 2/4): N jobs cover the matrix once."),
    ] = None,
    manifest: ManifestOption = DEFAULT_MANIFEST_PATH,
    out_dir: Annotated[
        Path,
        typer.Option("--out", "-o", help="Directory for results (and the matrix with --build)."),
    ] = Path("out"),
    claude: Annotated[
        Path | None,
        typer.Option(
            "--claude",
            help="claude binary [default: $COMPAT_CLAUDE_BIN, the newest `compat install "
            "claude-code`, or claude on PATH].",
        ),
    ] = None,
    proxy_url: Annotated[
        str | None,
        typer.Option("--proxy-url", help="Use this running proxy instead of booting one."),
    ] = None,
    proxy_key: Annotated[
        str | None,
        typer.Option("--proxy-key", help="Its key.", envvar="COMPAT_PROXY_KEY", show_default=False),
    ] = None,
    proxy: ProxyOptions,
    concurrency: Annotated[
        int | None,
        typer.Option("--concurrency", "-j", min=1, help="Cells at once [default: 2 per core]."),
    ] = None,
    per_provider: Annotated[
        int | None,
        typer.Option(
            "--per-provider", min=1, help="Cells at once per provider (live rate limits)."
        ),
    ] = None,
    timeout: TimeoutOption = 120.0,
    rpm: RpmOption = None,
    attempts: Annotated[
        int,
        typer.Option(
            "--attempts", min=1, help="Tries per cell on 429 and 5xx answers (with backoff)."
        ),
    ] = 3,
    resume: Annotated[
        bool, typer.Option("--resume", help="Skip cells already in OUT/compat-results.jsonl.")
    ] = False,
    fail_on: Annotated[
        str, typer.Option("--fail-on", help="`fail`: exit 1 when any cell failed (PR gates).")
    ] = "never",
    build: Annotated[
        bool, typer.Option("--build", help="Then build compatibility-matrix.json (and its page).")
    ] = False,
) -> None:
    """Run the selected cells and write OUT/compat-results.json (and .jsonl as they finish).

    Ctrl-C (exit 130) and SIGTERM (exit 143) stop it cleanly: the proxy, the emulator and
    every claude child are stopped, finished cells are kept, and --resume runs the rest.
    """
    from compat.manifest import load_manifest
    from compat.outputs import page_known_issues
    from compat.run.cells import parse_shard, select_cells
    from compat.run.job import FAIL_ON_CHOICES, JobRequest
    from compat.run.pacing import parse_rpm_flags
    from compat.run.scheduler import SchedulerSettings, default_concurrency

    if fail_on not in FAIL_ON_CHOICES:
        raise InputError(
            f"--fail-on: expected one of {', '.join(FAIL_ON_CHOICES)}, got {fail_on!r}"
        )
    loaded = load_manifest(manifest)
    parsed_shard = parse_shard(shard) if shard else None
    cells = select_cells(
        loaded, features=feature, providers=provider, tiers=tier, shard=parsed_shard
    )
    if not cells:
        raise InputError(
            "the selection is empty: no cell matches these --feature/--provider/--tier"
        )
    from pydantic import SecretStr

    request = JobRequest(
        manifest=loaded,
        cells=cells,
        out_dir=out_dir,
        scheduler=SchedulerSettings(
            concurrency=concurrency or default_concurrency(),
            per_provider=per_provider,
            max_attempts=attempts,
            timeout_s=timeout,
            requests_per_minute=parse_rpm_flags(rpm or [], loaded),
        ),
        proxy=proxy.settings(),
        claude=claude,
        proxy_url=proxy_url,
        proxy_key=SecretStr(proxy_key) if proxy_key else None,
        resume=resume,
        shard=str(parsed_shard) if parsed_shard else None,
    )
    from compat.commands.run_display import execute

    issues = page_known_issues(None, manifest, loaded) if build else None
    code = execute(request, build=build, fail_on=fail_on, known_issues=issues)  # type: ignore[arg-type]
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("run")(run)
