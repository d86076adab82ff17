"""`compat oracle`: which beta flags and body fields a Claude Code release sends per platform."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from compat import oracle as oracles
from compat.commands.options import DEFAULT_MANIFEST_PATH, ManifestOption
from compat.commands.progress import status
from compat.console import err, out
from compat.errors import InputError
from compat.manifest import load_manifest
from compat.oracle import PLATFORMS, ClientOracle, PlatformSend, SetChange

REFUSAL_WIDTH = 70


def _refusals(send: PlatformSend) -> Text:
    """Each distinct refusal once, with how many requests got it; then the run's failure."""
    counts = Counter(r.error[:REFUSAL_WIDTH] for r in send.refused)
    text = Text("\n".join(f"{n}× {error}" for error, n in counts.items()) or "-")
    if send.failure:
        text.append(f"\nrun failed: {send.failure[:REFUSAL_WIDTH]}", style="red")
    return text


def _betas(send: PlatformSend) -> str:
    body = set(send.body_betas)
    header = set(send.header_betas)
    marks = {b: " (body)" if b in body and b not in header else "" for b in send.betas}
    marks |= {b: " (header+body)" for b in body & header}
    return "\n".join(b + marks[b] for b in send.betas) or "(none)"


def _fields(send: PlatformSend) -> str:
    text = ", ".join(send.body_fields) or "-"
    return text + (f"\ntool types: {', '.join(send.tool_types)}" if send.tool_types else "")


def oracle_tables(oracle: ClientOracle) -> list[Table]:
    """One table per platform: what the release sent for each tier."""
    tables = []
    for platform in PLATFORMS:
        table = Table(
            title=f"Claude Code {oracle.claude_code_version}: {platform}",
            title_justify="left",
            show_lines=True,
        )
        table.add_column("tier", overflow="fold")
        table.add_column("betas", no_wrap=True)
        table.add_column("body fields", overflow="fold")
        table.add_column("requests", justify="right")
        table.add_column("refused by the emulator", overflow="fold")
        for table_of in (oracle.platforms, oracle.long_context_1m):
            for tier, send in table_of.get(platform, {}).items():
                label = Text(tier)
                label.append(f"\n{send.model}", style="dim")
                table.add_row(
                    label, _betas(send), _fields(send), str(send.requests), _refusals(send)
                )
        tables.append(table)
    return tables


def changes_table(first: str, second: str, changes: list[SetChange]) -> Table:
    """What differs between two releases; tiers with the same change share a row."""
    table = Table(title=f"Claude Code {first} → {second}", title_justify="left", show_lines=True)
    table.add_column("platform")
    table.add_column("tiers", overflow="fold")
    table.add_column("list")
    table.add_column(f"only in {second}", no_wrap=True)
    table.add_column(f"only in {first}", no_wrap=True)
    rows: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], list[str]] = {}
    for change in changes:
        key = (change.platform, change.field, tuple(change.added), tuple(change.removed))
        rows.setdefault(key, []).append(change.tier + (" [1m]" if change.variant == "1m" else ""))
    for (platform, field, added, removed), tiers in rows.items():
        table.add_row(
            platform, "\n".join(tiers), field, "\n".join(added) or "-", "\n".join(removed) or "-"
        )
    return table


def oracle(
    claude: Annotated[
        Path | None,
        typer.Option(
            "--claude",
            help="claude binary (default: $COMPAT_CLAUDE_BIN, the newest `compat install "
            "claude-code`, or claude on PATH).",
        ),
    ] = None,
    claude_code_version: Annotated[
        str | None,
        typer.Option(
            "--claude-code-version",
            help="An installed release (`compat install claude-code --version V`).",
        ),
    ] = None,
    compare: Annotated[
        tuple[str, str] | None,
        typer.Option(
            "--compare",
            metavar="V1 V2",
            help="Show what differs between what two installed releases send.",
        ),
    ] = None,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Capture again even when a cached oracle exists.")
    ] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the oracle (or the comparison) as JSON.")
    ] = False,
    manifest: ManifestOption = DEFAULT_MANIFEST_PATH,
) -> None:
    """Show what a Claude Code release sends to each platform (captured once, then cached).

    Runs the real `claude -p` in first-party, Bedrock, Vertex and Foundry mode against the emulator.

    One run per tier, plus one with the `[1m]` suffix where the manifest allows a 1M context.
    """
    if compare is not None and (claude is not None or claude_code_version is not None):
        raise InputError("--compare takes two releases itself; drop --claude/--claude-code-version")
    loaded = load_manifest(manifest)

    def get(binary: Path | None, version: str) -> ClientOracle:
        cached = None if refresh else oracles.load_cached(version, loaded)
        if cached is not None:
            return cached
        if binary is None:
            raise oracles.missing_release(version)
        with status(f"capturing the oracle of Claude Code {version}") as progress:
            return oracles.oracle_for(binary, version, loaded, refresh=True, progress=progress)

    if compare is not None:
        first, second = (get(oracles.installed_binary(v), v) for v in (compare[0], compare[1]))
        changes = oracles.compare(first, second)
        if json_output:
            typer.echo(oracles.as_json({"first": first, "second": second, "changes": changes}))
        elif changes:
            out.print(changes_table(compare[0], compare[1], changes))
        else:
            err.print(f"Claude Code {compare[0]} and {compare[1]} send the same")
        return
    binary, version = oracles.resolve_release(claude, claude_code_version)
    captured = get(binary, version)
    if json_output:
        typer.echo(oracles.as_json(captured))
        return
    for table in oracle_tables(captured):
        out.print(table)
    err.print(f"cached in {oracles.oracle_path(version)}")


def register(app: typer.Typer) -> None:
    """Add `compat oracle` to the CLI."""
    app.command("oracle")(oracle)
