"""Which releases a history covers: PyPI's answer, the cadence, refusals, the axis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from compat.errors import InputError
from compat.history.plan import axis_of, litellm_plan, split_versions
from compat.pypi import PYPI_URL_ENV
from support.local_http import LocalServer
from support.pypi_index import LITELLM_JSON, pypi_file

RELEASES = {
    "1.90.0": [pypi_file("1.90.0", "2026-06-27T03:12:44Z")],
    "1.90.7": [pypi_file("1.90.7", "2026-08-09T02:00:57Z")],
    "1.91.5": [pypi_file("1.91.5", "2026-08-10T00:00:00Z")],
    "1.92.0": [pypi_file("1.92.0", "2026-07-12T01:15:37Z", yanked=True, yanked_reason="bad wheel")],
    "1.92.2": [pypi_file("1.92.2", "2026-07-20T00:00:00Z")],
    "1.93.0rc1": [pypi_file("1.93.0rc1", "2026-07-18T00:00:00Z")],
    "1.93.2": [pypi_file("1.93.2", "2026-07-25T00:00:00Z")],
}


@pytest.fixture
def pypi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalServer]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with LocalServer() as server:
        server.json(LITELLM_JSON, {"releases": RELEASES})
        monkeypatch.setenv(PYPI_URL_ENV, server.url)
        yield server


def test_a_range_takes_the_newest_patch_of_each_minor(pypi):
    planned = litellm_plan(span="1.90.0..1.93.2", explicit=[], every="minor")
    assert [p.release for p in planned] == ["1.90.7", "1.91.5", "1.92.2", "1.93.2"]
    assert planned[0].uploaded_at == "2026-08-09T02:00:57Z"
    assert all(p.refused is None for p in planned)


def test_every_patch_skips_yanked_releases_and_prereleases_unless_asked(pypi):
    patch = litellm_plan(span="1.92.0..", explicit=[], every="patch")
    assert [p.release for p in patch] == ["1.92.2", "1.93.2"]
    pre = litellm_plan(span="1.93.0rc1..", explicit=[], every="patch", include_prereleases=True)
    assert [p.release for p in pre] == ["1.93.0rc1", "1.93.2"]


def test_versions_named_outright_are_the_only_columns_without_a_range(pypi):
    planned = litellm_plan(span=None, explicit=["1.93.2", "1.90.7"], every="minor")
    assert [p.release for p in planned] == ["1.90.7", "1.93.2"]


def test_a_compromised_release_is_a_refused_column_even_though_pypi_dropped_it(pypi):
    planned = litellm_plan(span=None, explicit=["1.82.7", "1.90.7"], every="minor")
    assert [p.release for p in planned] == ["1.82.7", "1.90.7"]
    assert planned[0].refused is not None and "MAL-2026-2144" in planned[0].refused
    assert "github.com/BerriAI/litellm/issues/24512" in planned[0].refused
    assert planned[1].refused is None


def test_a_yanked_release_named_outright_is_refused_with_pypis_reason(pypi):
    (planned,) = litellm_plan(span=None, explicit=["1.92.0"], every="patch")
    assert planned.refused == "yanked on PyPI: bad wheel"


def test_the_axis_is_the_tool_given_several_releases():
    assert axis_of(["1.90.0..1.97.0"], ["2.1.329"]) == "litellm"
    assert axis_of(["1.106.12"], ["2.1.200..2.1.329"]) == "claude_code"
    assert axis_of(["1.90.7", "1.91.5"], []) == "litellm"
    with pytest.raises(InputError, match="one axis at a time"):
        axis_of(["1.90.7", "1.91.5"], ["2.1.1", "2.1.2"])
    assert split_versions(["1.90.0..1.97.0", "1.98.0"]) == ("1.90.0..1.97.0", ["1.98.0"])


def test_claude_code_releases_come_from_npms_time_map():
    from compat.history.plan import claude_code_plan

    packument = {
        "name": "@anthropic-ai/claude-code",
        "dist-tags": {"latest": "2.1.329"},
        "versions": {v: {} for v in ("2.1.290", "2.1.292", "2.1.300", "2.1.329")},
        "time": {
            "created": "2025-02-24T00:00:00.000Z",
            "2.1.290": "2026-10-01T00:00:00.000Z",
            "2.1.292": "2026-10-05T00:00:00.000Z",
            "2.1.299-beta.1": "2026-10-06T00:00:00.000Z",
            "2.1.300": "2026-10-20T00:00:00.000Z",
            "2.1.329": "2026-11-20T00:00:00.000Z",
        },
    }
    with LocalServer() as npm:
        npm.json("/@anthropic-ai%2fclaude-code", packument)
        span = claude_code_plan(span="2.1.291..", explicit=[], every="patch", registry=npm.url)
        named = claude_code_plan(span=None, explicit=["2.1.329"], every="minor", registry=npm.url)
    assert [p.release for p in span] == ["2.1.292", "2.1.300", "2.1.329"]
    assert span[0].uploaded_at == "2026-10-05T00:00:00Z"
    assert [p.release for p in named] == ["2.1.329"]
