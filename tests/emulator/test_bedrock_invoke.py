"""Bedrock InvokeModel, InvokeModelWithResponseStream and CountTokens: bodies, errors, faults."""

from __future__ import annotations

import base64
import json
import time
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from botocore.eventstream import ChecksumMismatch
from botocore.exceptions import ClientError, EventStreamError

from compat.emulator import EmulatorServer
from compat.emulator.faults import FaultSpec
from compat.emulator.types import EmulatorError, ErrorKind
from support.bedrock_client import (
    HAIKU,
    INVOKE_NONCE,
    OPUS,
    SONNET,
    BedrockClient,
    RecordingModel,
    assert_bedrock_error,
    chunk_events,
    decode_frames,
    invoke_body,
    model_path,
    runtime_client,
    sigv4_headers,
)


def add_fault(client: BedrockClient, **spec: Any) -> None:
    client.ctx.faults.add(FaultSpec(provider="bedrock_invoke", **spec))


# --- happy paths ----------------------------------------------------------------------------


def test_invoke_returns_the_anthropic_message_as_bedrock_does(client: BedrockClient) -> None:
    response = client.post(HAIKU, "invoke", invoke_body())
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    message = response.json()
    assert message["id"].startswith("msg_bdrk_")
    assert message["model"] == "claude-haiku-4-5-20251001"
    assert message["type"] == "message"
    assert message["role"] == "assistant"
    assert message["content"] == [{"type": "text", "text": INVOKE_NONCE}]
    assert message["stop_reason"] == "end_turn"
    usage = message["usage"]
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    assert response.headers["x-amzn-bedrock-input-token-count"] == str(usage["input_tokens"])
    assert response.headers["x-amzn-bedrock-output-token-count"] == str(usage["output_tokens"])
    assert int(response.headers["x-amzn-bedrock-invocation-latency"]) >= 1
    assert response.headers["x-amzn-requestid"]


def test_invoke_stream_carries_anthropic_events_in_chunk_frames(client: BedrockClient) -> None:
    response = client.post(HAIKU, "invoke-with-response-stream", invoke_body())
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.amazon.eventstream"
    assert response.headers["x-amzn-bedrock-content-type"] == "application/json"
    messages = decode_frames(response.content)
    for message in messages:
        assert message.headers == {
            ":event-type": "chunk",
            ":content-type": "application/json",
            ":message-type": "event",
        }
        payload = json.loads(message.payload)
        assert set(payload) == {"bytes", "p"}
        assert payload["p"] and "abcdefghijklmnopqrstuvwxyz".startswith(payload["p"][:26])
    events = chunk_events(response.content)
    kinds = [event["type"] for event in events]
    assert kinds[0] == "message_start" and kinds[-2:] == ["message_delta", "message_stop"]
    assert events[0]["message"]["id"].startswith("msg_bdrk_")
    deltas = [e["delta"]["text"] for e in events if e["type"] == "content_block_delta"]
    assert len(deltas) >= 2 and "".join(deltas) == INVOKE_NONCE
    metrics = events[-1]["amazon-bedrock-invocationMetrics"]
    assert metrics["inputTokenCount"] == events[-2]["usage"]["input_tokens"]
    assert metrics["outputTokenCount"] == events[-2]["usage"]["output_tokens"]
    assert metrics["invocationLatency"] >= 1 and metrics["firstByteLatency"] >= 1


def test_same_request_gives_the_same_stream_bytes_apart_from_latency(
    stub_client: BedrockClient,
) -> None:
    first = chunk_events(
        stub_client.post(HAIKU, "invoke-with-response-stream", invoke_body()).content
    )
    second = chunk_events(
        stub_client.post(HAIKU, "invoke-with-response-stream", invoke_body()).content
    )
    for events in (first, second):
        events[-1].pop("amazon-bedrock-invocationMetrics")
    assert first == second


