"""System array unchanged: Claude Code's attribution block arrives first, in its own entry.

Claude Code opens `system` with a block holding only its `x-anthropic-billing-header: …`
line; the platform strips that block by position, so it must stay first and alone, and the
rest of the system prompt must follow as the separate entries Claude Code sent. On Bedrock
Converse `system` is a list of `{"text": …}` blocks and the same holds.
"""

from __future__ import annotations

from typing import Any

from compat.driver import ClaudeInvocation, ClaudeRun
from compat.probes import register
from compat.probes import wire as wire_fields
from compat.probes.base import CliProbe, ProbeContext, clip, expect_nonce
from compat.probes.prompts import echo_invocation
from compat.upstream_log import RecordedRequest

ATTRIBUTION = "x-anthropic-billing-header:"


def _texts(system: Any) -> list[str] | None:
    if not isinstance(system, list):
        return None
    return [str(entry.get("text", "")) if isinstance(entry, dict) else "" for entry in system]


def system_problem(record: RecordedRequest) -> str | None:
    body = record.body if isinstance(record.body, dict) else {}
    system = body.get("system")
    texts = _texts(system)
    if texts is None:
        kind = type(system).__name__ if system is not None else "absent"
        return f"expected `system` as Claude Code's array of blocks, it arrived {kind}"
    if not texts or not texts[0].startswith(ATTRIBUTION):
        first = clip(texts[0] if texts else "", 80)
        found = next((i for i, t in enumerate(texts) if ATTRIBUTION in t), None)
        where = f"entry {found}" if found is not None else "no entry"
        return (
            f"expected the attribution block first in `system`, it is in {where} "
            f"(entry 0: {first or '(empty)'})"
        )
    if "\n" in texts[0].strip() or len(texts) < 2:
        return (
            "expected the attribution block alone in its entry and the system prompt after "
            f"it, the proxy merged them into {len(texts)} entr{'y' if len(texts) == 1 else 'ies'}"
        )
    return None


@register
class SystemArray(CliProbe):
    feature_id = "contract_system_array"
    needs_upstream_record = True

    def invocation(self, ctx: ProbeContext) -> ClaudeInvocation:
        return echo_invocation(ctx)

    def wire_problem(
        self, run: ClaudeRun, ctx: ProbeContext, records: list[RecordedRequest]
    ) -> str | None:
        messages = [r for r in records if isinstance(r.body, dict) and "messages" in r.body]
        if not messages:
            return "no request carrying this run's prompt reached the upstream"
        for record in messages:
            problem = system_problem(record)
            if problem is not None:
                return f"{problem} ({wire_fields.describe(record)})"
        return None

    def judge(self, run: ClaudeRun, ctx: ProbeContext) -> str | None:
        return expect_nonce(run.final_text, ctx.nonce)
