"""The one writer of a matrix and its page, for `run --build`, `publish` and `build`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from compat.files import write_atomic
from compat.known_issues import KnownIssues, load_known_issues
from compat.manifest import Manifest
from compat.matrix import Matrix, canonical_json
from compat.outcome import ResultsFile
from compat.paths import known_issues_beside
from compat.render import write_page


@dataclass(frozen=True)
class WrittenOutputs:
    matrix_path: Path
    page_path: Path | None
    """None when no page was asked for."""


def page_known_issues(
    path: Path | None, manifest_path: Path, manifest: Manifest
) -> KnownIssues | None:
    """The known issues a page shows: `path`, else the file beside the manifest if it exists."""
    if path is None:
        path = known_issues_beside(manifest_path)
        if not path.is_file():
            return None
    return load_known_issues(path, manifest)


def write_outputs(
    matrix: Matrix,
    matrix_path: Path,
    *,
    results: list[ResultsFile] | None = None,
    known_issues: KnownIssues | None = None,
    page: bool = True,
    timeline_href: str | None = None,
) -> WrittenOutputs:
    """The matrix at `matrix_path` and, with `page`, its index.html in the same directory."""
    write_atomic(matrix_path, canonical_json(matrix))
    page_path = None
    if page:
        page_path = write_page(
            matrix,
            matrix_path.parent,
            results=results,
            known_issues=known_issues,
            timeline_href=timeline_href,
        )
    return WrittenOutputs(matrix_path, page_path)
