"""The event-stream encoder, proved by botocore's own decoder."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer, EventStreamMessage
from hypothesis import given, settings
from hypothesis import strategies as st

from compat.emulator.eventstream import (
    MAX_HEADER_VALUE_BYTES,
    MAX_MESSAGE_BYTES,
    HeaderValue,
    Int8,
    Int16,
    Int32,
    Int64,
    encode_header,
    encode_message,
    event_message,
    exception_message,
    with_bad_crc,
)


def decode_all(data: bytes) -> list[EventStreamMessage]:
    """Decode every message in `data` with botocore's streaming buffer."""
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return list(buffer)


def decode_one(data: bytes) -> EventStreamMessage:
    messages = decode_all(data)
    assert len(messages) == 1
    return messages[0]


def test_headers_of_every_type_round_trip() -> None:
    when = datetime(2025, 10, 1, 12, 30, 45, 123000, tzinfo=UTC)
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    headers: dict[str, HeaderValue] = {
        "t": True,
        "f": False,
        "byte": Int8(-7),
        "short": Int16(-1234),
        "int": Int32(2_000_000_000),
        "long": Int64(-(2**62)),
        "blob": b"\x00\xffraw",
        "text": "héllo",
        "when": when,
        "id": ident,
    }
    message = decode_one(encode_message(headers, b"payload"))
    assert message.headers == {
        "t": True,
        "f": False,
        "byte": -7,
        "short": -1234,
        "int": 2_000_000_000,
        "long": -(2**62),
        "blob": b"\x00\xffraw",
        "text": "héllo",
        "when": int(when.timestamp() * 1000),
        "id": ident.bytes,
    }
    assert message.payload == b"payload"


def test_empty_payload_and_no_headers_is_sixteen_bytes() -> None:
    frame = encode_message({}, b"")
    assert len(frame) == 16
    message = decode_one(frame)
    assert message.headers == {}
    assert message.payload == b""


def test_large_payload_round_trips() -> None:
    payload = bytes(range(256)) * 8192  # 2 MiB
    assert decode_one(encode_message({":event-type": "chunk"}, payload)).payload == payload


def test_prelude_and_message_crcs_are_checked_by_botocore() -> None:
    frame = encode_message({"a": "b"}, b"{}")
    decode_one(frame)
    with pytest.raises(ChecksumMismatch):
        decode_all(with_bad_crc(frame))
    broken_prelude = frame[:8] + bytes([frame[8] ^ 0xFF]) + frame[9:]
    with pytest.raises(ChecksumMismatch):
        decode_all(broken_prelude)


def test_consecutive_frames_split_anywhere_decode_in_order() -> None:
    data = b"".join(event_message("e", {"n": n}) for n in range(5))
    buffer = EventStreamBuffer()
    decoded: list[int] = []
    for start in range(0, len(data), 7):
        buffer.add_data(data[start : start + 7])
        decoded.extend(json.loads(message.payload)["n"] for message in buffer)
    assert decoded == [0, 1, 2, 3, 4]


def test_event_message_headers_and_json_body() -> None:
    message = decode_one(event_message("messageStart", {"role": "assistant", "é": "ü"}))
    assert message.headers == {
        ":event-type": "messageStart",
        ":content-type": "application/json",
        ":message-type": "event",
    }
    assert json.loads(message.payload) == {"role": "assistant", "é": "ü"}


def test_exception_message_is_parsed_as_an_error_by_botocore() -> None:
    message = decode_one(exception_message("throttlingException", "Too many requests"))
    assert message.headers[":message-type"] == "exception"
    assert message.headers[":exception-type"] == "throttlingException"
    assert json.loads(message.payload) == {"message": "Too many requests"}
    assert message.to_response_dict()["status_code"] == 400


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (Int8(128), ValueError),
        (Int16(-(2**15) - 1), ValueError),
        (Int32(2**31), ValueError),
        (Int64(2**63), ValueError),
        ("x" * (MAX_HEADER_VALUE_BYTES + 1), ValueError),
        (datetime(2025, 1, 1), ValueError),  # naive: no timezone
        (7, TypeError),
    ],
)
def test_values_that_do_not_fit_are_refused(value: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        encode_header("h", value)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["", "n" * 128])
def test_header_names_outside_one_to_127_bytes_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="header name"):
        encode_header(name, "v")


def test_the_longest_header_name_round_trips() -> None:
    assert decode_one(encode_message({"n" * 127: "v"})).headers == {"n" * 127: "v"}


def test_messages_over_16_mib_are_refused() -> None:
    with pytest.raises(ValueError, match="exceeds"):
        encode_message({}, bytes(MAX_MESSAGE_BYTES))


_names = st.text(min_size=1, max_size=30).filter(lambda n: len(n.encode()) <= 127)
_values: st.SearchStrategy[HeaderValue] = st.one_of(
    st.booleans(),
    st.integers(-(2**7), 2**7 - 1).map(Int8),
    st.integers(-(2**15), 2**15 - 1).map(Int16),
    st.integers(-(2**31), 2**31 - 1).map(Int32),
    st.integers(-(2**63), 2**63 - 1).map(Int64),
    st.binary(max_size=300),
    st.text(max_size=300),
    st.datetimes(timezones=st.just(UTC)),
    st.uuids(),
)


def _expected(value: HeaderValue) -> object:
    if isinstance(value, Int8 | Int16 | Int32 | Int64):
        return value.value
    if isinstance(value, uuid.UUID):
        return value.bytes
    if isinstance(value, datetime):
        # Sent as whole milliseconds since the epoch, rounded down.
        return (value - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)
    return value


@given(headers=st.dictionaries(_names, _values, max_size=8), payload=st.binary(max_size=4096))
def test_any_headers_and_payload_round_trip(
    headers: dict[str, HeaderValue], payload: bytes
) -> None:
    message = decode_one(encode_message(headers, payload))
    assert message.payload == payload
    assert message.headers == {name: _expected(value) for name, value in headers.items()}


@settings(max_examples=300)
@given(
    frames=st.lists(
        st.tuples(st.dictionaries(_names, _values, max_size=4), st.binary(max_size=256)),
        min_size=1,
        max_size=4,
    ),
    data=st.data(),
)
def test_a_flipped_byte_anywhere_in_a_stream_is_a_checksum_error(
    frames: list[tuple[dict[str, HeaderValue], bytes]], data: st.DataObject
) -> None:
    encoded = [encode_message(headers, payload) for headers, payload in frames]
    stream = b"".join(encoded)
    index = data.draw(st.integers(0, len(stream) - 1), label="index")
    flip = data.draw(st.integers(1, 255), label="xor")
    broken = stream[:index] + bytes([stream[index] ^ flip]) + stream[index + 1 :]
    ends = [sum(len(frame) for frame in encoded[: n + 1]) for n in range(len(encoded))]
    intact = sum(1 for end in ends if end <= index)  # frames wholly before the damage
    buffer = EventStreamBuffer()
    buffer.add_data(broken)
    decoded: list[EventStreamMessage] = []
    with pytest.raises(ChecksumMismatch):
        decoded.extend(buffer)
    # Everything before the damaged frame still decodes; nothing of it or after does.
    assert [m.payload for m in decoded] == [payload for _, payload in frames[:intact]]
