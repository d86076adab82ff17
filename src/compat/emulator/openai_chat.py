"""OpenAI's Chat Completions API (`POST .../chat/completions`) for the OpenAI-shaped wires.

The wires (the OpenAI API, Azure OpenAI, Bedrock's Mantle endpoint) authenticate a request
and call `chat_completions`, which decodes the body (`openai_chat_decode`), applies a
pending fault, lets the shared model answer and encodes the reply (`openai_chat_encode`):
the `chat.completion` JSON, or with `stream: true` server-sent `data:` lines of
`chat.completion.chunk` objects ending with `data: [DONE]`, paced as a `[compat-stream ...]`
marker asks (`stream_pacing`, without `ping` events: this stream defines none). Refusals
are OpenAI's `{"error": {...}}` body (`openai_errors`).

Sources: https://platform.openai.com/docs/api-reference/chat/create ,
https://platform.openai.com/docs/api-reference/chat-streaming .
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from compat.emulator.frames import Frame, FrameResponse, faulted_frames, json_response
from compat.emulator.openai_chat_decode import decode_chat
from compat.emulator.openai_chat_encode import completion_body, completion_chunks, stall_chunk
from compat.emulator.openai_errors import OpenAIRequestError, openai_error
from compat.emulator.stream_pacing import StreamDirective, stream_directive
from compat.emulator.types import EmulatorError, ProviderId

if TYPE_CHECKING:
    from compat.emulator.context import EmulatorContext

__all__ = ["CHUNK_EVENT", "DONE_EVENT", "chat_completions", "sse_data"]

CHUNK_EVENT = "chat.completion.chunk"
"""The event type the recorder lists for each chunk (the chunk's `object`)."""
DONE_EVENT = "[DONE]"
"""The event type the recorder lists for the stream's terminating `data: [DONE]`."""

_DONE_FRAME = Frame(b"data: [DONE]\n\n", (DONE_EVENT,))
# A data line whose JSON stops mid-object: what a corrupted or truncated SSE line looks like.
MALFORMED_CHUNK_FRAME = (
    b'data: {"id":"chatcmpl-x","object":"chat.completion.chunk","choices":[{"delta":{"cont\n\n'
)

# Source: OpenAI's answer to a body that is not JSON (param and code null), quoted by
# clients that hit it, e.g. https://github.com/ChatGPTNextWeb/NextChat/issues/4064
_NOT_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
    "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was "
    "sent was not valid JSON. If you have trouble figuring out how to fix this, please "
    "contact us through our help center at help.openai.com.)"
)


def sse_data(chunk: Mapping[str, Any]) -> bytes:
    """One server-sent event: a `data: <json>` line and a blank line, no `event:` line."""
    data = json.dumps(chunk, separators=(",", ":"), ensure_ascii=False)
    return f"data: {data}\n\n".encode()


def _payload(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise OpenAIRequestError(_NOT_JSON) from None


def _with_garbage_line(frames: list[Frame], after_events: int) -> list[Frame]:
    garbage = Frame(MALFORMED_CHUNK_FRAME, (CHUNK_EVENT,))
    return [*frames[:after_events], garbage, *frames[after_events:]]


def _stream(
    chunks: list[dict[str, Any]],
    fault: Any,
    *,
    headers: Mapping[str, str],
    pacing: StreamDirective | None,
) -> Response:
    """The SSE response for the chunks and `[DONE]`, with a stream fault applied if due."""
    stall = stall_chunk(chunks) if pacing is not None else None
    frames = [
        Frame(sse_data(chunk), (CHUNK_EVENT,), stall_point=index == stall)
        for index, chunk in enumerate(chunks)
    ]
    frames, complete = faulted_frames([*frames, _DONE_FRAME], fault, corrupt=_with_garbage_line)
    if complete and pacing is None and len(frames) > 1:
        # The role chunk leaves in its own write and the rest in a second one: the chunks are
        # ready at once, and a write per chunk would cost most of the emulator's CPU.
        rest = frames[1:]
        frames = [
            frames[0],
            Frame(b"".join(f.data for f in rest), tuple(e for f in rest for e in f.events)),
        ]
    return FrameResponse(
        frames,
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", **headers},
        complete=complete,
        pacing=pacing,
    )


async def chat_completions(
    ctx: EmulatorContext, request: Request, *, provider: ProviderId, model: str | None
) -> Response:
    """Answer one authenticated Chat Completions request, or refuse it in OpenAI's shape."""
    # `model` is the deployment an Azure route names; None reads it from the body.
    fault = ctx.faults.take(provider)
    if fault is not None and fault.kind == "status":
        return openai_error(request, fault.error)
    try:
        chat = decode_chat(_payload(await request.body()), provider=provider, model=model)
        pacing = stream_directive(chat.neutral) if chat.neutral.stream else None
        # The model is fast, deterministic CPU work; calling it inline keeps the added
        # latency lower than a hop to a worker thread would.
        reply = ctx.model.respond(chat.neutral)
    except EmulatorError as exc:
        return openai_error(request, exc)
    if fault is not None:
        reply = fault.apply(reply)
        if fault.kind == "slow_first_byte":
            await asyncio.sleep(fault.delay_s)
    created = int(time.time())
    # OpenAI returns `x-request-id` on every response.
    # Source: https://platform.openai.com/docs/api-reference/debugging-requests
    headers = {"x-request-id": f"req_{secrets.token_hex(16)}"}
    if not chat.neutral.stream:
        body = completion_body(reply, created=created, service_tier=chat.service_tier)
        return json_response(body, fault, headers=headers)
    chunks = completion_chunks(
        reply,
        created=created,
        service_tier=chat.service_tier,
        include_usage=chat.include_usage,
        include_obfuscation=chat.include_obfuscation,
    )
    return _stream(chunks, fault, headers=headers, pacing=pacing)
