"""The timeline page of `compat history`: each cell's status at every release, flips marked."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from compat.files import write_atomic
from compat.history.model import CellHistory, HistoryFile, ReleaseColumn
from compat.known_issues import KnownIssue, KnownIssues
from compat.render.html import GLYPHS, _anchor, _display_time, _environment, _script
from compat.render.view import (
    EMULATED_HEADLINE,
    EMULATED_NOTE,
    STATUS_ORDER,
    STATUS_STYLES,
    StatusStyle,
    clip,
)

TIP_ERROR_LIMIT = 300
OPEN_FLIPS = 25
"""Up to this many flips the list starts open; a longer one waits to be asked for."""
TOOL_NAMES = {"litellm": "LiteLLM", "claude_code": "Claude Code"}
STATE_LABELS = {
    "ran": "ran",
    "install_failed": "install failed",
    "refused": "refused",
    "boot_failed": "did not start",
    "interrupted": "interrupted",
}
# What a square's status means for one tier at one release (the matrix's words are per cell).
POINT_TEXT = {
    "pass": "this tier passed",
    "fail": "this tier failed (no error recorded)",
    "not_applicable": "not applicable to this provider or model",
    "not_tested": "no test ran for this tier",
}
# Higher reads as better: which way a flip's arrow points (fail → anything is up).
RANK = {"fail": 0, "not_tested": 1, "not_applicable": 2, "pass": 3}
ARROWS = {"up": "▲", "down": "▼"}
# A URL scheme, or a Windows drive: history.json paths are relative, anything else is no link.
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")

Direction = Literal["up", "down"]
SquareKind = Literal["point", "flip", "absent", "skip"]
"""`absent`: the release ran without this cell; `skip`: the release did not run."""


@dataclass(frozen=True)
class ColumnView:
    """One release's header: its name, date, state and what its tooltip and footnote say."""

    column: ReleaseColumn
    tip_id: str
    date: str | None
    uploaded: str | None
    state_label: str
    note: int | None
    page_href: str | None
    counts: str

    @property
    def ran(self) -> bool:
        return self.column.state == "ran"


@dataclass(frozen=True)
class SquareView:
    """One cell at one release: its status, and for a flip what it was and where to look."""

    kind: SquareKind
    column: int
    style: StatusStyle | None = None
    id: str = ""
    release: str = ""
    label: str = ""
    text: str = ""
    previous: str | None = None
    previous_style: StatusStyle | None = None
    direction: Direction | None = None
    href: str | None = None
    results_href: str | None = None

    @property
    def arrow(self) -> str:
        return ARROWS[self.direction] if self.direction else ""


@dataclass(frozen=True)
class RowView:
    cell: CellHistory
    id: str
    label: str
    where: str
    squares: list[SquareView]
    issues: list[KnownIssue]


@dataclass(frozen=True)
class GroupView:
    feature: str
    rows: list[RowView]


@dataclass(frozen=True)
class FlipView:
    """One change of status: the cell, the two releases and statuses, and where to look."""

    row: RowView
    square: SquareView

    @property
    def direction(self) -> Direction:
        assert self.square.direction is not None
        return self.square.direction


@dataclass(frozen=True)
class IssueView:
    """A known issue touching the history's cells, and what the releases say about it."""

    issue: KnownIssue
    cells: list[str]
    fixed_in: str | None
    declared_fixed_in: str | None
    verdict: str


def _href(path: str | None, fragment: str | None = None) -> str | None:
    """A link to a file named relative to history.json, percent-encoded; None if not relative."""
    if not path or _SCHEME.match(path) or path.startswith(("/", "\\")):
        return None
    href = quote(path, safe="/")
    return f"{href}#{quote(fragment, safe='')}" if fragment else href


def _date(stamp: str | None) -> str | None:
    """The calendar day of an ISO 8601 stamp; an unparsable one shown as given."""
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        return stamp


def _counts(counts: dict[str, int]) -> str:
    """`40 pass · 3 fail`, in legend order, statuses the legend lacks after them."""
    keys = [s for s in STATUS_ORDER if s in counts] + [s for s in counts if s not in STATUS_ORDER]
    return " · ".join(
        f"{counts[s]} {STATUS_STYLES[s].label if s in STATUS_STYLES else s}" for s in keys
    )


def _columns(history: HistoryFile) -> list[ColumnView]:
    views = []
    notes = 0
    for index, column in enumerate(history.columns):
        note = None
        if column.state != "ran":
            notes += 1
            note = notes
        views.append(
            ColumnView(
                column=column,
                tip_id=f"col-tip-{index}",
                date=_date(column.uploaded_at),
                uploaded=_display_time(column.uploaded_at) if column.uploaded_at else None,
                state_label=STATE_LABELS.get(column.state, column.state),
                note=note,
                page_href=_href(column.page),
                counts=_counts(column.counts),
            )
        )
    return views


def _direction(old: str, new: str) -> Direction:
    return "up" if RANK.get(new, 1) > RANK.get(old, 1) else "down"


