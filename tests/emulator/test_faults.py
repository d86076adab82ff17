"""Faults on demand: statuses in each provider's shape, slow starts, cut and broken streams."""

from __future__ import annotations

import time
from typing import Any

import anthropic
import httpx
import httpx2
import pytest

from compat.emulator import EmulatorServer
from compat.emulator.faults import Fault, FaultPlan, FaultSpec
from support.wire_bodies import (
    API_HEADERS,
    HAIKU,
    NONCE,
    PROMPT,
    assert_anthropic_error,
    message_body,
    post_messages,
    sse_events,
    streamed_text,
)


def add_fault(emulator: EmulatorServer, **spec: Any) -> httpx.Response:
    response = httpx.post(f"{emulator.url}/_emulator/faults", json=spec)
    assert response.status_code == 201, response.text
    return response


def test_overloaded_fault_hits_the_next_n_requests_only(emulator: EmulatorServer) -> None:
    add_fault(emulator, provider="anthropic", kind="status", status=529, count=2)
    for _ in range(2):
        assert_anthropic_error(post_messages(emulator), 529, "overloaded_error", "Overloaded")
    assert post_messages(emulator).status_code == 200
    assert httpx.get(f"{emulator.url}/_emulator/faults").json() == {"faults": []}


def test_rate_limit_fault_advertises_retry_after(emulator: EmulatorServer) -> None:
    add_fault(emulator, provider="*", kind="status", status=429, retry_after_s=7)
    response = post_messages(emulator)
    assert_anthropic_error(response, 429, "rate_limit_error", "rate limit")
    assert response.headers["retry-after"] == "7"


def test_sdk_sees_the_fault_as_its_typed_error(emulator: EmulatorServer) -> None:
    add_fault(emulator, provider="anthropic", kind="status", status=500)
    client = anthropic.Anthropic(base_url=emulator.url, api_key="k", max_retries=0)
    with pytest.raises(anthropic.InternalServerError) as caught:
        client.messages.create(
            model=HAIKU, max_tokens=64, messages=[{"role": "user", "content": PROMPT}]
        )
    assert caught.value.status_code == 500


def test_fault_only_hits_its_provider(emulator: EmulatorServer) -> None:
    add_fault(emulator, provider="azure", kind="status", status=529)
    assert post_messages(emulator).status_code == 200
    pending = httpx.get(f"{emulator.url}/_emulator/faults").json()["faults"]
    assert [(f["spec"]["provider"], f["remaining"]) for f in pending] == [("azure", 1)]
    azure = post_messages(
        emulator, message_body(model=HAIKU), path="/anthropic/v1/messages", headers={"api-key": "k"}
    )
    assert_anthropic_error(azure, 529, "overloaded_error", "Overloaded")


def test_vertex_renders_faults_in_googles_shape(emulator: EmulatorServer) -> None:
    add_fault(emulator, provider="vertex_ai", kind="status", status=429)
    token = emulator.ctx.vertex_tokens.issue()
    url = (
        f"{emulator.url}/v1/projects/p/locations/us-east5"
        "/publishers/anthropic/models/claude-haiku-4-5:rawPredict"
    )
    response = httpx.post(url, json={}, headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["status"] == "RESOURCE_EXHAUSTED"
    assert "anthropic-claude-haiku-4-5" in error["message"]


def test_slow_first_byte_delays_the_response(emulator: EmulatorServer) -> None:
    add_fault(emulator, provider="anthropic", kind="slow_first_byte", delay_s=0.4)
    started = time.perf_counter()
    response = post_messages(emulator)
    assert response.status_code == 200
    assert time.perf_counter() - started >= 0.4


def test_cut_stream_drops_the_connection_mid_message(emulator: EmulatorServer) -> None:
    add_fault(emulator, provider="anthropic", kind="cut_stream", after_events=3)
    received = b""
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream(
            "POST",
            f"{emulator.url}/v1/messages",
            json=message_body(stream=True),
            headers=API_HEADERS,
        ) as response,
    ):
        for chunk in response.iter_bytes():
            received += chunk
    assert received.count(b"event: ") == 3
    assert b"message_stop" not in received


