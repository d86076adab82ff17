"""Paced and stalled streams: the `[compat-stream ...]` marker, and streams sent on its schedule."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from typing import Any

import google.auth.transport.requests
import httpx
import pytest
from google.oauth2 import service_account as google_service_account
from hypothesis import given
from hypothesis import strategies as st

from compat.emulator import EmulatorServer
from compat.emulator.anthropic_stream import anthropic_events
from compat.emulator.faults import FaultSpec
from compat.emulator.stream_pacing import (
    MAX_PACE_S,
    MAX_PING_S,
    MAX_STALL_S,
    MIN_PING_S,
    StreamDirective,
    converse_stall_index,
    parse_marker,
    stall_index,
    stream_directive,
)
from compat.emulator.types import EmulatorError, ModelReply, NeutralRequest, Usage
from compat.upstream_log import SentEvent
from support.bedrock_client import HAIKU as BEDROCK_HAIKU
from support.bedrock_client import (
    chunk_events,
    frame_payloads,
    invoke_body,
    model_path,
    sigv4_headers,
)
from support.wire_bodies import (
    NONCE,
    PROMPT,
    message_body,
    post_messages,
    sse_events,
    without,
)

# Clock readings of two processes' views can differ by a hair; the schedule itself is exact.
SLACK_S = 0.002

# --- the marker -------------------------------------------------------------------------------


def test_a_marker_with_every_key() -> None:
    assert parse_marker("say hi [compat-stream pace=0.4 stall=6 ping=1] please") == (
        StreamDirective(pace=0.4, stall=6.0, ping=1.0)
    )


def test_every_key_is_optional() -> None:
    assert parse_marker("[compat-stream]") == StreamDirective()
    assert parse_marker("[compat-stream stall=2]") == StreamDirective(stall=2.0)
    assert StreamDirective().ping is None


def test_text_without_a_marker_has_no_directive() -> None:
    assert parse_marker("Reply with the word pong") is None
    # The prefix of a longer word is no marker.
    assert parse_marker("[compat-streaming notes]") is None


def test_the_last_marker_wins() -> None:
    assert parse_marker("[compat-stream pace=1] then [compat-stream pace=2]") == StreamDirective(
        pace=2.0
    )


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[compat-stream pace=6]", "pace: Input should be less than or equal to 5"),
        ("[compat-stream stall=61]", "stall: Input should be less than or equal to 60"),
        ("[compat-stream ping=0.1]", "ping: Input should be greater than or equal to 0.2"),
        ("[compat-stream speed=1]", "speed: Extra inputs are not permitted"),
        ("[compat-stream pace=fast]", "is not key=seconds"),
        ("[compat-stream pace=-1]", "is not key=seconds"),
        ("[compat-stream pace=1 pace=2]", "pace is given twice"),
        ("[compat-stream pace=1", "must end with ']'"),
    ],
)
def test_unreadable_markers_say_why(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_marker(text)


seconds = st.floats(min_value=0.0, allow_nan=False, allow_infinity=False)


@given(
    pace=seconds.filter(lambda x: x <= MAX_PACE_S),
    stall=seconds.filter(lambda x: x <= MAX_STALL_S),
    ping=st.none() | st.floats(min_value=MIN_PING_S, max_value=MAX_PING_S),
    before=st.text(alphabet=st.characters(exclude_characters="[]")),
    after=st.text(alphabet=st.characters(exclude_characters="[]")),
)
def test_a_directive_survives_its_marker_in_any_text(
    pace: float, stall: float, ping: float | None, before: str, after: str
) -> None:
    directive = StreamDirective(pace=pace, stall=stall, ping=ping)
    assert parse_marker(f"{before}{directive.marker()}{after}") == directive


@given(st.text(alphabet=st.characters(exclude_characters="[")))
def test_text_that_never_opens_a_marker_has_none(text: str) -> None:
    assert parse_marker(text) is None


def neutral(body: dict[str, Any]) -> NeutralRequest:
    return NeutralRequest(provider="anthropic", model="claude-sonnet-4-6", body=body, stream=True)


def test_the_directive_is_read_from_system_and_user_text_in_order() -> None:
    body = {
        "system": [{"type": "text", "text": "[compat-stream pace=1]"}],
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "go [compat-stream pace=2]"}]},
            {"role": "assistant", "content": "[compat-stream pace=3]"},
            {"role": "user", "content": "and on"},
        ],
    }
    # The assistant's text is not the client's request: the user's marker wins.
    assert stream_directive(neutral(body)) == StreamDirective(pace=2.0)
    assert stream_directive(neutral({"system": "[compat-stream stall=4]", "messages": []})) == (
        StreamDirective(stall=4.0)
    )
    assert stream_directive(neutral({"messages": [{"role": "user", "content": "hi"}]})) is None


def test_an_unreadable_marker_is_an_invalid_request() -> None:
    body = {"messages": [{"role": "user", "content": "[compat-stream pace=9]"}]}
    with pytest.raises(EmulatorError) as raised:
        stream_directive(neutral(body))
    assert raised.value.kind == "invalid_request_error"
    assert raised.value.message.startswith("[compat-stream ...] marker: pace:")


def reply(*blocks: dict[str, Any]) -> ModelReply:
    return ModelReply(
        id="msg_01",
        model="claude-sonnet-4-6",
        content=list(blocks),
        stop_reason="end_turn",
        usage=Usage(input_tokens=5, output_tokens=5),
    )


TEXT = {"type": "text", "text": "hello there"}
THINKING = {"type": "thinking", "thinking": "let me see", "signature": "c2ln"}
TOOL = {"type": "tool_use", "id": "toolu_01", "name": "Bash", "input": {"command": "ls"}}


@pytest.mark.parametrize(
    ("blocks", "expected_delta"),
    [
        ((TEXT,), ("text_delta", 0)),
        ((THINKING, TEXT), ("thinking_delta", 0)),
        ((TOOL, TEXT), ("text_delta", 1)),
        ((TOOL,), ("input_json_delta", 0)),
    ],
)
def test_the_stall_follows_the_first_thinking_else_text_delta(
    blocks: tuple[dict[str, Any], ...], expected_delta: tuple[str, int]
) -> None:
    events = anthropic_events(reply(*blocks))
    index = stall_index(events)
    assert index is not None
    event = events[index]
    assert event["type"] == "content_block_delta"
    assert (event["delta"]["type"], event["index"]) == expected_delta
    # ... and it is the first such delta.
    assert not any(
        e["type"] == "content_block_delta" and e["index"] == event["index"] for e in events[:index]
    )


CONVERSE_TEXT = ("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"text": "hi"}})
CONVERSE_REASONING = (
    "contentBlockDelta",
    {"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "hmm"}}},
)
CONVERSE_TOOL_INPUT = (
    "contentBlockDelta",
    {"contentBlockIndex": 0, "delta": {"toolUse": {"input": "{}"}}},
)
CONVERSE_TOOL_START = (
    "contentBlockStart",
    {"contentBlockIndex": 0, "start": {"toolUse": {"toolUseId": "t", "name": "Bash"}}},
)


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([CONVERSE_TEXT, CONVERSE_TEXT], 1),
        ([CONVERSE_REASONING, CONVERSE_REASONING, CONVERSE_TEXT], 1),
        ([CONVERSE_TOOL_START, CONVERSE_TOOL_INPUT, CONVERSE_TEXT], 3),
        ([CONVERSE_TOOL_START, CONVERSE_TOOL_INPUT], 2),
        ([], None),
    ],
)
def test_converse_stalls_after_its_first_reasoning_else_text_delta(
    events: list[tuple[str, dict[str, Any]]], expected: int | None
) -> None:
    stream = [("messageStart", {"role": "assistant"}), *events, ("messageStop", {})]
    assert converse_stall_index(stream) == expected


# --- paced streams over HTTP ------------------------------------------------------------------


def paced_body(marker: str, **overrides: Any) -> dict[str, Any]:
    return message_body(
        stream=True, messages=[{"role": "user", "content": f"{PROMPT} {marker}"}], **overrides
    )


def sent_events(emulator: EmulatorServer) -> list[SentEvent]:
    (record,) = emulator.ctx.recorder.query()
    assert record.sent_events is not None
    return record.sent_events


def gaps(events: list[SentEvent]) -> list[float]:
    return [later.t - earlier.t for earlier, later in itertools.pairwise(events)]


def test_a_paced_stream_spaces_every_event(emulator: EmulatorServer) -> None:
    response = post_messages(emulator, paced_body("[compat-stream pace=0.05]"))
    assert response.status_code == 200, response.text
    events = sse_events(response.text)
    sent = sent_events(emulator)
    # One write per event, in the order they were streamed, each at least `pace` apart.
    assert [s.type for s in sent] == [name for name, _ in events]
    assert len(sent) >= 8
    assert min(gaps(sent)) >= 0.05 - SLACK_S
    # The marker stays in the recorded body.
    (record,) = emulator.ctx.recorder.query()
    assert "[compat-stream pace=0.05]" in record.body["messages"][0]["content"]


def test_an_unpaced_stream_leaves_in_two_writes(emulator: EmulatorServer) -> None:
    post_messages(emulator, message_body(stream=True))
    sent = sent_events(emulator)
    assert sent[0].type == "message_start"
    # Everything after message_start left in one write, stamped with one time.
    assert len({s.t for s in sent[1:]}) == 1
    assert sent[1].t - sent[0].t < 0.05


def test_a_stall_on_the_anthropic_wire_is_filled_with_pings(emulator: EmulatorServer) -> None:
    body = paced_body(
        "[compat-stream stall=0.5 ping=0.2]",
        max_tokens=2048,
        thinking={"type": "enabled", "budget_tokens": 1024},
    )
    started = time.monotonic()
    response = post_messages(emulator, body)
    assert response.status_code == 200, response.text
    assert time.monotonic() - started >= 0.5
    events = sse_events(response.text)
    names = [name for name, _ in events]
    first_thinking = next(
        i
        for i, (name, data) in enumerate(events)
        if name == "content_block_delta" and data["delta"]["type"] == "thinking_delta"
    )
    # The stream's own ping, then two pings in the 0.5 s stall (at 0.2 s and 0.4 s), right
    # after the first thinking delta.
    assert names[first_thinking + 1 : first_thinking + 3] == ["ping", "ping"]
    assert names[first_thinking + 3] == "content_block_delta"
    assert names.count("ping") == 3
    assert all(data == {"type": "ping"} for name, data in events if name == "ping")
    sent = sent_events(emulator)
    assert [s.type for s in sent] == names
    stall = sent[first_thinking + 3].t - sent[first_thinking].t
    assert stall >= 0.5 - SLACK_S
    ping_gaps = gaps(sent[first_thinking : first_thinking + 3])
    assert min(ping_gaps) >= 0.2 - SLACK_S


def test_a_stall_without_ping_is_silent(emulator: EmulatorServer) -> None:
    response = post_messages(emulator, paced_body("[compat-stream stall=0.3]"))
    names = [name for name, _ in sse_events(response.text)]
    assert names.count("ping") == 1
    sent = sent_events(emulator)
    first_text = next(i for i, s in enumerate(sent) if s.type == "content_block_delta")
    assert sent[first_text + 1].t - sent[first_text].t >= 0.3 - SLACK_S


def test_the_foundry_wire_pings_during_a_stall(emulator: EmulatorServer) -> None:
    response = post_messages(
        emulator,
        paced_body("[compat-stream stall=0.25 ping=0.2]", model="claude-haiku-4-5"),
        path="/anthropic/v1/messages",
        headers={"api-key": "foundry-key"},
    )
    assert response.status_code == 200, response.text
    assert [name for name, _ in sse_events(response.text)].count("ping") == 2


def test_vertex_stream_raw_predict_pings_during_a_stall(
    emulator: EmulatorServer, service_account: Path
) -> None:
    creds = google_service_account.Credentials.from_service_account_file(
        str(service_account), scopes=["https://www.googleapis.com/auth/cloud-platform"]
    )
    creds.refresh(google.auth.transport.requests.Request())
    body = {
        **without(paced_body("[compat-stream stall=0.25 ping=0.2]"), "model", "stream"),
        "anthropic_version": "vertex-2023-10-16",
    }
    response = httpx.post(
        f"{emulator.url}/v1/projects/p/locations/us-east5/publishers/anthropic/models/"
        "claude-sonnet-4-6:streamRawPredict",
        json=body,
        headers={"authorization": f"Bearer {creds.token}"},
    )
    assert response.status_code == 200, response.text
    assert [name for name, _ in sse_events(response.text)].count("ping") == 2


def invoke_stream(emulator: EmulatorServer, body: dict[str, Any]) -> httpx.Response:
    path = model_path(BEDROCK_HAIKU, "invoke-with-response-stream")
    raw = json.dumps(body).encode()
    return httpx.post(
        emulator.url + path, content=raw, headers=sigv4_headers(emulator.url + path, raw)
    )


def test_bedrock_event_streams_are_paced_and_stalled_but_never_pinged(
    emulator: EmulatorServer,
) -> None:
    marker = "[compat-stream pace=0.02 stall=0.5 ping=0.2]"
    body = invoke_body(
        max_tokens=2048,
        thinking={"type": "enabled", "budget_tokens": 1024},
        messages=[{"role": "user", "content": f"{PROMPT} {marker}"}],
    )
    response = invoke_stream(emulator, body)
    assert response.status_code == 200, response.text
    events = chunk_events(response.content)
    sent = sent_events(emulator)
    # Only the stream's own relayed ping: the stall sends none.
    assert [s.type for s in sent] == [event["type"] for event in events]
    assert [s.type for s in sent].count("ping") == 1
    assert min(gaps(sent)) >= 0.02 - SLACK_S
    first_thinking = next(
        i
        for i, event in enumerate(events)
        if event["type"] == "content_block_delta" and event["delta"]["type"] == "thinking_delta"
    )
    assert sent[first_thinking + 1].t - sent[first_thinking].t >= 0.5 - SLACK_S


def converse_stream(emulator: EmulatorServer, body: dict[str, Any]) -> httpx.Response:
    path = model_path(BEDROCK_HAIKU, "converse-stream")
    raw = json.dumps(body).encode()
    return httpx.post(
        emulator.url + path, content=raw, headers=sigv4_headers(emulator.url + path, raw)
    )


def converse_body(marker: str, **overrides: Any) -> dict[str, Any]:
    return {
        "messages": [{"role": "user", "content": [{"text": f"{PROMPT} {marker}"}]}],
        "inferenceConfig": {"maxTokens": 2048},
        **overrides,
    }


def first_delta_with(events: list[tuple[str, dict[str, Any]]], member: str) -> int:
    return next(
        i
        for i, (name, payload) in enumerate(events)
        if name == "contentBlockDelta" and member in payload["delta"]
    )


def test_converse_streams_are_paced_and_stall_after_the_first_reasoning_delta(
    emulator: EmulatorServer,
) -> None:
    thinking = {"thinking": {"type": "enabled", "budget_tokens": 1024}}
    body = converse_body(
        "[compat-stream pace=0.05 stall=0.5 ping=0.2]", additionalModelRequestFields=thinking
    )
    started = time.monotonic()
    response = converse_stream(emulator, body)
    assert response.status_code == 200, response.text
    assert time.monotonic() - started >= 0.5
    events = frame_payloads(response.content)
    sent = sent_events(emulator)
    # One write per event and no pings: ConverseStream has no ping event.
    assert [s.type for s in sent] == [name for name, _ in events]
    assert "ping" not in [s.type for s in sent]
    assert min(gaps(sent)) >= 0.05 - SLACK_S
    first_reasoning = first_delta_with(events, "reasoningContent")
    assert first_reasoning < first_delta_with(events, "text")
    stalls = [i for i, gap in enumerate(gaps(sent)) if gap >= 0.5 - SLACK_S]
    assert stalls == [first_reasoning]


def test_a_converse_stream_without_reasoning_stalls_after_its_first_text_delta(
    emulator: EmulatorServer,
) -> None:
    response = converse_stream(emulator, converse_body("[compat-stream stall=0.3]"))
    assert response.status_code == 200, response.text
    events = frame_payloads(response.content)
    sent = sent_events(emulator)
    assert [s.type for s in sent] == [name for name, _ in events]
    first_text = first_delta_with(events, "text")
    stalls = [i for i, gap in enumerate(gaps(sent)) if gap >= 0.3 - SLACK_S]
    assert stalls == [first_text]


def test_an_unpaced_converse_stream_leaves_at_once(emulator: EmulatorServer) -> None:
    response = converse_stream(emulator, converse_body(""))
    assert response.status_code == 200, response.text
    sent = sent_events(emulator)
    assert [s.type for s in sent] == [name for name, _ in frame_payloads(response.content)]
    assert sent[-1].t - sent[0].t < 0.05


def test_a_bad_marker_is_refused_in_each_wires_shape(emulator: EmulatorServer) -> None:
    response = post_messages(emulator, paced_body("[compat-stream stall=99]"))
    assert response.status_code == 400
    assert "stall: Input should be less than or equal to 60" in response.json()["error"]["message"]
    body = invoke_body(messages=[{"role": "user", "content": "hi [compat-stream stall=99]"}])
    bedrock = invoke_stream(emulator, body)
    assert bedrock.status_code == 400
    assert bedrock.headers["x-amzn-ErrorType"].startswith("ValidationException")
    converse = converse_stream(emulator, converse_body("[compat-stream stall=99]"))
    assert converse.status_code == 400
    assert converse.headers["x-amzn-ErrorType"].startswith("ValidationException")
    assert "stall: Input should be less than or equal to 60" in converse.json()["message"]


def test_a_marker_on_a_non_streamed_request_changes_nothing(emulator: EmulatorServer) -> None:
    started = time.monotonic()
    response = post_messages(
        emulator,
        message_body(messages=[{"role": "user", "content": f"{PROMPT} [compat-stream stall=9]"}]),
    )
    assert response.status_code == 200
    assert NONCE in response.json()["content"][0]["text"]
    assert time.monotonic() - started < 5


def test_a_cut_paced_stream_stops_where_the_fault_says(emulator: EmulatorServer) -> None:
    emulator.ctx.faults.add(FaultSpec(provider="anthropic", kind="cut_stream", after_events=4))
    with pytest.raises(httpx.RemoteProtocolError):
        post_messages(emulator, paced_body("[compat-stream pace=0.02]"))
    assert len(sent_events(emulator)) == 4


def test_a_client_that_hangs_up_mid_stall_is_recorded_at_once(emulator: EmulatorServer) -> None:
    started = time.monotonic()
    with (
        httpx.Client() as client,
        client.stream(
            "POST",
            f"{emulator.url}/v1/messages",
            json=paced_body("[compat-stream stall=20 ping=0.2]"),
            headers={"x-api-key": "k", "anthropic-version": "2023-06-01"},
        ) as response,
    ):
        for line in response.iter_lines():
            if line == "event: ping" and time.monotonic() - started > 0.1:
                break
    deadline = time.monotonic() + 5
    while not emulator.ctx.recorder.query() and time.monotonic() < deadline:
        time.sleep(0.02)
    (record,) = emulator.ctx.recorder.query()
    assert time.monotonic() - started < 10
    assert record.sent_events is not None
    assert record.sent_events[-1].type == "ping"
    assert "message_stop" not in [s.type for s in record.sent_events]