def _squares(cell: CellHistory, row: int, columns: list[ColumnView]) -> list[SquareView]:
    """Each column's square; a flip is a change from the previous column that ran."""
    where = f"{cell.feature} · {cell.provider} · {cell.tier}"
    anchor = _anchor(cell.feature, cell.provider)
    squares: list[SquareView] = []
    previous: tuple[str, StatusStyle] | None = None
    for index, view in enumerate(columns):
        column = view.column
        point = cell.outcomes.get(column.release)
        # A column that did not run has no outcomes; one it carries anyway is not evidence.
        if not view.ran:
            squares.append(SquareView("skip", index))
            continue
        if point is None:
            squares.append(SquareView("absent", index, release=column.release))
            continue
        style = STATUS_STYLES[point.status]
        text = clip(point.error, TIP_ERROR_LIMIT) if point.error else POINT_TEXT[point.status]
        common: dict[str, Any] = {
            "column": index,
            "style": style,
            "id": f"sq-{row}-{index}",
            "release": column.release,
            "text": text,
        }
        if previous is not None and previous[1].status != style.status:
            squares.append(
                SquareView(
                    "flip",
                    **common,
                    label=(
                        f"{where} at {column.release}: {style.label}, "
                        f"was {previous[1].label} at {previous[0]}"
                    ),
                    previous=previous[0],
                    previous_style=previous[1],
                    direction=_direction(previous[1].status, style.status),
                    href=_href(column.page, anchor),
                    results_href=_href(column.results),
                )
            )
        else:
            squares.append(SquareView("point", **common, label=f"{column.release}: {style.label}"))
        previous = (column.release, style)
    return squares


def _covers(issue: KnownIssue, cell: CellHistory) -> bool:
    return any(
        c.feature == cell.feature
        and c.provider == cell.provider
        and (c.tiers is None or cell.tier in c.tiers)
        for c in issue.cells
    )


def _groups(
    history: HistoryFile, columns: list[ColumnView], known: KnownIssues | None
) -> list[GroupView]:
    """Rows grouped by feature, features in the order their first cell comes."""
    groups: dict[str, list[RowView]] = {}
    for index, cell in enumerate(history.cells):
        rows = groups.setdefault(cell.feature, [])
        rows.append(
            RowView(
                cell=cell,
                id=f"row-{index}",
                label=f"{cell.provider} · {cell.tier}",
                where=f"{cell.feature} · {cell.provider} · {cell.tier}",
                squares=_squares(cell, index, columns),
                issues=[i for i in known.issues if _covers(i, cell)] if known else [],
            )
        )
    return [GroupView(feature, rows) for feature, rows in groups.items()]


def _fixed_in(cells: list[CellHistory], ran: list[str]) -> tuple[str | None, str]:
    """The release from which every covered cell passes after one failed, and a verdict."""
    fixed: str | None = None
    failed = False
    last = ""
    for release in ran:
        statuses = [c.outcomes[release].status for c in cells if release in c.outcomes]
        if not statuses:
            continue
        last = release
        if "fail" in statuses:
            failed, fixed = True, None
        elif all(s == "pass" for s in statuses):
            if failed and fixed is None:
                fixed = release
        else:
            # n/a or not tested after a failure proves nothing: the fix waits for a pass.
            fixed = None
    if fixed:
        return fixed, f"fixed in {fixed}"
    if not last:
        return None, "no release ran its cells"
    if not failed:
        return None, "no failure across these releases"
    return None, f"not fixed by {last}"


def _issues(history: HistoryFile, known: KnownIssues, ran: list[str]) -> list[IssueView]:
    views = []
    for issue in known.issues:
        cells = [c for c in history.cells if _covers(issue, c)]
        if not cells:
            continue
        fixed, verdict = _fixed_in(cells, ran)
        views.append(
            IssueView(
                issue=issue,
                cells=[f"{c.feature} · {c.provider} · {c.tier}" for c in cells],
                fixed_in=fixed,
                # Read loosely: the field is new in known_issues.yaml and may not exist yet.
                declared_fixed_in=getattr(issue, "fixed_in", None),
                verdict=verdict,
            )
        )
    return views


def _axis_text(history: HistoryFile) -> tuple[str, str, str]:
    """(the axis tool, the fixed tool, the fixed version) in words."""
    other = "claude_code" if history.axis == "litellm" else "litellm"
    version = history.fixed.get(other) or ", ".join(
        dict.fromkeys(getattr(c, other) for c in history.columns)
    )
    return TOOL_NAMES[history.axis], TOOL_NAMES[other], version or "unknown"


def render_timeline(history: HistoryFile, *, known_issues: KnownIssues | None = None) -> str:
    """The whole timeline page as one string; its links are relative to history.json's folder."""
    columns = _columns(history)
    groups = _groups(history, columns, known_issues)
    # In release order, then row order: what changed at each release, read down the list.
    flips = sorted(
        (
            FlipView(row, square)
            for group in groups
            for row in group.rows
            for square in row.squares
            if square.kind == "flip"
        ),
        key=lambda flip: flip.square.column,
    )
    ran = [c.column.release for c in columns if c.ran]
    skipped = [c for c in columns if not c.ran]
    axis, fixed_tool, fixed_version = _axis_text(history)
    script, script_hash = _script("timeline.js")
    return (
        _environment()
        .get_template("timeline.html.j2")
        .render(
            history=history,
            axis=axis,
            fixed_tool=fixed_tool,
            fixed_version=fixed_version,
            generated=_display_time(history.generated_at),
            emulated_headline=EMULATED_HEADLINE,
            emulated_note=EMULATED_NOTE,
            columns=columns,
            ran_count=len(ran),
            skipped=skipped,
            skipped_counts=list(Counter(c.state_label for c in skipped).items()),
            groups=groups,
            flips=flips,
            flipping_cells=len({f.row.id for f in flips}),
            open_flips=OPEN_FLIPS,
            styles=STATUS_STYLES,
            glyph=GLYPHS,
            arrows=ARROWS,
            issues=_issues(history, known_issues, ran) if known_issues is not None else None,
            script=script,
            script_hash=script_hash,
        )
    )


def write_timeline(
    history: HistoryFile, path: Path, *, known_issues: KnownIssues | None = None
) -> Path:
    """Write the timeline to `path` (beside history.json, whose paths it links) atomically."""
    write_atomic(path, render_timeline(history, known_issues=known_issues))
    return path
