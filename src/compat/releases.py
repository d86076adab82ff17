"""Which releases of an axis to test: a span, a cadence (patch, minor, stable) and explicit ones."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Literal, TypeVar

from packaging.version import InvalidVersion, Version

from compat.errors import CompatError, InputError
from compat.pypi import PypiRelease
from compat.resolve import Publication

Every = Literal["patch", "minor", "stable"]
Span = tuple[str | None, str | None]
ReleaseT = TypeVar("ReleaseT")

RANGE_SEPARATOR = ".."


def _version(text: str, *, flag: str, what: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        raise InputError(f"{flag}: {what} {text!r} is not a version (e.g. 1.90.7)") from None


def parse_release_range(text: str, *, flag: str = "--litellm") -> Span:
    """`1.83.0..1.90.7` → (low, high), both inclusive; an empty side leaves that end open."""
    if text.count(RANGE_SEPARATOR) != 1:
        raise InputError(
            f"{flag}: expected a range LOW..HIGH such as 1.83.0..1.90.7 (either side may be "
            f"empty), found {text!r}"
        )
    low, high = (side.strip() or None for side in text.split(RANGE_SEPARATOR))
    parsed = [
        _version(side, flag=flag, what=f"in {text!r},") if side is not None else None
        for side in (low, high)
    ]
    if parsed[0] is not None and parsed[1] is not None and parsed[0] > parsed[1]:
        raise InputError(f"{flag}: in {text!r} the low end {low} is above the high end {high}")
    return low, high


def _in_span(version: Version, span: Span | None) -> bool:
    if span is None:
        return True
    low, high = span
    return (low is None or version >= Version(low)) and (high is None or version <= Version(high))


def _newest_per_line(items: list[tuple[Version, ReleaseT]]) -> list[tuple[Version, ReleaseT]]:
    """The newest patch release of each X.Y line."""
    newest: dict[tuple[int, int], tuple[Version, ReleaseT]] = {}
    for version, item in items:
        line = (version.major, version.minor)
        if line not in newest or version > newest[line][0]:
            newest[line] = (version, item)
    return list(newest.values())


def _nearest(wanted: Version, known: list[Version]) -> str:
    """`1.90.6 or 1.91.0`: the releases on either side of a version that does not exist."""
    below = [v for v in known if v < wanted]
    above = [v for v in known if v > wanted]
    near = [str(max(below))] if below else []
    near += [str(min(above))] if above else []
    return " or ".join(near)


def _pick(
    items: Iterable[ReleaseT],
    version_of: Callable[[ReleaseT], str],
    *,
    span: Span | None,
    explicit: list[str],
    minor_only: bool,
    keep: Callable[[ReleaseT], bool],
    flag: str,
    registry: str,
) -> list[ReleaseT]:
    everything = [(Version(version_of(item)), item) for item in items]
    # Versions named without a range are the whole selection: the cadence needs a range (or
    # nothing named at all) to apply to.
    cadence = span is not None or not explicit
    chosen = [(v, item) for v, item in everything if cadence and keep(item) and _in_span(v, span)]
    if minor_only:
        chosen = _newest_per_line(chosen)
    by_version = dict(everything)
    for text in explicit:
        wanted = _version(text, flag=flag, what="release")
        if wanted not in by_version:
            nearest = _nearest(wanted, list(by_version))
            hint = f"; did you mean {nearest}?" if nearest else ""
            raise InputError(f"{flag}: {text} is not a release on {registry}{hint}")
        chosen.append((wanted, by_version[wanted]))
    unique = {v: item for v, item in chosen}
    return [unique[v] for v in sorted(unique)]


def select_releases(
    all_releases: list[PypiRelease],
    *,
    span: Span | None,
    every: Every,
    explicit: list[str],
    stable_versions: set[str] | None = None,
    include_prereleases: bool = False,
    flag: str = "--litellm",
) -> list[PypiRelease]:
    """LiteLLM releases to test, oldest first: those of `span` at the cadence, plus `explicit`."""
    # `patch` takes every release, `minor` the newest patch release of each X.Y line, `stable`
    # those LiteLLM tagged vX.Y.Z-stable on GitHub. Yanked releases and (unless asked)
    # prereleases stay out of the span; an explicit version need only exist on PyPI, so pass
    # `releases_in_order(include_prereleases=True)` for an explicit prerelease to be found.
    stable: set[Version] = set()
    if every == "stable":
        if stable_versions is None:
            raise CompatError(
                "--every stable: LiteLLM's stable releases are its vX.Y.Z-stable tags on "
                "GitHub, which did not answer; use --every minor or list the versions"
            )
        stable = {Version(v) for v in stable_versions}

    def keep(release: PypiRelease) -> bool:
        if release.yanked or (release.prerelease and not include_prereleases):
            return False
        return every != "stable" or Version(release.version) in stable

    return _pick(
        all_releases,
        lambda release: release.version,
        span=span,
        explicit=explicit,
        minor_only=every == "minor",
        keep=keep,
        flag=flag,
        registry="PyPI",
    )


def select_npm_releases(
    publications: list[Publication],
    span: Span | None,
    explicit: list[str],
    every: Every,
    *,
    flag: str = "--claude-code",
) -> list[Publication]:
    """Claude Code releases to test, oldest first; `minor` is the newest patch of each X.Y."""
    if every == "stable":
        raise InputError(
            f"{flag}: --every stable applies to LiteLLM only (its -stable tags); "
            "use patch or minor for Claude Code"
        )
    return _pick(
        publications,
        lambda publication: publication.version,
        span=span,
        explicit=explicit,
        minor_only=every == "minor",
        keep=lambda _publication: True,
        flag=flag,
        registry="npm",
    )
