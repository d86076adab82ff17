"""Bedrock's streams: padded AWS event-stream frames, and the stream faults applied to them."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from compat.emulator import eventstream
from compat.emulator.faults import Fault
from compat.emulator.frames import Frame, FrameResponse, faulted_frames, spoiled
from compat.emulator.stream_pacing import StreamDirective, converse_stall_index, stall_index

# Random-length padding Bedrock adds to every stream event's JSON (field "p") so that frame
# sizes do not reveal token lengths; seen in botocore debug logs of real streams
# (https://github.com/boto/boto3/issues/4584) and documented in Anthropic's SDK stream parser.
_PADDING = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _padded(payload: Mapping[str, Any]) -> dict[str, Any]:
    # Deterministic length so that the same reply always gives the same bytes.
    length = 1 + len(json.dumps(payload, separators=(",", ":"))) % len(_PADDING)
    return {**payload, "p": _PADDING[:length]}


def event_frame(event_type: str, payload: Mapping[str, Any]) -> bytes:
    """One event-stream event as Bedrock sends it, padded."""
    return eventstream.event_message(event_type, _padded(payload))


def chunk_frame(event: Mapping[str, Any]) -> bytes:
    """An InvokeModelWithResponseStream `chunk`: the Anthropic event JSON, base64 in `bytes`."""
    # Source: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_PayloadPart.html
    data = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return event_frame("chunk", {"bytes": base64.b64encode(data).decode("ascii")})


def chunk_frames(events: list[dict[str, Any]], pacing: StreamDirective | None) -> list[Frame]:
    """The `chunk` frames of a reply's Anthropic events, each named by its inner event."""
    stall = stall_index(events) if pacing is not None else None
    return [
        Frame(chunk_frame(event), (event["type"],), stall_point=index == stall)
        for index, event in enumerate(events)
    ]


def converse_frames(
    events: list[tuple[str, dict[str, Any]]], pacing: StreamDirective | None = None
) -> list[Frame]:
    """ConverseStream's event frames, each named by its event type."""
    stall = converse_stall_index(events) if pacing is not None else None
    return [
        Frame(event_frame(name, payload), (name,), stall_point=index == stall)
        for index, (name, payload) in enumerate(events)
    ]


def exception_frame(exception_type: str, message: str) -> Frame:
    """A modeled mid-stream error, named by its exception type."""
    return Frame(eventstream.exception_message(exception_type, message), (exception_type,))


def _with_bad_crc(frames: list[Frame], after_events: int) -> list[Frame]:
    if after_events >= len(frames):
        return frames
    spoilt = list(frames)
    frame = frames[after_events]
    spoilt[after_events] = spoiled(frame, eventstream.with_bad_crc(frame.data))
    return spoilt


def event_stream_response(
    frames: list[Frame],
    fault: Fault | None,
    headers: Mapping[str, str],
    *,
    pacing: StreamDirective | None = None,
) -> Response:
    """Event-stream frames, with a stream fault applied if one is due.

    With `pacing` the frames leave on the directive's schedule, stall included, but never
    with pings: neither of Bedrock's event streams has a ping event (InvokeModel's union
    lists chunk and the modeled exceptions only, ConverseStream's its message, content
    block and metadata events and the modeled exceptions).
    Sources: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModelWithResponseStream.html
    and https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html
    """
    sent, complete = faulted_frames(frames, fault, corrupt=_with_bad_crc)
    return FrameResponse(
        sent,
        media_type=eventstream.CONTENT_TYPE,
        headers=headers,
        complete=complete,
        pacing=pacing,
    )
