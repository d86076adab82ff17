"""Complete event sequence: every stream event the upstream sent reaches Claude Code, in order.

Claude Code's relayed events must follow the Messages stream grammar (one message_start,
each content block started, streamed and stopped, message_delta, then message_stop), and
where the upstream speaks that stream itself (the Messages wires, and Bedrock InvokeModel's
event-stream, whose chunks carry the same events), its events must be the upstream's, one
for one. Bedrock Converse streams other events, which the proxy must translate into a
complete sequence.
"""

from __future__ import annotations

from compat.driver import ClaudeInvocation, ClaudeRun
from compat.probes import register
from compat.probes.base import CliProbe, ProbeContext
from compat.probes.contract import (
    client_events,
    sequence_problem,
    streamed,
    streamed_text_problem,
    upstream_kinds,
)
from compat.probes.prompts import echo_invocation
from compat.upstream_log import RecordedRequest

# Providers whose upstream stream is the Messages event stream itself.
SAME_EVENTS = frozenset({"anthropic", "azure", "vertex_ai", "bedrock_invoke"})


@register
class EventSequence(CliProbe):
    feature_id = "contract_event_sequence"
    needs_upstream_record = True

    def invocation(self, ctx: ProbeContext) -> ClaudeInvocation:
        return echo_invocation(ctx, "--include-partial-messages")

    def wire_problem(
        self, run: ClaudeRun, ctx: ProbeContext, records: list[RecordedRequest]
    ) -> str | None:
        events = [e.event for e in client_events(run)]
        problem = sequence_problem(events)
        if problem is not None:
            return f"the stream Claude Code received is incomplete: {problem}"
        sent = streamed(records)
        if not sent:
            return "expected the upstream to stream this run's reply, it did not"
        if ctx.cell.provider not in SAME_EVENTS:
            return None
        upstream = upstream_kinds(sent[-1])
        received = [str(e.get("type")) for e in events]
        if received != upstream:
            return (
                f"Claude Code received {len(received)} events where the upstream sent "
                f"{len(upstream)}: {_first_difference(upstream, received)}"
            )
        return None

    def judge(self, run: ClaudeRun, ctx: ProbeContext) -> str | None:
        return streamed_text_problem(run, ctx.nonce)


def _first_difference(sent: list[str], received: list[str]) -> str:
    for index, (a, b) in enumerate(zip(sent, received, strict=False)):
        if a != b:
            return f"event {index} was {b!r}, the upstream sent {a!r}"
    if len(received) < len(sent):
        return f"the upstream's {sent[len(received)]!r} (event {len(received)}) never arrived"
    return f"an extra {received[len(sent)]!r} arrived after the upstream's last event"
