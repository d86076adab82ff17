"""The model calls Bash as asked, Claude Code runs it, and the answer carries its output."""

from __future__ import annotations

from compat.driver import ClaudeInvocation, ClaudeRun
from compat.probes import register
from compat.probes.base import CliProbe, ProbeContext
from compat.probes.prompts import bash_invocation, judge_bash_round_trip


@register
class ToolUse(CliProbe):
    feature_id = "tool_use"
    upstream_requests = 2  # the tool call, then the answer with its output

    def invocation(self, ctx: ProbeContext) -> ClaudeInvocation:
        return bash_invocation(ctx)

    def judge(self, run: ClaudeRun, ctx: ProbeContext) -> str | None:
        return judge_bash_round_trip(run, ctx.nonce)
