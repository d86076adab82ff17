"""Keep-alive pings: a silent upstream does not make Claude Code abort the stream.

The emulator falls silent right after the first thinking delta for longer than Claude
Code's byte-stream idle timeout, which this run sets to its 10 s minimum
(`CLAUDE_BYTE_STREAM_IDLE_TIMEOUT_MS`; 300 s by default, the guide says). On the Messages
wires the upstream sends `ping` events through the silence, which the proxy must relay;
Bedrock's event-stream has none, so there the proxy must send its own. Either way Claude
Code hears bytes and finishes; if it hears none for 10 s it aborts the stream and asks
again without streaming, which the upstream's record shows as a second, unstreamed request.
"""

from __future__ import annotations

import itertools

from compat.driver import ClaudeInvocation, ClaudeRun
from compat.probes import register
from compat.probes import wire as wire_fields
from compat.probes.base import CliProbe, ProbeContext
from compat.probes.contract import stream_marker, streamed, streamed_text_problem
from compat.probes.prompts import ask, echo_prompt
from compat.upstream_log import RecordedRequest

IDLE_TIMEOUT_MS = 10_000
"""Claude Code's floor for CLAUDE_BYTE_STREAM_IDLE_TIMEOUT_MS (shorter values are raised)."""
STALL_S = 16.0
PING_S = 2.0


@register
class KeepAlive(CliProbe):
    feature_id = "contract_keep_alive"
    needs_upstream_record = True

    def invocation(self, ctx: ProbeContext) -> ClaudeInvocation:
        prompt = f"{echo_prompt(ctx.nonce)}\n{stream_marker(stall=STALL_S, ping=PING_S)}"
        env = {"CLAUDE_BYTE_STREAM_IDLE_TIMEOUT_MS": str(IDLE_TIMEOUT_MS)}
        return ask(ctx, prompt, "--include-partial-messages", env=env)

    def wire_problem(
        self, run: ClaudeRun, ctx: ProbeContext, records: list[RecordedRequest]
    ) -> str | None:
        # Checked first: the stalled stream's own record is written only when the upstream
        # finishes sending it, which may be after Claude Code has given up and asked again.
        again = [r for r in wire_fields.answered(records) if not wire_fields.streaming(r)]
        if again:
            return (
                f"Claude Code gave up on the stream and asked again without streaming "
                f"({wire_fields.describe(again[0])}): no byte reached it for "
                f"{IDLE_TIMEOUT_MS // 1000} s while the upstream was silent"
            )
        sent = streamed(records)
        result = run.result
        if result is None or result.is_error:
            # Claude Code gave up on the silent stream ("Stream idle timeout"): its error
            # says so, and the stalled stream's record may not be written yet.
            return None
        if not sent:
            return "expected the upstream to stream this run's reply, it did not"
        times = [e.t for e in sent[0].sent_events or [] if e.type != "ping"]
        gap = max((b - a for a, b in itertools.pairwise(times)), default=0.0)
        if gap * 1000 < IDLE_TIMEOUT_MS:
            return (
                f"expected the upstream to fall silent for {STALL_S:.0f} s, its longest gap "
                f"between events was {gap:.1f} s"
            )
        return None

    def judge(self, run: ClaudeRun, ctx: ProbeContext) -> str | None:
        return streamed_text_problem(run, ctx.nonce)
