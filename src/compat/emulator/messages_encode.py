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
from compat.emulator.frames import Frame, FrameResponse, faulted_frames, joined
from compat.emulator.stream_pacing import StreamDirective, stall_index
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


def _with_garbage_line(frames: list[Frame], after_events: int) -> list[Frame]:
    garbage = Frame(MALFORMED_SSE_FRAME, ("content_block_delta",))
    return [*frames[:after_events], garbage, *frames[after_events:]]


# The `ping` event a paced stream sends during its stall.
# Source: https://docs.claude.com/en/docs/build-with-claude/streaming ("Ping events").
PING_FRAME = Frame(sse_frame({"type": "ping"}), ("ping",))


def stream_response(
    events: list[dict[str, Any]],
    fault: Fault | None,
    *,
    headers: Mapping[str, str] | None = None,
    pacing: StreamDirective | None = None,
) -> Response:
    """The SSE response for a reply's events, with a stream fault applied if one is due.

    With `pacing` every event leaves in its own write, on the directive's schedule, and the
    stall is filled with `ping` events when it asks for them.
    """
    stall = stall_index(events) if pacing is not None else None
    frames, complete = faulted_frames(
        [
            Frame(sse_frame(event), (event["type"],), stall_point=index == stall)
            for index, event in enumerate(events)
        ],
        fault,
        corrupt=_with_garbage_line,
    )
    if complete and pacing is None:
        # `message_start` leaves in its own write and the rest in a second one: the events
        # are ready at once, and a write per event would cost most of the emulator's CPU.
        frames = [frames[0], joined(frames[1:])]
    sse_headers = {"cache-control": "no-cache", **(headers or {})}
    return FrameResponse(
        frames,
        media_type="text/event-stream",
        headers=sse_headers,
        complete=complete,
        pacing=pacing,
        ping=PING_FRAME,
    )
