"""One release of a history: its job, its matrix and its page, in a process of its own.

Each release runs in a child process so that two releases can run at once (`--jobs`): a
job owns asyncio loops and signal handlers, which only a process's main thread may hold.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass, field
from pathlib import Path

from compat.errors import CompatError
from compat.history.assemble import status_counts
from compat.history.model import ColumnState
from compat.manifest import load_manifest
from compat.matrix import build_matrix, load_results
from compat.outputs import page_known_issues, write_outputs
from compat.paths import MATRIX_NAME
from compat.proxy.lifecycle import ProxySettings
from compat.run.cells import Cell
from compat.run.job import JobRequest, run_job
from compat.run.scheduler import SchedulerSettings


@dataclass(frozen=True)
class ReleaseJob:
    """Everything a child needs to run one release; plain data, so it crosses processes."""

    release: str
    manifest_path: Path
    cells: list[Cell]
    out_dir: Path
    proxy: ProxySettings
    scheduler: SchedulerSettings
    claude: Path
    known_issues: Path | None = None
    timeline_href: str | None = None
    resume: bool = False


@dataclass
class ReleaseDone:
    """What the parent learns of a finished release."""

    release: str
    state: ColumnState
    reason: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    results: Path | None = None
    matrix: Path | None = None
    page: Path | None = None


def worker_init(parent: int) -> None:
    """Children die with the history (`parent`) and leave Ctrl-C to the history itself."""
    from compat.processes import end_with_parent
    from compat.signals import install_stop_signals

    # The parent stops its children itself (SIGTERM, then a wait): a Ctrl-C at the terminal
    # reaches the whole process group, and two stops at once would cut the results short.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    install_stop_signals()
    end_with_parent(parent, signal.SIGTERM)


def run_release(job: ReleaseJob) -> ReleaseDone:
    """Run one release's cells, then write its matrix and page beside its results."""
    manifest = load_manifest(job.manifest_path)
    request = JobRequest(
        manifest=manifest,
        cells=job.cells,
        out_dir=job.out_dir,
        scheduler=job.scheduler,
        proxy=job.proxy,
        claude=job.claude,
        resume=job.resume,
    )
    job.out_dir.mkdir(parents=True, exist_ok=True)
    try:
        report = run_job(request)
    except CompatError as exc:
        return ReleaseDone(job.release, "boot_failed", reason=str(exc))
    loaded = load_results([report.results_path])
    matrix = build_matrix(manifest, loaded)
    known = page_known_issues(job.known_issues, job.manifest_path, manifest)
    written = write_outputs(
        matrix,
        job.out_dir / MATRIX_NAME,
        results=[r.file for r in loaded],
        known_issues=known,
        timeline_href=job.timeline_href,
    )
    counts = status_counts(report.results)
    if report.interrupted:
        state: ColumnState = "interrupted"
        reason = "stopped before every cell ran"
    elif report.lost_to_dead_proxy:
        state, reason = "boot_failed", "the proxy exited while cells ran"
    else:
        state, reason = "ran", None
    return ReleaseDone(
        job.release,
        state,
        reason=reason,
        counts=counts,
        results=report.results_path,
        matrix=written.matrix_path,
        page=written.page_path,
    )
