"""Cells through the real scheduler against a proxy, wired as `compat run` wires them."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compat.claude_install import find_claude
from compat.manifest import Manifest
from compat.outcome import TierResult
from compat.probes.base import Probe
from compat.run.cells import Cell
from compat.run.journal import Journal
from compat.run.scheduler import ProgressCallback, ProxyUnderTest, Scheduler, SchedulerSettings

# Short backoff and two attempts: a retried cell costs seconds, not the CLI's default minute.
TEST_SETTINGS: dict[str, Any] = {"concurrency": 4, "backoff_s": 0.2, "max_attempts": 2}


@dataclass
class Scheduled:
    results: list[TierResult]
    journal: list[TierResult]
    """What the journal holds after the run."""


def schedule(
    proxy: ProxyUnderTest,
    manifest: Manifest,
    cells: list[Cell],
    journal_path: Path,
    *,
    probes: Mapping[str, Probe] | None = None,
    on_result: ProgressCallback | None = None,
    **settings: Any,
) -> Scheduled:
    """Run `cells` on `proxy` with the installed claude; `settings` override TEST_SETTINGS."""
    journal = Journal(journal_path)
    journal.open(fresh=True)
    scheduler = Scheduler(
        manifest,
        proxy,
        SchedulerSettings(**{"claude_binary": str(find_claude()), **TEST_SETTINGS, **settings}),
        journal=journal,
        on_result=on_result,
        probes=probes,
    )
    try:
        results = asyncio.run(scheduler.run(cells, []))
    finally:
        journal.close()
    return Scheduled(results=results, journal=journal.read())
