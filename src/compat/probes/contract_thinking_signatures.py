"""Thinking signatures round-trip: over three turns each signed thinking block goes back as it came.

Claude Code keeps its thinking blocks in the conversation and sends them back on every
later turn; the platform checks each signature against the conversation that produced it
and refuses one that changed ("The block is bound to a different conversation"), which
Claude Code then recovers from by dropping its earlier thinking. A pass needs the three
turns answered, and the last turn's request to carry every earlier thinking block with the
signature Claude Code received for it.
"""

from __future__ import annotations

import hashlib

from compat.driver import ClaudeInvocation, ClaudeRun, ResultEvent
from compat.probes import register
from compat.probes import wire as wire_fields
from compat.probes.base import NONCE_PREFIX, CliProbe, ProbeContext, expect_nonce
from compat.probes.prompts import PERMISSION_ARGS, echo_prompt, user_message
from compat.upstream_log import RecordedRequest

TURNS = 3
BOUND_ELSEWHERE = "bound to a different conversation"


def turn_token(nonce: str, turn: int) -> str:
    """The token turn `turn` asks for: the nonce first (so every request holds it), then
    tokens of the same shape derived from it."""
    if turn == 1:
        return nonce
    digest = hashlib.sha256(f"{nonce}:{turn}".encode()).hexdigest()[:12].upper()
    return NONCE_PREFIX + digest


@register
class ThinkingSignatures(CliProbe):
    feature_id = "contract_thinking_signatures"
    upstream_requests = TURNS
    needs_upstream_record = True

    def invocation(self, ctx: ProbeContext) -> ClaudeInvocation:
        turns = [
            user_message({"type": "text", "text": echo_prompt(turn_token(ctx.nonce, turn))})
            for turn in range(1, TURNS + 1)
        ]
        return ClaudeInvocation(
            model=ctx.alias,
            stdin_messages=turns,
            extra_args=PERMISSION_ARGS,
            timeout_s=ctx.timeout_s,
            turn_by_turn=True,
        )

    def wire_problem(
        self, run: ClaudeRun, ctx: ProbeContext, records: list[RecordedRequest]
    ) -> str | None:
        refused = [r for r in records if BOUND_ELSEWHERE in (r.error_message or "")]
        if refused:
            first = refused[0]
            return (
                f"the upstream refused a replayed thinking block ({wire_fields.describe(first)}: "
                f"{first.error_message}): the proxy altered the conversation it came from"
            )
        signatures = [b["signature"] for b in run.blocks("thinking") if b.get("signature")]
        answered = [r for r in wire_fields.answered(records) if wire_fields.blocks(r, "text")]
        if len(signatures) < TURNS or not answered:
            return None  # the transcript's judge names what is missing
        last = answered[-1]
        sent_back = [
            wire_fields.thinking_signature(block)
            for block in wire_fields.blocks(last, "thinking", role="assistant")
        ]
        expected = signatures[: TURNS - 1]
        missing = [i + 1 for i, sig in enumerate(expected) if sig not in sent_back]
        if missing:
            turns = ", ".join(map(str, missing))
            return (
                f"expected turn {TURNS}'s request to carry the signed thinking of turn(s) "
                f"{turns} as Claude Code received it; {wire_fields.describe(last)} carried "
                f"{len(sent_back)} thinking block(s) with other or no signatures"
            )
        return None

    def judge(self, run: ClaudeRun, ctx: ProbeContext) -> str | None:
        results = run.of_type(ResultEvent)
        if len(results) < TURNS:
            return f"expected {TURNS} answered turns, Claude Code finished {len(results)}"
        for turn, result in enumerate(results[:TURNS], start=1):
            if result.is_error:
                return f"turn {turn} ended in an error: {result.result}"
            problem = expect_nonce(
                result.result or "", turn_token(ctx.nonce, turn), f"turn {turn}'s reply"
            )
            if problem is not None:
                return problem
        return None
