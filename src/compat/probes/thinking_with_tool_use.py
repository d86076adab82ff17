"""Thinking and tool use in one session: the signed thinking block goes back unaltered.

A pass needs the first turn to hold a signed thinking block and a Bash call, the next
upstream request to carry that thinking block back in its assistant turn with the same
signature, and the Bash round trip. On the GPT columns the thinking block is the reasoning
item: asked for with its summary and encrypted content, and sent back as it came.
"""

from __future__ import annotations

from compat.driver import ClaudeInvocation, ClaudeRun
from compat.probes import register, wire
from compat.probes.base import CliProbe, ProbeContext
from compat.probes.prompts import bash_invocation, judge_bash_round_trip, signed_thinking_problem
from compat.probes.reasoning import reasoning_request_problem
from compat.upstream_log import RecordedRequest


def thinking_returned_problem(run: ClaudeRun, records: list[RecordedRequest]) -> str | None:
    """The first turn's signed thinking block was sent back upstream verbatim."""
    signatures = [b["signature"] for b in run.blocks("thinking") if b.get("signature")]
    if not signatures or not run.tool_results:
        return None  # the transcript's judge names what is missing
    first = signatures[0]
    back = [
        record
        for record in records
        if any(
            wire.thinking_signature(block) == first
            for block in wire.blocks(record, "thinking", role="assistant")
        )
    ]
    if back:
        return None
    later = [r for r in records if wire.blocks(r, "tool_result")]
    where = wire.describe(later[0]) if later else "no upstream request"
    return (
        "expected the first turn's signed thinking block back upstream in the next request's "
        f"assistant turn, {where} carried the tool result without it: the proxy dropped the "
        "thinking block"
    )


@register
class ThinkingWithToolUse(CliProbe):
    feature_id = "thinking_with_tool_use"
    upstream_requests = 2  # the tool call, then the answer with its output

    def invocation(self, ctx: ProbeContext) -> ClaudeInvocation:
        return bash_invocation(ctx)

    def wire_problem(
        self, run: ClaudeRun, ctx: ProbeContext, records: list[RecordedRequest]
    ) -> str | None:
        if ctx.family == "gpt":
            # The reasoning item (its encrypted content) is the signed thinking block.
            return reasoning_request_problem(records) or thinking_returned_problem(run, records)
        return thinking_returned_problem(run, records)

    def judge(self, run: ClaudeRun, ctx: ProbeContext) -> str | None:
        # The second request carries the first turn's thinking block back upstream; a
        # provider rejects it (and the run ends in an API error) if it was altered.
        first_turn = [
            b.get("type") for b in run.assistant_blocks if b.get("type") in ("thinking", "tool_use")
        ]
        if "thinking" not in first_turn or "tool_use" not in first_turn:
            return (
                "expected the first turn to hold a thinking block and a tool_use block, saw "
                f"{first_turn or 'neither'}"
            )
        return signed_thinking_problem(run) or judge_bash_round_trip(run, ctx.nonce)
