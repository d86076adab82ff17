"""`compat history`: the selected cells at each release, installs overlapping runs.

Installs run on a small thread pool ahead of the runs (uv shares one wheel cache between
them); each release's job runs in a child process (`history/worker.py`), `jobs` at a time.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from compat.errors import CompatError
from compat.files import write_atomic
from compat.history.assemble import (
    HISTORY_NAME,
    TIMELINE_NAME,
    cell_rows,
    history_file,
    relative,
    release_dir,
    status_counts,
)
from compat.history.model import Axis, HistoryFile, ReleaseColumn
from compat.history.worker import ReleaseDone, ReleaseJob, run_release, worker_init
from compat.known_issues import KnownIssues
from compat.matrix import canonical_json
from compat.outcome import ResultsFile
from compat.paths import JOURNAL_NAME, MATRIX_NAME, PAGE_NAME, RESULTS_NAME
from compat.proxy.lifecycle import ProxySettings
from compat.run.cells import Cell
from compat.run.job import stop_status
from compat.run.scheduler import SchedulerSettings, default_concurrency

INSTALLS_AT_ONCE = 2
POLL_S = 0.5
STOP_GRACE_S = 60.0


@dataclass(frozen=True)
class PlannedRelease:
    """A release the history covers; `refused` names the advisory when compat won't run it."""

    release: str
    uploaded_at: str | None = None
    refused: str | None = None


@dataclass
class HistoryRequest:
    axis: Axis
    releases: list[PlannedRelease]
    litellm: str | None
    """LiteLLM held fixed (axis `claude_code`); None on the LiteLLM axis."""
    claude_code: str | None
    """Claude Code's version held fixed (axis `litellm`); None on the Claude Code axis."""
    claude: Path | None
    """The claude binary held fixed (axis `litellm`)."""
    manifest_path: Path
    cells: list[Cell]
    out_dir: Path
    proxy: ProxySettings
    scheduler: SchedulerSettings
    jobs: int = 1
    resume: bool = False
    known_issues_path: Path | None = None
    upstream: str = "emulated"


@dataclass
class HistoryEvents:
    """What a history reports as it goes; the command renders it."""

    on_state: Callable[[str, str], None] = lambda _release, _what: None
    """A release changed state: installing, installed, running, done (with its counts)."""
    on_progress: Callable[[str, int, int], None] = lambda _release, _done, _total: None
    """Cells finished so far at one release, of its total."""


@dataclass
class HistoryReport:
    history: HistoryFile
    history_path: Path
    timeline_path: Path
    interrupted: bool = False
    stop_code: int = 0
    done: dict[str, ReleaseDone] = field(default_factory=dict)


@dataclass(frozen=True)
class Installed:
    release: str
    claude: Path | None = None
    state: str = "installed"
    reason: str | None = None


def _install(request: HistoryRequest, planned: PlannedRelease) -> Installed:
    """Install one release of the axis; a failure is a column that says why, never a crash."""
    from compat.proxy.venv import RefusedRelease, ensure_litellm

    try:
        if request.axis == "litellm":
            ensure_litellm(planned.release)
            return Installed(planned.release, claude=request.claude)
        from compat.claude_install import install_claude_code

        return Installed(planned.release, claude=install_claude_code(planned.release))
    except RefusedRelease as exc:
        return Installed(planned.release, state="refused", reason=str(exc))
    except CompatError as exc:
        reason = getattr(exc, "reason", None) or str(exc)
        return Installed(planned.release, state="install_failed", reason=reason)


def _finished(request: HistoryRequest, release: str) -> ReleaseDone | None:
    """A release a `--resume` need not run again: every selected cell already has a result."""
    if not request.resume:
        return None
    target = release_dir(request.out_dir, release)
    path = target / RESULTS_NAME
    try:
        results = ResultsFile.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    from compat.run.scheduler import failed_by_dead_proxy

    have = {r.key for r in results.results if not failed_by_dead_proxy(r)}
    if not {c.key for c in request.cells} <= have:
        return None
    counts = status_counts(results.results)
    page = target / PAGE_NAME
    return ReleaseDone(
        release,
        "ran",
        counts=counts,
        results=path,
        matrix=target / MATRIX_NAME,
        page=page if page.exists() else None,
    )


