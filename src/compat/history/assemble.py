"""From each release's results to `history.json`: the columns, and every cell's row."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from compat.history.model import (
    Axis,
    CellHistory,
    CellPoint,
    HistoryFile,
    ReleaseColumn,
)
from compat.outcome import Fail, ResultsFile, TierResult
from compat.run.cells import CellKey

ERROR_LIMIT = 240
HISTORY_NAME = "history.json"
TIMELINE_NAME = "timeline.html"
RELEASES_DIR = "releases"


def release_dir(out_dir: Path, release: str) -> Path:
    """Where one release's results, matrix and page live."""
    return out_dir / RELEASES_DIR / release


def relative(path: Path | None, root: Path) -> str | None:
    """`path` as history.json names it: relative to its directory, with forward slashes."""
    if path is None:
        return None
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _point(result: object) -> CellPoint:
    outcome = result.outcome  # type: ignore[attr-defined]
    error = None
    if isinstance(outcome, Fail):
        first = outcome.error.strip().splitlines()[0] if outcome.error.strip() else ""
        error = first if len(first) <= ERROR_LIMIT else first[:ERROR_LIMIT] + "…"
    return CellPoint(status=outcome.status, error=error)


def status_counts(results: Iterable[TierResult]) -> dict[str, int]:
    """Cells per status: a column's counts."""
    return dict(Counter(result.outcome.status for result in results))


def cell_rows(
    order: Iterable[CellKey], results_by_release: dict[str, list[ResultsFile]]
) -> list[CellHistory]:
    """One row per selected cell, holding its outcome at each release that ran it."""
    points: dict[CellKey, dict[str, CellPoint]] = {key: {} for key in order}
    for release, files in results_by_release.items():
        for results in files:
            for result in results.results:
                if result.key in points:
                    points[result.key][release] = _point(result)
    return [
        CellHistory(feature=key[0], provider=key[1], tier=key[2], outcomes=outcomes)
        for key, outcomes in points.items()
    ]


def history_file(
    *,
    axis: Axis,
    upstream: str,
    fixed: dict[str, str],
    columns: list[ReleaseColumn],
    cells: list[CellHistory],
    generated_at: str | None = None,
) -> HistoryFile:
    return HistoryFile(
        axis=axis,
        upstream=upstream,  # type: ignore[arg-type]
        generated_at=generated_at or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        fixed=fixed,
        columns=columns,
        cells=cells,
    )
