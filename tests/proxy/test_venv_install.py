"""Installs of releases without a shipped lock: refused, compiled to a lock, or failed cleanly."""

# uv runs for real, offline, against wheels built in the test (`fake_index`), and PyPI's JSON
# API is a local server: every install, resolution and refusal here is the real code path.

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from compat.errors import CompatError
from compat.proxy import venv
from compat.proxy.venv import (
    LAST_USED_NAME,
    LOCK_NAME,
    MARKER_NAME,
    PYPI_URL_ENV,
    InstallFailed,
    RefusedRelease,
    cache_root,
    check_release,
    ensure_litellm,
    installable,
    installed_binary,
    resolver_reason,
    short_reason,
)
from support.local_http import LocalServer, closed_port_url
from support.pypi_index import pypi_file, serve_pypi

from .fake_index import fake_litellm, offline_index

UPLOADED = "2026-08-22T22:19:06Z"
CUTOFF = "2026-08-23T22:19:06Z"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "compat" / "litellm"


@pytest.fixture
def wheels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "wheels"
    directory.mkdir()
    offline_index(monkeypatch, directory, tmp_path / "uv-cache")
    return directory


@pytest.fixture
def pypi(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalServer]:
    with LocalServer() as server:
        monkeypatch.setenv(PYPI_URL_ENV, server.url)
        yield server