def test_the_model_sees_the_body_without_the_bedrock_envelope(
    stub_client: BedrockClient, recording: RecordingModel
) -> None:
    body = invoke_body(anthropic_beta=["interleaved-thinking-2025-05-14"], top_k=5)
    assert stub_client.post(SONNET, "invoke", body).status_code == 200
    seen = recording.last
    assert seen.provider == "bedrock_invoke"
    assert seen.model == SONNET
    assert seen.betas == frozenset({"interleaved-thinking-2025-05-14"})
    assert "anthropic_version" not in seen.body and "anthropic_beta" not in seen.body
    assert seen.body["top_k"] == 5
    assert seen.stream is False
    stub_client.post(SONNET, "invoke-with-response-stream", body)
    assert recording.last.stream is True


# --- a real AWS SDK client ------------------------------------------------------------------


@pytest.fixture
def runtime(emulator: EmulatorServer) -> Any:
    return runtime_client(emulator.url)


def test_boto3_invoke_model(runtime: Any) -> None:
    response = runtime.invoke_model(modelId=HAIKU, body=json.dumps(invoke_body()))
    assert json.loads(response["body"].read())["content"][0]["text"] == INVOKE_NONCE
    assert response["contentType"] == "application/json"


def test_boto3_invoke_model_with_response_stream(runtime: Any) -> None:
    response = runtime.invoke_model_with_response_stream(
        modelId=OPUS, body=json.dumps(invoke_body())
    )
    events = [json.loads(event["chunk"]["bytes"]) for event in response["body"]]
    text = "".join(
        e["delta"]["text"]
        for e in events
        if e["type"] == "content_block_delta" and e["delta"]["type"] == "text_delta"
    )
    assert text.endswith(INVOKE_NONCE)
    assert events[-1]["type"] == "message_stop"


def test_boto3_count_tokens_with_an_invoke_body(runtime: Any) -> None:
    body = json.dumps(invoke_body()).encode()
    response = runtime.count_tokens(
        modelId="anthropic.claude-sonnet-4-6", input={"invokeModel": {"body": body}}
    )
    assert response["inputTokens"] > 0


def test_boto3_sees_validation_errors_with_their_code_and_status(runtime: Any) -> None:
    with pytest.raises(ClientError) as raised:
        runtime.invoke_model(
            modelId=HAIKU, body=json.dumps(invoke_body(anthropic_beta=["nope-2099-01-01"]))
        )
    error = raised.value.response
    assert error["Error"]["Code"] == "ValidationException"
    assert error["Error"]["Message"] == "invalid beta flag"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_boto3_sees_a_mid_stream_throttle_as_an_event_stream_error(
    runtime: Any, emulator: EmulatorServer
) -> None:
    emulator.ctx.faults.add(FaultSpec(provider="bedrock_invoke", kind="status", status=429))
    response = runtime.invoke_model_with_response_stream(
        modelId=HAIKU, body=json.dumps(invoke_body())
    )
    with pytest.raises(EventStreamError) as raised:
        list(response["body"])
    assert raised.value.response["Error"]["Code"] == "throttlingException"


def test_a_cut_stream_drops_the_connection(emulator: EmulatorServer) -> None:
    emulator.ctx.faults.add(FaultSpec(provider="bedrock_invoke", kind="cut_stream", after_events=2))
    path = model_path(HAIKU, "invoke-with-response-stream")
    body = json.dumps(invoke_body()).encode()
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(
            emulator.url + path, content=body, headers=sigv4_headers(emulator.url + path, body)
        )


# --- InvokeModel body validation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({k: v for k, v in invoke_body().items() if k != "anthropic_version"}, "anthropic_version"),
        (invoke_body(anthropic_version="2023-06-01"), "anthropic_version"),
        (invoke_body(model="claude-haiku-4-5"), "extraneous key [model]"),
        (invoke_body(stream=True), "extraneous key [stream]"),
        (invoke_body(surprise=1), "extraneous key [surprise]"),
        ({k: v for k, v in invoke_body().items() if k != "max_tokens"}, "max_tokens"),
    ],
)
def test_invalid_invoke_bodies_are_validation_exceptions(
    client: BedrockClient, body: dict[str, Any], fragment: str
) -> None:
    for operation in ("invoke", "invoke-with-response-stream"):
        response = client.post(HAIKU, operation, body)
        message = assert_bedrock_error(response, 400, "ValidationException", fragment)
        assert message.startswith("Malformed input request")


