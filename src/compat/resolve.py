"""Which versions to test: Claude Code from npm (with a minimum age), LiteLLM from GitHub tags."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

from packaging.version import Version
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from compat.durations import format_duration
from compat.errors import CompatError, InputError
from compat.files import validation_problems
from compat.redact import strip_url_credentials

NPM_REGISTRY = "https://registry.npmjs.org"
GITHUB_API = "https://api.github.com"
CLAUDE_CODE_PACKAGE = "@anthropic-ai/claude-code"
LITELLM_REPO = "BerriAI/litellm"
RELEASES_PER_PAGE = 100
# LiteLLM has a few thousand releases; a chain of `next` links longer than this is a loop.
MAX_RELEASE_PAGES = 60

Channel = Literal["stable", "latest"]

# npm versions are semver; a `-` starts a prerelease, `+` build metadata.
_SEMVER = re.compile(
    r"^(?P<core>(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*))"
    r"(?P<pre>-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$"
)
# `-stable.1`, `-rc.2`, `-nightly` and the like match neither channel.
_LITELLM_TAGS: dict[Channel, re.Pattern[str]] = {
    "stable": re.compile(r"^v(?P<version>[0-9]+\.[0-9]+\.[0-9]+)-stable$"),
    "latest": re.compile(r"^v(?P<version>[0-9]+\.[0-9]+\.[0-9]+)$"),
}


@dataclass(frozen=True)
class Resolved:
    """A resolved version (printed bare on stdout) and why it was chosen (one line, stderr)."""

    version: str
    explanation: str


@dataclass(frozen=True)
class LitellmRelease:
    """One LiteLLM release under its three names: git tag, PyPI version, image tag."""

    tag: str
    pip_version: str
    docker_tag: str


def litellm_release(tag: str) -> LitellmRelease:
    """`v1.80.0-stable` → pip `1.80.0`, image `v1.80.0-stable`; `v1.80.0` → `1.80.0`, `v1.80.0`."""
    for pattern in _LITELLM_TAGS.values():
        match = pattern.match(tag)
        if match:
            return LitellmRelease(tag=tag, pip_version=match["version"], docker_tag=tag)
    raise InputError(
        f"{tag!r} is not a LiteLLM release tag (expected vX.Y.Z-stable or vX.Y.Z, "
        "e.g. v1.80.0-stable)"
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- Claude Code (npm) -----------------------------------------------------------------------


class Packument(BaseModel):
    """The parts of an npm packument the resolver reads."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    name: str | None = None
    dist_tags: dict[str, str] = Field(default_factory=dict, alias="dist-tags")
    # Values are timestamps for versions, but `unpublished` (for example) holds an object.
    time: dict[str, Any] = Field(default_factory=dict)
    versions: dict[str, Any] | None = None


@dataclass(frozen=True)
class Publication:
    version: str
    published_at: datetime


def packument_url(registry: str, package: str = CLAUDE_CODE_PACKAGE) -> str:
    """`{registry}/@scope%2fname`: npm's URL for a scoped package's packument."""
    return f"{registry.rstrip('/')}/{package.replace('/', '%2f')}"


