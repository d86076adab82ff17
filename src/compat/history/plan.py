"""Which releases a history or a bisect covers: PyPI's (LiteLLM) or npm's (Claude Code)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from packaging.version import Version

from compat.advisories import Advisory
from compat.errors import CompatError, InputError
from compat.history.model import Axis
from compat.history.runner import PlannedRelease

Every = Literal["patch", "minor", "stable"]
Note = Callable[[str], None]


def _iso(moment: object) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment is not None else None  # type: ignore[attr-defined]


def _refusal(advisory: Advisory) -> str:
    where = advisory.first_reference or f"https://osv.dev/vulnerability/{advisory.id}"
    return f"{advisory.id} ({advisory.summary or 'no summary'}); see {where}"


def _stable_tags(note: Note) -> set[str] | None:
    """LiteLLM's `vX.Y.Z-stable` releases as PyPI versions; None when GitHub does not answer."""
    from compat.resolve import fetch_releases, litellm_release

    try:
        releases, _pages = fetch_releases()
    except CompatError as exc:
        note(f"GitHub's releases did not answer: {exc}")
        return None
    return {
        litellm_release(r.tag_name).pip_version
        for r in releases
        if r.tag_name.endswith("-stable") and not (r.draft or r.prerelease)
    }


def litellm_plan(
    *,
    span: str | None,
    explicit: list[str],
    every: Every,
    include_prereleases: bool = False,
    note: Note = lambda _line: None,
) -> list[PlannedRelease]:
    """LiteLLM releases from PyPI (cached for offline reruns), with refusals marked."""
    from compat.advisories import advisory_for
    from compat.pypi import fetch_project
    from compat.releases import parse_release_range, select_releases

    project = fetch_project("litellm", note=note)
    available = project.releases_in_order(include_prereleases=include_prereleases)
    # A release named outright that an advisory covers is a refused column even when PyPI
    # no longer lists it (a compromised release is removed from the index).
    flagged = {v: a for v in explicit if (a := advisory_for("litellm", v)) is not None}
    chosen = select_releases(
        available,
        span=parse_release_range(span, flag="--litellm") if span else None,
        every=every,
        explicit=[v for v in explicit if v not in flagged],
        stable_versions=_stable_tags(note) if every == "stable" else None,
        include_prereleases=include_prereleases,
    )
    planned = []
    for release in chosen:
        refused = None
        advisory = advisory_for("litellm", release.version)
        if advisory is not None:
            refused = _refusal(advisory)
        elif release.yanked:
            refused = f"yanked on PyPI: {release.yanked_reason or 'no reason given'}"
        planned.append(PlannedRelease(release.version, _iso(release.uploaded_at), refused))
    planned += [PlannedRelease(v, None, _refusal(a)) for v, a in flagged.items()]
    return sorted(planned, key=lambda p: Version(p.release))


def claude_code_plan(
    *,
    span: str | None,
    explicit: list[str],
    every: Every,
    registry: str,
) -> list[PlannedRelease]:
    """Claude Code releases from the npm time map."""
    from compat.releases import parse_release_range, select_npm_releases
    from compat.resolve import fetch_packument, packument_url, publications

    if every == "stable":
        raise InputError("--every stable: Claude Code has no stable channel; use minor or patch")
    packument = fetch_packument(registry)
    published = publications(packument, packument_url(registry))
    chosen = select_npm_releases(
        published,
        span=parse_release_range(span, flag="--claude-code") if span else None,
        explicit=explicit,
        every=every,
    )
    return [PlannedRelease(p.version, _iso(p.published_at)) for p in chosen]


def fixed_claude_code(version: str | None) -> tuple[Path, str]:
    """The claude binary held fixed on the LiteLLM axis (installed when named), and its version."""
    import asyncio

    from compat.claude_install import find_claude, install_claude_code
    from compat.driver import claude_version

    binary = install_claude_code(version) if version else find_claude()
    return binary, asyncio.run(claude_version(binary))


def split_versions(values: list[str]) -> tuple[str | None, list[str]]:
    """`--litellm A..B --litellm V …`: at most one range, and the explicit versions."""
    spans = [v for v in values if ".." in v]
    if len(spans) > 1:
        raise InputError(f"give at most one A..B range, got {', '.join(spans)}")
    return (spans[0] if spans else None), [v for v in values if ".." not in v]


def axis_of(litellm: list[str], claude_code: list[str]) -> Axis:
    """The axis the flags ask for: the tool given several releases (or a range)."""
    many_litellm = len(litellm) > 1 or any(".." in v for v in litellm)
    many_claude = len(claude_code) > 1 or any(".." in v for v in claude_code)
    if many_litellm and many_claude:
        raise InputError(
            "one axis at a time: give several --litellm releases with one --claude-code "
            "(or none), or several --claude-code releases with one --litellm"
        )
    if many_claude:
        return "claude_code"
    if many_litellm or litellm:
        return "litellm"
    raise InputError("which releases? give --litellm A..B (or versions) or --claude-code A..B")
