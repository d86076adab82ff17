"""`compat cache`: what compat keeps on disk (LiteLLM venvs, Claude Code installs), pruned."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from compat.console import err, out

MB = 1024 * 1024
BLOCK_BYTES = 512

cache_app = typer.Typer(
    name="cache",
    help="What compat keeps in its cache: LiteLLM venvs and Claude Code installs.",
    no_args_is_help=True,
)


@dataclass(frozen=True)
class DiskUsage:
    """Bytes a directory occupies, and the part only it holds (freed when it is deleted)."""

    total: int
    own: int


def disk_usage(path: Path) -> DiskUsage:
    """Allocated bytes under `path`, each file once; hard links shared elsewhere are not own."""
    # (device, inode) → [allocated bytes, links it has, links found under `path`]
    inodes: dict[tuple[int, int], list[int]] = {}
    stack = [path]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                stat = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            is_dir = entry.is_dir(follow_symlinks=False)
            if is_dir:
                stack.append(Path(entry.path))
            key = (stat.st_dev, stat.st_ino)
            if key in inodes:
                inodes[key][2] += 1
            else:
                # A directory's link count is its subdirectories': it is this tree's own.
                inodes[key] = [stat.st_blocks * BLOCK_BYTES, 1 if is_dir else stat.st_nlink, 1]
    total = sum(size for size, _, _ in inodes.values())
    # uv links files from its wheel cache: deleting the venv leaves those blocks in place.
    own = sum(size for size, links, found in inodes.values() if found >= links)
    return DiskUsage(total, own)


def _mb(size: int) -> str:
    return f"{size / MB:,.0f}"


def _when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else "-"


def _marker_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


@cache_app.command("list")
def list_cache() -> None:
    """Show each cached LiteLLM venv and Claude Code install, with sizes and totals."""
    from rich.table import Table

    from compat import claude_install
    from compat.proxy import venv

    table = Table(title="LiteLLM venvs", show_edge=False, pad_edge=False)
    for column in ("version", "MB", "installed at", "last used", "constrained by"):
        table.add_column(column, justify="right" if column == "MB" else "left")
    total = DiskUsage(0, 0)
    venvs = venv.cached_venvs()
    for cached in venvs:
        usage = disk_usage(cached.path)
        total = DiskUsage(total.total + usage.total, total.own + usage.own)
        marker = cached.marker
        table.add_row(
            cached.version,
            _mb(usage.total),
            _when(_marker_time(marker.installed_at)) if marker else "incomplete",
            _when(cached.last_used) if marker else "-",
            (marker.constraint or "-") if marker else "-",
        )
    out.print(table)
    out.print(
        f"{len(venvs)} LiteLLM venv(s) in {venv.cache_root()}: {_mb(total.total)} MB, of which "
        f"{_mb(total.own)} MB is theirs alone (the rest is shared with uv's cache)"
    )

    claude = Table(title="Claude Code installs", show_edge=False, pad_edge=False)
    claude.add_column("version")
    claude.add_column("MB", justify="right")
    claude_total = 0
    root = claude_install.cache_root()
    versions = claude_install.installed_versions()
    for version in versions:
        size = disk_usage(root / version).total
        claude_total += size
        claude.add_row(version, _mb(size))
    out.print(claude)
    out.print(f"{len(versions)} Claude Code install(s) in {root}: {_mb(claude_total)} MB")


def _keep(text: str) -> int:
    from compat.errors import InputError

    if not text.strip().isdigit():
        raise InputError(
            f"--keep: expected a whole number of venvs to keep (0 or more), got {text!r}"
        )
    return int(text)


@cache_app.command("prune")
def prune_cache(
    keep: Annotated[
        str,
        typer.Option("--keep", help="How many of the most recently used LiteLLM venvs to keep."),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only say what would be removed.")
    ] = False,
) -> None:
    """Remove all but the N most recently used LiteLLM venvs (never one being installed)."""
    from compat.proxy import venv

    plan = venv.prune_plan(_keep(keep))
    freed = 0
    removed = 0
    for cached in plan:
        usage = disk_usage(cached.path)
        state = "" if cached.marker else " (incomplete)"
        if dry_run:
            out.print(f"would remove LiteLLM {cached.version}{state}: {_mb(usage.own)} MB")
        elif venv.remove_venv(cached.version):
            out.print(f"removed LiteLLM {cached.version}{state}: {_mb(usage.own)} MB")
        else:
            err.print(f"kept LiteLLM {cached.version}: it is being installed right now")
            continue
        freed += usage.own
        removed += 1
    verb = "would free" if dry_run else "freed"
    out.print(
        f"{removed} venv(s) {'to remove' if dry_run else 'removed'}; {verb} {_mb(freed)} MB "
        "(files shared with uv's cache stay there)"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(cache_app)