def _job(request: HistoryRequest, installed: Installed, concurrency: int) -> ReleaseJob:
    litellm = installed.release if request.axis == "litellm" else request.litellm
    assert litellm is not None and installed.claude is not None
    return ReleaseJob(
        release=installed.release,
        manifest_path=request.manifest_path,
        cells=request.cells,
        out_dir=release_dir(request.out_dir, installed.release),
        proxy=request.proxy.model_copy(update={"litellm_version": litellm}),
        scheduler=dataclasses.replace(request.scheduler, concurrency=concurrency),
        claude=installed.claude,
        known_issues=request.known_issues_path,
        timeline_href=f"../../{TIMELINE_NAME}",
        resume=request.resume,
    )


def _journal_lines(path: Path) -> int:
    try:
        with path.open("rb") as handle:
            return sum(1 for line in handle if line.strip())
    except OSError:
        return 0


def _children(pool: ProcessPoolExecutor) -> list[multiprocessing.process.BaseProcess]:
    # The executor keeps no public handle on its processes; they must be signalled directly
    # because a stop must reach a release mid-run, not only between tasks.
    return list(getattr(pool, "_processes", {}).values())


def _signal_children(pool: ProcessPoolExecutor, signum: signal.Signals) -> None:
    for process in _children(pool):
        if process.pid is not None and process.is_alive():
            with contextlib.suppress(ProcessLookupError, OSError):
                os.kill(process.pid, signum)


def run_history(request: HistoryRequest, events: HistoryEvents | None = None) -> HistoryReport:
    """Install and run every planned release; write history.json and the timeline."""
    events = events or HistoryEvents()
    request.out_dir.mkdir(parents=True, exist_ok=True)
    jobs = max(1, min(request.jobs, len(request.releases) or 1))
    concurrency = max(1, request.scheduler.concurrency // jobs)
    done: dict[str, ReleaseDone] = {}
    for planned in request.releases:
        if planned.refused:
            done[planned.release] = ReleaseDone(planned.release, "refused", planned.refused)
        elif (finished := _finished(request, planned.release)) is not None:
            done[planned.release] = finished
            events.on_state(planned.release, "already ran (--resume)")
    todo = [p for p in request.releases if p.release not in done]
    stop_code = 0
    running: dict[str, Future[ReleaseDone]] = {}
    pending: dict[str, Future[Installed]] = {}
    context = multiprocessing.get_context("spawn")
    installs = ThreadPoolExecutor(max_workers=INSTALLS_AT_ONCE, thread_name_prefix="install")
    pool = ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=worker_init, initargs=(os.getpid(),)
    )
    try:
        pending.update({p.release: installs.submit(_install, request, p) for p in todo})
        for planned in todo:
            events.on_state(planned.release, "installing")
        # Releases start in order, each as soon as it is installed; later installs go on.
        for planned in todo:
            installed = _wait(pending[planned.release], running, request, events)
            if installed.state != "installed":
                done[planned.release] = ReleaseDone(
                    planned.release,
                    installed.state,  # type: ignore[arg-type]
                    installed.reason,
                )
                events.on_state(planned.release, installed.state)
                continue
            events.on_state(planned.release, "queued")
            running[planned.release] = pool.submit(
                run_release, _job(request, installed, concurrency)
            )
        while running:
            _poll(running, request, events, done)
    except (KeyboardInterrupt, SystemExit) as exc:
        stop_code = stop_status(exc)
        for future in pending.values():
            future.cancel()
        # Each running release stops its cells and writes what finished, as `compat run`
        # does on SIGTERM; a child that has not answered within the grace is killed.
        _signal_children(pool, signal.SIGTERM)
        for release, future in running.items():
            done[release] = _collect(release, future, interrupted=True)
        _signal_children(pool, signal.SIGKILL)
    finally:
        installs.shutdown(wait=False, cancel_futures=True)
        pool.shutdown(wait=True, cancel_futures=True)
    history = _history(request, done)
    history_path = request.out_dir / HISTORY_NAME
    write_atomic(history_path, canonical_json(history))
    timeline_path = _write_timeline(history, request)
    return HistoryReport(
        history,
        history_path,
        timeline_path,
        interrupted=stop_code != 0,
        stop_code=stop_code,
        done=done,
    )


