"""`compat bisect`: the first release where a cell's status flips, and what changed on the wire."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from compat.commands.options import (
    DEFAULT_MANIFEST_PATH,
    ManifestOption,
    TimeoutOption,
)
from compat.commands.proxy_options import ProxyOptions, proxy_options
from compat.errors import InputError


@proxy_options(resolves_litellm="each step's release, or the fixed one on the Claude Code axis")
def bisect(
    *,
    feature: Annotated[str, typer.Option("--feature", "-f", help="The cell's feature.")],
    provider: Annotated[str, typer.Option("--provider", "-p", help="The cell's provider.")],
    tier: Annotated[
        str | None,
        typer.Option("--tier", "-t", help="The cell's tier [default: the provider's first]."),
    ] = None,
    good: Annotated[
        str | None, typer.Option("--good", help="A LiteLLM release on one side of the flip.")
    ] = None,
    bad: Annotated[
        str | None, typer.Option("--bad", help="A LiteLLM release on the other side.")
    ] = None,
    claude_code_good: Annotated[
        str | None,
        typer.Option("--claude-code-good", help="Bisect Claude Code releases instead: one side."),
    ] = None,
    claude_code_bad: Annotated[
        str | None, typer.Option("--claude-code-bad", help="… and the other side.")
    ] = None,
    claude_code: Annotated[
        str | None,
        typer.Option(
            "--claude-code", help="Claude Code held fixed on the LiteLLM axis [default: installed]."
        ),
    ] = None,
    repeats: Annotated[
        int,
        typer.Option(
            "--repeats", min=1, help="Runs per release; differing outcomes stop the bisect."
        ),
    ] = 2,
    manifest: ManifestOption = DEFAULT_MANIFEST_PATH,
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Where each step's journal and bisect.json go.")
    ] = Path("out/bisect"),
    timeout: TimeoutOption = 120.0,
    registry: Annotated[
        str | None, typer.Option("--registry", help="npm registry for Claude Code releases.")
    ] = None,
    known_issues: Annotated[
        Path | None,
        typer.Option(
            "--known-issues",
            help="Record `fixed_in` in this known_issues.yaml when the cell flips to pass.",
        ),
    ] = None,
    proxy: ProxyOptions,
) -> None:
    """Find the first release where the cell's status flips: stdout is that release alone.

    stderr shows each step and the answer's evidence: the upstream request of the last
    release on one side next to the first on the other, as the fields that changed.
    """
    from compat.commands.bisect_display import execute
    from compat.history.plan import claude_code_plan, litellm_plan
    from compat.manifest import load_manifest
    from compat.resolve import NPM_REGISTRY
    from compat.run.cells import select_cells

    litellm_axis = good is not None or bad is not None
    claude_axis = claude_code_good is not None or claude_code_bad is not None
    if litellm_axis == claude_axis:
        raise InputError(
            "give --good and --bad (LiteLLM releases) or --claude-code-good and "
            "--claude-code-bad (Claude Code releases)"
        )
    ends = (good, bad) if litellm_axis else (claude_code_good, claude_code_bad)
    names = ("--good", "--bad") if litellm_axis else ("--claude-code-good", "--claude-code-bad")
    for name, value in zip(names, ends, strict=True):
        if value is None:
            raise InputError(f"{name} is missing: a bisect needs both ends")
    low, high = sorted(ends, key=_version_key)  # type: ignore[arg-type]
    loaded = load_manifest(manifest)
    cells = select_cells(
        loaded, features=[feature], providers=[provider], tiers=[tier] if tier else None
    )
    if not cells:
        raise InputError(f"no cell {feature} / {provider} / {tier or 'any tier'} in {manifest}")
    span = f"{low}..{high}"
    if litellm_axis:
        if proxy.litellm_version is not None:
            raise InputError("--litellm-version: the releases bisected are LiteLLM's; drop it")
        planned = litellm_plan(span=span, explicit=[low, high], every="patch")
    else:
        planned = claude_code_plan(
            span=span, explicit=[low, high], every="patch", registry=registry or NPM_REGISTRY
        )
    code = execute(
        axis="litellm" if litellm_axis else "claude_code",
        planned=planned,
        manifest=loaded,
        manifest_path=manifest,
        cell=cells[0],
        other_tiers=[c.tier for c in cells[1:]],
        proxy=proxy,
        claude_code=claude_code,
        repeats=repeats,
        out_dir=out_dir,
        timeout=timeout,
        known_issues=known_issues,
    )
    if code:
        raise typer.Exit(code)


def _version_key(version: str) -> object:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(version)
    except InvalidVersion:
        raise InputError(f"{version!r} is not a release version (e.g. 1.90.7)") from None


def register(app: typer.Typer) -> None:
    app.command("bisect")(bisect)
