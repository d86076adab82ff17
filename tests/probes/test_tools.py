"""Tool use (plain and streaming), web search and tool search."""

from __future__ import annotations

import httpx

from compat.outcome import Fail, Pass
from compat.probes.tool_search import judge_tool_search
from probes.recorded import (
    drop_blocks,
    drop_tool,
    each_body,
    http_response,
    judge,
    recorded_context,
    set_field,
    transcript,
)


def failed(verdict, expected: str) -> None:
    assert isinstance(verdict.outcome, Fail), verdict.outcome
    assert expected in verdict.outcome.error, verdict.outcome.error
    assert not verdict.retryable


def without_lines(marker: str):
    return lambda t: "\n".join(line for line in t.splitlines() if marker not in line)


# ---------------------------------------------------------------- tool use


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


# ---------------------------------------------------------------- tool use, streaming


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


# ---------------------------------------------------------------- web search


def test_web_search_passes_on_the_recorded_transcript():
    assert judge("web_search", transcript("web_search")).outcome == Pass()


def test_web_search_without_results_fails():
    run = transcript("web_search", lambda t: t.replace('"results":', '"no_results":'))
    failed(judge("web_search", run), "returned no search results")


def test_web_search_fails_when_the_server_tool_never_reached_upstream():
    def no_server_tool(body: dict) -> None:
        body["tools"] = [t for t in body.get("tools", []) if t.get("type") != "web_search_20250305"]

    ctx = recorded_context("web_search", lambda records: each_body(records, no_server_tool))
    failed(
        judge("web_search", transcript("web_search"), ctx),
        "expected the web search server tool (`tools` entry of type web_search_*)",
    )


# ---------------------------------------------------------------- tool search


def tool_search(response=None, upstream=lambda r: r):
    ctx = recorded_context("tool_search", upstream)
    return judge_tool_search(response or http_response("tool_search"), ctx)


def test_tool_search_passes_on_the_recorded_answer():
    assert tool_search().outcome == Pass()


def test_tool_search_fails_without_the_search_blocks():
    def no_search(body: dict) -> None:
        body["content"] = [b for b in body["content"] if b["type"] == "text"]

    failed(tool_search(http_response("tool_search", no_search)), "expected a server_tool_use block")


def test_tool_search_fails_when_the_server_tool_never_reached_upstream():
    def no_search_tool(body: dict) -> None:
        body["tools"] = [
            t for t in body["tools"] if not t.get("type", "").startswith("tool_search")
        ]

    failed(
        tool_search(upstream=lambda records: each_body(records, no_search_tool)),
        "expected the tool search server tool (tool_search_tool_regex_20251119) in the upstream",
    )


def test_tool_search_passes_live_on_the_answer_alone_and_retries_an_overload():
    assert tool_search(upstream=lambda r: None).outcome == Pass()
    overloaded = tool_search(
        httpx.Response(529, json={"type": "error", "error": {"message": "Overloaded"}}),
        upstream=lambda r: None,
    )
    assert overloaded.retryable and "HTTP 529: Overloaded" in overloaded.outcome.error