def _wait(
    install: Future[Installed],
    running: dict[str, Future[ReleaseDone]],
    request: HistoryRequest,
    events: HistoryEvents,
) -> Installed:
    """Wait for one install while reporting the runs already going."""
    while True:
        try:
            return install.result(timeout=POLL_S)
        except TimeoutError:
            _report(running, request, events)


def _report(
    running: dict[str, Future[ReleaseDone]], request: HistoryRequest, events: HistoryEvents
) -> None:
    for release in running:
        journal = release_dir(request.out_dir, release) / JOURNAL_NAME
        events.on_progress(release, _journal_lines(journal), len(request.cells))


def _poll(
    running: dict[str, Future[ReleaseDone]],
    request: HistoryRequest,
    events: HistoryEvents,
    done: dict[str, ReleaseDone],
) -> None:
    _report(running, request, events)
    for release, future in list(running.items()):
        if future.done():
            done[release] = _collect(release, future)
            del running[release]
            events.on_state(release, _summary(done[release]))
    if running:
        time.sleep(POLL_S)


def _collect(
    release: str, future: Future[ReleaseDone], *, interrupted: bool = False
) -> ReleaseDone:
    try:
        return future.result(timeout=STOP_GRACE_S if interrupted else None)
    except BrokenProcessPool:
        return ReleaseDone(release, "interrupted", "its process ended before the release finished")
    except (Exception, SystemExit) as exc:  # a child's crash is its column's story, not ours
        state = "interrupted" if interrupted else "boot_failed"
        return ReleaseDone(release, state, f"{type(exc).__name__}: {exc}")  # type: ignore[arg-type]


def _summary(done: ReleaseDone) -> str:
    if done.state != "ran":
        return f"{done.state}: {done.reason}" if done.reason else done.state
    return ", ".join(f"{n} {status}" for status, n in sorted(done.counts.items()))


def _history(request: HistoryRequest, done: dict[str, ReleaseDone]) -> HistoryFile:
    root = request.out_dir
    columns = []
    results: dict[str, list[ResultsFile]] = {}
    for planned in request.releases:
        finished = done.get(planned.release) or ReleaseDone(
            planned.release, "interrupted", "the history stopped before this release ran"
        )
        if finished.results is not None and finished.results.exists():
            results[planned.release] = [
                ResultsFile.model_validate_json(finished.results.read_text(encoding="utf-8"))
            ]
        litellm = planned.release if request.axis == "litellm" else request.litellm
        claude_code = planned.release if request.axis == "claude_code" else request.claude_code
        columns.append(
            ReleaseColumn(
                release=planned.release,
                state=finished.state,
                reason=finished.reason,
                uploaded_at=planned.uploaded_at,
                litellm=litellm or "",
                claude_code=claude_code or "",
                matrix=relative(finished.matrix, root),
                page=relative(finished.page, root),
                results=relative(finished.results, root),
                counts=finished.counts,
            )
        )
    fixed = (
        {"claude_code": request.claude_code or ""}
        if request.axis == "litellm"
        else {"litellm": request.litellm or ""}
    )
    return history_file(
        axis=request.axis,
        upstream=request.upstream,
        fixed=fixed,
        columns=columns,
        cells=cell_rows([c.key for c in request.cells], results),
    )


def _write_timeline(history: HistoryFile, request: HistoryRequest) -> Path:
    from compat.known_issues import load_known_issues
    from compat.manifest import load_manifest
    from compat.render.timeline import write_timeline

    known: KnownIssues | None = None
    if request.known_issues_path is not None:
        known = load_known_issues(request.known_issues_path, load_manifest(request.manifest_path))
    return write_timeline(history, request.out_dir / TIMELINE_NAME, known_issues=known)


def default_jobs() -> int:
    """Two releases at once on a machine with cores to spare, else one."""
    return 2 if (os.cpu_count() or 1) >= 2 and default_concurrency() >= 4 else 1
