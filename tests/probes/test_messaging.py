"""Basic messaging (non-streaming and streaming), structured outputs and the 1M context."""

from __future__ import annotations

import re

import httpx

from compat.outcome import Fail, Pass
from compat.probes.basic_messaging_non_streaming import judge_non_streaming
from compat.probes.long_context_1m import start_token
from probes.recorded import (
    OTHER_NONCE,
    drop_beta,
    drop_tool,
    http_response,
    judge,
    no_records,
    recorded_context,
    replace_text,
    set_field,
    transcript,
)

NONCES = re.compile(r"COMPAT-[0-9A-F]{12}")


def failed(verdict, expected: str) -> None:
    assert isinstance(verdict.outcome, Fail), verdict.outcome
    assert expected in verdict.outcome.error, verdict.outcome.error
    assert not verdict.retryable


# ---------------------------------------------------------------- non-streaming


def non_streaming(response: httpx.Response | None = None, upstream=lambda r: r):
    ctx = recorded_context("basic_messaging_non_streaming", upstream)
    return judge_non_streaming(response or http_response("basic_messaging_non_streaming"), ctx)


def test_non_streaming_passes_on_its_recorded_round_trip():
    assert non_streaming().outcome == Pass()


def test_non_streaming_passes_live_on_the_answer_alone():
    assert non_streaming(upstream=lambda r: None).outcome == Pass()


def test_a_streaming_upstream_request_fails_the_non_streaming_probe():
    failed(
        non_streaming(upstream=set_field("stream", True)),
        "expected a non-streaming upstream request (`stream: false`), the proxy sent "
        "POST /v1/messages (200) as a streaming one",
    )


def test_a_streamed_answer_fails_the_non_streaming_probe():
    sse = httpx.Response(
        200,
        text="event: message_start\ndata: {}\n\n",
        headers={"content-type": "text/event-stream"},
    )
    failed(non_streaming(sse), "expected one JSON message, the proxy answered text/event-stream")


def test_non_streaming_needs_the_nonce_and_an_answered_upstream_request():
    def other_nonce(body: dict) -> None:
        body["content"] = [{"type": "text", "text": OTHER_NONCE}]

    failed(
        non_streaming(http_response("basic_messaging_non_streaming", other_nonce)),
        "expected the reply to contain the nonce",
    )
    failed(non_streaming(upstream=no_records), "no upstream request carrying the nonce")


# ---------------------------------------------------------------- streaming


def test_streaming_passes_on_its_recorded_transcript():
    assert judge("basic_messaging_streaming", transcript("basic_messaging_streaming")).outcome == (
        Pass()
    )


def test_streaming_fails_without_its_text_deltas():
    def buffered(text: str) -> str:
        return "\n".join(line for line in text.splitlines() if '"stream_event"' not in line)

    run = transcript("basic_messaging_streaming", buffered)
    failed(judge("basic_messaging_streaming", run), "saw 0 (the reply arrived in one piece")


def test_streaming_fails_when_the_upstream_request_was_not_streamed():
    ctx = recorded_context("basic_messaging_streaming", set_field("stream", False))
    verdict = judge("basic_messaging_streaming", transcript("basic_messaging_streaming"), ctx)
    failed(verdict, "expected a streaming upstream request (`stream: true`")


# ---------------------------------------------------------------- structured outputs


def test_structured_outputs_pass_on_the_recorded_transcript():
    assert judge("structured_outputs", transcript("structured_outputs")).outcome == Pass()


def test_structured_output_that_breaks_the_schema_fails():
    run = transcript(
        "structured_outputs",
        lambda t: t.replace('"structured_output":{', '"structured_output":{"extra":1,'),
    )
    failed(judge("structured_outputs", run), "does not match the schema")


def test_structured_outputs_fail_when_the_schema_tool_never_reached_upstream():
    ctx = recorded_context("structured_outputs", drop_tool("StructuredOutput"))
    verdict = judge("structured_outputs", transcript("structured_outputs"), ctx)
    failed(verdict, "expected Claude Code's --json-schema tool `StructuredOutput` in the upstream")


# ---------------------------------------------------------------- 1M context


def test_long_context_passes_on_the_recorded_run():
    assert judge("long_context_1m", transcript("long_context_1m")).outcome == Pass()


def test_long_context_fails_without_the_nonce():
    run = transcript("long_context_1m", lambda t: NONCES.sub(OTHER_NONCE, t))
    failed(judge("long_context_1m", run), "expected the reply to contain the nonce")


def test_long_context_fails_when_the_1m_beta_was_dropped_on_the_way():
    ctx = recorded_context("long_context_1m", drop_beta("context-1m-2025-08-07"))
    verdict = judge("long_context_1m", transcript("long_context_1m"), ctx)
    failed(verdict, "expected the context-1m-2025-08-07 beta Claude Code sends for a `[1m]` model")


def test_long_context_needs_no_beta_where_claude_code_sends_none():
    # Claude Code sends no 1M beta for `claude-opus-4-7[1m]`: its window is 1M already.
    ctx = recorded_context("long_context_1m", drop_beta("context-1m-2025-08-07"), tier="opus-4-7")
    assert judge("long_context_1m", transcript("long_context_1m"), ctx).outcome == Pass()


def test_long_context_fails_when_the_start_of_the_prompt_was_lost():
    ctx = recorded_context("long_context_1m")
    lost_start = replace_text(start_token(ctx), "")
    verdict = judge(
        "long_context_1m",
        transcript("long_context_1m"),
        recorded_context("long_context_1m", lost_start),
    )
    failed(verdict, f"lost its start (the token {start_token(ctx)} it begins with)")


def test_long_context_fails_when_upstream_counted_a_standard_window():
    def small(text: str) -> str:
        for key in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"):
            text = re.sub(rf'"{key}":\d+', f'"{key}":1000', text)
        return text

    run = transcript("long_context_1m", small)
    failed(judge("long_context_1m", run), "expected the upstream to count more than 200,000")
