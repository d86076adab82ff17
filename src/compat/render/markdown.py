"""The Markdown summary: the table, failing cells' errors, known issues; sized for GitHub."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from compat.known_issues import KnownIssues, ready_to_remove
from compat.manifest import Manifest
from compat.matrix import Matrix, MatrixRow
from compat.outcome import Fail
from compat.render.view import EMULATED_HEADLINE, EMULATED_NOTE, STATUS_STYLES, status_counts

GITHUB_COMMENT_LIMIT = 65_536
MIN_ERROR_CHARS = 80
"""Errors are never trimmed below this; past it, whole entries and then rows are dropped."""
ERRORS_TRIMMED_NOTE = "_Errors trimmed to fit GitHub's comment limit; see the full matrix JSON._"


@dataclass(frozen=True)
class _Failure:
    where: str
    error: str


def md_text(text: str) -> str:
    """Inline-safe text: one line, pipes escaped for tables, `<` escaped so no HTML tag forms."""
    return " ".join(text.split()).replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _header(matrix: Matrix) -> list[str]:
    lines = [
        "## Claude Code × LiteLLM compatibility",
        "",
        f"LiteLLM `{md_text(matrix.litellm_version)}` · "
        f"Claude Code `{md_text(matrix.claude_code_version)}` · "
        f"generated {md_text(matrix.generated_at)} · upstream **{matrix.upstream}**",
        "",
    ]
    if matrix.upstream == "emulated":
        lines += [
            "> [!WARNING]",
            f"> **{EMULATED_HEADLINE}** {EMULATED_NOTE}",
            "",
        ]
    counts = status_counts(matrix).items()
    return [*lines, " · ".join(f"{n} {STATUS_STYLES[s].label}" for s, n in counts), ""]


def _table(
    matrix: Matrix,
    names: dict[str, str],
    rows: Sequence[MatrixRow] | None = None,
    first: str = "Feature",
    columns: list[str] | None = None,
) -> list[str]:
    providers = matrix.providers if columns is None else columns
    head = f"| {first} | " + " | ".join(md_text(names[p]) for p in providers) + " |"
    rule = "|---|" + ":-:|" * len(providers)
    lines = [
        f"| {md_text(row.name)} | "
        + " | ".join(STATUS_STYLES[row.providers[p].status].glyph for p in providers)
        + " |"
        for row in (matrix.features if rows is None else rows)
    ]
    return [head, rule, *lines]


CONTRACT_HIDDEN = "_Gateway contract table not shown (too long for one comment)._"


def _contract(matrix: Matrix, names: dict[str, str]) -> list[str]:
    """The gateway-contract table, after the features' (its failures are listed with theirs)."""
    table = matrix.gateway_contract
    if table is None:
        return []
    intro = f"### Gateway contract ({md_text(table.tier)}, per provider route)"
    routes = matrix.contract_routes()
    return [intro, "", *_table(matrix, names, table.checks, "Contract check", routes), ""]


def _legend() -> str:
    return " · ".join(f"{s.glyph} {s.label}" for s in STATUS_STYLES.values())


def _failures(matrix: Matrix, names: dict[str, str]) -> list[_Failure]:
    checks = matrix.gateway_contract.checks if matrix.gateway_contract is not None else []
    tables = [(matrix.features, matrix.providers), (checks, matrix.contract_routes())]
    return [
        _Failure(f"{row.name} · {names[provider_id]}", outcome.error)
        for rows, columns in tables
        for row in rows
        for provider_id in columns
        if isinstance(outcome := row.providers[provider_id], Fail)
    ]


def _known_issues(
    matrix: Matrix, known: KnownIssues, manifest: Manifest | None = None
) -> list[str]:
    lines = ["### Known issues", ""]
    if not known.issues:
        return [*lines, "None recorded.", ""]
    features = {row.id: row.name for row in matrix.features}
    for issue in known.issues:
        cells = ", ".join(
            f"{features.get(c.feature, c.feature)} · {matrix.provider_name(c.provider, manifest)}"
            for c in issue.cells
        )
        status = issue.status.replace("_", " ")
        if issue.fix and issue.fix.release:
            status += f", fix lands in {issue.fix.release}"
        ready = (
            " — **ready to remove**: every affected cell passes"
            if ready_to_remove(issue, matrix)
            else ""
        )
        lines.append(f"- **{md_text(issue.title)}** ({md_text(status)}){ready}: {md_text(cells)}")
    return [*lines, ""]


