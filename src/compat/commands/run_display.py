"""What `compat run` shows: progress while cells run, then the matrix and the paths written."""

from __future__ import annotations

import time
from pathlib import Path

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
from compat.job import JobReport, JobRequest, failed_by_dead_proxy, run_job
from compat.matrix import LoadedResults, Matrix, build_matrix, canonical_json
from compat.outcome import ResultsFile, TierResult
from compat.runner import RunCounts

KNOWN_ISSUES = Path("known_issues.yaml")

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
    for row in matrix.features:
        if features is not None and row.id not in features:
            continue
        cells = []
        for provider in columns:
            glyph, style = GLYPHS[row.providers[provider].status]
            cells.append(Text(glyph, style=style))
        table.add_row(row.name, *cells)
    return table


def _failures(results: list[TierResult]) -> list[str]:
    return [
        f"{r.feature_id} / {r.provider} / {r.tier}: {r.outcome.error}"
        for r in results
        if r.outcome.status == "fail"
    ]


def execute(request: JobRequest, *, build: bool, fail_on: str) -> int:
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
        report = run_job(request, on_start=on_start, on_result=on_result, boot_progress=on_boot)
    finally:
        booting.stop()
        progress.stop()
    return _finish(request, report, started=started, build=build, fail_on=fail_on)


def _finish(
    request: JobRequest, report: JobReport, *, started: float, build: bool, fail_on: str
) -> int:
    from compat.files import write_atomic

    results_file = ResultsFile.model_validate_json(report.results_path.read_text("utf-8"))
    matrix = build_matrix(request.manifest, [LoadedResults(report.results_path, results_file)])
    out.print(
        matrix_table(
            matrix,
            features={c.feature_id for c in request.cells},
            providers={c.provider for c in request.cells},
        )
    )
    failures = _failures(report.results)
    elapsed = time.monotonic() - started
    err.print(
        f"{len(report.results)} of {len(request.cells)} cells recorded in {elapsed:.0f} s "
        f"({len(failures)} failed); claude {report.versions.claude_code}, "
        f"LiteLLM {report.versions.litellm}, {report.upstream} upstream"
    )
    out.print(f"results: {report.results_path}")
    out.print(f"journal: {report.journal_path}")
    if build:
        matrix_path = request.out_dir / "compatibility-matrix.json"
        write_atomic(matrix_path, canonical_json(matrix))
        out.print(f"matrix:  {matrix_path}")
        out.print(f"page:    {_write_page(matrix, request, results_file)}")
    if report.interrupted:
        err.print("interrupted: finished cells are saved; `--resume` runs the rest")
        return report.stop_code
    lost = [r for r in report.results if failed_by_dead_proxy(r)]
    if lost:
        err.print(
            f"the proxy died during the run: {len(lost)} cell(s) could not be judged; "
            "`--resume` runs them again"
        )
        return 1
    if fail_on == "fail" and failures:
        return 1
    return 0


def _write_page(matrix: Matrix, request: JobRequest, results: ResultsFile) -> Path:
    from compat.known_issues import load_known_issues
    from compat.render import write_page

    # known_issues.yaml sits next to the manifest; the page shows it when it exists.
    path = KNOWN_ISSUES
    issues = load_known_issues(path, request.manifest) if path.is_file() else None
    return write_page(matrix, request.out_dir, results=[results], known_issues=issues)
