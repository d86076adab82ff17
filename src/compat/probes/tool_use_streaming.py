"""Tool input streams as input_json_delta events that add up to the tool call's input."""

from __future__ import annotations

import json

from compat.driver import ClaudeInvocation, ClaudeRun
from compat.probes import register
from compat.probes.base import CliProbe, ProbeContext, clip
from compat.probes.prompts import bash_command, bash_invocation, judge_bash_round_trip


@register
class ToolUseStreaming(CliProbe):
    feature_id = "tool_use_streaming"
    upstream_requests = 2  # the tool call, then the answer with its output

    def invocation(self, ctx: ProbeContext) -> ClaudeInvocation:
        return bash_invocation(ctx, "--include-partial-messages")

    def judge(self, run: ClaudeRun, ctx: ProbeContext) -> str | None:
        deltas = run.deltas("input_json_delta")
        if not deltas:
            return "expected input_json_delta stream events for the Bash input, saw none"
        streamed = "".join(d.get("partial_json", "") for d in deltas)
        try:
            tool_input = json.loads(streamed)
        except json.JSONDecodeError:
            return f"the input_json_delta events do not add up to JSON: {clip(streamed)}"
        if not isinstance(tool_input, dict) or tool_input.get("command") != bash_command(ctx.nonce):
            return f"the streamed tool input is not the requested command: {clip(streamed)}"
        return judge_bash_round_trip(run, ctx.nonce)
