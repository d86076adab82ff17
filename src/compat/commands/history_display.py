"""What `compat history` shows: a bar per release while it runs, then the flips it found."""

from __future__ import annotations

import time
from pathlib import Path

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from compat.console import err, out
from compat.history.model import HistoryFile
from compat.history.runner import HistoryEvents, HistoryReport, HistoryRequest, run_history


def execute(request: HistoryRequest) -> int:
    """Run the history with live progress; print the flips; return the exit code."""
    what = "LiteLLM" if request.axis == "litellm" else "Claude Code"
    err.print(
        f"{len(request.releases)} {what} releases × {len(request.cells)} cells, "
        f"{request.jobs} release(s) at once: {', '.join(p.release for p in request.releases)}",
        highlight=False,
    )
    live = err.is_terminal
    progress = Progress(
        TextColumn("{task.fields[release]:>10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        disable=not live,
    )
    tasks: dict[str, int] = {}

    def task(release: str) -> int:
        if release not in tasks:
            tasks[release] = progress.add_task("", total=len(request.cells), release=release)
        return tasks[release]

    def on_state(release: str, state: str) -> None:
        progress.update(task(release), description=escape(state[:90]))
        if not live:
            err.print(f"{release}: {state}", markup=False, highlight=False)

    last: dict[str, int] = {}

    def on_progress(release: str, done: int, total: int) -> None:
        progress.update(task(release), completed=done, description="running")
        if not live and done != last.get(release) and done and done % 10 == 0:
            err.print(f"{release}: {done}/{total} cells", markup=False, highlight=False)
        last[release] = done

    started = time.monotonic()
    with progress:
        report = run_history(request, HistoryEvents(on_state=on_state, on_progress=on_progress))
    show_report(report, time.monotonic() - started)
    return report.stop_code if report.interrupted else 0


def flip_lines(history: HistoryFile) -> list[str]:
    """One line per change of status between consecutive releases that ran the cell."""
    lines = []
    for cell in history.cells:
        for before, after in cell.flips(history.releases):
            old, new = cell.outcomes[before].status, cell.outcomes[after].status
            lines.append(
                f"{cell.feature} / {cell.provider} / {cell.tier}: {old} at {before} → "
                f"{new} at {after}"
            )
    return lines


def show_history(history: HistoryFile, headline: str, history_path: Path, timeline: Path) -> None:
    """The headline with the flip count, one line per flip, then where the two files are."""
    flips = flip_lines(history)
    err.print(
        f"{headline}; {len(flips)} flip(s) across {len(history.cells)} cells", highlight=False
    )
    for line in flips:
        err.print(f"  {line}", markup=False, highlight=False)
    out.print(f"history:  {history_path}")
    out.print(f"timeline: {timeline}")


def show_report(report: HistoryReport, elapsed: float) -> None:
    history = report.history
    for column in history.columns:
        if column.state != "ran":
            err.print(
                f"{column.release}: {column.state}: {column.reason or ''}",
                markup=False,
                highlight=False,
            )
    ran = sum(1 for c in history.columns if c.state == "ran")
    headline = f"{ran} of {len(history.columns)} releases ran in {elapsed:.0f} s"
    show_history(history, headline, report.history_path, report.timeline_path)
    if report.interrupted:
        err.print("interrupted: finished releases are saved; `--resume` runs the rest")