def test_a_body_that_is_not_json_is_a_validation_exception(client: BedrockClient) -> None:
    response = client.post(HAIKU, "invoke", b"{not json")
    assert_bedrock_error(response, 400, "ValidationException")


@pytest.mark.parametrize(
    "beta", ["claude-code-20250219", "advanced-tool-use-2025-11-20", "made-up-2030-01-01"]
)
def test_betas_outside_bedrocks_list_are_an_invalid_beta_flag(
    client: BedrockClient, beta: str
) -> None:
    response = client.post(HAIKU, "invoke", invoke_body(anthropic_beta=[beta]))
    assert_bedrock_error(response, 400, "ValidationException")
    assert response.json() == {"message": "invalid beta flag"}
    assert response.headers["x-amzn-ErrorType"] == (
        "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"
    )


def test_betas_on_bedrocks_list_pass(stub_client: BedrockClient) -> None:
    betas = ["tool-search-tool-2025-10-19", "context-1m-2025-08-07"]
    assert stub_client.post(SONNET, "invoke", invoke_body(anthropic_beta=betas)).status_code == 200


def test_refusals_are_recorded_with_their_error_type(client: BedrockClient) -> None:
    client.post(HAIKU, "invoke", invoke_body(anthropic_beta=["nope-2099-01-01"]))
    record = client.ctx.recorder.query(provider="bedrock_invoke")[-1]
    assert record.status == 400
    assert record.error_kind == "ValidationException"
    assert record.error_message == "invalid beta flag"
    assert record.headers["authorization"] == "AWS4-HMAC-SHA256 <redacted>"


# --- model errors map to Bedrock's ----------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status", "error_type"),
    [
        ("invalid_request_error", 400, "ValidationException"),
        ("request_too_large", 400, "ValidationException"),
        ("permission_error", 403, "AccessDeniedException"),
        ("not_found_error", 404, "ResourceNotFoundException"),
        ("rate_limit_error", 429, "ThrottlingException"),
        ("api_error", 500, "InternalServerException"),
        ("overloaded_error", 503, "ServiceUnavailableException"),
    ],
)
def test_model_errors_take_bedrocks_type_and_status(
    stub_client: BedrockClient,
    recording: RecordingModel,
    kind: ErrorKind,
    status: int,
    error_type: str,
) -> None:
    recording.error = EmulatorError(kind, f"the model says {kind}")
    for operation in ("invoke", "invoke-with-response-stream"):
        response = stub_client.post(HAIKU, operation, invoke_body())
        assert_bedrock_error(response, status, error_type, f"the model says {kind}")


# --- faults ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected", "error_type"),
    [
        (429, 429, "ThrottlingException"),
        (500, 500, "InternalServerException"),
        (503, 503, "ServiceUnavailableException"),
        (529, 503, "ServiceUnavailableException"),
    ],
)
def test_status_faults_are_bedrock_errors(
    client: BedrockClient, status: int, expected: int, error_type: str
) -> None:
    add_fault(client, kind="status", status=status)
    assert_bedrock_error(client.post(HAIKU, "invoke", invoke_body()), expected, error_type)
    assert client.post(HAIKU, "invoke", invoke_body()).status_code == 200


def test_a_status_fault_on_a_stream_is_an_exception_event(client: BedrockClient) -> None:
    add_fault(client, kind="status", status=529)
    response = client.post(HAIKU, "invoke-with-response-stream", invoke_body())
    assert response.status_code == 200
    [message] = decode_frames(response.content)
    assert message.headers[":message-type"] == "exception"
    assert message.headers[":exception-type"] == "serviceUnavailableException"
    assert json.loads(message.payload)["message"]


