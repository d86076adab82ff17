"""The Messages API as every Anthropic-shaped wire serves it (Anthropic, Azure Foundry, Vertex).

These wires carry the same body and stream the same events, so they share Anthropic's
error body, the header checks and `serve_messages`, which runs one request through
decoding, the fault plan and the model, and encodes the reply.

Sources: https://platform.claude.com/docs/en/api/messages/create,
https://docs.claude.com/en/api/errors, https://docs.claude.com/en/api/versioning.
"""

from __future__ import annotations

import asyncio
import secrets
import string
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from compat.emulator.anthropic_stream import anthropic_events
from compat.emulator.frames import json_response
from compat.emulator.messages_decode import (
    parse_beta_header,
    parse_json_body,
    validate_messages_request,
)
from compat.emulator.messages_encode import message_body, stream_response
from compat.emulator.messages_envelope import UNIFIED_API_VERSION, Endpoint
from compat.emulator.recorder import note_error
from compat.emulator.stream_pacing import stream_directive
from compat.emulator.types import EmulatorError

if TYPE_CHECKING:
    from compat.emulator.context import EmulatorContext
    from compat.emulator.wire import Wire

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


def anthropic_error(request: Request, error: EmulatorError) -> Response:
    """Anthropic's error body and status, with `request-id` (and `retry-after` on a 429)."""
    # Sources: https://docs.claude.com/en/api/errors ("Error shapes", "Request id") and
    # https://docs.claude.com/en/api/rate-limits (`retry-after` header).
    note_error(request, error.kind, error.message)
    request_id = new_request_id()
    headers = {"request-id": request_id}
    if error.retry_after_s is not None:
        headers["retry-after"] = str(error.retry_after_s)
    body = {
        "type": "error",
        "error": {"type": error.kind, "message": error.message},
        "request_id": request_id,
    }
    return JSONResponse(body, status_code=error.status, headers=headers)


async def serve_messages(
    request: Request,
    ctx: EmulatorContext,
    *,
    wire: Wire,
    endpoint: Endpoint,
    model: str | None = None,
    header_betas: Iterable[str] = (),
    stream: bool | None = None,
) -> Response:
    """Validate one Anthropic-shaped request, apply a pending fault, and answer it."""
    # `model` is the model named by the URL, if the wire puts it there; `stream` forces
    # streaming on or off when the wire decides it by endpoint rather than by body.
    fault = ctx.faults.take(wire.provider)
    if fault is not None and fault.kind == "status":
        return _rate_limited(wire.render_error(request, fault.error), ctx, wire, endpoint)
    pacing = None
    try:
        payload = parse_json_body(await request.body())
        neutral = validate_messages_request(
            payload,
            provider=wire.provider,
            envelope=wire.envelope_rules[endpoint],
            endpoint=endpoint,
            model=model,
            header_betas=header_betas,
        )
        streaming = neutral.stream if stream is None else stream
        if endpoint == "count_tokens":
            result: dict[str, Any] = {"input_tokens": ctx.model.count_tokens(neutral)}
            reply = None
        else:
            if streaming:
                pacing = stream_directive(neutral)
            # The model is fast, deterministic CPU work; calling it inline keeps the added
            # latency lower than a hop to a worker thread would.
            reply = ctx.model.respond(neutral)
            if fault is not None:
                reply = fault.apply(reply)
            result = message_body(reply)
    except EmulatorError as exc:
        return _rate_limited(wire.render_error(request, exc), ctx, wire, endpoint)
    if fault is not None and fault.kind == "slow_first_byte":
        await asyncio.sleep(fault.delay_s)
    headers = {"request-id": new_request_id()}
    if reply is not None and wire.rate_limit_headers:
        usage = reply.usage
        headers.update(
            ctx.rate_limits.served(
                input_tokens=usage.input_tokens + usage.cache_creation_input_tokens,
                output_tokens=usage.output_tokens,
            )
        )
    if reply is not None and streaming:
        return stream_response(anthropic_events(reply), fault, headers=headers, pacing=pacing)
    return json_response(result, fault, headers=headers)


def _rate_limited(
    response: Response, ctx: EmulatorContext, wire: Wire, endpoint: Endpoint
) -> Response:
    """`response`, with the rate-limit headers of a 429 where the wire sends them."""
    if wire.rate_limit_headers and endpoint == "messages" and response.status_code == 429:
        retry_after = response.headers.get("retry-after")
        response.headers.update(
            ctx.rate_limits.refused(int(retry_after) if retry_after is not None else None)
        )
    return response


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
        return EmulatorError.invalid("anthropic-version: header is required")
    if version not in ANTHROPIC_VERSIONS:
        return EmulatorError.invalid(f"anthropic-version: invalid version '{version}'")
    return None


def messages_routes(
    ctx: EmulatorContext, wire: Wire, *, under: str, key_headers: tuple[str, ...]
) -> list[Route]:
    """`POST {under}/messages` and `POST {under}/messages/count_tokens` of an Anthropic API."""
    # Any query string is accepted: the claude CLI calls `/v1/messages?beta=true`.

    def handler(endpoint: Endpoint) -> RequestHandler:
        async def handle(request: Request) -> Response:
            refused = check_anthropic_headers(request, key_headers)
            if refused is not None:
                return wire.render_error(request, refused)
            return await serve_messages(
                request,
                ctx,
                wire=wire,
                endpoint=endpoint,
                header_betas=parse_beta_header(request.headers.get("anthropic-beta")),
            )

        return handle

    return [
        Route(f"{under}/messages", handler("messages"), methods=["POST"]),
        Route(f"{under}/messages/count_tokens", handler("count_tokens"), methods=["POST"]),
    ]