def test_cut_stream_breaks_the_sdk_stream(emulator: EmulatorServer) -> None:
    add_fault(emulator, provider="anthropic", kind="cut_stream", after_events=4)
    client = anthropic.Anthropic(base_url=emulator.url, api_key="k", max_retries=0)
    # The SDK surfaces the broken transfer from its HTTP client, mid-iteration.
    with (
        pytest.raises(httpx2.RemoteProtocolError),
        client.messages.stream(
            model=HAIKU, max_tokens=64, messages=[{"role": "user", "content": PROMPT}]
        ) as stream,
    ):
        stream.get_final_message()


def test_cut_non_streaming_response_is_truncated(emulator: EmulatorServer) -> None:
    add_fault(emulator, provider="anthropic", kind="cut_stream")
    with pytest.raises(httpx.RemoteProtocolError):
        post_messages(emulator)


def test_malformed_frame_is_a_garbage_data_line(emulator: EmulatorServer) -> None:
    add_fault(emulator, provider="anthropic", kind="malformed_frame", after_events=2)
    response = post_messages(emulator, message_body(stream=True))
    frames = [frame for frame in response.text.split("\n\n") if frame]
    assert frames[2].startswith("event: content_block_delta\ndata: {")
    assert not frames[2].endswith("}")
    # Around the garbage, the stream is whole.
    assert NONCE in streamed_text(sse_events("\n\n".join(frames[:2] + frames[3:])))


def test_fault_control_endpoint_validates_and_clears(emulator: EmulatorServer) -> None:
    url = f"{emulator.url}/_emulator/faults"
    assert httpx.post(url, json={"provider": "anthropic", "kind": "status"}).status_code == 400
    assert httpx.post(url, json={"provider": "nowhere", "kind": "cut_stream"}).status_code == 400
    assert (
        httpx.post(url, json={"provider": "*", "kind": "cut_stream", "status": 500}).status_code
        == 400
    )
    add_fault(emulator, provider="*", kind="cut_stream", count=3)
    assert len(httpx.get(url).json()["faults"]) == 1
    assert httpx.delete(url).status_code == 204
    assert httpx.get(url).json() == {"faults": []}


@pytest.mark.parametrize(
    ("status", "error_type", "bedrock_status"),
    [
        (429, "ThrottlingException", 429),
        (500, "InternalServerException", 500),
        (503, "ServiceUnavailableException", 503),
        (529, "ServiceUnavailableException", 503),
    ],
)
def test_bedrock_hook_maps_statuses_to_bedrock_exceptions(
    status: int, error_type: str, bedrock_status: int
) -> None:
    plan = FaultPlan()
    plan.add(FaultSpec(provider="bedrock_invoke", kind="status", status=status))  # type: ignore[arg-type]
    fault = plan.take("bedrock_invoke")
    assert isinstance(fault, Fault)
    rendered = fault.bedrock_error()
    assert (rendered.error_type, rendered.status) == (error_type, bedrock_status)
    assert plan.take("bedrock_invoke") is None


def test_drop_thinking_answers_without_the_thinking_block(emulator: EmulatorServer) -> None:
    body = message_body(max_tokens=4096, thinking={"type": "enabled", "budget_tokens": 1024})
    with_thinking = post_messages(emulator, body).json()
    assert with_thinking["content"][0]["type"] == "thinking"
    add_fault(emulator, provider="anthropic", kind="drop_thinking", count=1)
    dropped = post_messages(emulator, body).json()
    assert [b["type"] for b in dropped["content"]] == [
        b["type"] for b in with_thinking["content"] if b["type"] != "thinking"
    ]
    assert post_messages(emulator, body).json()["content"][0]["type"] == "thinking"
