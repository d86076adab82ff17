"""The self-contained HTML page: inline CSS, one small inline script, no network at view time."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path

import jinja2
from markupsafe import Markup

from compat.files import write_atomic
from compat.known_issues import KnownIssue, KnownIssues, ready_to_remove
from compat.manifest import Manifest
from compat.matrix import Matrix, MatrixRow
from compat.outcome import Evidence, ResultsFile, TierResult
from compat.paths import PAGE_NAME
from compat.render.view import (
    EMULATED_HEADLINE,
    EMULATED_NOTE,
    STATUS_STYLES,
    StatusStyle,
    cell_text,
    clip,
    format_duration,
    format_usage,
    index_results,
    status_counts,
)

TIER_TEXT_LIMIT = 4000
BODY_EXCERPT_LIMIT = 2000
TRANSCRIPT_LIMIT = 2000


@dataclass(frozen=True)
class CellView:
    """One table cell: its look, its hover/focus text, and where its drill-down lives."""

    feature: str
    provider: str
    style: StatusStyle
    text: str
    tip_id: str
    anchor: str | None
    issues: list[KnownIssue]

    @property
    def where(self) -> str:
        return f"{self.feature} · {self.provider}"


@dataclass(frozen=True)
class RowView:
    name: str
    cells: list[CellView]
    guide: str | None = None
    """A contract check's guide section (URL with anchor)."""
    quote: str | None = None
    """The guide's sentence a contract check enforces."""


@dataclass(frozen=True)
class ContractView:
    """The gateway-contract table: the guide, the tier the checks ran on, its routes and rows."""

    guide: str
    tier: str
    columns: list[str]
    rows: list[RowView]


@dataclass(frozen=True)
class RequestView:
    """One upstream request the emulator (or recorder) saw for a tier."""

    line: str
    summary: str | None
    body: str | None


@dataclass(frozen=True)
class TierView:
    tier: str
    style: StatusStyle
    text: str | None
    duration: str
    facts: str
    warnings: list[str]
    requests: list[RequestView]
    transcript: str | None


@dataclass(frozen=True)
class EvidenceView:
    """The drill-down of one cell: every tier's result and what went upstream."""

    anchor: str
    cell: CellView
    headline: str
    tiers: list[TierView]


@dataclass(frozen=True)
class FeatureEvidence:
    """A feature's drill-downs, with the whole row for the group's summary."""

    row: RowView
    cells: list[EvidenceView]
    failed: bool


@dataclass(frozen=True)
class AffectedCellView:
    label: str
    style: StatusStyle | None


@dataclass(frozen=True)
class IssueView:
    issue: KnownIssue
    cells: list[AffectedCellView]
    ready: bool


def _anchor(feature_id: str, provider_id: str) -> str:
    return f"cell-{feature_id}--{provider_id}"


def _tier_facts(evidence: Evidence) -> str:
    """One line: usage, attempts, exit code and how many upstream requests were recorded."""
    facts = [f"usage: {format_usage(evidence.usage)}"]
    if evidence.attempts is not None:
        facts.append(f"attempts: {evidence.attempts}")
    if evidence.exit_code is not None:
        facts.append(f"exit code: {evidence.exit_code}")
    count = len(evidence.upstream_requests)
    facts.append(
        f"{count} upstream request{'s' if count != 1 else ''} recorded"
        if count
        else "no upstream request recorded"
    )
    return " · ".join(facts)


def _tier_view(result: TierResult) -> TierView:
    outcome = result.outcome
    evidence = result.evidence
    return TierView(
        tier=result.tier,
        style=STATUS_STYLES[outcome.status],
        text=clip(cell_text(outcome), TIER_TEXT_LIMIT) if outcome.status != "pass" else None,
        duration=format_duration(result.duration_ms),
        facts=_tier_facts(evidence),
        warnings=list(evidence.warnings),
        requests=[
            RequestView(
                line=f"{r.provider}: {r.method} {r.path}"
                + (f" → {r.status}" if r.status is not None else ""),
                summary=r.summary,
                body=clip(r.body_excerpt, BODY_EXCERPT_LIMIT) if r.body_excerpt else None,
            )
            for r in evidence.upstream_requests
        ],
        transcript=(
            clip(evidence.transcript_excerpt, TRANSCRIPT_LIMIT)
            if evidence.transcript_excerpt
            else None
        ),
    )


def _headline(tiers: list[TierView]) -> str:
    failed = sum(t.style.status == "fail" for t in tiers)
    if failed:
        return f"{failed} of {len(tiers)} tiers failed"
    return f"{len(tiers)} tier{'s' if len(tiers) != 1 else ''} recorded"


def _rows(
    table: Sequence[MatrixRow],
    providers: list[str],
    names: dict[str, str],
    evidence: dict[tuple[str, str], list[TierResult]],
    known: KnownIssues | None,
    *,
    tip_prefix: str = "tip",
) -> list[RowView]:
    rows = []
    for row_index, row in enumerate(table):
        cells = []
        for column, provider in enumerate(providers):
            outcome = row.providers[provider]
            cells.append(
                CellView(
                    feature=row.name,
                    provider=names[provider],
                    style=STATUS_STYLES[outcome.status],
                    text=cell_text(outcome),
                    tip_id=f"{tip_prefix}-{row_index}-{column}",
                    anchor=_anchor(row.id, provider) if (row.id, provider) in evidence else None,
                    issues=known.for_cell(row.id, provider) if known else [],
                )
            )
        guide = getattr(row, "guide", None)
        rows.append(RowView(row.name, cells, guide=guide, quote=getattr(row, "quote", None)))
    return rows


