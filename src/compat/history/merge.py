"""Merge histories run apart (one job per release × shard) into one history and timeline."""

from __future__ import annotations

import shutil
from pathlib import Path

from compat.errors import InputError
from compat.files import load_json, parse_model, write_atomic
from compat.history.assemble import (
    HISTORY_NAME,
    TIMELINE_NAME,
    cell_rows,
    history_file,
    relative,
    release_dir,
    status_counts,
)
from compat.history.model import HistoryFile, ReleaseColumn
from compat.known_issues import KnownIssues
from compat.manifest import Manifest
from compat.matrix import build_matrix, canonical_json, load_results
from compat.outputs import write_outputs
from compat.paths import MATRIX_NAME, RESULTS_NAME
from compat.run.cells import select_cells

# A column's state when parts disagree: a release one shard ran, ran.
STATE_RANK = {"ran": 0, "boot_failed": 1, "interrupted": 2, "install_failed": 3, "refused": 4}


def load_history(path: Path) -> HistoryFile:
    """`history.json` (or a directory holding one), validated."""
    file = path / HISTORY_NAME if path.is_dir() else path
    return parse_model(HistoryFile, load_json(file, "history file"), file, "history")


def merge_histories(
    parts: list[Path],
    out_dir: Path,
    manifest: Manifest,
    *,
    known_issues: KnownIssues | None = None,
) -> tuple[HistoryFile, Path, Path]:
    """One history of `parts`: per release, every shard's results, matrix and page."""
    files = _history_files(parts)
    histories = [(file.parent, load_history(file)) for file in files]
    first = histories[0][1]
    for part, history in histories[1:]:
        if (history.axis, history.fixed, history.upstream) != (
            first.axis,
            first.fixed,
            first.upstream,
        ):
            raise InputError(
                f"{part / HISTORY_NAME}: axis {history.axis} with {history.fixed} "
                f"({history.upstream}) does not match {histories[0][0] / HISTORY_NAME}'s "
                f"axis {first.axis} with {first.fixed} ({first.upstream})"
            )
    columns: dict[str, ReleaseColumn] = {}
    copied: dict[str, list[Path]] = {}
    for index, (part, history) in enumerate(histories):
        for column in history.columns:
            known = columns.get(column.release)
            if known is None or STATE_RANK[column.state] < STATE_RANK[known.state]:
                columns[column.release] = column
            if column.results is None:
                continue
            source = part / column.results
            if not source.is_file():
                raise InputError(f"{part / HISTORY_NAME}: {column.results} is missing")
            target = release_dir(out_dir, column.release) / f"part{index + 1}-{RESULTS_NAME}"
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.resolve() != target.resolve():
                shutil.copyfile(source, target)
            copied.setdefault(column.release, []).append(target)
    ordered = [columns[r] for r in _release_order(histories)]
    results = {}
    merged_columns = []
    for column in ordered:
        if column.release not in copied:
            merged_columns.append(column.model_copy(update={"matrix": None, "page": None}))
            continue
        loaded = load_results(copied[column.release])
        results[column.release] = [entry.file for entry in loaded]
        written = write_outputs(
            build_matrix(manifest, loaded),
            release_dir(out_dir, column.release) / MATRIX_NAME,
            results=[entry.file for entry in loaded],
            known_issues=known_issues,
            timeline_href=f"../../{TIMELINE_NAME}",
        )
        counts = status_counts(r for file in results[column.release] for r in file.results)
        merged_columns.append(
            column.model_copy(
                update={
                    "state": "ran",
                    "matrix": relative(written.matrix_path, out_dir),
                    "page": relative(written.page_path, out_dir),
                    "results": relative(copied[column.release][0], out_dir),
                    "counts": counts,
                }
            )
        )
    wanted = {(c.feature, c.provider, c.tier) for _p, h in histories for c in h.cells}
    order = [cell.key for cell in select_cells(manifest) if cell.key in wanted]
    history = history_file(
        axis=first.axis,
        upstream=first.upstream,
        fixed=first.fixed,
        columns=merged_columns,
        cells=cell_rows(order, results),
    )
    history_path = out_dir / HISTORY_NAME
    write_atomic(history_path, canonical_json(history))
    from compat.render.timeline import write_timeline

    timeline = write_timeline(history, out_dir / TIMELINE_NAME, known_issues=known_issues)
    return history, history_path, timeline


def _history_files(parts: list[Path]) -> list[Path]:
    """Each part's history.json; a directory without one stands for those anywhere below."""
    files: list[Path] = []
    for part in parts:
        if part.is_file():
            files.append(part)
        elif (part / HISTORY_NAME).is_file():
            files.append(part / HISTORY_NAME)
        elif part.is_dir():
            files += sorted(part.rglob(HISTORY_NAME))
        else:
            raise InputError(f"--merge: {part} does not exist")
    if not files:
        raise InputError(
            f"--merge: no {HISTORY_NAME} in {', '.join(str(p) for p in parts)} "
            "(expected the --out directories of `compat history` runs)"
        )
    return files


def _release_order(histories: list[tuple[Path, HistoryFile]]) -> list[str]:
    from packaging.version import Version

    releases = {c.release for _p, h in histories for c in h.columns}
    return sorted(releases, key=Version)
