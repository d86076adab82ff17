"""A prompt above 200k tokens succeeds when Claude Code asks for the 1M-context window."""

from __future__ import annotations

from compat.driver import ClaudeInvocation, ClaudeRun
from compat.probes import register
from compat.probes.base import CliProbe, ProbeContext, expect_nonce
from compat.probes.prompts import ask_with_blocks

# ~4 characters per token for plain English prose: 1,000,000 characters is about
# 250k tokens, comfortably above the 200k standard window and far below 1M.
FILLER_CHARS = 1_000_000
FILLER_SENTENCE = "The quick brown fox jumps over the lazy dog while the river keeps flowing. "


def filler() -> str:
    return (FILLER_SENTENCE * (FILLER_CHARS // len(FILLER_SENTENCE) + 1))[:FILLER_CHARS]


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
            {"type": "text", "text": filler()},
            {"type": "text", "text": question},
            model=f"{ctx.alias}[1m]",
            timeout_s=max(ctx.timeout_s, 300.0),
        )

    def judge(self, run: ClaudeRun, ctx: ProbeContext) -> str | None:
        return expect_nonce(run.final_text, ctx.nonce)
