"""`--min-age`-style durations: parsing and the short rendering used in explanations."""

from __future__ import annotations

from datetime import timedelta

import pytest

from compat.durations import format_duration, parse_duration
from compat.errors import InputError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3d", timedelta(days=3)),
        ("36h", timedelta(hours=36)),
        ("90m", timedelta(minutes=90)),
        ("45s", timedelta(seconds=45)),
        ("0", timedelta(0)),
        ("0d", timedelta(0)),
        (" 2d ", timedelta(days=2)),
    ],
)
def test_parses(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "3", "d", "3w", "-1d", "1.5d", "3 d", "1d12h", "3D"])
def test_rejects_with_a_clear_message(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_duration(text, option="--older-than")
    message = str(caught.value)
    assert message.startswith("--older-than: expected a duration like 3d, 36h, 90m or 0")
    assert repr(text) in message
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("delta", "shown"),
    [
        (timedelta(days=3, hours=12, minutes=3), "3d 12h"),
        (timedelta(hours=5), "5h"),
        (timedelta(minutes=45), "45m"),
        (timedelta(minutes=1, seconds=30), "1m 30s"),
        (timedelta(days=2, minutes=5), "2d"),
        (timedelta(0), "0s"),
        (timedelta(seconds=-90), "-1m 30s"),
    ],
)
def test_formats_two_largest_units(delta: timedelta, shown: str) -> None:
    assert format_duration(delta) == shown
