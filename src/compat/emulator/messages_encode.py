"""A model reply as the Messages API sends it: the message JSON, or its server-sent events.

Sources: https://platform.claude.com/docs/en/api/messages/create,
https://platform.claude.com/docs/en/build-with-claude/streaming.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from compat.emulator.faults import Fault
from compat.emulator.frames import FrameResponse, faulted_frames
from compat.emulator.types import ModelReply

# A frame whose JSON stops mid-object: what a corrupted or truncated SSE line looks like.
MALFORMED_SSE_FRAME = (
    b"event: content_block_delta\n"
    b'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_del\n\n'
)


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


def _with_garbage_line(frames: list[bytes], after_events: int) -> list[bytes]:
    return [*frames[:after_events], MALFORMED_SSE_FRAME, *frames[after_events:]]


def stream_response(
    events: list[dict[str, Any]], fault: Fault | None, *, headers: Mapping[str, str] | None = None
) -> Response:
    """The SSE response for a reply's events, with a stream fault applied if one is due."""
    frames, complete = faulted_frames(
        [sse_frame(event) for event in events], fault, corrupt=_with_garbage_line
    )
    if complete:
        # `message_start` leaves in its own write and the rest in a second one: the events
        # are ready at once, and a write per event would cost most of the emulator's CPU.
        frames = [frames[0], b"".join(frames[1:])]
    sse_headers = {"cache-control": "no-cache", **(headers or {})}
    return FrameResponse(
        frames, media_type="text/event-stream", headers=sse_headers, complete=complete
    )
