"""Anthropic Messages wire: `POST /v1/messages` (JSON, or SSE with `stream: true`) and count_tokens.

It also holds what every Anthropic-shaped wire shares, since Azure Foundry and Vertex
carry the same body and stream the same events: the error body, the message JSON, the
SSE writer with its faults, and `serve_messages`, which runs one request through
validation, the fault plan and the model.

Sources: https://platform.claude.com/docs/en/api/messages/create,
https://platform.claude.com/docs/en/build-with-claude/streaming,
https://docs.claude.com/en/api/errors, https://docs.claude.com/en/api/versioning.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import string
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from compat.emulator.anthropic_stream import anthropic_events
from compat.emulator.faults import Fault
from compat.emulator.messages_schema import (
    UNIFIED_API_VERSION,
    Endpoint,
    parse_beta_header,
    parse_json_body,
    validate_messages_request,
)
from compat.emulator.types import EmulatorError, ModelReply, ProviderId

if TYPE_CHECKING:
    from compat.emulator.context import EmulatorContext

# Accepted `anthropic-version` header values: the documented ones
# (https://docs.claude.com/en/api/versioning) and the one the official SDK 2.11.0 sends.
ANTHROPIC_VERSIONS = frozenset({"2023-01-01", "2023-06-01", UNIFIED_API_VERSION})

_ID_ALPHABET = string.ascii_letters + string.digits

RequestHandler = Callable[[Request], Awaitable[Response]]


def new_request_id() -> str:
    """A `req_...` id like the `request-id` header the real API returns on every response."""
    # One random draw spelled in base62: drawing each character separately costs more
    # than the rest of a small request.
    value, chars = secrets.randbits(143), []
    for _ in range(24):
        value, digit = divmod(value, 62)
        chars.append(_ID_ALPHABET[digit])
    return "req_" + "".join(chars)


def note_error(request: Request, error: EmulatorError) -> None:
    """Tell the recorder which error this request got."""
    request.state.error_kind = error.kind
    request.state.error_message = error.message


class ErrorRenderer(Protocol):
    """Renders a refused request in one provider's error shape."""

    def __call__(
        self,
        request: Request,
        error: EmulatorError,
        *,
        status: int | None = None,
        retry_after_s: int | None = None,
    ) -> Response: ...


def anthropic_error(
    request: Request,
    error: EmulatorError,
    *,
    status: int | None = None,
    retry_after_s: int | None = None,
) -> Response:
    """Anthropic's error body and status, with `request-id` (and `retry-after` on a 429)."""
    # Sources: https://docs.claude.com/en/api/errors ("Error shapes", "Request id") and
    # https://docs.claude.com/en/api/rate-limits (`retry-after` header).
    note_error(request, error)
    request_id = new_request_id()
    headers = {"request-id": request_id}
    if retry_after_s is not None:
        headers["retry-after"] = str(retry_after_s)
    body = {
        "type": "error",
        "error": {"type": error.kind, "message": error.message},
        "request_id": request_id,
    }
    return JSONResponse(body, status_code=status or error.anthropic_status, headers=headers)


def message_body(reply: ModelReply) -> dict[str, Any]:
    """The non-streaming Messages response object for a model reply."""
    return {
        "id": reply.id,
        "type": "message",
        "role": "assistant",
        "model": reply.model,
        "content": reply.content,
        "stop_reason": reply.stop_reason,
        "stop_sequence": None,
        "usage": reply.usage.model_dump(exclude_none=True),
    }


def sse_frame(event: Mapping[str, Any]) -> bytes:
    """One server-sent event: `event: <type>` then `data: <json>` and a blank line."""
    data = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
    return f"event: {event['type']}\ndata: {data}\n\n".encode()


# A frame whose JSON stops mid-object: what a corrupted or truncated SSE line looks like.
MALFORMED_SSE_FRAME = (
    b"event: content_block_delta\n"
    b'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_del\n\n'
)


