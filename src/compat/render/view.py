"""What both renderings share: status glyphs and words, cell texts, evidence lookup."""

from __future__ import annotations

import json
from dataclasses import dataclass

from compat.errors import InputError
from compat.matrix import AnyOutcome, LoadedResults, Matrix
from compat.outcome import Fail, NotApplicable, NotTested, Pass, ResultsFile, TierResult

NOT_TESTED_TEXT = "no test ran for this combination"
PASS_TEXT = "passed on every applicable tier"
EMULATED_HEADLINE = "Emulated upstream: these are not results against the real providers."
EMULATED_NOTE = (
    "Every provider was served by compat's emulator, not the real service. A red cell shows "
    "what the proxy sent and how it translated; it says nothing about live availability, "
    "quotas or model behaviour."
)


@dataclass(frozen=True)
class StatusStyle:
    """How one status is shown: its glyph and the words that stand for it."""

    status: str
    glyph: str
    label: str
    meaning: str


STATUS_STYLES: dict[str, StatusStyle] = {
    s.status: s
    for s in (
        StatusStyle("pass", "✅", "pass", "every applicable tier passed"),
        StatusStyle("fail", "❌", "fail", "at least one tier failed; the error names it"),
        StatusStyle("not_applicable", "n/a", "not applicable", "the provider or model lacks it"),
        StatusStyle("not_tested", "—", "not tested", NOT_TESTED_TEXT),
    )
}
STATUS_ORDER: tuple[str, ...] = tuple(STATUS_STYLES)


def cell_text(outcome: AnyOutcome) -> str:
    """The sentence behind a cell: the error, the n/a reason, or what pass/not tested mean."""
    match outcome:
        case Fail(error=error):
            return error
        case NotApplicable(reason=reason):
            return reason
        case NotTested():
            return NOT_TESTED_TEXT
        case Pass():
            return PASS_TEXT
    raise AssertionError(f"unhandled outcome {outcome!r}")


def status_counts(matrix: Matrix) -> dict[str, int]:
    """Cells per status, in legend order (zero counts kept)."""
    counts = dict.fromkeys(STATUS_ORDER, 0)
    for row in matrix.features:
        for outcome in row.providers.values():
            counts[outcome.status] += 1
    return counts


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with the cut counted; whitespace (JSON layout) kept."""
    if len(text) <= limit:
        return text
    marker = f"… [{len(text) - limit} more chars]"
    return text[: max(0, limit - len(marker))] + marker


def index_results(results: list[ResultsFile]) -> dict[tuple[str, str], list[TierResult]]:
    """Tier results per (feature, provider) cell, in the order the files list them."""
    cells: dict[tuple[str, str], dict[str, TierResult]] = {}
    for results_file in results:
        for result in results_file.results:
            # Overlapping shards repeat a tier; the first one seen stands (build rejects conflicts).
            cells.setdefault((result.feature_id, result.provider), {}).setdefault(
                result.tier, result
            )
    return {key: list(tiers.values()) for key, tiers in cells.items()}


def check_results_match(matrix: Matrix, loaded: list[LoadedResults]) -> None:
    """Refuse results from another run: their evidence would explain cells they did not produce."""
    expected = (matrix.litellm_version, matrix.claude_code_version, matrix.upstream)
    for item in loaded:
        found = (item.file.versions.litellm, item.file.versions.claude_code, item.file.upstream)
        if found != expected:
            raise InputError(
                f"{item.path}: results are from LiteLLM {found[0]}, Claude Code {found[1]}, "
                f"{found[2]} upstream, but the matrix is from LiteLLM {expected[0]}, "
                f"Claude Code {expected[1]}, {expected[2]} upstream"
            )


def format_duration(ms: int) -> str:
    return f"{ms} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


def format_usage(usage: dict[str, object] | None) -> str:
    """`input_tokens 1,200 · output_tokens 40`; nested values shown compactly."""
    if not usage:
        return "—"
    return " · ".join(f"{key} {_usage_value(value)}" for key, value in usage.items())


def _usage_value(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)
