"""Basic messaging, non-streaming and streaming: the nonce round-trips on the wire asked for."""

from __future__ import annotations

import re

import httpx

from compat.outcome import Pass
from compat.probes.basic_messaging_non_streaming import judge_non_streaming
from support.recorded import (
    OTHER_NONCE,
    failed,
    http_response,
    judge,
    no_records,
    recorded_context,
    set_field,
    transcript,
)

NONCES = re.compile(r"COMPAT-[0-9A-F]{12}")


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
