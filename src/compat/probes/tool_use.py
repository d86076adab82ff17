"""The model calls Bash as asked, Claude Code runs it, and the answer carries its output.

A pass needs the Bash tool in the upstream request's `tools`, the command's output back
upstream in a `tool_result` block, and the transcript's round trip (see
`judge_bash_round_trip`).
"""

from __future__ import annotations

from compat.driver import ClaudeInvocation, ClaudeRun
from compat.probes import register
from compat.probes.base import CliProbe, ProbeContext
from compat.probes.prompts import bash_invocation, bash_wire_problem, judge_bash_round_trip
from compat.upstream_log import RecordedRequest


@register
class ToolUse(CliProbe):
    feature_id = "tool_use"
    upstream_requests = 2  # the tool call, then the answer with its output

    def invocation(self, ctx: ProbeContext) -> ClaudeInvocation:
        return bash_invocation(ctx)

    def wire_problem(
        self, run: ClaudeRun, ctx: ProbeContext, records: list[RecordedRequest]
    ) -> str | None:
        return bash_wire_problem(run, records, ctx.nonce)

    def judge(self, run: ClaudeRun, ctx: ProbeContext) -> str | None:
        return judge_bash_round_trip(run, ctx.nonce)