def _assemble(
    head: list[str],
    table: list[str],
    failures: list[_Failure],
    error_limit: int | None,
    *,
    hidden_failures: int,
    hidden_rows: int,
    tail: list[str],
) -> str:
    """The document; `error_limit` caps each error, `hidden_*` count what was left out."""
    lines = [*head, *table]
    if hidden_rows:
        lines.append(f"| _{hidden_rows} more rows not shown_ |" + " |" * (table[0].count("|") - 2))
    lines += ["", _legend(), ""]
    total = len(failures) + hidden_failures
    if total:
        lines += [f"### Failures ({total})", ""]
        for failure in failures:
            error = failure.error if error_limit is None else _shorten(failure.error, error_limit)
            lines.append(f"- **{md_text(failure.where)}**: {md_text(error)}")
        if hidden_failures:
            lines.append(f"- _…and {hidden_failures} more failures not shown_")
        lines.append("")
    if error_limit is not None or hidden_failures or hidden_rows:
        lines += [ERRORS_TRIMMED_NOTE, ""]
    lines += tail
    return "\n".join(lines).rstrip("\n") + "\n"


def render_markdown(
    matrix: Matrix,
    *,
    limit: int = GITHUB_COMMENT_LIMIT,
    known_issues: KnownIssues | None = None,
    manifest: Manifest | None = None,
) -> str:
    """The summary, trimmed progressively (errors, then failure entries, then rows) to `limit`."""
    names = {p: matrix.provider_name(p, manifest) for p in matrix.providers}
    head = _header(matrix)
    table = _table(matrix, names)
    row_count = len(matrix.features)
    failures = _failures(matrix, names)
    issues = _known_issues(matrix, known_issues, manifest) if known_issues is not None else []
    contract = _contract(matrix, names)
    tail = contract + issues

    def build(error_limit: int | None, shown: int, rows: int) -> str:
        return _assemble(
            head,
            table[: rows + 2],
            failures[:shown],
            error_limit,
            hidden_failures=len(failures) - shown,
            hidden_rows=row_count - rows,
            tail=tail,
        )

    def fits(text: str) -> bool:
        return len(text) <= limit

    text = build(None, len(failures), row_count)
    if fits(text):
        return text
    longest = max(len(f.error) for f in failures) if failures else MIN_ERROR_CHARS
    if fits(build(MIN_ERROR_CHARS, len(failures), row_count)):
        error_limit = _largest(
            MIN_ERROR_CHARS, longest, lambda n: fits(build(n, len(failures), row_count))
        )
        return build(error_limit, len(failures), row_count)
    # Even short errors overflow (a huge matrix): the contract table goes first (its
    # failures stay listed with the features'), then failures, then rows.
    if contract and not fits(build(MIN_ERROR_CHARS, len(failures), row_count)):
        tail = [CONTRACT_HIDDEN, "", *issues]
    shown = _largest(0, len(failures), lambda n: fits(build(MIN_ERROR_CHARS, n, row_count)))
    if shown or fits(build(MIN_ERROR_CHARS, 0, row_count)):
        return build(MIN_ERROR_CHARS, shown, row_count)
    rows = _largest(0, row_count, lambda n: fits(build(MIN_ERROR_CHARS, 0, n)))
    return build(MIN_ERROR_CHARS, 0, rows)


def _largest(low: int, high: int, ok: Callable[[int], bool]) -> int:
    """The largest n in [low, high] with ok(n), for `ok` true up to some n, false after; bisect."""
    while low < high:
        middle = (low + high + 1) // 2
        if ok(middle):
            low = middle
        else:
            high = middle - 1
    return low