def test_cut_stream_stops_after_the_given_events(client: BedrockClient) -> None:
    add_fault(client, kind="cut_stream", after_events=3)
    response = client.post(HAIKU, "invoke-with-response-stream", invoke_body())
    events = chunk_events(response.content)
    assert [event["type"] for event in events] == ["message_start", "ping", "content_block_start"]


def test_malformed_frame_fails_botocores_crc_check(client: BedrockClient) -> None:
    add_fault(client, kind="malformed_frame", after_events=2)
    response = client.post(HAIKU, "invoke-with-response-stream", invoke_body())
    with pytest.raises(ChecksumMismatch):
        decode_frames(response.content)
    # The frames before the bad one are intact.
    intact = response.content[: sum(len(f) for f in _frames_before(response.content, 2))]
    assert [e["type"] for e in chunk_events(intact)] == ["message_start", "ping"]


def _frames_before(data: bytes, count: int) -> list[bytes]:
    frames, offset = [], 0
    for _ in range(count):
        length = int.from_bytes(data[offset : offset + 4], "big")
        frames.append(data[offset : offset + length])
        offset += length
    return frames


def test_slow_first_byte_delays_the_response(client: BedrockClient) -> None:
    add_fault(client, kind="slow_first_byte", delay_s=0.3)
    started = time.perf_counter()
    response = client.post(HAIKU, "invoke", invoke_body())
    assert response.status_code == 200
    assert time.perf_counter() - started >= 0.3


def test_a_cut_invoke_response_is_truncated_json(client: BedrockClient) -> None:
    add_fault(client, kind="cut_stream")
    response = client.post(HAIKU, "invoke", invoke_body())
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


# --- CountTokens ----------------------------------------------------------------------------


def count_body(body: dict[str, Any]) -> dict[str, Any]:
    encoded = base64.b64encode(json.dumps(body).encode()).decode()
    return {"input": {"invokeModel": {"body": encoded}}}


def test_count_tokens_for_an_invoke_body(client: BedrockClient) -> None:
    short = client.post(
        "anthropic.claude-haiku-4-5-20251001-v1:0", "count-tokens", count_body(invoke_body())
    )
    assert short.status_code == 200, short.text
    longer_body = invoke_body(system="Be brief. " * 200)
    longer = client.post(HAIKU, "count-tokens", count_body(longer_body))
    assert set(short.json()) == {"inputTokens"}
    assert longer.json()["inputTokens"] > short.json()["inputTokens"] > 0


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"input": {"invokeModel": {"body": "{not base64}"}}}, "base64"),
        ({"input": {}}, "exactly one member"),
        ({"input": {"invokeModel": {"body": ""}, "converse": {"messages": []}}}, "exactly one"),
        ({"input": {"invokeModel": {}}}, "must not be null"),
        ({"inputs": {}}, "not defined"),
        (count_body(invoke_body(stream=True)), "extraneous key [stream]"),
        (count_body(invoke_body(anthropic_beta=["nope-2099-01-01"])), "invalid beta flag"),
    ],
)
def test_invalid_count_tokens_requests(
    client: BedrockClient, body: dict[str, Any], fragment: str
) -> None:
    response = client.post(HAIKU, "count-tokens", body)
    assert_bedrock_error(response, 400, "ValidationException", fragment)


def test_count_tokens_rejects_unknown_models(client: BedrockClient) -> None:
    response = client.post("anthropic.claude-2", "count-tokens", count_body(invoke_body()))
    assert_bedrock_error(response, 400, "ValidationException", "model identifier is invalid")


def test_unknown_operations_are_not_found(client: BedrockClient) -> None:
    response = client.http.post(f"/model/{quote(HAIKU, safe='')}/invoke-async", content=b"{}")
    assert response.status_code == 404
