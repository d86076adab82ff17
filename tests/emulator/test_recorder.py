"""The request recorder: secrets stripped, queryable by provider, text and sequence, bounded."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import google.auth.transport.requests
import httpx
import pytest
from google.oauth2 import service_account as google_service_account
from starlette.testclient import TestClient

from compat.emulator import EmulatorServer
from compat.emulator.faults import FaultSpec
from compat.emulator.recorder import RESPONSE_BODY_LIMIT, Recorder, RecorderMiddleware
from support.bedrock_client import HAIKU as BEDROCK_HAIKU
from support.bedrock_client import (
    BedrockClient,
    chunk_events,
    frame_payloads,
    invoke_body,
    model_path,
    sigv4_headers,
)
from support.wire_bodies import (
    HAIKU,
    PROMPT,
    message_body,
    post_messages,
    sse_events,
    without,
)

FAKE_SECRET = "sk-FAKE-never-recorded-7731"


def test_credentials_never_reach_the_recording(emulator: EmulatorServer) -> None:
    headers = {
        "x-api-key": FAKE_SECRET,
        "authorization": f"Bearer {FAKE_SECRET}",
        "api-key": FAKE_SECRET,
        "x-amz-security-token": FAKE_SECRET,
        "cookie": f"session={FAKE_SECRET}",
        "x-custom-secret-value": FAKE_SECRET,
    }
    post_messages(emulator, path=f"/v1/messages?beta=true&key={FAKE_SECRET}", headers=headers)
    httpx.post(f"{emulator.url}/oauth2/token", data={"grant_type": "x", "assertion": FAKE_SECRET})
    dump = httpx.get(f"{emulator.url}/_emulator/requests").text
    assert FAKE_SECRET not in dump
    first, oauth = httpx.get(f"{emulator.url}/_emulator/requests").json()["requests"]
    # The header names survive, so a red cell still shows where the proxy put the key.
    assert first["headers"]["x-api-key"] == "<redacted>"
    assert first["headers"]["authorization"] == "Bearer <redacted>"
    assert first["query"] == "beta=true&key=%3Credacted%3E"
    assert first["body"]["messages"][0]["content"] == PROMPT
    assert "assertion=%3Credacted%3E" in oauth["body"]


def test_query_by_provider_body_substring_and_sequence(emulator: EmulatorServer) -> None:
    post_messages(
        emulator, message_body(messages=[{"role": "user", "content": "first COMPAT-aaaaaa1"}])
    )
    post_messages(
        emulator,
        message_body(model=HAIKU, messages=[{"role": "user", "content": "second COMPAT-bbbbbb2"}]),
        path="/anthropic/v1/messages",
        headers={"api-key": "k"},
    )
    url = f"{emulator.url}/_emulator/requests"
    everything = httpx.get(url).json()
    assert [r["provider"] for r in everything["requests"]] == ["anthropic", "azure"]
    first_seq = everything["requests"][0]["seq"]
    assert everything["last_seq"] == first_seq + 1
    by_nonce = httpx.get(url, params={"contains": "COMPAT-bbbbbb2"}).json()["requests"]
    assert [r["provider"] for r in by_nonce] == ["azure"]
    by_provider = httpx.get(url, params={"provider": "anthropic"}).json()["requests"]
    assert [r["seq"] for r in by_provider] == [first_seq]
    newer = httpx.get(url, params={"since": first_seq}).json()["requests"]
    assert [r["provider"] for r in newer] == ["azure"]
    assert httpx.get(url, params={"provider": "mistral"}).status_code == 400


def test_recording_carries_status_error_kind_and_timing(emulator: EmulatorServer) -> None:
    post_messages(emulator, message_body(bogus=True))
    (record,) = emulator.ctx.recorder.query()
    assert record.status == 400
    assert record.error_kind == "invalid_request_error"
    assert record.error_message == "bogus: Extra inputs are not permitted"
    assert record.method == "POST" and record.path == "/v1/messages"
    assert record.duration_ms >= 0 and abs(record.timestamp - time.time()) < 60


def test_delete_forgets_requests_but_not_sequence(emulator: EmulatorServer) -> None:
    post_messages(emulator)
    last = emulator.ctx.recorder.last_seq
    assert httpx.delete(f"{emulator.url}/_emulator/requests").status_code == 204
    assert httpx.get(f"{emulator.url}/_emulator/requests").json()["requests"] == []
    post_messages(emulator)
    assert [r.seq for r in emulator.ctx.recorder.query()] == [last + 1]


def _add(recorder: Recorder, body: bytes) -> None:
    recorder.add(
        provider="anthropic",
        method="POST",
        path="/v1/messages",
        query="",
        headers={},
        body=body,
        timestamp=0.0,
        duration_ms=0.0,
        status=200,
    )


def test_ring_buffer_is_bounded_by_count_and_bytes() -> None:
    by_count = Recorder(max_requests=3)
    for n in range(5):
        _add(by_count, f'{{"n": {n}}}'.encode())
    assert [r.body["n"] for r in by_count.query()] == [2, 3, 4]
    by_bytes = Recorder(max_body_bytes=25)
    for n in range(3):
        _add(by_bytes, f'{{"pad": "{n}{"x" * 9}"}}'.encode())  # 21 bytes each
    assert [r.body["pad"][0] for r in by_bytes.query()] == ["2"]
    assert by_count.held == (3, 3 * len(b'{"n": 0}'))
    assert by_bytes.held == (1, 21)
    by_bytes.clear()
    assert by_bytes.held == (0, 0)


# --- when each stream event left ---------------------------------------------------------------


def test_a_streamed_reply_records_each_event_and_when_it_left(emulator: EmulatorServer) -> None:
    response = post_messages(emulator, message_body(stream=True))
    (record,) = emulator.ctx.recorder.query()
    assert record.sent_events is not None
    assert [e.type for e in record.sent_events] == [name for name, _ in sse_events(response.text)]
    times = [e.t for e in record.sent_events]
    assert times == sorted(times)
    assert record.timestamp <= times[0] <= record.timestamp + record.duration_ms / 1000 + 0.01


def test_the_requests_endpoint_returns_the_sent_events(emulator: EmulatorServer) -> None:
    post_messages(emulator, message_body(stream=True))
    post_messages(emulator)
    streamed, plain = httpx.get(f"{emulator.url}/_emulator/requests").json()["requests"]
    assert streamed["sent_events"][0]["type"] == "message_start"
    assert streamed["sent_events"][-1]["type"] == "message_stop"
    assert set(streamed["sent_events"][0]) == {"t", "type"}
    # A reply that was not streamed has none.
    assert plain["sent_events"] is None


def test_refusals_of_stream_requests_record_no_events(emulator: EmulatorServer) -> None:
    post_messages(emulator, message_body(stream=True, bogus=True))
    (record,) = emulator.ctx.recorder.query()
    assert record.status == 400 and record.sent_events is None


def test_a_garbage_frame_is_recorded_as_the_event_it_pretends_to_be(
    emulator: EmulatorServer,
) -> None:
    emulator.ctx.faults.add(FaultSpec(provider="anthropic", kind="malformed_frame", after_events=1))
    post_messages(emulator, message_body(stream=True))
    (record,) = emulator.ctx.recorder.query()
    assert record.sent_events is not None
    assert [e.type for e in record.sent_events][:3] == [
        "message_start",
        "content_block_delta",
        "ping",
    ]


def test_bedrock_event_streams_record_the_anthropic_event_inside_each_chunk(
    client: BedrockClient,
) -> None:
    response = client.post(BEDROCK_HAIKU, "invoke-with-response-stream", invoke_body())
    (record,) = client.ctx.recorder.query()
    assert record.sent_events is not None
    assert [e.type for e in record.sent_events] == [
        event["type"] for event in chunk_events(response.content)
    ]


def test_converse_streams_record_their_event_types(client: BedrockClient) -> None:
    body = {
        "messages": [{"role": "user", "content": [{"text": PROMPT}]}],
        "inferenceConfig": {"maxTokens": 256},
    }
    response = client.post(BEDROCK_HAIKU, "converse-stream", body)
    (record,) = client.ctx.recorder.query()
    assert record.sent_events is not None
    names = [e.type for e in record.sent_events]
    assert names == [name for name, _ in frame_payloads(response.content)]
    assert names[0] == "messageStart" and names[-1] == "metadata"


def test_an_exception_frame_is_recorded_by_its_exception_type(client: BedrockClient) -> None:
    client.ctx.faults.add(FaultSpec(provider="bedrock_invoke", kind="status", status=429))
    client.post(BEDROCK_HAIKU, "invoke-with-response-stream", invoke_body())
    (record,) = client.ctx.recorder.query()
    assert record.sent_events is not None
    assert [e.type for e in record.sent_events] == ["throttlingException"]


def test_a_stream_cut_before_any_event_records_an_empty_list(emulator: EmulatorServer) -> None:
    emulator.ctx.faults.add(FaultSpec(provider="anthropic", kind="cut_stream", after_events=0))
    with pytest.raises(httpx.RemoteProtocolError):
        post_messages(emulator, message_body(stream=True))
    (record,) = emulator.ctx.recorder.query()
    assert record.sent_events == []


# --- the bodies of replies that were not streamed ----------------------------------------------


def test_count_tokens_answers_are_recorded_on_every_wire(
    emulator: EmulatorServer, service_account: Path
) -> None:
    body = without(message_body(), "max_tokens")
    answered = post_messages(emulator, body, path="/v1/messages/count_tokens").json()
    creds = google_service_account.Credentials.from_service_account_file(
        str(service_account), scopes=["https://www.googleapis.com/auth/cloud-platform"]
    )
    creds.refresh(google.auth.transport.requests.Request())
    vertex = httpx.post(
        f"{emulator.url}/v1/projects/p/locations/us-east5/publishers/anthropic/models/"
        "count-tokens:rawPredict",
        json={**body, "anthropic_version": "vertex-2023-10-16"},
        headers={"authorization": f"Bearer {creds.token}"},
    )
    assert vertex.status_code == 200, vertex.text
    path = model_path(BEDROCK_HAIKU, "count-tokens")
    encoded = base64.b64encode(json.dumps(invoke_body()).encode()).decode()
    raw = json.dumps({"input": {"invokeModel": {"body": encoded}}}).encode()
    bedrock = httpx.post(
        emulator.url + path, content=raw, headers=sigv4_headers(emulator.url + path, raw)
    )
    assert bedrock.status_code == 200, bedrock.text
    first, token, second, third = emulator.ctx.recorder.query()
    assert first.response_body == answered
    assert answered["input_tokens"] > 0
    assert second.path.endswith("count-tokens:rawPredict")
    assert second.response_body == vertex.json()
    assert third.response_body == bedrock.json()
    assert set(third.response_body) == {"inputTokens"}
    # The endpoint returns it too.
    dumped = httpx.get(f"{emulator.url}/_emulator/requests").json()["requests"]
    assert [r["response_body"] for r in dumped] == [
        answered,
        token.response_body,
        vertex.json(),
        bedrock.json(),
    ]


def test_error_bodies_are_recorded_on_each_wire(emulator: EmulatorServer) -> None:
    refused = post_messages(emulator, message_body(bogus=True))
    body = invoke_body(messages=[{"role": "user", "content": "hi [compat-stream stall=99]"}])
    path = model_path(BEDROCK_HAIKU, "invoke-with-response-stream")
    raw = json.dumps(body).encode()
    bedrock = httpx.post(
        emulator.url + path, content=raw, headers=sigv4_headers(emulator.url + path, raw)
    )
    assert (refused.status_code, bedrock.status_code) == (400, 400)
    anthropic, aws = emulator.ctx.recorder.query()
    assert anthropic.response_body == refused.json()
    assert anthropic.response_body["error"]["type"] == "invalid_request_error"
    # A refused stream request got a JSON reply, not a stream: it is kept.
    assert aws.sent_events is None
    assert aws.response_body == bedrock.json()


def test_streamed_replies_keep_no_response_body(emulator: EmulatorServer) -> None:
    post_messages(emulator, message_body(stream=True))
    (record,) = emulator.ctx.recorder.query()
    assert record.sent_events is not None
    assert record.response_body is None


@pytest.mark.parametrize("kind", ["cut_stream", "malformed_frame"])
def test_a_truncated_json_reply_keeps_no_response_body(emulator: EmulatorServer, kind: str) -> None:
    emulator.ctx.faults.add(FaultSpec(provider="anthropic", kind=kind, after_events=0))
    if kind == "cut_stream":
        with pytest.raises(httpx.RemoteProtocolError):
            post_messages(emulator)
    else:
        with pytest.raises(json.JSONDecodeError):
            post_messages(emulator).json()
    (record,) = emulator.ctx.recorder.query()
    assert record.response_body is None


def test_only_json_replies_up_to_16_kib_are_kept() -> None:
    recorder = Recorder()
    small = json.dumps({"pad": "x" * (RESPONSE_BODY_LIMIT - 20)}).encode()
    big = json.dumps({"pad": "x" * RESPONSE_BODY_LIMIT}).encode()
    for response in (small, big, b"not json", None):
        recorder.add(
            provider="anthropic",
            method="POST",
            path="/v1/messages",
            query="",
            headers={},
            body=b"{}",
            timestamp=0.0,
            duration_ms=0.0,
            status=200,
            response_body=response,
        )
    assert len(small) <= RESPONSE_BODY_LIMIT < len(big)
    kept, too_big, not_json, none = recorder.query()
    assert kept.response_body == json.loads(small)
    assert (too_big.response_body, not_json.response_body, none.response_body) == (None,) * 3
    # Kept response bodies count against the buffer's byte bound.
    assert recorder.held == (4, 4 * 2 + len(small) + len(b"not json"))


def _chunked_json_app(chunks: list[bytes], media_type: bytes) -> Any:
    """An ASGI app that answers with `chunks` as separate body messages."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        headers = [(b"content-type", media_type)]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for index, chunk in enumerate(chunks):
            more = index < len(chunks) - 1
            await send({"type": "http.response.body", "body": chunk, "more_body": more})

    return app


