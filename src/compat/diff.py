"""Compare two matrices: regressions (pass → fail), fixes (fail → pass) and other changes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict
from rich.table import Table
from rich.text import Text

from compat.matrix import Matrix

ChangeKind = Literal[
    "regression",
    "fix",
    "status_changed",
    "feature_added",
    "feature_removed",
    "provider_added",
    "provider_removed",
]
KIND_LABELS: dict[ChangeKind, str] = {
    "regression": "regression",
    "fix": "fix",
    "status_changed": "changed",
    "feature_added": "feature added",
    "feature_removed": "feature removed",
    "provider_added": "provider added",
    "provider_removed": "provider removed",
}
ERROR_CHARS = 160


class Change(BaseModel):
    """One difference: a cell whose status moved, or a row or column that came or went."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ChangeKind
    feature: str | None = None
    provider: str | None = None
    old: str | None = None
    new: str | None = None
    detail: str | None = None
    """The new failure's error, or the name of an added/removed row or column."""


class MatrixDiff(BaseModel):
    """Everything that differs between an old and a new matrix."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    old_versions: str
    new_versions: str
    regressions: list[Change]
    fixes: list[Change]
    changes: list[Change]

    @property
    def has_regressions(self) -> bool:
        return bool(self.regressions)

    @property
    def is_empty(self) -> bool:
        return not (self.regressions or self.fixes or self.changes)

    def all(self) -> list[Change]:
        return [*self.regressions, *self.fixes, *self.changes]


def _versions(matrix: Matrix) -> str:
    return (
        f"LiteLLM {matrix.litellm_version}, Claude Code {matrix.claude_code_version} "
        f"({matrix.upstream})"
    )


def _added_removed(
    old: dict[str, str], new: dict[str, str], what: Literal["feature", "provider"]
) -> list[Change]:
    """Rows or columns (id → display name) only one side has."""
    added = [
        Change(kind=f"{what}_added", **{what: i}, detail=n) for i, n in new.items() if i not in old
    ]
    removed = [
        Change(kind=f"{what}_removed", **{what: i}, detail=n)
        for i, n in old.items()
        if i not in new
    ]
    return added + removed


def _columns_of(matrix: Matrix) -> dict[str, str]:
    return {p: matrix.provider_name(p) for p in matrix.providers}


def _error_of(matrix: Matrix, feature: str, provider: str) -> str | None:
    error = getattr(matrix.cell(feature, provider), "error", None)
    if error and len(error) > ERROR_CHARS:
        return error[: ERROR_CHARS - 1] + "…"
    return error


def diff_matrices(old: Matrix, new: Matrix) -> MatrixDiff:
    """Cell by cell over the rows (features, then contract checks) and providers both share."""
    regressions: list[Change] = []
    fixes: list[Change] = []
    changes = _added_removed(
        {r.id: r.name for r in old.rows()}, {r.id: r.name for r in new.rows()}, "feature"
    )
    changes += _added_removed(_columns_of(old), _columns_of(new), "provider")
    old_rows = {row.id: row for row in old.rows()}
    for row in new.rows():
        old_row = old_rows.get(row.id)
        if old_row is None:
            continue
        for provider, outcome in row.providers.items():
            before = old_row.providers.get(provider)
            if before is None or before.status == outcome.status:
                continue
            change = Change(
                kind="status_changed",
                feature=row.id,
                provider=provider,
                old=before.status,
                new=outcome.status,
                detail=_error_of(new, row.id, provider),
            )
            if (before.status, outcome.status) == ("pass", "fail"):
                regressions.append(change.model_copy(update={"kind": "regression"}))
            elif (before.status, outcome.status) == ("fail", "pass"):
                fixes.append(change.model_copy(update={"kind": "fix"}))
            else:
                changes.append(change)
    return MatrixDiff(
        old_versions=_versions(old),
        new_versions=_versions(new),
        regressions=regressions,
        fixes=fixes,
        changes=changes,
    )


def summary(diff: MatrixDiff) -> str:
    """`2 regressions, 1 fix, 3 other changes`."""

    def count(n: int, word: str, plural: str) -> str:
        return f"{n} {word if n == 1 else plural}"

    return ", ".join(
        (
            count(len(diff.regressions), "regression", "regressions"),
            count(len(diff.fixes), "fix", "fixes"),
            count(len(diff.changes), "other change", "other changes"),
        )
    )


def _transition(change: Change) -> str:
    return f"{change.old} → {change.new}" if change.old and change.new else ""


def _columns(change: Change) -> tuple[str, str, str, str, str]:
    """The cells of one change's row, shared by the table and the Markdown."""
    return (
        KIND_LABELS[change.kind],
        change.feature or "",
        change.provider or "",
        _transition(change),
        change.detail or "",
    )


def _md_cell(text: str) -> str:
    # A `|` or a newline inside a cell would break the Markdown table.
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(diff: MatrixDiff) -> str:
    """A Markdown summary and table, e.g. for a pull request or a CI job summary."""
    lines = [
        "### Compatibility matrix changes",
        "",
        f"{diff.old_versions} → {diff.new_versions}",
        "",
        f"**{summary(diff)}**",
    ]
    if not diff.is_empty:
        lines += [
            "",
            "| change | feature | provider | status | detail |",
            "|---|---|---|---|---|",
        ]
        lines += ["| " + " | ".join(map(_md_cell, _columns(c))) + " |" for c in diff.all()]
    return "\n".join(lines) + "\n"


KIND_STYLES: dict[ChangeKind, str] = {"regression": "bold red", "fix": "green"}


def to_table(diff: MatrixDiff) -> Table:
    """A rich table of every change, regressions first."""
    table = Table(title=Text(f"{diff.old_versions} → {diff.new_versions}"), caption=summary(diff))
    for column in ("change", "feature", "provider", "status", "detail"):
        table.add_column(column, overflow="fold")
    for c in diff.all():
        # Text, not markup: errors such as `[opus-4-7] …` would read as rich tags.
        table.add_row(*map(Text, _columns(c)), style=KIND_STYLES.get(c.kind))
    return table
