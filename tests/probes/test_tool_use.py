"""Tool use, plain and streaming: the command runs and its result goes back up."""

from __future__ import annotations

from compat.outcome import Pass
from support.recorded import (
    drop_blocks,
    drop_tool,
    failed,
    judge,
    recorded_context,
    set_field,
    transcript,
)


def without_lines(marker: str):
    return lambda t: "\n".join(line for line in t.splitlines() if marker not in line)


def test_tool_use_passes_on_the_recorded_round_trip():
    assert judge("tool_use", transcript("tool_use")).outcome == Pass()


def test_tool_use_fails_when_claude_never_ran_the_command():
    failed(
        judge("tool_use", transcript("tool_use", without_lines('"type":"user"'))),
        "got no tool_result",
    )


def test_tool_use_fails_when_bash_never_reached_upstream():
    ctx = recorded_context("tool_use", drop_tool("Bash"))
    failed(
        judge("tool_use", transcript("tool_use"), ctx), "expected the tool `Bash` in the upstream"
    )


def test_tool_use_fails_when_the_tool_result_never_went_back_up():
    ctx = recorded_context("tool_use", drop_blocks("tool_result"))
    failed(
        judge("tool_use", transcript("tool_use"), ctx),
        "expected the Bash command's output to go back upstream as a `tool_result` block",
    )


def test_tool_use_streaming_passes_on_the_recorded_transcript():
    assert judge("tool_use_streaming", transcript("tool_use_streaming")).outcome == Pass()


def test_tool_input_without_deltas_fails():
    run = transcript("tool_use_streaming", without_lines("input_json_delta"))
    failed(judge("tool_use_streaming", run), "expected at least 2 input_json_delta stream events")


def test_tool_input_in_one_delta_is_a_buffered_stream():
    def one_delta(text: str) -> str:
        lines, seen = [], 0
        for line in text.splitlines():
            if "input_json_delta" in line:
                seen += 1
                if seen > 1:
                    continue
            lines.append(line)
        return "\n".join(lines)

    failed(
        judge("tool_use_streaming", transcript("tool_use_streaming", one_delta)),
        "saw 1 (the tool input arrived in one piece",
    )


def test_tool_use_streaming_fails_when_the_upstream_request_was_not_streamed():
    ctx = recorded_context("tool_use_streaming", set_field("stream", False))
    failed(
        judge("tool_use_streaming", transcript("tool_use_streaming"), ctx),
        "expected a streaming upstream request",
    )
