"""Tool input streams as input_json_delta events that add up to the tool call's input.

A pass needs streaming upstream requests, at least two `input_json_delta` events that add
up to the requested Bash input, and the Bash round trip.
"""

from __future__ import annotations

import json

from compat.driver import ClaudeInvocation, ClaudeRun
from compat.probes import register
from compat.probes.base import CliProbe, ProbeContext, clip
from compat.probes.prompts import (
    bash_command,
    bash_invocation,
    judge_bash_round_trip,
    streaming_problem,
)
from compat.upstream_log import RecordedRequest

MIN_INPUT_DELTAS = 2


@register
class ToolUseStreaming(CliProbe):
    feature_id = "tool_use_streaming"
    upstream_requests = 2  # the tool call, then the answer with its output

    def invocation(self, ctx: ProbeContext) -> ClaudeInvocation:
        return bash_invocation(ctx, "--include-partial-messages")

    def wire_problem(
        self, run: ClaudeRun, ctx: ProbeContext, records: list[RecordedRequest]
    ) -> str | None:
        return streaming_problem(records)

    def judge(self, run: ClaudeRun, ctx: ProbeContext) -> str | None:
        deltas = run.deltas("input_json_delta")
        if len(deltas) < MIN_INPUT_DELTAS:
            return (
                f"expected at least {MIN_INPUT_DELTAS} input_json_delta stream events for the "
                f"Bash input, saw {len(deltas)} (the tool input arrived in one piece: the "
                "stream was buffered)"
            )
        streamed = "".join(d.get("partial_json", "") for d in deltas)
        try:
            tool_input = json.loads(streamed)
        except json.JSONDecodeError:
            return f"the input_json_delta events do not add up to JSON: {clip(streamed)}"
        if not isinstance(tool_input, dict) or tool_input.get("command") != bash_command(ctx.nonce):
            return f"the streamed tool input is not the requested command: {clip(streamed)}"
        return judge_bash_round_trip(run, ctx.nonce)
