"""The release bisection: finds the flip in few observations, and refuses to guess."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compat.errors import CompatError, InputError
from compat.history.bisect import (
    BisectStep,
    FlakyCell,
    NoFlip,
    Observation,
    UntestableEnd,
    bisect_releases,
)


def releases(n: int) -> list[str]:
    return [f"1.{i}.0" for i in range(n)]


class Cell:
    """A fake cell: a status per release (or a sequence of statuses for a flaky one)."""

    def __init__(self, statuses: dict[str, str | list[str]]) -> None:
        self.statuses = statuses
        self.calls: Counter[str] = Counter()

    def __call__(self, release: str) -> Observation:
        self.calls[release] += 1
        status = self.statuses[release]
        if isinstance(status, list):
            status = status[(self.calls[release] - 1) % len(status)]
        error = None if status == "pass" else f"{status} at {release}"
        return Observation(release, status, error, [])


def flip_statuses(
    names: list[str], index: int, before: str = "pass", after: str = "fail"
) -> dict[str, str | list[str]]:
    """`before` at the releases ahead of `names[index]`, `after` from it on."""
    return {r: before if i < index else after for i, r in enumerate(names)}


def flip_at(names: list[str], index: int, before: str = "pass", after: str = "fail") -> Cell:
    return Cell(flip_statuses(names, index, before, after))


def bound(n: int) -> int:
    """Distinct releases a search over n releases may observe: both ends and the midpoints."""
    return 2 + (math.ceil(math.log2(n - 1)) if n > 2 else 0)


@given(st.data(), st.integers(min_value=2, max_value=200), st.integers(min_value=1, max_value=3))
def test_it_finds_any_flip_within_the_logarithmic_bound(data, n, repeats):
    names = releases(n)
    index = data.draw(st.integers(min_value=1, max_value=n - 1), label="flip index")
    cell = flip_at(names, index)
    result = bisect_releases(names, cell, repeats=repeats)
    assert result.first_flipped == names[index]
    assert result.last_before == names[index - 1]
    assert (result.first_status, result.last_status) == ("pass", "fail")
    assert len(cell.calls) <= bound(n)
    assert set(cell.calls.values()) == {repeats}, "each release observed exactly `repeats` times"
    assert result.runs == repeats * len(cell.calls) == sum(cell.calls.values())
    assert [s.release for s in result.steps] == list(cell.calls)
    assert result.skipped == [] and result.ambiguous_between is None
    assert result.before_obs.release == names[index - 1]
    assert result.after_obs.release == names[index]


@given(st.data(), st.integers(min_value=3, max_value=60))
def test_a_fail_to_pass_flip_is_found_the_same_way(data, n):
    names = releases(n)
    index = data.draw(st.integers(min_value=1, max_value=n - 1))
    result = bisect_releases(names, flip_at(names, index, "fail", "pass"), repeats=1)
    assert result.first_flipped == names[index]
    assert (result.first_status, result.last_status) == ("fail", "pass")


def test_both_ends_are_observed_first_then_the_middle():
    names = releases(9)
    seen: list[BisectStep] = []
    bisect_releases(names, flip_at(names, 3), on_step=seen.append)
    assert [s.release for s in seen[:3]] == ["1.0.0", "1.8.0", "1.4.0"]
    assert seen[0].statuses == ["pass", "pass"] and seen[0].error is None
    assert seen[1].statuses == ["fail", "fail"] and seen[1].error == "fail at 1.8.0"


def test_two_adjacent_releases_need_only_their_ends():
    cell = flip_at(["a", "b"], 1)
    result = bisect_releases(["a", "b"], cell, repeats=3)
    assert result.first_flipped == "b" and result.runs == 6


def test_same_status_at_both_ends_is_no_flip():
    names = releases(5)
    cell = Cell(dict.fromkeys(names, "fail"))
    with pytest.raises(NoFlip, match="both ends are fail") as caught:
        bisect_releases(names, cell)
    assert isinstance(caught.value, CompatError)
    assert set(cell.calls) == {"1.0.0", "1.4.0"}, "only the ends are observed"


@pytest.mark.parametrize("flaky_at", [0, 4, 2])
def test_a_release_disagreeing_with_itself_stops_the_search(flaky_at):
    names = releases(5)
    statuses = flip_statuses(names, 3)
    statuses[names[flaky_at]] = ["pass", "fail"]
    steps: list[BisectStep] = []
    with pytest.raises(FlakyCell) as caught:
        bisect_releases(names, Cell(statuses), repeats=2, on_step=steps.append)
    assert caught.value.release == names[flaky_at]
    assert caught.value.statuses == ["pass", "fail"]
    assert names[flaky_at] in str(caught.value) and "pass, fail" in str(caught.value)
    assert steps[-1].release == names[flaky_at], "the flaky step is reported before stopping"


def test_one_repeat_cannot_see_flakiness():
    names = releases(3)
    statuses: dict[str, str | list[str]] = {
        "1.0.0": "pass",
        "1.1.0": ["fail", "pass"],
        "1.2.0": "fail",
    }
    assert bisect_releases(names, Cell(statuses), repeats=1).first_flipped == "1.1.0"


def test_an_untestable_midpoint_is_skipped_for_its_neighbour():
    names = releases(9)
    statuses = flip_statuses(names, 6)
    statuses["1.4.0"] = "install_failed"
    cell = Cell(statuses)
    result = bisect_releases(names, cell, repeats=1)
    assert result.first_flipped == "1.6.0" and result.last_before == "1.5.0"
    assert result.skipped == ["1.4.0"]
    assert list(cell.calls)[2:4] == ["1.4.0", "1.5.0"], "the nearest neighbour is tried next"
    assert set(cell.calls.values()) == {1}


def test_a_third_status_counts_as_untestable_too():
    names = releases(6)
    statuses = flip_statuses(names, 4)
    statuses["1.2.0"] = "not_applicable"
    result = bisect_releases(names, Cell(statuses), repeats=1)
    assert result.first_flipped == "1.4.0" and result.skipped == ["1.2.0"]


def test_when_only_untestable_releases_separate_the_sides_it_reports_the_range():
    names = releases(7)
    statuses: dict[str, str | list[str]] = {
        "1.0.0": "pass",
        "1.1.0": "pass",
        "1.2.0": "install_failed",
        "1.3.0": "install_failed",
        "1.4.0": "not_tested",
        "1.5.0": "fail",
        "1.6.0": "fail",
    }
    cell = Cell(statuses)
    result = bisect_releases(names, cell, repeats=2)
    assert result.first_flipped is None
    assert result.ambiguous_between == ("1.1.0", "1.5.0")
    assert result.last_before == "1.1.0"
    assert result.skipped == ["1.2.0", "1.3.0", "1.4.0"]
    assert (result.before_obs.release, result.after_obs.release) == ("1.1.0", "1.5.0")
    assert set(cell.calls.values()) == {2}, "no release is observed twice beyond its repeats"


@given(st.data(), st.integers(min_value=3, max_value=40))
def test_with_untestable_releases_the_answer_brackets_the_flip(data, n):
    names = releases(n)
    index = data.draw(st.integers(min_value=1, max_value=n - 1), label="flip index")
    broken = data.draw(st.sets(st.integers(min_value=1, max_value=n - 2)), label="untestable")
    statuses: dict[str, str | list[str]] = {
        r: "install_failed" if i in broken else ("pass" if i < index else "fail")
        for i, r in enumerate(names)
    }
    cell = Cell(statuses)
    result = bisect_releases(names, cell, repeats=1)
    lo, hi = names.index(result.last_before), names.index(result.before_obs.release)
    assert lo == hi and statuses[names[lo]] == "pass"
    after = names.index(result.after_obs.release)
    assert statuses[names[after]] == "fail" and lo < index <= after
    assert all(i in broken for i in range(lo + 1, after)), "only untestable releases between"
    assert (result.first_flipped == names[after]) == (after == lo + 1)
    assert set(result.skipped) <= {names[i] for i in broken}
    assert set(cell.calls.values()) == {1}


def test_an_end_that_cannot_be_tested_anchors_nothing():
    names = releases(4)
    cell = Cell({"1.0.0": "install_failed", "1.1.0": "pass", "1.2.0": "pass", "1.3.0": "fail"})
    with pytest.raises(UntestableEnd, match=r"1\.0\.0: it is install_failed: install_failed at"):
        bisect_releases(names, cell)


@pytest.mark.parametrize(
    ("names", "repeats", "message"),
    [(["1.0.0"], 2, "at least two"), (["a", "b", "a"], 2, "distinct"), (["a", "b"], 0, "repeats")],
)
def test_bad_input_is_refused_before_anything_runs(names, repeats, message):
    cell = Cell({})
    with pytest.raises(InputError, match=message):
        bisect_releases(names, cell, repeats=repeats)
    assert not cell.calls


def test_the_search_is_deterministic():
    names = releases(33)
    statuses = flip_statuses(names, 20)
    statuses["1.16.0"] = "install_failed"
    first = bisect_releases(names, Cell(statuses), repeats=1)
    second = bisect_releases(names, Cell(statuses), repeats=1)
    assert first == second
