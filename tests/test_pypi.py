"""PyPI's JSON API through a real local server: the cache, its fallback, and release order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from compat.errors import CompatError
from compat.pypi import (
    PYPI_URL_ENV,
    PypiProject,
    PypiRelease,
    cache_path,
    fetch_project,
    pypi_url,
)
from support.local_http import LocalServer, closed_port_url
from support.pypi_index import LITELLM_JSON, pypi_file


def file(version: str, uploaded: str, **fields: Any) -> dict[str, Any]:
    """A file entry with parts compat does not read (an md5, a size), which its cache drops."""
    extra = {"digests": {"sha256": "ab" * 32, "md5": "x"}, "size": 1}
    return pypi_file(version, uploaded, **{**extra, **fields})


DOCUMENT = {
    "info": {"name": "litellm"},
    "releases": {
        "1.9.0": [file("1.9.0", "2026-01-01T00:00:00Z")],
        "1.10.0": [
            file("1.10.0", "2026-02-01T00:00:05Z"),
            file("1.10.0", "2026-02-01T00:00:01.5Z", filename="litellm-1.10.0.tar.gz"),
        ],
        "1.11.0rc1": [file("1.11.0rc1", "2026-03-01T00:00:00Z")],
        "1.11.0.dev2": [file("1.11.0.dev2", "2026-02-20T00:00:00Z")],
        "1.10.1": [
            file("1.10.1", "2026-02-02T00:00:00Z", yanked=True, yanked_reason="broken"),
            file("1.10.1", "2026-02-02T00:00:00Z", yanked=True, filename="x.tar.gz"),
        ],
        "1.10.2": [
            file("1.10.2", "2026-02-03T00:00:00Z", yanked=True, yanked_reason="bad wheel"),
            file("1.10.2", "2026-02-03T00:00:00Z", filename="litellm-1.10.2.tar.gz"),
        ],
        "1.12.0": [],
        "not-a-version": [file("x", "2026-01-01T00:00:00Z")],
    },
}


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as running:
        running.json(LITELLM_JSON, DOCUMENT)
        yield running


def age_cache(days: float) -> None:
    path = cache_path("litellm")
    record = json.loads(path.read_text())
    fetched = datetime.now(UTC) - timedelta(days=days)
    record["fetched_at"] = fetched.isoformat()
    path.write_text(json.dumps(record))


# ------------------------------------------------------------------------------- the cache


def test_the_answer_is_cached_with_when_it_was_fetched(xdg: Path, server: LocalServer) -> None:
    before = datetime.now(UTC)
    project = fetch_project(index=server.url)
    assert set(project.releases) == set(DOCUMENT["releases"])
    record = json.loads((xdg / "compat" / "pypi" / "litellm.json").read_text())
    assert record["url"] == f"{server.url}{LITELLM_JSON}"
    assert datetime.fromisoformat(record["fetched_at"]) >= before
    assert record["project"]["releases"]["1.9.0"][0]["digests"] == {"sha256": "ab" * 32}
    assert "info" not in record and "size" not in json.dumps(record), "only the parts read"


def test_a_young_cache_answers_without_asking(xdg: Path, server: LocalServer) -> None:
    fetch_project(index=server.url)
    fetch_project(index=server.url)
    assert len(server.seen) == 1
    fetch_project(index=server.url, max_age=timedelta(0))
    assert len(server.seen) == 2


def test_an_old_cache_is_refreshed_when_the_index_answers(xdg: Path, server: LocalServer) -> None:
    fetch_project(index=server.url)
    age_cache(days=1)
    server.json(LITELLM_JSON, {"releases": {"2.0.0": [file("2.0.0", "2026-05-01T00:00:00Z")]}})
    assert set(fetch_project(index=server.url).releases) == {"2.0.0"}


def test_when_the_index_goes_down_any_cached_copy_stands_in_with_its_age(xdg: Path) -> None:
    with LocalServer() as server:
        server.json(LITELLM_JSON, DOCUMENT)
        url = server.url
        fetch_project(index=url)
    age_cache(days=3.2)
    notes: list[str] = []
    project = fetch_project(index=url, note=notes.append)
    assert "1.10.0" in project.releases
    [note] = notes
    assert f"cannot reach {url}{LITELLM_JSON}" in note
    assert "cached 3d 4h ago" in note and str(cache_path("litellm")) in note


def test_no_index_and_no_cache_is_an_error_naming_the_url(xdg: Path) -> None:
    url = closed_port_url()
    with pytest.raises(CompatError) as caught:
        fetch_project(index=url)
    assert f"{url}{LITELLM_JSON}" in str(caught.value)
    assert "no cached copy" in str(caught.value)


def test_a_copy_cached_from_another_index_is_never_used(xdg: Path, server: LocalServer) -> None:
    fetch_project(index=server.url)
    with pytest.raises(CompatError, match="no cached copy"):
        fetch_project(index=closed_port_url())


def test_an_answer_of_the_wrong_shape_falls_back_to_the_cache(
    xdg: Path, server: LocalServer
) -> None:
    fetch_project(index=server.url)
    age_cache(days=1)
    server.json(LITELLM_JSON, {"releases": {"1.0.0": [{"yanked": "sometimes"}]}})
    notes: list[str] = []
    project = fetch_project(index=server.url, note=notes.append)
    assert "1.10.0" in project.releases
    assert "releases.1.0.0[0].yanked" in notes[0]


def test_credentials_in_the_index_url_stay_out_of_the_cache(xdg: Path, server: LocalServer) -> None:
    secret_url = server.url.replace("http://", "http://mirror-user:hunter2-secret@")
    fetch_project(index=secret_url)
    assert "hunter2-secret" not in cache_path("litellm").read_text()
    fetch_project(index=secret_url)
    assert len(server.seen) == 1, "the cache still answers for the same index"


def test_the_index_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PYPI_URL_ENV, raising=False)
    assert pypi_url() == "https://pypi.org"
    monkeypatch.setenv(PYPI_URL_ENV, "http://mirror.example/")
    assert pypi_url() == "http://mirror.example"


# ---------------------------------------------------------------------------- the releases


def test_releases_come_in_version_order_skipping_prereleases_and_fileless_ones() -> None:
    project = PypiProject.model_validate(DOCUMENT)
    versions = [r.version for r in project.releases_in_order()]
    assert versions == ["1.9.0", "1.10.0", "1.10.1", "1.10.2"]
    with_pre = [r.version for r in project.releases_in_order(include_prereleases=True)]
    assert with_pre == ["1.9.0", "1.10.0", "1.10.1", "1.10.2", "1.11.0.dev2", "1.11.0rc1"]


def test_a_release_is_yanked_only_when_all_its_files_are() -> None:
    project = PypiProject.model_validate(DOCUMENT)
    by_version = {r.version: r for r in project.releases_in_order()}
    assert by_version["1.10.1"].yanked and by_version["1.10.1"].yanked_reason == "broken"
    assert not by_version["1.10.2"].yanked and by_version["1.10.2"].yanked_reason is None


def test_a_release_was_uploaded_when_its_first_file_was() -> None:
    release = PypiProject.model_validate(DOCUMENT).release("1.10.0")
    assert release == PypiRelease(
        version="1.10.0",
        uploaded_at=datetime(2026, 2, 1, 0, 0, 1, 500000, UTC),
        yanked=False,
        yanked_reason=None,
        prerelease=False,
    )


def test_a_release_is_found_by_version_not_by_spelling() -> None:
    project = PypiProject.model_validate(DOCUMENT)
    found = project.release("1.010.0")
    assert found is not None and found.version == "1.10.0"
    assert project.release("1.12.0") is None, "no files: not installable"
    assert project.release("3.0.0") is None
    assert project.release("nonsense") is None
    rc = project.release("1.11.0rc1")
    assert rc is not None and rc.prerelease
