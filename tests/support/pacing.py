"""The bucket check shared by the pacing tests: how far request times go past a token bucket."""

from __future__ import annotations


def excess(times: list[float], *, burst: float, per_second: float) -> float:
    """How far the busiest window goes past `burst + per_second × its width` (<= 0: never)."""
    times = sorted(times)
    return max(
        (j - i + 1) - (burst + per_second * (times[j] - times[i]))
        for i in range(len(times))
        for j in range(i, len(times))
    )
