"""The cached LiteLLM venvs: layout, completeness marker, and failed installs leave nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from compat.errors import InputError
from compat.proxy import venv
from compat.proxy.venv import (
    DEFAULT_LITELLM_VERSION,
    LOCK_NAME,
    MARKER_NAME,
    PYPI_URL_ENV,
    InstallFailed,
    InstallMarker,
    bundled_lock,
    cache_root,
    ensure_litellm,
    installed_binary,
    installed_versions,
    release_uploaded_at,
    requirement,
    validate_version,
    venv_dir,
)
from support.local_http import LocalServer, closed_port_url


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "compat" / "litellm"


def _fake_install(version: str, *, marker_requirement: str | None = None) -> Path:
    target = venv_dir(version)
    (target / "bin").mkdir(parents=True)
    binary = target / "bin" / "litellm"
    binary.write_text("#!/bin/sh\n")
    marker = InstallMarker(
        requirement=marker_requirement or requirement(version), python="3.11", installed_at="x"
    )
    (target / MARKER_NAME).write_text(marker.model_dump_json())
    return binary


def test_layout_follows_xdg_cache_home(cache: Path) -> None:
    assert cache_root() == cache
    assert venv_dir("1.106.2") == cache / "1.106.2"


def test_layout_defaults_to_home_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache_root() == tmp_path / ".cache" / "compat" / "litellm"


@pytest.mark.parametrize("version", ["1.106.2", "1.2", "1.80.0rc1", "1.2.3.post1"])
def test_release_versions_are_accepted(version: str) -> None:
    assert validate_version(version) == version


@pytest.mark.parametrize("version", ["latest", "../1.0", "1", "1.0 ; rm", ""])
def test_anything_else_is_refused_before_it_names_a_directory(version: str) -> None:
    with pytest.raises(InputError, match="not a LiteLLM release version"):
        validate_version(version)


def test_a_venv_counts_only_with_its_marker(cache: Path) -> None:
    binary = _fake_install("1.2.3")
    assert installed_binary("1.2.3") == binary
    assert ensure_litellm("1.2.3") == binary
    (binary.parent.parent / MARKER_NAME).unlink()
    assert installed_binary("1.2.3") is None


def test_a_marker_for_other_extras_does_not_count(cache: Path) -> None:
    _fake_install("1.2.3", marker_requirement="litellm[proxy]==1.2.3")
    assert installed_binary("1.2.3") is None


def test_installed_versions_lists_complete_installs_only(cache: Path) -> None:
    _fake_install("1.2.3")
    _fake_install("1.10.0")
    (cache / "2.0.0" / "bin").mkdir(parents=True)  # half-made: no marker
    assert installed_versions() == ["1.2.3", "1.10.0"]


def test_a_failed_install_leaves_no_venv_and_explains(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PyPI's index (through uv) is real; its JSON API is not needed to fail.
    monkeypatch.setenv(PYPI_URL_ENV, closed_port_url())
    lines: list[str] = []
    with pytest.raises(InstallFailed) as caught:
        ensure_litellm("999.0.0", progress=lines.append)
    message = str(caught.value)
    assert "litellm[proxy,google]==999.0.0" in message
    assert caught.value.reason.startswith("Because there is no version of litellm")
    assert not (cache / "999.0.0").exists()
    assert any("uv pip compile" in line for line in lines)
    log = cache / ".999.0.0.install.log"
    assert log.exists() and str(log) in message


# ------------------------------------------------------------- how dependencies are pinned


def test_a_release_date_comes_from_pypis_json_api(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with LocalServer() as pypi:
        pypi.json(
            "/pypi/litellm/json",
            {
                "releases": {
                    "1.98.0": [
                        {"upload_time_iso_8601": "2026-08-22T22:19:09.1Z"},
                        {"upload_time_iso_8601": "2026-08-22T22:19:06.952855Z"},
                    ]
                }
            },
        )
        monkeypatch.setenv(PYPI_URL_ENV, pypi.url)
        assert release_uploaded_at("1.98.0") == datetime(2026, 8, 22, 22, 19, 6, 952855, UTC)
        assert release_uploaded_at("1.99.0") is None  # not a release
    monkeypatch.setenv(PYPI_URL_ENV, closed_port_url())
    assert release_uploaded_at("1.98.0") is None  # offline, and nothing cached for this index


def _planned_install(
    monkeypatch: pytest.MonkeyPatch, version: str, uploaded: datetime | None = None
) -> tuple[str, list[list[str]]]:
    """What `_install_packages` would run for `version`, and the constraint it records."""
    ran: list[list[str]] = []

    def stream(argv, _log, _progress, *, input_text=None):
        ran.append(argv)
        return 0, ""

    monkeypatch.setattr(venv, "_stream", stream)
    constraint = venv._install_packages(
        "uv", "/venv/bin/python", version, Path("log"), print, uploaded=uploaded
    )
    return constraint, ran


def uv_sync(lock: Path | str) -> list[str]:
    """The `uv pip sync` that installs exactly `lock` into the venv `_planned_install` plans."""
    return ["uv", "pip", "sync", "--python", "/venv/bin/python", "--require-hashes", str(lock)]


def test_a_release_with_a_shipped_lock_installs_exactly_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    constraint, [argv] = _planned_install(monkeypatch, DEFAULT_LITELLM_VERSION)
    lock = bundled_lock(DEFAULT_LITELLM_VERSION)
    assert lock is not None
    assert argv == uv_sync(lock)
    assert constraint == f"lock {lock.name}"


def test_another_release_compiles_a_lock_as_of_a_day_after_it_was_published(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uploaded = datetime(2026, 8, 22, 22, 19, 6, tzinfo=UTC)
    constraint, [compile_argv, sync_argv] = _planned_install(monkeypatch, "1.98.0", uploaded)
    lock = str(venv_dir("1.98.0") / LOCK_NAME)
    assert compile_argv[:4] == ["uv", "pip", "compile", "-"]
    assert "--generate-hashes" in compile_argv
    assert compile_argv[-4:] == ["--exclude-newer", "2026-08-23T22:19:06Z", "-o", lock]
    assert sync_argv == uv_sync(lock)
    assert constraint == f"lock {LOCK_NAME} (exclude-newer 2026-08-23T22:19:06Z)"


def test_a_release_pypi_does_not_date_resolves_with_todays_index(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    constraint, [compile_argv, _sync] = _planned_install(monkeypatch, "1.98.0", None)
    assert "--exclude-newer" not in compile_argv
    assert constraint == f"lock {LOCK_NAME} (today's index)"


def test_the_default_release_is_the_newest_one_compat_ships_a_lock_for():
    from packaging.version import Version

    from compat.proxy.venv import DEFAULT_LITELLM_VERSION, LOCKS_DIR

    locked = [p.stem.removeprefix("litellm-") for p in LOCKS_DIR.glob("litellm-*.txt")]
    assert max(locked, key=Version) == DEFAULT_LITELLM_VERSION