def _parse_time(url: str, version: str, value: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise CompatError(
            f"GET {url}: time[{version!r}]: expected an ISO-8601 timestamp with a zone, "
            f"found {value!r}"
        )
    return moment.astimezone(UTC)


def publications(packument: Packument, url: str) -> list[Publication]:
    """Released (non-prerelease) versions with their publish times, oldest first."""
    found = []
    for key, value in packument.time.items():
        match = _SEMVER.match(key)
        # `created`, `modified` and `unpublished` are not versions; prereleases are not releases.
        if match is None or match["pre"]:
            continue
        # A version still in `time` but gone from `versions` was unpublished: not installable.
        if packument.versions is not None and key not in packument.versions:
            continue
        found.append(Publication(key, _parse_time(url, key, value)))
    return sorted(found, key=lambda p: (p.published_at, Version(_SEMVER.match(p.version)["core"])))


def fetch_packument(registry: str = NPM_REGISTRY, package: str = CLAUDE_CODE_PACKAGE) -> Packument:
    """GET the packument; any transport, status or shape problem is a CompatError."""
    # httpx loads here, not at import, so `compat --help` stays fast.
    from compat import http

    url = packument_url(registry, package)
    packument = http.get_model(url, Packument, f"the npm packument of {package}")
    shown = http.shown(url)
    if not packument.time:
        raise CompatError(
            f"GET {shown}: expected a non-empty `time` map of versions to publish times "
            f"in the packument of {package}, found none"
        )
    return packument


def newest_old_enough(
    packument: Packument, url: str, *, min_age: timedelta, now: datetime
) -> Resolved:
    """The newest release by publish time published at or before `now - min_age`."""
    released = publications(packument, url)
    if not released:
        raise CompatError(f"GET {url}: the `time` map lists no released versions")
    cutoff = now - min_age
    eligible = [p for p in released if p.published_at <= cutoff]
    newest = released[-1]
    rule = f"cutoff {_iso(cutoff)}, min age {format_duration(min_age)}"
    if not eligible:
        raise CompatError(
            f"no {CLAUDE_CODE_PACKAGE} release was published at or before the cutoff "
            f"{_iso(cutoff)} (min age {format_duration(min_age)}); the newest seen is "
            f"{newest.version}, published {_iso(newest.published_at)}"
        )
    chosen = eligible[-1]
    skipped = len(released) - len(eligible)
    too_new = f"; {skipped} newer release(s) too recent, newest {newest.version}" if skipped else ""
    return Resolved(
        chosen.version,
        f"{chosen.version} published {_iso(chosen.published_at)} "
        f"({format_duration(now - chosen.published_at)} ago; {rule}){too_new}",
    )


def latest_tag(packument: Packument, url: str) -> Resolved:
    """The `latest` dist-tag."""
    latest = packument.dist_tags.get("latest")
    if not latest:
        raise CompatError(f"GET {url}: expected a `latest` entry in `dist-tags`, found none")
    published = packument.time.get(latest)
    when = f" published {_iso(_parse_time(url, latest, published))}" if published else ""
    return Resolved(latest, f"{latest}{when} (the `latest` dist-tag)")


def resolve_claude_code(
    *,
    registry: str = NPM_REGISTRY,
    min_age: timedelta | None = None,
    now: datetime | None = None,
) -> Resolved:
    """Claude Code to test: the newest release at least `min_age` old, else `latest`."""
    packument = fetch_packument(registry)
    url = strip_url_credentials(packument_url(registry))
    if min_age is None:
        return latest_tag(packument, url)
    return newest_old_enough(packument, url, min_age=min_age, now=now or datetime.now(UTC))


# --- LiteLLM (GitHub releases) ---------------------------------------------------------------


class GithubRelease(BaseModel):
    """The fields of a GitHub release the resolver reads."""

    model_config = ConfigDict(extra="ignore")

    tag_name: str
    draft: bool = False
    prerelease: bool = False
    published_at: str | None = None


def releases_url(api_url: str, repo: str = LITELLM_REPO) -> str:
    return f"{api_url.rstrip('/')}/repos/{repo}/releases?per_page={RELEASES_PER_PAGE}"


def _same_origin(first: str, other: str) -> bool:
    a, b = urlsplit(first), urlsplit(other)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def fetch_releases(
    api_url: str = GITHUB_API, *, repo: str = LITELLM_REPO, token: str | None = None
) -> tuple[list[GithubRelease], int]:
    """Every release over all pages (following `Link: rel="next"`), and the page count."""
    from compat import http

    url: str | None = releases_url(api_url, repo)
    first = url
    hint = "" if token else "; set GITHUB_TOKEN for a higher limit"
    releases: list[GithubRelease] = []
    pages = 0
    with http.client(token) as session:
        while url is not None:
            if pages == MAX_RELEASE_PAGES:
                raise CompatError(
                    f"GET {http.shown(first)}: still more pages after {MAX_RELEASE_PAGES}; "
                    "refusing to follow the `next` links further"
                )
            # The token goes with every request: never follow a link to another host.
            if not _same_origin(first, url):
                raise CompatError(
                    f"GET {http.shown(first)}: the `next` page link points to another host "
                    f"({http.shown(url)}); refusing to send the token there"
                )
            answer = http.send_json(
                session, "GET", url, what="a list of GitHub releases", rate_limit_hint=hint
            )
            pages += 1
            if not isinstance(answer.data, list):
                raise CompatError(
                    f"GET {http.shown(url)}: expected a JSON array of GitHub releases, "
                    f"found a {type(answer.data).__name__}"
                )
            for index, item in enumerate(answer.data):
                try:
                    releases.append(GithubRelease.model_validate(item))
                except ValidationError as exc:
                    problems = "; ".join(validation_problems(exc)[:3])
                    raise CompatError(
                        f"GET {http.shown(url)}: release [{index}] is not a GitHub release "
                        f"object: {problems}"
                    ) from None
            url = answer.response.links.get("next", {}).get("url")
    return releases, pages


def newest_tag(
    releases: list[GithubRelease], url: str, *, channel: Channel = "stable", pages: int = 1
) -> Resolved:
    """The numerically newest published release tag of `channel`."""
    if not releases:
        raise CompatError(f"GET {url}: the answer lists no releases at all (expected LiteLLM's)")
    pattern = _LITELLM_TAGS[channel]
    candidates = [
        (Version(match["version"]), release)
        for release in releases
        if not (release.draft or release.prerelease)
        and (match := pattern.match(release.tag_name)) is not None
    ]
    if not candidates:
        shape = "vX.Y.Z-stable" if channel == "stable" else "vX.Y.Z"
        newest_seen = ", ".join(r.tag_name for r in releases[:5])
        raise CompatError(
            f"GET {url}: none of the {len(releases)} releases is a published {shape} tag "
            f"(the first listed: {newest_seen})"
        )
    _, chosen = max(candidates, key=lambda pair: pair[0])
    release = litellm_release(chosen.tag_name)
    published = f" published {chosen.published_at}" if chosen.published_at else ""
    return Resolved(
        chosen.tag_name,
        f"{chosen.tag_name}{published} (pip {release.pip_version}, image tag "
        f"{release.docker_tag}); newest of {len(candidates)} {channel} tags among "
        f"{len(releases)} releases on {pages} page(s)",
    )


def resolve_litellm(
    *, channel: Channel = "stable", api_url: str = GITHUB_API, token: str | None = None
) -> Resolved:
    """LiteLLM to test: the newest `vX.Y.Z-stable` (or plain `vX.Y.Z`) release tag."""
    releases, pages = fetch_releases(api_url, token=token)
    return newest_tag(
        releases, strip_url_credentials(releases_url(api_url)), channel=channel, pages=pages
    )
