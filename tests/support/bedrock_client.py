"""Helpers shared by the Bedrock wire tests: signed clients, frame decoding, a recording model."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.eventstream import EventStreamBuffer, EventStreamMessage
from starlette.testclient import TestClient

from compat.emulator.app import create_app
from compat.emulator.context import EmulatorContext
from compat.emulator.model import Model
from compat.emulator.types import EmulatorError, ModelReply, NeutralRequest, Usage

HAIKU = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
SONNET = "global.anthropic.claude-sonnet-4-6"
OPUS = "eu.anthropic.claude-opus-4-7"
REGION = "us-east-1"
# AWS's documented example credentials: well-formed, never valid.
CREDENTIALS = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
BASE_URL = "http://testserver"
INVOKE_NONCE = "COMPAT-inv0ke42"


def invoke_body(**overrides: Any) -> dict[str, Any]:
    """A valid Claude InvokeModel body in Bedrock's form."""
    body: dict[str, Any] = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 256,
        "messages": [{"role": "user", "content": f"Reply with exactly: {INVOKE_NONCE}"}],
    }
    body.update(overrides)
    return body


def runtime_client(endpoint_url: str) -> Any:
    """boto3's bedrock-runtime client with fake credentials, pointed at the emulator."""
    return boto3.client(
        "bedrock-runtime",
        region_name=REGION,
        endpoint_url=endpoint_url,
        aws_access_key_id=CREDENTIALS.access_key,
        aws_secret_access_key=CREDENTIALS.secret_key,
        config=Config(retries={"max_attempts": 1}),
    )


def model_path(model_id: str, operation: str) -> str:
    """`/model/{modelId}/{operation}` with the id percent-encoded as AWS SDKs send it."""
    return f"/model/{quote(model_id, safe='')}/{operation}"


def sigv4_headers(url: str, body: bytes, *, service: str = "bedrock") -> dict[str, str]:
    """Headers of a request really signed with SigV4, as botocore signs it."""
    request = AWSRequest(
        method="POST", url=url, data=body, headers={"content-type": "application/json"}
    )
    SigV4Auth(CREDENTIALS, service, REGION).add_auth(request)
    return dict(request.headers.items())


class WireResponse(Protocol):
    """What the tests read from a response (httpx's and the TestClient's alike)."""

    status_code: int

    @property
    def content(self) -> bytes: ...

    @property
    def text(self) -> str: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    def json(self) -> Any: ...


@dataclass
class BedrockClient:
    """A TestClient that signs every request like an AWS SDK unless told otherwise."""

    http: TestClient
    ctx: EmulatorContext

    def post(
        self,
        model_id: str,
        operation: str,
        body: Any,
        *,
        headers: Mapping[str, str] | None = None,
        sign: bool = True,
    ) -> WireResponse:
        path = model_path(model_id, operation)
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        sent = sigv4_headers(BASE_URL + path, raw) if sign else {"content-type": "application/json"}
        sent.update(headers or {})
        return self.http.post(path, content=raw, headers=sent)


def bedrock_client(model: Any = None) -> Iterator[BedrockClient]:
    """A signed client over the full emulator app (recorder included)."""
    ctx = EmulatorContext(model=model if model is not None else Model())
    with TestClient(create_app(ctx), base_url=BASE_URL) as http:
        yield BedrockClient(http, ctx)


def decode_frames(data: bytes) -> list[EventStreamMessage]:
    """Every event-stream message in `data`, decoded by botocore."""
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return list(buffer)


def frame_payloads(data: bytes) -> list[tuple[str, dict[str, Any]]]:
    """(event type, JSON payload) of each event frame."""
    return [
        (message.headers[":event-type"], json.loads(message.payload))
        for message in decode_frames(data)
    ]


def chunk_events(data: bytes) -> list[dict[str, Any]]:
    """The Anthropic events inside InvokeModelWithResponseStream `chunk` frames."""
    return [json.loads(base64.b64decode(payload["bytes"])) for _, payload in frame_payloads(data)]


def assert_bedrock_error(
    response: WireResponse, status: int, error_type: str, message: str | None = None
) -> str:
    """Bedrock's error shape: status, typed `x-amzn-ErrorType`, JSON body with the message."""
    assert response.status_code == status, response.text
    assert response.headers["x-amzn-ErrorType"].split(":", 1)[0] == error_type
    assert response.headers["x-amzn-ErrorType"].endswith("/")
    body = response.json()
    text = body.get("message", body.get("Message"))
    assert isinstance(text, str) and text
    if message is not None:
        assert message in text, text
    return text


def text_reply(text: str = "ok", *, usage: Usage | None = None) -> ModelReply:
    return ModelReply(
        id="msg_01stub",
        model="claude-haiku-4-5",
        content=[{"type": "text", "text": text}],
        stop_reason="end_turn",
        usage=usage or Usage(input_tokens=10, output_tokens=2),
    )


@dataclass
class RecordingModel:
    """Stands in for the shared model: records what the wire handed it, replies as told."""

    reply: ModelReply = field(default_factory=text_reply)
    error: EmulatorError | None = None
    requests: list[NeutralRequest] = field(default_factory=list)

    def respond(self, req: NeutralRequest) -> ModelReply:
        self.requests.append(req)
        if self.error is not None:
            raise self.error
        return self.reply

    def count_tokens(self, req: NeutralRequest) -> int:
        self.requests.append(req)
        return 42

    @property
    def last(self) -> NeutralRequest:
        return self.requests[-1]
