"""A one-turn prompt round-trips and the reply carries the fresh nonce."""

from __future__ import annotations

from compat.driver import ClaudeInvocation, ClaudeRun
from compat.probes import register
from compat.probes.base import CliProbe, ProbeContext, expect_nonce
from compat.probes.prompts import echo_invocation


@register
class BasicMessagingNonStreaming(CliProbe):
    feature_id = "basic_messaging_non_streaming"

    def invocation(self, ctx: ProbeContext) -> ClaudeInvocation:
        return echo_invocation(ctx)

    def judge(self, run: ClaudeRun, ctx: ProbeContext) -> str | None:
        return expect_nonce(run.final_text, ctx.nonce)
