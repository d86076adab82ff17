"""Thinking and tool use in one session: the signed thinking block goes back unaltered."""

from __future__ import annotations

from compat.driver import ClaudeInvocation, ClaudeRun
from compat.probes import register
from compat.probes.base import CliProbe, ProbeContext
from compat.probes.prompts import bash_invocation, judge_bash_round_trip, signed_thinking_problem


@register
class ThinkingWithToolUse(CliProbe):
    feature_id = "thinking_with_tool_use"
    upstream_requests = 2  # the tool call, then the answer with its output

    def invocation(self, ctx: ProbeContext) -> ClaudeInvocation:
        return bash_invocation(ctx)

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
