"""A thinking-enabled request (Claude Code's default) yields a signed thinking block."""

from __future__ import annotations

from compat.driver import ClaudeInvocation, ClaudeRun
from compat.probes import register
from compat.probes.base import CliProbe, ProbeContext, expect_nonce
from compat.probes.prompts import ask, signed_thinking_problem


@register
class Thinking(CliProbe):
    feature_id = "thinking"

    def invocation(self, ctx: ProbeContext) -> ClaudeInvocation:
        # Claude Code enables thinking by default (budget or adaptive, by model); the
        # prompt invites a real model to use it.
        prompt = (
            "Think carefully step by step before you answer. "
            f"Then reply with exactly this token and nothing else: {ctx.nonce}"
        )
        return ask(ctx, prompt)

    def judge(self, run: ClaudeRun, ctx: ProbeContext) -> str | None:
        return signed_thinking_problem(run) or expect_nonce(run.final_text, ctx.nonce)