class FrameResponse(Response):
    """Sends the body as separate frames; with `complete=False` it stops without ending it."""

    # Ending the ASGI call before the final body message makes the server drop the
    # connection mid-body, which is how a cut upstream stream looks to a client.

    def __init__(
        self,
        frames: Iterable[bytes],
        *,
        media_type: str,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        complete: bool = True,
    ) -> None:
        self.frames = list(frames)
        self.complete = complete
        self.status_code = status_code
        self.media_type = media_type
        self.background = None
        self.init_headers(headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        last = len(self.frames) - 1
        for index, frame in enumerate(self.frames):
            # The last frame of a complete body ends it in the same write.
            more = not (self.complete and index == last)
            await send({"type": "http.response.body", "body": frame, "more_body": more})
        if self.complete and not self.frames:
            await send({"type": "http.response.body", "body": b"", "more_body": False})


def stream_response(
    events: list[dict[str, Any]], fault: Fault | None, *, headers: Mapping[str, str] | None = None
) -> Response:
    """The SSE response for a reply's events, with a stream fault applied if one is due."""
    frames = [sse_frame(event) for event in events]
    complete = True
    if fault is not None and fault.kind == "cut_stream":
        frames, complete = frames[: fault.after_events], False
    elif fault is not None and fault.kind == "malformed_frame":
        frames.insert(fault.after_events, MALFORMED_SSE_FRAME)
    if complete:
        # `message_start` leaves in its own write and the rest in a second one: the events
        # are ready at once, and a write per event would cost most of the emulator's CPU.
        frames = [frames[0], b"".join(frames[1:])]
    sse_headers = {"cache-control": "no-cache", **(headers or {})}
    return FrameResponse(
        frames, media_type="text/event-stream", headers=sse_headers, complete=complete
    )


def json_response(
    body: dict[str, Any], fault: Fault | None, *, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON response; a stream fault cuts it (connection drop) or truncates it (bad JSON)."""
    if fault is None or fault.kind not in ("cut_stream", "malformed_frame"):
        return JSONResponse(body, headers=headers)
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    half = raw[: max(1, len(raw) // 2)]
    if fault.kind == "cut_stream":
        return FrameResponse([half], media_type="application/json", headers=headers, complete=False)
    return Response(half, media_type="application/json", headers=headers)


async def serve_messages(
    request: Request,
    ctx: EmulatorContext,
    *,
    provider: ProviderId,
    endpoint: Endpoint,
    render_error: ErrorRenderer,
    model: str | None = None,
    header_betas: Iterable[str] = (),
    stream: bool | None = None,
) -> Response:
    """Validate one Anthropic-shaped request, apply a pending fault, and answer it."""
    # `model` is the model named by the URL, if the wire puts it there; `stream` forces
    # streaming on or off when the wire decides it by endpoint rather than by body.
    fault = ctx.faults.take(provider)
    if fault is not None and fault.kind == "status":
        retry = fault.retry_after_s if fault.status == 429 else None
        return render_error(request, fault.error, status=fault.status, retry_after_s=retry)
    try:
        payload = parse_json_body(await request.body())
        neutral = validate_messages_request(
            payload, provider=provider, endpoint=endpoint, model=model, header_betas=header_betas
        )
        if endpoint == "count_tokens":
            result: dict[str, Any] = {"input_tokens": ctx.model.count_tokens(neutral)}
            reply = None
        else:
            # The model is fast, deterministic CPU work; calling it inline keeps the added
            # latency lower than a hop to a worker thread would.
            reply = ctx.model.respond(neutral)
            if fault is not None:
                reply = fault.apply(reply)
            result = message_body(reply)
    except EmulatorError as exc:
        return render_error(request, exc)
    if fault is not None and fault.kind == "slow_first_byte":
        await asyncio.sleep(fault.delay_s)
    headers = {"request-id": new_request_id()}
    streaming = neutral.stream if stream is None else stream
    if reply is not None and streaming:
        return stream_response(anthropic_events(reply), fault, headers=headers)
    return json_response(result, fault, headers=headers)


def _has_credentials(request: Request, api_key_headers: Iterable[str]) -> bool:
    """True when a non-empty API key header or `Authorization: Bearer` token is present."""
    if any(request.headers.get(name, "").strip() for name in api_key_headers):
        return True
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(token.strip())


def check_anthropic_headers(
    request: Request, api_key_headers: Iterable[str]
) -> EmulatorError | None:
    """The credential and `anthropic-version` checks of an Anthropic-shaped endpoint."""
    if not _has_credentials(request, api_key_headers):
        # Source: https://docs.claude.com/en/api/errors (401 authentication_error).
        return EmulatorError("authentication_error", "x-api-key header is required")
    version = request.headers.get("anthropic-version")
    if not version:
        # Source: https://docs.claude.com/en/api/versioning ("anthropic-version" is required).
        return EmulatorError("invalid_request_error", "anthropic-version: header is required")
    if version not in ANTHROPIC_VERSIONS:
        return EmulatorError(
            "invalid_request_error", f"anthropic-version: invalid version '{version}'"
        )
    return None


def messages_routes(
    ctx: EmulatorContext,
    *,
    prefix: str,
    provider: ProviderId,
    key_headers: tuple[str, ...],
    render_error: ErrorRenderer,
) -> list[Route]:
    """The messages and count_tokens routes of an Anthropic-shaped API under `prefix`."""
    # Any query string is accepted: the claude CLI calls `/v1/messages?beta=true`.

    def handler(endpoint: Endpoint) -> RequestHandler:
        async def handle(request: Request) -> Response:
            refused = check_anthropic_headers(request, key_headers)
            if refused is not None:
                return render_error(request, refused)
            return await serve_messages(
                request,
                ctx,
                provider=provider,
                endpoint=endpoint,
                render_error=render_error,
                header_betas=parse_beta_header(request.headers.get("anthropic-beta")),
            )

        return handle

    return [
        Route(f"{prefix}/messages", handler("messages"), methods=["POST"]),
        Route(f"{prefix}/messages/count_tokens", handler("count_tokens"), methods=["POST"]),
    ]


def anthropic_routes(ctx: EmulatorContext) -> list[Route]:
    """The Anthropic API: `x-api-key` or `Authorization: Bearer` credentials."""
    return messages_routes(
        ctx,
        prefix="/v1",
        provider="anthropic",
        key_headers=("x-api-key",),
        render_error=anthropic_error,
    )
