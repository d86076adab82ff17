"""A model reply as the Responses API's server-sent events, and the SSE response carrying them.

The order is the documented one: `response.created`, `response.in_progress`, then per
output item `response.output_item.added`, its parts and deltas, `response.output_item.done`,
and finally `response.completed` (or `response.incomplete`). Text, reasoning summaries and
function arguments arrive in at least two deltas each (when two characters or longer), so
a proxy that buffers the stream can be told from one that passes it through. Every event
carries a `sequence_number`; frames are `event: <type>` then `data: <json>`.
Source: https://platform.openai.com/docs/api-reference/responses-streaming
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.responses import Response

from compat.emulator.faults import Fault
from compat.emulator.frames import Frame, FrameResponse, faulted_frames, joined
from compat.emulator.openai_responses_decode import ResponsesRequest
from compat.emulator.openai_responses_encode import final_status, output_items, response_object
from compat.emulator.stream_pacing import StreamDirective
from compat.emulator.types import ModelReply

_MAX_CHUNK = 64
_MALFORMED_FRAME = (
    b"event: response.output_text.delta\n"
    b'data: {"type":"response.output_text.delta","item_id":"msg_\n\n'
)


def responses_events(reply: ModelReply, req: ResponsesRequest) -> list[dict[str, Any]]:
    """The stream events for `reply`, numbered by `sequence_number`."""
    created_at = _created_at()
    items = output_items(reply, req)
    start = response_object(reply, req, status="in_progress", created_at=created_at)
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": start},
        {"type": "response.in_progress", "response": start},
    ]
    for index, item in enumerate(items):
        events.extend(_item_events(index, item))
    status = final_status(reply)
    done = response_object(reply, req, status=status, created_at=created_at, output=items)
    events.append({"type": f"response.{status}", "response": done})
    for number, event in enumerate(events):
        event["sequence_number"] = number
    return events


def _created_at() -> int:
    return int(time.time())


def _item_events(index: int, item: dict[str, Any]) -> list[dict[str, Any]]:
    kind = item["type"]
    item_id = item["id"]
    where = {"item_id": item_id, "output_index": index}
    if kind == "message":
        opened = {**item, "status": "in_progress", "content": []}
        events: list[dict[str, Any]] = [
            {"type": "response.output_item.added", "output_index": index, "item": opened}
        ]
        for part_index, part in enumerate(item["content"]):
            at = {**where, "content_index": part_index}
            empty = {**part, "text": ""}
            events.append({"type": "response.content_part.added", **at, "part": empty})
            events += [
                {"type": "response.output_text.delta", **at, "delta": piece, "logprobs": []}
                for piece in _chunks(part["text"])
            ]
            events.append(
                {"type": "response.output_text.done", **at, "text": part["text"], "logprobs": []}
            )
            events.append({"type": "response.content_part.done", **at, "part": part})
    elif kind == "reasoning":
        opened = {**item, "summary": []}
        events = [{"type": "response.output_item.added", "output_index": index, "item": opened}]
        for summary_index, part in enumerate(item["summary"]):
            at = {**where, "summary_index": summary_index}
            events.append(
                {
                    "type": "response.reasoning_summary_part.added",
                    **at,
                    "part": {**part, "text": ""},
                }
            )
            events += [
                {"type": "response.reasoning_summary_text.delta", **at, "delta": piece}
                for piece in _chunks(part["text"])
            ]
            events.append(
                {"type": "response.reasoning_summary_text.done", **at, "text": part["text"]}
            )
            events.append({"type": "response.reasoning_summary_part.done", **at, "part": part})
    else:
        opened = {**item, "status": "in_progress", "arguments": ""}
        events = [{"type": "response.output_item.added", "output_index": index, "item": opened}]
        events += [
            {"type": "response.function_call_arguments.delta", **where, "delta": piece}
            for piece in _chunks(item["arguments"])
        ]
        events.append(
            {
                "type": "response.function_call_arguments.done",
                **where,
                "arguments": item["arguments"],
            }
        )
    events.append({"type": "response.output_item.done", "output_index": index, "item": item})
    return events


def _chunks(text: str) -> list[str]:
    """`text` cut into pieces: at least two when it has two characters or more."""
    if not text:
        return []
    size = max(1, min(_MAX_CHUNK, math.ceil(len(text) / 2)))
    return [text[i : i + size] for i in range(0, len(text), size)]


def responses_stall_index(events: Sequence[Mapping[str, Any]]) -> int | None:
    """The event a paced stream's stall follows: the first reasoning, else text, else any delta."""
    first_text = first_delta = None
    for index, event in enumerate(events):
        kind = str(event["type"])
        if not kind.endswith(".delta"):
            continue
        if kind == "response.reasoning_summary_text.delta":
            return index
        if first_delta is None:
            first_delta = index
        if first_text is None and kind == "response.output_text.delta":
            first_text = index
    return first_text if first_text is not None else first_delta


def sse_frame(event: Mapping[str, Any]) -> bytes:
    """One server-sent event: `event: <type>`, `data: <json>`, a blank line."""
    data = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
    return f"event: {event['type']}\ndata: {data}\n\n".encode()


def _with_garbage_line(frames: list[Frame], after_events: int) -> list[Frame]:
    garbage = Frame(_MALFORMED_FRAME, ("response.output_text.delta",))
    return [*frames[:after_events], garbage, *frames[after_events:]]


def responses_stream(
    events: list[dict[str, Any]],
    fault: Fault | None,
    *,
    headers: Mapping[str, str] | None = None,
    pacing: StreamDirective | None = None,
) -> Response:
    """The SSE response for the events, with a stream fault and pacing applied.

    The Responses stream documents no keep-alive event, so a paced stall is silent
    (`stream_pacing`'s `ping` applies to the Anthropic-shaped wires only).
    Source: https://platform.openai.com/docs/api-reference/responses-streaming
    """
    stall = responses_stall_index(events) if pacing is not None else None
    frames, complete = faulted_frames(
        [
            Frame(sse_frame(event), (event["type"],), stall_point=index == stall)
            for index, event in enumerate(events)
        ],
        fault,
        corrupt=_with_garbage_line,
    )
    if complete and pacing is None and frames:
        # The first event in its own write and the rest in a second, as the Messages wire.
        frames = [frames[0], joined(frames[1:])]
    return FrameResponse(
        frames,
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", **(headers or {})},
        complete=complete,
        pacing=pacing,
        ping=None,
    )
