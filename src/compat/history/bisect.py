"""The first release where a cell's status flips: a binary search, whatever runs a release.

The caller gives the releases oldest first, the known side first and the other side last,
and a function that observes the cell at one release. Each release is observed `repeats`
times and must agree with itself; a release whose status is neither end's (it would not
install, say) is skipped for its neighbour, and when only such releases separate the two
sides the answer is the range between them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from compat.errors import CompatError, InputError
from compat.upstream_log import RecordedRequest

UNTESTABLE = frozenset({"install_failed", "not_tested"})
"""Statuses that say nothing about the cell: an end observed so cannot anchor the search."""


@dataclass(frozen=True)
class Observation:
    """The cell at one release: its status, the start of its error, its upstream requests."""

    release: str
    status: str
    """`pass`, `fail`, `not_applicable`, `not_tested` or `install_failed`."""
    error: str | None
    requests: list[RecordedRequest]


@dataclass(frozen=True)
class BisectStep:
    """One release observed `repeats` times: the status each time, and the first error."""

    release: str
    statuses: list[str]
    error: str | None


@dataclass(frozen=True)
class BisectResult:
    """Where the status flips, or the range it flips in when releases there were untestable."""

    first_flipped: str | None
    """The first release with the last end's status (None: see `ambiguous_between`)."""
    last_before: str
    """The last release seen with the first end's status."""
    first_status: str
    last_status: str
    steps: list[BisectStep]
    """Every release observed, in the order observed (both ends first)."""
    runs: int
    """Observations made: `repeats` per release observed."""
    skipped: list[str]
    """Releases observed with neither end's status, in release order."""
    before_obs: Observation
    after_obs: Observation
    """The observations on each side of the flip (or of the ambiguous range)."""
    ambiguous_between: tuple[str, str] | None = None
    """(last first-side release, first last-side release) when only skipped ones lie between."""


class NoFlip(CompatError):
    """Both ends have the same status: there is no flip to find between them."""

    def __init__(self, first: str, last: str, status: str) -> None:
        super().__init__(
            f"nothing to bisect: both ends are {status} ({first} and {last}); give a "
            f"release where the cell is not {status} as one of the ends"
        )
        self.status = status


class FlakyCell(CompatError):
    """A release gave different statuses across its repeats: no answer would be trustworthy."""

    def __init__(self, release: str, statuses: list[str]) -> None:
        seen = ", ".join(statuses)
        super().__init__(
            f"the cell is flaky at {release}: its {len(statuses)} runs gave {seen}; "
            "bisecting stopped, since a flaky release cannot be placed on either side"
        )
        self.release = release
        self.statuses = statuses


class UntestableEnd(CompatError):
    """An end of the range could not be tested, so it defines no side."""

    def __init__(self, observation: Observation) -> None:
        reason = f": {observation.error}" if observation.error else ""
        super().__init__(
            f"cannot bisect from {observation.release}: it is {observation.status}{reason}; "
            "choose an end where the cell runs"
        )
        self.observation = observation


def bisect_releases(
    releases: list[str],
    observe: Callable[[str], Observation],
    *,
    repeats: int = 2,
    on_step: Callable[[BisectStep], None] = lambda step: None,
) -> BisectResult:
    """The first release (oldest first) whose status is the last end's, after the first end's."""
    if len(releases) < 2:
        raise InputError("bisecting needs at least two releases: the two ends")
    if len(set(releases)) != len(releases):
        raise InputError("bisecting needs distinct releases; some are listed twice")
    if repeats < 1:
        raise InputError(f"repeats must be at least 1, not {repeats}")
    seen: dict[int, Observation] = {}
    steps: list[BisectStep] = []

    def status_at(index: int) -> str:
        # Observed at most once per release: the cache is what keeps the run count bounded.
        if index not in seen:
            release = releases[index]
            observations = [observe(release) for _ in range(repeats)]
            statuses = [o.status for o in observations]
            error = next((o.error for o in observations if o.error), None)
            step = BisectStep(release, statuses, error)
            steps.append(step)
            on_step(step)
            if len(set(statuses)) > 1:
                raise FlakyCell(release, statuses)
            seen[index] = observations[0]
        return seen[index].status

    lo, hi = 0, len(releases) - 1
    first, last = status_at(lo), status_at(hi)
    for end in (lo, hi):
        if seen[end].status in UNTESTABLE:
            raise UntestableEnd(seen[end])
    if first == last:
        raise NoFlip(releases[lo], releases[hi], first)
    skipped: set[int] = set()
    while True:
        mid = _next_midpoint(lo, hi, seen)
        if mid is None:
            break
        status = status_at(mid)
        if status == first:
            lo = mid
        elif status == last:
            hi = mid
        else:
            skipped.add(mid)
    flipped = hi - lo == 1
    return BisectResult(
        first_flipped=releases[hi] if flipped else None,
        last_before=releases[lo],
        first_status=first,
        last_status=last,
        steps=steps,
        runs=len(steps) * repeats,
        skipped=[releases[i] for i in sorted(skipped)],
        before_obs=seen[lo],
        after_obs=seen[hi],
        ambiguous_between=None if flipped else (releases[lo], releases[hi]),
    )


def _next_midpoint(lo: int, hi: int, seen: dict[int, Observation]) -> int | None:
    """The middle of (lo, hi), or the nearest unobserved release to it, alternating sides."""
    middle = (lo + hi) // 2
    for offset in range(2 * (hi - lo)):
        # middle, middle+1, middle-1, middle+2, ...: the nearest first, the later side first.
        candidate = middle + (offset + 1) // 2 * (1 if offset % 2 else -1)
        if lo < candidate < hi and candidate not in seen:
            return candidate
    return None