def _evidence(
    table: Sequence[MatrixRow],
    providers: list[str],
    rows: list[RowView],
    evidence: dict[tuple[str, str], list[TierResult]],
) -> list[FeatureEvidence]:
    features = []
    for row, row_view in zip(table, rows, strict=True):
        cells = []
        for provider, cell in zip(providers, row_view.cells, strict=True):
            if cell.anchor is None:
                continue
            tiers = [_tier_view(r) for r in evidence[(row.id, provider)]]
            cells.append(EvidenceView(cell.anchor, cell, _headline(tiers), tiers))
        if cells:
            failed = any(c.cell.style.status == "fail" for c in cells)
            features.append(FeatureEvidence(row_view, cells, failed))
    return features


def _issues(matrix: Matrix, known: KnownIssues, manifest: Manifest | None) -> list[IssueView]:
    features = {row.id: row for row in matrix.features}
    views = []
    for issue in known.issues:
        cells = []
        for cell in issue.cells:
            row = features.get(cell.feature)
            outcome = row.providers.get(cell.provider) if row else None
            label = (
                f"{row.name if row else cell.feature} · "
                f"{matrix.provider_name(cell.provider, manifest)}"
            )
            if cell.tiers:
                label += f" ({', '.join(cell.tiers)})"
            cells.append(
                AffectedCellView(label, STATUS_STYLES[outcome.status] if outcome else None)
            )
        views.append(IssueView(issue, cells, ready_to_remove(issue, matrix)))
    return views


def _display_time(stamp: str) -> str:
    """`2026-01-01T00:00:00Z` → `2026-01-01 00:00 UTC`; anything unparsable shown as given."""
    try:
        parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    return parsed.strftime("%Y-%m-%d %H:%M UTC") if parsed.utcoffset() is not None else stamp


def _glyph_html(style: StatusStyle) -> Markup:
    """The glyph, hidden from screen readers (the words beside it say the same)."""
    # A word-like glyph ("n/a") is set smaller and bold so it sits with the emoji.
    css = Markup(' class="glyph-text"') if style.glyph.isascii() else ""
    return Markup('<span{} aria-hidden="true">{}</span>').format(css, style.glyph)


# Precomputed: a macro call per cell costs more than the rest of the cell on big matrices.
GLYPHS: dict[str, Markup] = {status: _glyph_html(s) for status, s in STATUS_STYLES.items()}


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("compat.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def _script(name: str = "page.js") -> tuple[Markup, str]:
    """An inline script and its CSP hash, so the page can forbid every other script."""
    text = resources.files("compat.render").joinpath(f"templates/{name}").read_text("utf-8")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return Markup(text), f"'sha256-{digest}'"


def render_html(
    matrix: Matrix,
    *,
    results: list[ResultsFile] | None = None,
    known_issues: KnownIssues | None = None,
    manifest: Manifest | None = None,
    timeline_href: str | None = None,
) -> str:
    """The page as one string; `manifest` names columns, `timeline_href` links the timeline."""
    evidence = index_results(results) if results else {}
    names = {p: matrix.provider_name(p, manifest) for p in matrix.providers}
    rows = _rows(matrix.features, matrix.providers, names, evidence, known_issues)
    table = matrix.gateway_contract
    checks = list(table.checks) if table is not None else []
    routes = matrix.contract_routes()
    contract_rows = _rows(checks, routes, names, evidence, known_issues, tip_prefix="tip-contract")
    contract = (
        ContractView(table.guide, table.tier, [names[p] for p in routes], contract_rows)
        if table is not None
        else None
    )
    failures = [
        cell for row in rows + contract_rows for cell in row.cells if cell.style.status == "fail"
    ]
    drill_downs = (
        _evidence(matrix.features, matrix.providers, rows, evidence)
        + _evidence(checks, routes, contract_rows, evidence)
        if results
        else None
    )
    script, script_hash = _script()
    return (
        _environment()
        .get_template("page.html.j2")
        .render(
            matrix=matrix,
            generated=_display_time(matrix.generated_at),
            emulated_headline=EMULATED_HEADLINE,
            emulated_note=EMULATED_NOTE,
            columns=list(names.values()),
            counts=status_counts(matrix),
            styles=STATUS_STYLES,
            glyph=GLYPHS,
            rows=rows,
            contract=contract,
            failures=failures,
            evidence=drill_downs,
            issues=_issues(matrix, known_issues, manifest) if known_issues is not None else None,
            timeline_href=timeline_href,
            script=script,
            script_hash=script_hash,
        )
    )


def write_page(
    matrix: Matrix,
    out_dir: Path,
    *,
    results: list[ResultsFile] | None = None,
    known_issues: KnownIssues | None = None,
    manifest: Manifest | None = None,
    timeline_href: str | None = None,
) -> Path:
    """Write `out_dir/index.html` atomically and return its path."""
    target = out_dir / PAGE_NAME
    page = render_html(
        matrix,
        results=results,
        known_issues=known_issues,
        manifest=manifest,
        timeline_href=timeline_href,
    )
    write_atomic(target, page)
    return target
