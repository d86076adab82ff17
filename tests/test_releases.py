"""Choosing the releases of an axis: ranges, cadences, explicit versions, and their mistakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.version import Version

from compat.errors import CompatError, InputError
from compat.pypi import PypiRelease
from compat.releases import parse_release_range, select_npm_releases, select_releases
from compat.resolve import Publication

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def release(version: str, *, yanked: bool = False) -> PypiRelease:
    return PypiRelease(
        version=version,
        uploaded_at=EPOCH,
        yanked=yanked,
        yanked_reason="bad" if yanked else None,
        prerelease=Version(version).is_prerelease,
    )


PYPI = [
    release(v)
    for v in (
        "1.82.6",
        "1.83.0",
        "1.83.1",
        "1.83.14",
        "1.84.0rc1",
        "1.84.0",
        "1.84.3",
        "1.90.0",
        "1.90.7",
        "1.91.0",
        "1.91.5",
    )
] + [release("1.84.4", yanked=True)]


def versions(chosen: list[PypiRelease] | list[Publication]) -> list[str]:
    return [r.version for r in chosen]


# ----------------------------------------------------------------------------------- ranges


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("1.83.0..1.90.7", ("1.83.0", "1.90.7")),
        ("..1.90.7", (None, "1.90.7")),
        ("1.83.0..", ("1.83.0", None)),
        ("..", (None, None)),
        (" 1.83.0 .. 1.90.7 ", ("1.83.0", "1.90.7")),
        ("1.90.7..1.90.7", ("1.90.7", "1.90.7")),
    ],
)
def test_a_range_has_two_ends_either_open(text: str, span: tuple[str | None, str | None]) -> None:
    assert parse_release_range(text) == span


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("1.9..x", "--litellm: in '1.9..x', 'x' is not a version"),
        ("1.90.7", "expected a range LOW..HIGH"),
        ("1..2..3", "expected a range LOW..HIGH"),
        ("2.0..1.0", "the low end 2.0 is above the high end 1.0"),
    ],
)
def test_a_bad_range_is_an_input_error_naming_the_flag(text: str, fragment: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_release_range(text)
    assert fragment in str(caught.value)
    assert str(caught.value).startswith("--litellm: ")


def test_the_flag_named_is_the_callers() -> None:
    with pytest.raises(InputError, match=r"^--claude-code: "):
        parse_release_range("x..", flag="--claude-code")


# -------------------------------------------------------------------------------- cadences


def test_patch_takes_every_release_in_the_span() -> None:
    chosen = select_releases(PYPI, span=("1.83.0", "1.90.7"), every="patch", explicit=[])
    assert versions(chosen) == [
        "1.83.0",
        "1.83.1",
        "1.83.14",
        "1.84.0",
        "1.84.3",
        "1.90.0",
        "1.90.7",
    ]


def test_minor_takes_the_newest_patch_of_each_line() -> None:
    chosen = select_releases(PYPI, span=("1.83.0", None), every="minor", explicit=[])
    # 1.84.4 is yanked, so 1.84.3 is the newest of its line; 1.84.0rc1 is no release.
    assert versions(chosen) == ["1.83.14", "1.84.3", "1.90.7", "1.91.5"]


def test_minor_is_judged_inside_the_span() -> None:
    chosen = select_releases(PYPI, span=(None, "1.90.0"), every="minor", explicit=[])
    assert versions(chosen) == ["1.82.6", "1.83.14", "1.84.3", "1.90.0"]


def test_prereleases_only_when_asked() -> None:
    span = ("1.84.0rc1", "1.84.0")
    assert versions(select_releases(PYPI, span=span, every="patch", explicit=[])) == ["1.84.0"]
    with_pre = select_releases(
        PYPI, span=span, every="patch", explicit=[], include_prereleases=True
    )
    assert versions(with_pre) == ["1.84.0rc1", "1.84.0"]


def test_stable_takes_only_the_tagged_releases() -> None:
    chosen = select_releases(
        PYPI,
        span=("1.83.0", None),
        every="stable",
        explicit=[],
        stable_versions={"1.83.14", "1.90.7", "1.80.0"},
    )
    assert versions(chosen) == ["1.83.14", "1.90.7"]


def test_stable_without_github_says_where_tags_come_from() -> None:
    with pytest.raises(CompatError) as caught:
        select_releases(PYPI, span=None, every="stable", explicit=[], stable_versions=None)
    assert not isinstance(caught.value, InputError)
    message = str(caught.value)
    assert "GitHub" in message and "--every minor" in message


# ------------------------------------------------------------------------ explicit versions


def test_explicit_versions_join_sorted_and_once() -> None:
    chosen = select_releases(
        PYPI, span=("1.90.0", "1.90.7"), every="patch", explicit=["1.91.5", "1.82.6", "1.90.7"]
    )
    assert versions(chosen) == ["1.82.6", "1.90.0", "1.90.7", "1.91.5"]


def test_an_explicit_version_alone_needs_no_span() -> None:
    chosen = select_releases(PYPI, span=(None, "0.1"), every="minor", explicit=["1.84.0rc1"])
    assert versions(chosen) == ["1.84.0rc1"]


def test_an_explicit_version_pypi_lacks_suggests_its_neighbours() -> None:
    with pytest.raises(InputError) as caught:
        select_releases(PYPI, span=None, every="patch", explicit=["1.90.5"])
    assert str(caught.value) == (
        "--litellm: 1.90.5 is not a release on PyPI; did you mean 1.90.0 or 1.90.7?"
    )


def test_an_explicit_version_beyond_every_release_suggests_the_newest() -> None:
    with pytest.raises(InputError, match=r"did you mean 1\.91\.5\?$"):
        select_releases(PYPI, span=None, every="patch", explicit=["9.0.0"])


def test_an_explicit_non_version_is_an_input_error() -> None:
    with pytest.raises(InputError, match="'latest' is not a version"):
        select_releases(PYPI, span=None, every="patch", explicit=["latest"])


@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 5), st.integers(0, 9)),
        min_size=1,
        max_size=30,
        unique=True,
    )
)
def test_minor_is_one_release_per_line_the_newest_of_patch(
    parts: list[tuple[int, int, int]],
) -> None:
    pool = [release(".".join(map(str, p))) for p in parts]
    patch = select_releases(pool, span=None, every="patch", explicit=[])
    minor = select_releases(pool, span=None, every="minor", explicit=[])
    assert versions(patch) == sorted((r.version for r in pool), key=Version)
    lines = [Version(v).release[:2] for v in versions(minor)]
    assert len(lines) == len(set(lines)) == len({p[:2] for p in parts})
    for chosen in versions(minor):
        line = Version(chosen).release[:2]
        same_line = [Version(v) for v in versions(patch) if Version(v).release[:2] == line]
        assert Version(chosen) == max(same_line)


# ------------------------------------------------------------------------- Claude Code, npm


def publication(version: str, days: int) -> Publication:
    return Publication(version, EPOCH + timedelta(days=days))


NPM = [
    publication(v, i)
    for i, v in enumerate(["2.0.9", "2.0.10", "2.1.0", "2.1.99", "2.1.100", "2.1.329", "2.2.0"])
]


def test_npm_patch_and_minor_order_by_semver_not_by_text() -> None:
    span = ("2.0.10", "2.1.329")
    patch = select_npm_releases(NPM, span, [], "patch")
    assert versions(patch) == ["2.0.10", "2.1.0", "2.1.99", "2.1.100", "2.1.329"]
    assert versions(select_npm_releases(NPM, None, [], "minor")) == ["2.0.10", "2.1.329", "2.2.0"]


def test_npm_explicit_versions_must_be_published() -> None:
    chosen = select_npm_releases(NPM, ("2.2.0", None), ["2.0.9"], "patch")
    assert versions(chosen) == ["2.0.9", "2.2.0"]
    with pytest.raises(InputError) as caught:
        select_npm_releases(NPM, None, ["2.1.101"], "patch")
    assert str(caught.value) == (
        "--claude-code: 2.1.101 is not a release on npm; did you mean 2.1.100 or 2.1.329?"
    )


def test_npm_has_no_stable_cadence() -> None:
    with pytest.raises(InputError, match="LiteLLM only"):
        select_npm_releases(NPM, None, [], "stable")
