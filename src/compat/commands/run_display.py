"""What `compat run` shows: progress while cells run, then the matrix and the paths written."""

from __future__ import annotations

import time

from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from compat.console import err, out
from compat.known_issues import KnownIssues
from compat.matrix import LoadedResults, Matrix, build_matrix
from compat.outcome import TierResult
from compat.paths import MATRIX_NAME
from compat.run.job import FailOn, JobEvents, JobReport, JobRequest, exit_code, run_job
from compat.run.scheduler import RunCounts

GLYPHS = {
    "pass": ("✅", "green"),
    "fail": ("❌", "red"),
    "not_applicable": ("n/a", "dim"),
    "not_tested": ("—", "yellow"),
}


def _counts_text(counts: RunCounts) -> str:
    c = counts.by_status
    return (
        f"[green]{c['pass']} pass[/] · [red]{c['fail']} fail[/] · [dim]{c['not_applicable']} n/a[/]"
    )


def matrix_table(
    matrix: Matrix, *, features: set[str] | None = None, providers: set[str] | None = None
) -> Table:
    """The matrix as a coloured table, limited to the rows and columns a run selected."""
    columns = [p for p in matrix.providers if providers is None or p in providers]
    table = Table(title=f"compat matrix ({matrix.upstream} upstream)", title_justify="left")
    table.add_column("Feature", style="bold")
    for provider in columns:
        table.add_column(matrix.provider_name(provider), justify="center")
    checks = set(matrix.gateway_contract_ids())
    for row in matrix.rows():
        if features is not None and row.id not in features:
            continue
        cells = []
        for provider in columns:
            glyph, style = GLYPHS[row.providers[provider].status]
            cells.append(Text(glyph, style=style))
        # Contract checks are named as such: they sit in the page's second table.
        name = f"{row.name} (gateway contract)" if row.id in checks else row.name
        table.add_row(name, *cells)
    return table


def execute(
    request: JobRequest, *, build: bool, fail_on: FailOn, known_issues: KnownIssues | None
) -> int:
    """Run the job with live progress; print the outcome; return the exit code."""
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]cells[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    )
    task_id = None
    booting = err.status("booting the LiteLLM proxy")

    def on_boot(detail: str) -> None:
        booting.update(f"booting the LiteLLM proxy: {escape(detail[:100])}")

    def on_start(total: int, already: int) -> None:
        nonlocal task_id
        booting.stop()
        progress.start()
        task_id = progress.add_task("", total=total, completed=already)
        if already:
            err.print(f"resuming: {already} of {total} cells already recorded")

    def on_result(result: TierResult, counts: RunCounts) -> None:
        if task_id is not None:
            progress.update(task_id, completed=counts.done, description=_counts_text(counts))
        if not err.is_terminal:
            # No live bar in CI logs or pipes: one line per finished cell instead.
            err.print(
                f"[{counts.done}/{counts.total}] {result.outcome.status:<14} "
                f"{result.feature_id} / {result.provider} / {result.tier} "
                f"({result.duration_ms / 1000:.1f} s)",
                markup=False,
                highlight=False,
            )
            return
        if result.outcome.status == "fail":
            progress.console.print(
                f"[red]✗[/] {result.feature_id} / {result.provider} / {result.tier}",
                highlight=False,
            )

    started = time.monotonic()
    if request.proxy_url is None:
        booting.start()
    try:
        report = run_job(
            request, JobEvents(on_boot=on_boot, on_start=on_start, on_result=on_result)
        )
    finally:
        booting.stop()
        progress.stop()
    show_report(request, report, started=started, build=build, known_issues=known_issues)
    return exit_code(report, fail_on=fail_on)


def show_report(
    request: JobRequest,
    report: JobReport,
    *,
    started: float,
    build: bool,
    known_issues: KnownIssues | None,
) -> None:
    """The matrix of the cells run, where everything went, and why a run stopped short."""
    results_file = report.results_file
    matrix = build_matrix(request.manifest, [LoadedResults(report.results_path, results_file)])
    out.print(
        matrix_table(
            matrix,
            features={c.feature_id for c in request.cells},
            providers={c.provider for c in request.cells},
        )
    )
    elapsed = time.monotonic() - started
    err.print(
        f"{len(report.results)} of {report.requested} cells recorded in {elapsed:.0f} s "
        f"({len(report.failures)} failed); claude {report.versions.claude_code}, "
        f"LiteLLM {report.versions.litellm}, {results_file.upstream} upstream"
    )
    out.print(f"results: {report.results_path}")
    out.print(f"journal: {report.journal_path}")
    if build:
        from compat.outputs import write_outputs  # loads the page's renderer

        written = write_outputs(
            matrix,
            request.out_dir / MATRIX_NAME,
            results=[results_file],
            known_issues=known_issues,
        )
        out.print(f"matrix:  {written.matrix_path}")
        out.print(f"page:    {written.page_path}")
    if report.interrupted:
        err.print("interrupted: finished cells are saved; `--resume` runs the rest")
    elif report.lost_to_dead_proxy:
        err.print(
            f"the proxy died during the run: {len(report.lost_to_dead_proxy)} cell(s) could "
            "not be judged; `--resume` runs them again"
        )
