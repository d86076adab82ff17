"""The reply arrives as two or more incremental text deltas: the proxy did not buffer.

A pass needs the upstream request to have asked for a stream, and Claude Code to have
seen the text arrive in at least two `text_delta` events.
"""

from __future__ import annotations

from compat.driver import ClaudeInvocation, ClaudeRun
from compat.probes import register
from compat.probes.base import CliProbe, ProbeContext, expect_nonce
from compat.probes.prompts import echo_invocation, streaming_problem
from compat.upstream_log import RecordedRequest

MIN_TEXT_DELTAS = 2


@register
class BasicMessagingStreaming(CliProbe):
    feature_id = "basic_messaging_streaming"

    def invocation(self, ctx: ProbeContext) -> ClaudeInvocation:
        return echo_invocation(ctx, "--include-partial-messages")

    def wire_problem(
        self, run: ClaudeRun, ctx: ProbeContext, records: list[RecordedRequest]
    ) -> str | None:
        return streaming_problem(records)

    def judge(self, run: ClaudeRun, ctx: ProbeContext) -> str | None:
        deltas = run.deltas("text_delta")
        if len(deltas) < MIN_TEXT_DELTAS:
            return (
                f"expected at least {MIN_TEXT_DELTAS} text_delta stream events, saw "
                f"{len(deltas)} (the reply arrived in one piece: the stream was buffered)"
            )
        streamed = "".join(d.get("text", "") for d in deltas)
        return expect_nonce(streamed, ctx.nonce, "the streamed text")
