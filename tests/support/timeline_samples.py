"""Histories for the timeline tests: eight releases of LiteLLM with real pages, and a big one."""

from __future__ import annotations

from pathlib import Path

from compat.history.model import CellHistory, CellPoint, HistoryFile, ReleaseColumn
from compat.known_issues import KnownIssues
from compat.manifest import load_manifest
from compat.matrix import LoadedResults, build_matrix
from compat.outcome import Fail, NotApplicable, Pass
from compat.render import write_page
from support.render_samples import (
    REPO_ROOT,
    converse_issue,
    issue,
    known_issues_of,
    sample_results,
)

CLAUDE_CODE = "2.1.329"
INSTALL_REASON = (
    "pip: ERROR: Could not find a version that satisfies the requirement litellm==1.81.0 "
    "(from versions: 1.80.5, 1.81.3)"
)
REFUSED_REASON = "GHSA-xxxx-yyyy-zzzz: litellm 1.82.0 was yanked from PyPI (malicious upload)"
RELEASES: list[tuple[str, str, str | None]] = [
    ("1.80.0", "ran", None),
    ("1.80.5", "ran", None),
    ("1.81.0", "install_failed", INSTALL_REASON),
    ("1.81.3", "ran", None),
    ("1.82.0", "refused", REFUSED_REASON),
    ("1.82.4", "ran", None),
    ("1.83.0", "ran", None),
    ("1.83.2", "ran", None),
]
RAN = [r for r, state, _ in RELEASES if state == "ran"]
CONVERSE_ERROR = "upstream 400 ValidationException: Invalid `signature` in `thinking` block"
TOOL_ERROR = "proxy returned 500: tool_use block lost its input on the way back"
STREAM_ERROR = "expected >= 2 text stream events, saw 1 (the proxy buffered the stream)"
# Per ran release (RAN order): P pass, F fail, N n/a, - no outcome (not selected then).
CELLS: list[tuple[str, str, str, str, str | None]] = [
    ("thinking_with_tool_use", "bedrock_converse", "opus-4-7", "FFFPPP", CONVERSE_ERROR),
    ("thinking_with_tool_use", "bedrock_converse", "sonnet-4-6", "FFFPPP", CONVERSE_ERROR),
    ("thinking_with_tool_use", "anthropic", "opus-4-7", "PPPPPP", None),
    ("tool_use", "anthropic", "haiku-4-5", "PPPPFF", TOOL_ERROR),
    ("tool_use", "vertex_ai", "haiku-4-5", "PPPPPP", None),
    ("web_search", "bedrock_invoke", "haiku-4-5", "NNNNNN", None),
    ("count_tokens", "vertex_ai", "opus-4-7", "-PPPPP", None),
    ("basic_messaging_streaming", "bedrock_invoke", "haiku-4-5", "FFFFFF", STREAM_ERROR),
]
CONVERSE_FLIP = ("thinking_with_tool_use", "bedrock_converse", "opus-4-7")
TOOL_FLIP = ("tool_use", "anthropic", "haiku-4-5")
WEB_SEARCH_NA = "Amazon Bedrock does not offer Anthropic's server-side web search tool."


def _point(code: str, error: str | None) -> CellPoint | None:
    return {
        "P": CellPoint(status="pass"),
        "F": CellPoint(status="fail", error=error),
        "N": CellPoint(status="not_applicable"),
        "-": None,
    }[code]


def sample_cells() -> list[CellHistory]:
    cells = []
    for feature, provider, tier, codes, error in CELLS:
        outcomes = {}
        for release, code in zip(RAN, codes, strict=True):
            point = _point(code, error)
            if point is not None:
                outcomes[release] = point
        cells.append(CellHistory(feature=feature, provider=provider, tier=tier, outcomes=outcomes))
    return cells