def no_uv(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any attempt to run uv fail the test: a refusal must come before it."""

    def forbidden() -> str:
        raise AssertionError("uv was run for a refused release")

    monkeypatch.setattr(venv, "uv_binary", forbidden)


# ------------------------------------------------------------------------------- refusals


def test_an_advisory_listed_release_is_refused_before_anything_happens(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_uv(monkeypatch)
    # No PyPI at all: advisories are on disk, so the refusal needs no network.
    monkeypatch.setenv(PYPI_URL_ENV, closed_port_url())
    with pytest.raises(RefusedRelease) as caught:
        ensure_litellm("1.82.7")
    message = str(caught.value)
    assert "MAL-2026-2144" in message
    assert "Malicious code in litellm (PyPI)" in message
    assert "https://github.com/BerriAI/litellm/issues/24512" in message
    assert "Nothing was installed" in message
    assert "\n" not in message
    assert caught.value.exit_code == 1
    assert caught.value.advisory is not None and caught.value.advisory.id == "MAL-2026-2144"
    assert not (cache / "1.82.7").exists()


def test_an_advisory_refuses_a_venv_installed_before_it_was_known(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = cache / "1.82.8"
    (target / "bin").mkdir(parents=True)
    (target / "bin" / "litellm").write_text("#!/bin/sh\n")
    marker = venv.InstallMarker(
        requirement=venv.requirement("1.82.8"), python="3.11", installed_at="x"
    )
    (target / MARKER_NAME).write_text(marker.model_dump_json())
    assert installed_binary("1.82.8") is not None
    with pytest.raises(RefusedRelease, match=r"refusing to run LiteLLM 1\.82\.8: MAL-2026-2144"):
        ensure_litellm("1.82.8")
    assert target.exists(), "the user's files are theirs to delete"


def test_a_yanked_release_is_refused_with_its_reason(
    cache: Path, pypi: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_uv(monkeypatch)
    yanked = pypi_file("1.50.0", UPLOADED, yanked=True, yanked_reason="broke the proxy")
    serve_pypi(pypi, {"1.50.0": [yanked, {**yanked, "filename": "litellm-1.50.0.tar.gz"}]})
    with pytest.raises(RefusedRelease) as caught:
        ensure_litellm("1.50.0")
    assert "PyPI marks it yanked (broke the proxy)" in str(caught.value)
    assert "Nothing was installed" in str(caught.value)
    assert not (cache / "1.50.0").exists()


def test_one_yanked_file_does_not_yank_the_release(
    cache: Path, pypi: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_pypi(
        pypi,
        {
            "1.50.0": [
                pypi_file("1.50.0", UPLOADED, yanked=True, yanked_reason="bad wheel"),
                pypi_file("1.50.0", UPLOADED, filename="litellm-1.50.0.tar.gz"),
            ]
        },
    )
    release = check_release("1.50.0")
    assert release is not None and not release.yanked


def test_pypi_unreachable_and_uncached_does_not_block(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PYPI_URL_ENV, closed_port_url())
    notes: list[str] = []
    assert check_release("1.50.0", note=notes.append) is None
    assert any("not checking whether it is yanked" in note for note in notes)


def test_a_release_newer_than_the_cached_list_is_asked_for_once(
    cache: Path, pypi: LocalServer
) -> None:
    serve_pypi(pypi, {"1.0.0": [pypi_file("1.0.0", UPLOADED)]})
    assert venv.lookup_release("1.0.0") is not None
    serve_pypi(pypi, {v: [pypi_file(v, UPLOADED)] for v in ("1.0.0", "1.1.0")})
    found = venv.lookup_release("1.1.0")
    assert found is not None and found.version == "1.1.0"
    assert venv.lookup_release("1.0.0") is not None
    assert len(pypi.seen) == 2, "the young cache answered the third lookup"


# ------------------------------------------------------------------- compiled, then synced


def test_a_release_without_a_shipped_lock_installs_a_compiled_hash_pinned_lock(
    cache: Path, wheels: Path, pypi: LocalServer
) -> None:
    fake_litellm(wheels, "1.0.0")
    serve_pypi(pypi, {"1.0.0": [pypi_file("1.0.0", UPLOADED)]})
    lines: list[str] = []
    binary = ensure_litellm("1.0.0", progress=lines.append)
    target = cache / "1.0.0"
    assert binary == target / "bin" / "litellm" and binary.exists()
    lock = (target / LOCK_NAME).read_text()
    assert "litellm==1.0.0" in lock and "--hash=sha256:" in lock
    marker = json.loads((target / MARKER_NAME).read_text())
    assert marker["constraint"] == f"lock {LOCK_NAME} (exclude-newer {CUTOFF})"
    assert (target / LAST_USED_NAME).exists()
    assert venv.installed_packages("1.0.0") == ["litellm==1.0.0"]
    assert any("uv pip compile" in line and CUTOFF in line for line in lines)
    assert any("uv pip sync" in line for line in lines)
    assert not (cache / ".1.0.0.install.log").exists()


def test_every_use_touches_the_last_used_file(cache: Path, wheels: Path, pypi: LocalServer) -> None:
    fake_litellm(wheels, "1.0.0")
    serve_pypi(pypi, {"1.0.0": [pypi_file("1.0.0", UPLOADED)]})
    ensure_litellm("1.0.0")
    stamp = cache / "1.0.0" / LAST_USED_NAME
    long_ago = time.time() - 30 * 86400
    os.utime(stamp, (long_ago, long_ago))
    ensure_litellm("1.0.0")
    assert stamp.stat().st_mtime > long_ago + 86400


def test_an_unresolvable_release_fails_with_the_resolvers_reason_and_leaves_nothing(
    cache: Path, wheels: Path, pypi: LocalServer
) -> None:
    # 1.108.0 as this machine's index serves it: a pin on a litellm-proxy-extras it lacks.
    fake_litellm(wheels, "1.108.0", requires=("litellm-proxy-extras==0.4.110; extra == 'proxy'",))
    serve_pypi(pypi, {"1.108.0": [pypi_file("1.108.0", "2026-11-04T03:31:18Z")]})
    with pytest.raises(InstallFailed) as caught:
        ensure_litellm("1.108.0")
    failure = caught.value
    assert failure.reason.startswith("Because litellm-proxy-extras was not found")
    assert "litellm-proxy-extras==0.4.110" in failure.reason
    assert "\n" not in failure.reason and "hint:" not in failure.reason
    assert "\n" not in str(failure) and failure.reason in str(failure)
    assert "exclude-newer 2026-11-05T03:31:18Z" in str(failure)
    assert isinstance(failure, CompatError) and failure.exit_code == 1
    assert not (cache / "1.108.0").exists()
    assert [p.name for p in cache.iterdir() if not p.name.endswith(".lock")] == [
        ".1.108.0.install.log"
    ]


# ------------------------------------------------------------------------- installability


def test_installable_resolves_without_installing_and_caches_its_verdict(
    cache: Path, wheels: Path, pypi: LocalServer
) -> None:
    fake_litellm(wheels, "1.0.0")
    fake_litellm(wheels, "1.108.0", requires=("litellm-proxy-extras==0.4.110; extra == 'proxy'",))
    serve_pypi(pypi, {"1.0.0": [pypi_file("1.0.0", UPLOADED)]})
    good = installable("1.0.0")
    bad = installable("1.108.0")
    assert (good.installable, good.reason) == (True, None)
    assert bad.installable is False and bad.reason is not None
    assert bad.reason.startswith("Because") and "litellm-proxy-extras" in bad.reason
    assert not cache.exists(), "resolving installs nothing"
    # The index vanishing changes nothing: the verdicts come from the cache now.
    for wheel in wheels.iterdir():
        wheel.unlink()
    assert installable("1.0.0").installable is True
    assert installable("1.108.0").reason == bad.reason
    stored = json.loads((cache.parent / "pypi" / "installable.json").read_text())
    [key] = stored["checks"]
    assert "UV_FIND_LINKS" in key and set(stored["checks"][key]) == {"1.0.0", "1.108.0"}


def test_installable_does_not_resolve_a_refused_release(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_uv(monkeypatch)
    monkeypatch.setenv(PYPI_URL_ENV, closed_port_url())
    check = installable("1.82.8")
    assert check.installable is False and "MAL-2026-2144" in (check.reason or "")


def test_newest_installable_skips_prereleases_yanked_advised_and_unresolvable(
    cache: Path, wheels: Path, pypi: LocalServer
) -> None:
    for version in ("1.106.0", "1.106.1"):
        fake_litellm(wheels, version)
    for version in ("1.108.0", "1.108.1"):
        fake_litellm(wheels, version, requires=("litellm-proxy-extras==0.4.110; extra == 'proxy'",))
    fake_litellm(wheels, "1.109.0", requires=("litellm-proxy==1.109.0; extra == 'proxy'",))
    serve_pypi(
        pypi,
        {
            "1.82.8": [pypi_file("1.82.8", "2026-03-24T10:52:00Z")],
            "1.106.0": [pypi_file("1.106.0", UPLOADED)],
            "1.106.1": [pypi_file("1.106.1", UPLOADED)],
            "1.106.2": [pypi_file("1.106.2", UPLOADED, yanked=True, yanked_reason="oops")],
            "1.107.0rc1": [pypi_file("1.107.0rc1", UPLOADED)],
            "1.108.0": [pypi_file("1.108.0", UPLOADED)],
            "1.108.1": [pypi_file("1.108.1", UPLOADED)],
            "1.109.0": [pypi_file("1.109.0", UPLOADED)],
            "1.110.0": [],
        },
    )
    from compat.pypi import fetch_project

    notes: list[str] = []
    chosen = venv.newest_installable(fetch_project("litellm"), notes.append)
    assert chosen == "1.106.1"
    assert notes[0].startswith("1.106.1 is the newest release that resolves on")
    assert "5 newer release(s) skipped" in notes[0]
    assert notes[1:] == [
        "  1.109.0: needs litellm-proxy, which the index does not serve",
        "  1.108.1 … 1.108.0 (2): needs litellm-proxy-extras, which the index does not serve",
        "  1.107.0rc1: prerelease",
        "  1.106.2: yanked (oops)",
    ]


def test_newest_installable_skips_a_release_an_advisory_lists(
    cache: Path, wheels: Path, pypi: LocalServer
) -> None:
    fake_litellm(wheels, "1.82.6")
    fake_litellm(wheels, "1.82.8")
    serve_pypi(
        pypi,
        {v: [pypi_file(v, "2026-03-22T06:35:56Z")] for v in ("1.82.6", "1.82.8")},
    )
    from compat.pypi import fetch_project

    notes: list[str] = []
    assert venv.newest_installable(fetch_project("litellm"), notes.append) == "1.82.6"
    assert notes[1:] == ["  1.82.8: MAL-2026-2144: Malicious code in litellm (PyPI)"]


# ------------------------------------------------------------------- the resolver's words

PLAIN = """\
error: No solution found when resolving dependencies
  cause: Because there is no version of litellm-proxy-extras==0.4.113 and litellm[proxy]==1.109.3 depends on litellm-proxy-extras==0.4.113, we can conclude that litellm[proxy]==1.109.3 cannot be used.
         And because you require litellm[proxy]==1.109.3, we can conclude that your requirements are unsatisfiable.

hint: Packages were unavailable because the network was disabled.
"""  # noqa: E501
FANCY = """\
  × No solution found when resolving dependencies:
  ╰─▶ Because litellm-proxy was not found in the package registry and litellm[proxy]==1.110.2 depends on litellm-proxy==1.110.2, we can conclude that litellm[proxy]==1.110.2 cannot be used.
      And because you require litellm[proxy]==1.110.2, we can conclude that your requirements are unsatisfiable.
"""  # noqa: E501


@pytest.mark.parametrize(
    ("output", "starts", "short"),
    [
        (
            PLAIN,
            "Because there is no version of litellm-proxy-extras==0.4.113 and",
            "needs litellm-proxy-extras==0.4.113, which the index does not serve",
        ),
        (
            FANCY,
            "Because litellm-proxy was not found in the package registry",
            "needs litellm-proxy, which the index does not serve",
        ),
    ],
)
def test_the_resolvers_explanation_is_one_paragraph(output: str, starts: str, short: str) -> None:
    reason = resolver_reason(output)
    assert reason is not None and reason.startswith(starts)
    assert reason.endswith("we can conclude that your requirements are unsatisfiable.")
    assert "\n" not in reason and "hint" not in reason and "  " not in reason
    assert short_reason(reason) == short


def test_a_release_the_index_lacks_is_said_plainly() -> None:
    reason = resolver_reason(
        "error: No solution found when resolving dependencies\n  cause: Because there is no "
        "version of litellm[proxy]==999.0.0 and you require litellm[proxy]==999.0.0, we can "
        "conclude that your requirements are unsatisfiable.\n"
    )
    assert reason is not None and short_reason(reason) == "the index does not serve this release"


def test_output_without_a_resolution_failure_has_no_reason() -> None:
    assert resolver_reason("error: Failed to fetch: `https://pypi.org/simple/litellm/`") is None


def test_the_cache_root_is_under_xdg(cache: Path) -> None:
    assert cache_root() == cache
