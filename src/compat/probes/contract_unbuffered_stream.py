"""Streaming not buffered: Claude Code sees the first text delta before the upstream's last event.

The emulator spaces the reply's events (the prompt's stream marker), so a proxy that relays
as it receives hands Claude Code the first text delta while the upstream is still sending;
one that buffers hands it over only after the upstream's last event. Both times are this
machine's clock: the emulator's when it handed each frame to its server, compat's when
each line of Claude Code's transcript arrived.
"""

from __future__ import annotations

from compat.driver import ClaudeInvocation, ClaudeRun
from compat.probes import register
from compat.probes import wire as wire_fields
from compat.probes.base import CliProbe, ProbeContext
from compat.probes.contract import client_events, stream_marker, streamed, streamed_text_problem
from compat.probes.prompts import ask, echo_prompt
from compat.upstream_log import RecordedRequest

PACE_S = 0.4
"""Seconds between the upstream's events: a reply of ~10 events spans ~4 s."""
MIN_SPAN_S = 3 * PACE_S
"""A reply spread over less than this tells nothing about buffering."""


def paced_prompt(nonce: str) -> str:
    return f"{echo_prompt(nonce)}\n{stream_marker(pace=PACE_S)}"


@register
class UnbufferedStream(CliProbe):
    feature_id = "contract_unbuffered_stream"
    needs_upstream_record = True

    def invocation(self, ctx: ProbeContext) -> ClaudeInvocation:
        return ask(ctx, paced_prompt(ctx.nonce), "--include-partial-messages")

    def wire_problem(
        self, run: ClaudeRun, ctx: ProbeContext, records: list[RecordedRequest]
    ) -> str | None:
        sent = streamed(records)
        if not sent:
            answered = wire_fields.answered(records)
            shown = wire_fields.describe(answered[0]) if answered else "nothing answered"
            return f"expected the upstream to stream this run's reply, it did not ({shown})"
        last_sent = max(e.t for r in sent for e in r.sent_events or [])
        first = next(
            (
                e
                for e in client_events(run)
                if e.event.get("type") == "content_block_delta"
                and (e.event.get("delta") or {}).get("type") == "text_delta"
            ),
            None,
        )
        if first is None:
            return "no text_delta stream event reached Claude Code"
        arrived = run.arrival(first)
        if arrived is None:
            return "the transcript was not read line by line, so arrival times are unknown"
        started = min(e.t for r in sent for e in r.sent_events or [])
        if last_sent - started < MIN_SPAN_S:
            return (
                f"the upstream sent its whole reply within {last_sent - started:.1f} s, too fast "
                "to tell a relayed stream from a buffered one (its events were not paced)"
            )
        if arrived >= last_sent:
            return (
                f"Claude Code saw its first text delta {arrived - started:.1f} s after the "
                f"upstream's first event, after the upstream's last one "
                f"(+{last_sent - started:.1f} s): the proxy buffered the stream"
            )
        return None

    def judge(self, run: ClaudeRun, ctx: ProbeContext) -> str | None:
        return streamed_text_problem(run, ctx.nonce)