def _counts(cells: list[CellHistory], release: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for cell in cells:
        if release in cell.outcomes:
            status = cell.outcomes[release].status
            counts[status] = counts.get(status, 0) + 1
    return counts


def sample_history(
    *,
    upstream: str = "emulated",
    install_reason: str = INSTALL_REASON,
    refused_reason: str = REFUSED_REASON,
    links: bool = True,
) -> HistoryFile:
    """Eight LiteLLM releases with Claude Code fixed; one install failed, one refused."""
    cells = sample_cells()
    reasons = {"install_failed": install_reason, "refused": refused_reason}
    columns = []
    for day, (release, state, _) in enumerate(RELEASES, start=1):
        ran = state == "ran"
        base = f"releases/{release}"
        columns.append(
            ReleaseColumn(
                release=release,
                state=state,
                reason=None if ran else reasons[state],
                uploaded_at=f"2026-01-{day:02d}T12:00:00Z",
                litellm=release,
                claude_code=CLAUDE_CODE,
                matrix=f"{base}/compatibility-matrix.json" if ran and links else None,
                page=f"{base}/index.html" if ran and links else None,
                results=f"{base}/compat-results.json" if ran and links else None,
                counts=_counts(cells, release) if ran else {},
            )
        )
    return HistoryFile(
        axis="litellm",
        upstream=upstream,
        generated_at="2026-02-01T09:30:00Z",
        fixed={"claude_code": CLAUDE_CODE},
        columns=columns,
        cells=cells,
    )


def write_release_pages(history: HistoryFile, root: Path, timeline_href: str) -> None:
    """Each ran release's results and page, with the history's outcomes in them, under `root`."""
    manifest = load_manifest(REPO_ROOT / "manifest.yaml")
    for column in history.columns:
        if column.state != "ran":
            continue
        results = sample_results()
        results.versions.litellm = column.release
        points = {c.key: c.outcomes.get(column.release) for c in history.cells}
        kept = []
        for result in results.results:
            if result.key in points:
                point = points[result.key]
                if point is None:
                    continue
                result.outcome = {
                    "pass": Pass(),
                    "fail": Fail(error=point.error or "failed"),
                    "not_applicable": NotApplicable(reason=WEB_SEARCH_NA),
                }[point.status]
            kept.append(result)
        results.results = kept
        assert column.page and column.results
        results_path = root / column.results
        results_path.parent.mkdir(parents=True, exist_ok=True)
        results_path.write_text(results.model_dump_json(indent=2), encoding="utf-8")
        matrix = build_matrix(
            manifest, [LoadedResults(results_path, results)], generated_at=history.generated_at
        )
        write_page(
            matrix, (root / column.page).parent, results=[results], timeline_href=timeline_href
        )


def sample_timeline_issues(tmp_path: Path) -> KnownIssues:
    """One issue the history shows fixed, one it shows still failing, one it does not touch."""
    return known_issues_of(
        tmp_path,
        [
            converse_issue(),
            issue(
                "streaming-buffered",
                [{"feature": "basic_messaging_streaming", "provider": "bedrock_invoke"}],
            ),
            issue("pdf-on-azure", [{"feature": "pdf_input", "provider": "azure"}]),
        ],
    )


def big_history(releases: int = 40, cells: int = 150) -> HistoryFile:
    """`releases` columns by `cells` rows, every seventh column not run, flips here and there."""
    columns = []
    for index in range(releases):
        state = "ran" if index % 7 != 3 else "install_failed"
        columns.append(
            ReleaseColumn(
                release=f"1.{70 + index}.0",
                state=state,
                reason=None if state == "ran" else f"no wheel for 1.{70 + index}.0",
                litellm=f"1.{70 + index}.0",
                claude_code=CLAUDE_CODE,
                page=f"releases/1.{70 + index}.0/index.html" if state == "ran" else None,
                results=f"releases/1.{70 + index}.0/compat-results.json"
                if state == "ran"
                else None,
            )
        )
    rows = []
    for index in range(cells):
        outcomes = {}
        for column_index, column in enumerate(columns):
            if column.state != "ran":
                continue
            # Each row breaks for a stretch of releases that depends on the row.
            broken = (column_index + index) % 17 < 3
            outcomes[column.release] = (
                CellPoint(status="fail", error=f"row {index} broke at {column.release}")
                if broken
                else CellPoint(status="pass")
            )
        rows.append(
            CellHistory(
                feature=f"feature_{index // 10}",
                provider=f"provider_{index % 5}",
                tier=f"tier-{index % 2}",
                outcomes=outcomes,
            )
        )
    return HistoryFile(
        axis="litellm",
        upstream="emulated",
        generated_at="2026-02-01T09:30:00Z",
        fixed={"claude_code": CLAUDE_CODE},
        columns=columns,
        cells=rows,
    )
