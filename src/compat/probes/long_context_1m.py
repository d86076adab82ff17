"""A prompt above 200k tokens reaches upstream whole, as the 1M-context request it was sent as.

Sonnet 4.6 and Opus 4.7 accept a million tokens without any beta, so an answer alone
cannot tell whether the proxy kept the 1M request intact. A pass needs the answered
upstream request to carry the `context-1m-2025-08-07` beta where Claude Code sends it for
a `[1m]` model (Sonnet 4.6; every platform compat covers documents the flag: the Claude
API and Foundry, Bedrock's `anthropic_beta`, Vertex AI's header), the token at the very
start of the prompt as well as the nonce at its end, an upstream count of more than 200k
input tokens (the final usage), and the reply to carry the nonce.
"""

from __future__ import annotations

import hashlib

from compat.driver import ClaudeInvocation, ClaudeRun
from compat.probes import register, wire
from compat.probes.base import CliProbe, ProbeContext, expect_nonce
from compat.probes.prompt_caching import number
from compat.probes.prompts import ask_with_blocks
from compat.upstream_log import RecordedRequest

# ~4 characters per token for plain English prose: 1,000,000 characters is about
# 250k tokens, comfortably above the 200k standard window and far below 1M.
FILLER_CHARS = 1_000_000
FILLER_SENTENCE = "The quick brown fox jumps over the lazy dog while the river keeps flowing. "
STANDARD_WINDOW = 200_000
# Sources: https://platform.claude.com/docs/en/build-with-claude/context-windows (Claude
# API; Foundry takes its betas), https://docs.aws.amazon.com/bedrock/latest/userguide/
# model-parameters-anthropic-claude-messages-request-response.html (`anthropic_beta`),
# https://docs.anthropic.com/en/docs/claude-code/google-vertex-ai (1M on Vertex AI).
CONTEXT_1M_BETA = "context-1m-2025-08-07"
# Where Claude Code adds that beta for a `[1m]` model: Sonnet 4.6, whose standard window it
# takes to be 200k (docs/claude-cli-notes.md §10); not Opus 4.7, whose window it already
# takes to be 1M. Observed with claude 2.1.329 against the emulator, no proxy between.
BETA_TIERS = frozenset({"sonnet-4-6"})


def filler() -> str:
    return (FILLER_SENTENCE * (FILLER_CHARS // len(FILLER_SENTENCE) + 1))[:FILLER_CHARS]


def start_token(ctx: ProbeContext) -> str:
    """The token the prompt starts with: derived from the nonce, so the judge knows it."""
    return "START-" + hashlib.sha256(ctx.nonce.encode()).hexdigest()[:12].upper()


def input_tokens(usage: dict | None) -> int:
    """Every input token the upstream counted, cached or not."""
    return sum(
        number(usage, key)
        for key in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    )


@register
class LongContext1m(CliProbe):
    feature_id = "long_context_1m"

    def invocation(self, ctx: ProbeContext) -> ClaudeInvocation:
        question = (
            "The text above is filler. Ignore it and reply with exactly this token and "
            f"nothing else: {ctx.nonce}"
        )
        # The `[1m]` model suffix makes Claude Code send the 1M-context beta.
        return ask_with_blocks(
            ctx,
            {"type": "text", "text": f"{start_token(ctx)} {filler()}"},
            {"type": "text", "text": question},
            model=f"{ctx.alias}[1m]",
            timeout_s=max(ctx.timeout_s, 300.0),
        )

    def wire_problem(
        self, run: ClaudeRun, ctx: ProbeContext, records: list[RecordedRequest]
    ) -> str | None:
        sent = wire.answered(records)
        if not sent:
            return "no upstream request carrying this run's 1M-context prompt was answered"
        last = sent[-1]
        flags = wire.betas(last)
        if ctx.cell.tier in BETA_TIERS and CONTEXT_1M_BETA not in flags:
            return (
                f"expected the {CONTEXT_1M_BETA} beta Claude Code sends for a `[1m]` model in "
                f"the upstream request, {wire.describe(last)} carried "
                f"{', '.join(sorted(flags)) or 'no betas'}: the proxy dropped it"
            )
        whole = {r.seq for r in ctx.upstream_requests(start_token(ctx)) or []}
        if last.seq not in whole:
            return (
                f"expected the whole prompt upstream, {wire.describe(last)} lost its start "
                f"(the token {start_token(ctx)} it begins with): the proxy truncated it"
            )
        return None

    def judge(self, run: ClaudeRun, ctx: ProbeContext) -> str | None:
        counted = input_tokens(run.usage)
        if counted <= STANDARD_WINDOW:
            return (
                f"expected the upstream to count more than {STANDARD_WINDOW:,} input tokens, "
                f"the final usage reports {counted:,}: the prompt did not reach it whole"
            )
        return expect_nonce(run.final_text, ctx.nonce)
