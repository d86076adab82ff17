"""Human durations for flags like `--min-age 3d`: parse to a timedelta and render back."""

from __future__ import annotations

import re
from datetime import timedelta

from compat.errors import InputError

UNITS: dict[str, timedelta] = {
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "m": timedelta(minutes=1),
    "s": timedelta(seconds=1),
}
_DURATION = re.compile(r"^\s*(?P<amount>[0-9]+)(?P<unit>[dhms]?)\s*$")


def parse_duration(text: str, *, option: str = "--min-age") -> timedelta:
    """`3d`, `36h`, `90m`, `45s` or `0` → timedelta; else an InputError naming `option`."""
    match = _DURATION.match(text)
    if match is None or (not match["unit"] and int(match["amount"]) != 0):
        raise InputError(
            f"{option}: expected a duration like 3d, 36h, 90m or 0 (a whole number and one of "
            f"d, h, m, s), found {text!r}"
        )
    return int(match["amount"]) * UNITS.get(match["unit"], timedelta(0))


def format_duration(delta: timedelta) -> str:
    """A short reading of `delta` with its two largest units, e.g. `3d 12h` or `45m`."""
    seconds = int(abs(delta).total_seconds())
    parts: list[str] = []
    for unit, size in UNITS.items():
        count, seconds = divmod(seconds, int(size.total_seconds()))
        if count or parts:
            parts.append(f"{count}{unit}")
    # Keep the two most significant units; seconds matter only for short spans.
    shown = [p for p in parts[:2] if not p.startswith("0")] or parts[:1] or ["0s"]
    return ("-" if delta < timedelta(0) else "") + " ".join(shown)
