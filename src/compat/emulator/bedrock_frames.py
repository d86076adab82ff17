"""Bedrock's streams: padded AWS event-stream frames, and the stream faults applied to them."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from compat.emulator import eventstream
from compat.emulator.faults import Fault
from compat.emulator.frames import FrameResponse, faulted_frames

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


def _with_bad_crc(frames: list[bytes], after_events: int) -> list[bytes]:
    if after_events >= len(frames):
        return frames
    spoiled = list(frames)
    spoiled[after_events] = eventstream.with_bad_crc(frames[after_events])
    return spoiled


def event_stream_response(
    frames: list[bytes], fault: Fault | None, headers: Mapping[str, str]
) -> Response:
    """Event-stream frames, with a stream fault applied if one is due."""
    sent, complete = faulted_frames(frames, fault, corrupt=_with_bad_crc)
    return FrameResponse(
        sent, media_type=eventstream.CONTENT_TYPE, headers=headers, complete=complete
    )
