"""PyPI's JSON API for one project, cached on disk so reruns work offline."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from packaging.version import InvalidVersion, Version
from pydantic import BaseModel, ConfigDict, Field

from compat.durations import format_duration
from compat.errors import CompatError
from compat.files import write_atomic
from compat.paths import cache_home

DEFAULT_PYPI_URL = "https://pypi.org"
PYPI_URL_ENV = "COMPAT_PYPI_URL"
DEFAULT_MAX_AGE = timedelta(hours=6)


def pypi_url() -> str:
    """PyPI's JSON API root; `COMPAT_PYPI_URL` points it elsewhere (a mirror, a test)."""
    return os.environ.get(PYPI_URL_ENV, DEFAULT_PYPI_URL).rstrip("/")


def cache_dir() -> Path:
    """`${XDG_CACHE_HOME:-~/.cache}/compat/pypi`."""
    return cache_home() / "pypi"


def project_url(package: str, index: str) -> str:
    return f"{index.rstrip('/')}/pypi/{package}/json"


class PypiDigests(BaseModel):
    model_config = ConfigDict(extra="ignore")

    sha256: str | None = None


class PypiFile(BaseModel):
    """One uploaded file (wheel or sdist) of a release."""

    model_config = ConfigDict(extra="ignore")

    # PyPI always sends a filename; some mirrors and test doubles leave it out.
    filename: str | None = None
    upload_time_iso_8601: datetime | None = None
    yanked: bool = False
    yanked_reason: str | None = None
    digests: PypiDigests = Field(default_factory=PypiDigests)
    requires_python: str | None = None


@dataclass(frozen=True)
class PypiRelease:
    """A release as installs see it: when it arrived, whether it is yanked or a prerelease."""

    version: str
    uploaded_at: datetime | None
    yanked: bool
    yanked_reason: str | None
    prerelease: bool


def _parse_version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _release(version: str, files: list[PypiFile]) -> PypiRelease:
    times = [f.upload_time_iso_8601 for f in files if f.upload_time_iso_8601 is not None]
    # PyPI yanks per file; a release counts as yanked only when nothing of it is left.
    yanked = all(f.yanked for f in files)
    reasons = [f.yanked_reason for f in files if f.yanked and f.yanked_reason]
    parsed = _parse_version(version)
    return PypiRelease(
        version=version,
        uploaded_at=min(t.astimezone(UTC) for t in times) if times else None,
        yanked=yanked,
        yanked_reason=reasons[0] if yanked and reasons else None,
        prerelease=parsed is not None and parsed.is_prerelease,
    )


class PypiProject(BaseModel):
    """The parts of `/pypi/<package>/json` compat reads: every release and its files."""

    model_config = ConfigDict(extra="ignore")

    releases: dict[str, list[PypiFile]] = Field(default_factory=dict)

    def releases_in_order(self, include_prereleases: bool = False) -> list[PypiRelease]:
        """Installable releases, oldest first by packaging's version order."""
        found: list[tuple[Version, PypiRelease]] = []
        for version, files in self.releases.items():
            parsed = _parse_version(version)
            # A release without files cannot be installed; a non-PEP 440 name cannot be ordered.
            if not files or parsed is None:
                continue
            if parsed.is_prerelease and not include_prereleases:
                continue
            found.append((parsed, _release(version, files)))
        return [release for _, release in sorted(found, key=lambda pair: pair[0])]

    def release(self, version: str) -> PypiRelease | None:
        """The release `version` (compared as versions: `1.82.07` is `1.82.7`), if it has files."""
        files = self.releases.get(version)
        if files is None:
            wanted = _parse_version(version)
            key = next((k for k in self.releases if wanted and _parse_version(k) == wanted), None)
            files = self.releases.get(key) if key is not None else None
            version = key or version
        return _release(version, files) if files else None


class CachedProject(BaseModel):
    """The cache file: where and when the document was fetched, and its parts compat reads."""

    url: str
    fetched_at: datetime
    project: PypiProject


def cache_path(package: str) -> Path:
    return cache_dir() / f"{package}.json"


def _read_cache(path: Path, url: str) -> CachedProject | None:
    try:
        cached = CachedProject.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    # A copy fetched from another index describes other files: never stand it in.
    return cached if cached.url == url else None


def _fetch(url: str, package: str) -> PypiProject:
    from compat import http

    return http.get_model(url, PypiProject, f"PyPI's metadata of {package}")


def fetch_project(
    package: str = "litellm",
    *,
    index: str | None = None,
    max_age: timedelta = DEFAULT_MAX_AGE,
    note: Callable[[str], None] = lambda _line: None,
) -> PypiProject:
    """PyPI's document of `package`: cached while younger than `max_age`, else fetched."""
    # When the fetch fails, any copy cached from the same index stands in, however old, with
    # a note saying its age: a rerun offline still knows the releases it knew yesterday.
    from compat.http import shown

    url = project_url(package, index or pypi_url())
    path = cache_path(package)
    # The cache names its source without credentials, which stay out of files on disk.
    cached = _read_cache(path, shown(url))
    now = datetime.now(UTC)
    if cached is not None and now - cached.fetched_at < max_age:
        return cached.project
    try:
        project = _fetch(url, package)
    except CompatError as exc:
        if cached is None:
            raise CompatError(f"{exc}; and there is no cached copy of {shown(url)}") from None
        age = format_duration(now - cached.fetched_at)
        note(f"{exc}; using the copy of {shown(url)} cached {age} ago ({path})")
        return cached.project
    record = CachedProject(url=shown(url), fetched_at=now, project=project)
    # Only the parts read are kept: about a third of PyPI's 2.6 MB document for LiteLLM.
    write_atomic(path, json.dumps(record.model_dump(mode="json", exclude_defaults=True)))
    return project
