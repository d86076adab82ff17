"""The request recorder: secrets stripped, queryable by provider, text and sequence, bounded."""

from __future__ import annotations

import time

import httpx

from compat.emulator import EmulatorServer
from compat.emulator.recorder import Recorder
from support.wire_bodies import (
    HAIKU,
    PROMPT,
    message_body,
    post_messages,
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
    assert httpx.get(url, params={"provider": "openai"}).status_code == 400


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
