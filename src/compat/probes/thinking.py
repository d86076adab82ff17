"""A thinking-enabled request (Claude Code's default) yields a signed thinking block.

On the tiers that take an effort level the probe sets one (`--effort high`), and a pass
needs it to reach upstream as `output_config.effort`: a proxy that drops the effort still
gets thinking back, at whatever effort the upstream defaults to.

On the GPT columns thinking is OpenAI's reasoning: a pass needs the upstream request to ask
for it with a summary and its encrypted form (`reasoning`), and the summary back in Claude
Code as a signed thinking block.
"""

from __future__ import annotations

from compat.driver import ClaudeInvocation, ClaudeRun
from compat.probes import register, wire
from compat.probes.base import CliProbe, ProbeContext, expect_nonce
from compat.probes.prompts import ask, signed_thinking_problem
from compat.probes.reasoning import reasoning_request_problem
from compat.upstream_log import RecordedRequest

EFFORT = "high"
# The effort parameter is offered for Claude Opus 4.5 and later and Sonnet 4.6, not for
# Haiku 4.5 (for which Claude Code sends none).
# Source: https://platform.claude.com/docs/en/build-with-claude/effort
EFFORT_TIERS = frozenset({"sonnet-4-6", "opus-4-7"})


def effort_args(ctx: ProbeContext) -> tuple[str, ...]:
    return ("--effort", EFFORT) if ctx.cell.tier in EFFORT_TIERS else ()


def effort_problem(ctx: ProbeContext, records: list[RecordedRequest]) -> str | None:
    """The effort Claude Code sent arrived upstream, on the tiers that take one."""
    if ctx.cell.tier not in EFFORT_TIERS:
        return None
    sent = wire.answered(records)
    if not sent:
        return "no upstream request carrying this run's prompt was answered"
    if any(wire.effort(record) == EFFORT for record in sent):
        return None
    seen = wire.effort(sent[0])
    return (
        f"expected `output_config.effort: {EFFORT}` (claude --effort {EFFORT}) in the upstream "
        f"request, {wire.describe(sent[0])} carried "
        f"{f'effort {seen!r}' if seen else 'no effort'}: the proxy dropped it"
    )


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
        return ask(ctx, prompt, *effort_args(ctx))

    def wire_problem(
        self, run: ClaudeRun, ctx: ProbeContext, records: list[RecordedRequest]
    ) -> str | None:
        if ctx.family == "gpt":
            return reasoning_request_problem(records)
        return effort_problem(ctx, records)

    def judge(self, run: ClaudeRun, ctx: ProbeContext) -> str | None:
        return signed_thinking_problem(run) or expect_nonce(run.final_text, ctx.nonce)