@pytest.mark.parametrize(
    ("chunks", "media_type", "kept"),
    [
        ([b'{"input_to', b'kens": 7}'], b"application/json", {"input_tokens": 7}),
        ([b'{"a": 1}'], b"application/problem+json; charset=utf-8", {"a": 1}),
        # Over the limit only with the second write: nothing is kept.
        (
            [b'{"pad": "' + b"x" * RESPONSE_BODY_LIMIT, b'"}'],
            b"application/json",
            None,
        ),
        ([b'{"a": 1}'], b"text/plain", None),
    ],
)
def test_the_middleware_keeps_json_bodies_across_writes_up_to_the_limit(
    chunks: list[bytes], media_type: bytes, kept: Any
) -> None:
    recorder = Recorder()
    app = RecorderMiddleware(
        _chunked_json_app(chunks, media_type), recorder, lambda path: "anthropic"
    )
    # Without a `with` block the client runs no lifespan, which this bare app does not serve.
    response = TestClient(app).post("/v1/messages/count_tokens", json={})
    assert response.content == b"".join(chunks)
    (record,) = recorder.query()
    assert record.response_body == kept


def test_the_granted_access_token_stays_redacted(
    emulator: EmulatorServer, service_account: Path
) -> None:
    creds = google_service_account.Credentials.from_service_account_file(
        str(service_account), scopes=["https://www.googleapis.com/auth/cloud-platform"]
    )
    creds.refresh(google.auth.transport.requests.Request())
    assert creds.token
    dump = httpx.get(f"{emulator.url}/_emulator/requests").text
    assert creds.token not in dump
    (grant,) = emulator.ctx.recorder.query()
    assert grant.path == "/oauth2/token"
    assert grant.response_body["access_token"] == "<redacted>"
    assert isinstance(grant.response_body["expires_in"], int)
