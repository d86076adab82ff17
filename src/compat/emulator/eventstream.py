"""Encoder for the AWS event-stream binary framing (application/vnd.amazon.eventstream).

Wire layout, all integers big-endian, per https://smithy.io/2.0/aws/amazon-eventstream.html
and https://docs.aws.amazon.com/transcribe/latest/dg/event-stream.html:

    total length u32 | headers length u32 | prelude CRC32 u32
    | headers | payload | message CRC32 u32

The prelude CRC covers the two lengths; the message CRC covers every byte before it. Both
are the IEEE (gzip) CRC32. Each header is `name length u8 | name | value type u8 | value`.

botocore ships only a decoder (`botocore.eventstream`) and there is no maintained Python
package that encodes frames to bytes on their own, so the emulator builds them here; the
tests prove every frame by decoding it with botocore's `EventStreamBuffer`.
"""

from __future__ import annotations

import json
import struct
import uuid
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Any

CONTENT_TYPE = "application/vnd.amazon.eventstream"

# Limits every AWS reader accepts: AWS's C runtime (aws-c-event-stream's event_stream.h)
# caps header names at 127 bytes, headers at 128 KiB and a message at 16 MiB, and reads the
# 2-byte value length as signed.
MAX_HEADER_NAME_BYTES = 127
MAX_HEADER_VALUE_BYTES = 32767
MAX_HEADERS_BYTES = 128 * 1024
MAX_MESSAGE_BYTES = 16 * 1024 * 1024

_PRELUDE = struct.Struct(">II")
_CRC = struct.Struct(">I")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class HeaderType(IntEnum):
    """Header value type codes from the event-stream spec."""

    BOOL_TRUE = 0
    BOOL_FALSE = 1
    BYTE = 2
    SHORT = 3
    INTEGER = 4
    LONG = 5
    BYTE_ARRAY = 6
    STRING = 7
    TIMESTAMP = 8
    UUID = 9


@dataclass(frozen=True)
class _SizedInt:
    """An integer header value; the subclass names its wire width."""

    value: int


class Int8(_SizedInt):
    """A header value sent as a signed byte (type 2)."""


class Int16(_SizedInt):
    """A header value sent as a signed short (type 3)."""


class Int32(_SizedInt):
    """A header value sent as a signed 32-bit integer (type 4)."""


class Int64(_SizedInt):
    """A header value sent as a signed 64-bit integer (type 5)."""


# Integers carry an explicit width because the wire type is part of the value; a bare int
# would leave that choice to a guess.
HeaderValue = bool | Int8 | Int16 | Int32 | Int64 | bytes | str | datetime | uuid.UUID

_INT_FORMATS: dict[type, tuple[HeaderType, str]] = {
    Int8: (HeaderType.BYTE, ">b"),
    Int16: (HeaderType.SHORT, ">h"),
    Int32: (HeaderType.INTEGER, ">i"),
    Int64: (HeaderType.LONG, ">q"),
}


def _length_prefixed(data: bytes) -> bytes:
    if len(data) > MAX_HEADER_VALUE_BYTES:
        raise ValueError(f"header value of {len(data)} bytes exceeds {MAX_HEADER_VALUE_BYTES}")
    return struct.pack(">H", len(data)) + data


def _encode_value(value: HeaderValue) -> bytes:
    # bool is checked first: it is an int subclass in Python but its own wire type here.
    if isinstance(value, bool):
        return bytes([HeaderType.BOOL_TRUE if value else HeaderType.BOOL_FALSE])
    if isinstance(value, _SizedInt):
        header_type, fmt = _INT_FORMATS[type(value)]
        try:
            return bytes([header_type]) + struct.pack(fmt, value.value)
        except struct.error as exc:
            raise ValueError(f"{value!r} does not fit its wire type") from exc
    if isinstance(value, bytes):
        return bytes([HeaderType.BYTE_ARRAY]) + _length_prefixed(value)
    if isinstance(value, str):
        return bytes([HeaderType.STRING]) + _length_prefixed(value.encode("utf-8"))
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("timestamp header values must be timezone-aware")
        millis = (value - _EPOCH) // timedelta(milliseconds=1)
        return bytes([HeaderType.TIMESTAMP]) + struct.pack(">q", millis)
    if isinstance(value, uuid.UUID):
        return bytes([HeaderType.UUID]) + value.bytes
    raise TypeError(f"unsupported header value type: {type(value).__name__}")


def encode_header(name: str, value: HeaderValue) -> bytes:
    """Encode one header: name length, name, value type and value."""
    raw_name = name.encode("utf-8")
    if not 0 < len(raw_name) <= MAX_HEADER_NAME_BYTES:
        raise ValueError(f"header name must be 1..{MAX_HEADER_NAME_BYTES} bytes: {name!r}")
    return bytes([len(raw_name)]) + raw_name + _encode_value(value)


def encode_message(headers: Mapping[str, HeaderValue], payload: bytes = b"") -> bytes:
    """Encode one event-stream message with its prelude and both CRCs."""
    encoded_headers = b"".join(encode_header(name, value) for name, value in headers.items())
    if len(encoded_headers) > MAX_HEADERS_BYTES:
        raise ValueError(f"headers of {len(encoded_headers)} bytes exceed {MAX_HEADERS_BYTES}")
    total_length = _PRELUDE.size + _CRC.size + len(encoded_headers) + len(payload) + _CRC.size
    if total_length > MAX_MESSAGE_BYTES:
        raise ValueError(f"a message of {total_length} bytes exceeds {MAX_MESSAGE_BYTES}")
    prelude = _PRELUDE.pack(total_length, len(encoded_headers))
    head = prelude + _CRC.pack(zlib.crc32(prelude)) + encoded_headers + payload
    return head + _CRC.pack(zlib.crc32(head))


def _json_bytes(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def event_message(event_type: str, body: Mapping[str, Any]) -> bytes:
    """Encode a JSON event as AWS services send it (`:message-type` event)."""
    # Header order as Bedrock sends it (seen in botocore debug logs of ConverseStream).
    headers: dict[str, HeaderValue] = {
        ":event-type": event_type,
        ":content-type": "application/json",
        ":message-type": "event",
    }
    return encode_message(headers, _json_bytes(body))


def exception_message(exception_type: str, message: str) -> bytes:
    """Encode a modeled mid-stream error (`:message-type` exception) with a JSON body."""
    headers: dict[str, HeaderValue] = {
        ":exception-type": exception_type,
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    return encode_message(headers, _json_bytes({"message": message}))


def with_bad_crc(frame: bytes) -> bytes:
    """Return `frame` with its message CRC flipped, for the malformed-frame fault."""
    crc = _CRC.unpack(frame[-_CRC.size :])[0]
    return frame[: -_CRC.size] + _CRC.pack(crc ^ 0xFFFFFFFF)
