"""The Responses API (`POST .../responses`) as every OpenAI-shaped wire serves it.

`serve_responses` runs one request through the pending fault, the checks of
`openai_responses_decode`, the shared model and the encoders (`openai_responses_encode`
for JSON, `openai_responses_stream` for SSE). The OpenAI API, Azure OpenAI and Bedrock's
Mantle endpoint call it with their own provider id and error renderer.
Source: https://platform.openai.com/docs/api-reference/responses/create
"""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from compat.emulator.frames import json_response
from compat.emulator.openai_errors import OpenAIRequestError
from compat.emulator.openai_responses_decode import decode_responses
from compat.emulator.openai_responses_encode import responses_body
from compat.emulator.openai_responses_stream import responses_events, responses_stream
from compat.emulator.recorder import note_provider
from compat.emulator.stream_pacing import stream_directive
from compat.emulator.types import EmulatorError, ModelReply, NeutralRequest, ProviderId

if TYPE_CHECKING:
    from compat.emulator.context import EmulatorContext
    from compat.emulator.wire import ErrorRenderer


def parse_openai_json(raw: bytes) -> Any:
    """The JSON body, or OpenAI's 400 for a body that is not JSON."""
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        # Source: https://platform.openai.com/docs/guides/error-codes (400: the request
        # body could not be parsed).
        raise OpenAIRequestError(
            "We could not parse the JSON body of your request. (HINT: This likely means you "
            "aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, "
            "but what was sent was not valid JSON.)",
        ) from None


def request_id_headers() -> dict[str, str]:
    """`x-request-id`, which OpenAI returns on every response."""
    # Source: https://platform.openai.com/docs/api-reference/debugging-requests
    return {"x-request-id": f"req_{secrets.token_hex(16)}"}


def _respond(ctx: EmulatorContext, neutral: NeutralRequest) -> ModelReply:
    """The model's reply; its context-window refusal in OpenAI's words."""
    try:
        return ctx.model.respond(neutral)
    except EmulatorError as exc:
        if isinstance(exc, OpenAIRequestError) or not exc.message.startswith("prompt is too long"):
            raise
        # Source: https://platform.openai.com/docs/guides/error-codes (400
        # context_length_exceeded for an input longer than the model's context window).
        raise OpenAIRequestError(
            "Your input exceeds the context window of this model. Please adjust your input "
            "and try again.",
            param="input",
            code="context_length_exceeded",
        ) from None


async def serve_responses(
    request: Request,
    ctx: EmulatorContext,
    *,
    provider: ProviderId,
    render_error: ErrorRenderer,
    model: str | None = None,
    body: Any = None,
) -> Response:
    """Answer one Responses request: JSON, or SSE with `stream: true`."""
    # `model` overrides the body's when the route names the model; `body`, when the wire
    # already parsed the JSON to read it.
    note_provider(request, provider)
    fault = ctx.faults.take(provider)
    if fault is not None and fault.kind == "status":
        return render_error(request, fault.error)
    pacing = None
    try:
        payload = body if body is not None else parse_openai_json(await request.body())
        decoded = decode_responses(payload, provider=provider, model=model)
        if decoded.neutral.stream:
            pacing = stream_directive(decoded.neutral)
        reply = _respond(ctx, decoded.neutral)
        if fault is not None:
            reply = fault.apply(reply)
    except EmulatorError as exc:
        return render_error(request, exc)
    if fault is not None and fault.kind == "slow_first_byte":
        await asyncio.sleep(fault.delay_s)
    headers = request_id_headers()
    if decoded.neutral.stream:
        return responses_stream(
            responses_events(reply, decoded), fault, headers=headers, pacing=pacing
        )
    return json_response(responses_body(reply, decoded), fault, headers=headers)
