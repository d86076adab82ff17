"""OSV advisories: the shipped MAL-2026-2144 record, range evaluation, the cache and refreshes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.version import Version

from compat import advisories
from compat.advisories import (
    SHIPPED_DIR,
    Advisory,
    OsvRange,
    advisory_for,
    in_range,
    load_advisories,
    query_osv,
    read_osv_files,
    save_refusing,
    semver_key,
)
from compat.errors import CompatError, InputError
from support.local_http import Answer, LocalServer

ISSUE = "https://github.com/BerriAI/litellm/issues/24512"
OSV_PAGE = "https://osv.dev/vulnerability/MAL-2026-2144"


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "compat" / "advisories"


def record(
    id: str,
    *,
    versions: list[str] | None = None,
    ranges: list[dict[str, Any]] | None = None,
    name: str = "litellm",
    ecosystem: str = "PyPI",
    modified: str = "2026-04-01T00:00:00Z",
    **fields: Any,
) -> dict[str, Any]:
    return {
        "id": id,
        "modified": modified,
        "summary": f"summary of {id}",
        "affected": [
            {
                "package": {"ecosystem": ecosystem, "name": name},
                "versions": versions or [],
                "ranges": ranges or [],
            }
        ],
        "references": [{"type": "WEB", "url": f"https://example.test/{id}"}],
        **fields,
    }


def ecosystem_range(*events: dict[str, str], kind: str = "ECOSYSTEM") -> OsvRange:
    return OsvRange.model_validate({"type": kind, "events": list(events)})


# ------------------------------------------------------------------------ the shipped record


def test_the_shipped_record_refuses_both_compromised_releases() -> None:
    for version in ("1.82.7", "1.82.8"):
        found = advisory_for("litellm", version)
        assert found is not None and found.id == "MAL-2026-2144"
    for version in ("1.82.6", "1.82.9", "1.83.0"):
        assert advisory_for("litellm", version) is None


def test_the_shipped_record_says_what_happened_and_where_it_is_from() -> None:
    shipped = Advisory.model_validate_json((SHIPPED_DIR / "MAL-2026-2144.json").read_text())
    assert shipped.summary == "Malicious code in litellm (PyPI)"
    assert shipped.aliases == ["PYSEC-2026-2"]
    assert shipped.first_reference == ISSUE
    assert OSV_PAGE in [r.url for r in shipped.references]
    assert "1.82.7 and 1.82.8" in (shipped.details or "")
    sources = (shipped.database_specific or {})["compat_sources"]
    assert all(entry["fact"] and entry["source"] for entry in sources) and len(sources) >= 3
    assert shipped.refuses


def test_package_names_match_as_pypi_normalizes_them() -> None:
    assert advisory_for("LiteLLM", "1.82.8") is not None
    assert advisory_for("litellm", "1.82.08") is not None, "1.82.08 is 1.82.8"
    assert advisory_for("litellm-proxy", "1.82.8") is None
    assert advisory_for("litellm", "1.82.8", ecosystem="npm") is None


# ------------------------------------------------------------------------- range evaluation


@pytest.mark.parametrize(
    ("events", "inside", "outside"),
    [
        ([{"introduced": "1.0"}, {"fixed": "2.0"}], ["1.0", "1.5", "1.99"], ["0.9", "2.0", "3"]),
        ([{"introduced": "0"}, {"fixed": "1.56.2"}], ["0.0.1", "1.56.1"], ["1.56.2", "1.60"]),
        ([{"introduced": "1.82.7"}, {"last_affected": "1.82.8"}], ["1.82.7", "1.82.8"], ["1.82.9"]),
        (
            [{"introduced": "1.0"}, {"fixed": "1.2"}, {"introduced": "2.0"}, {"fixed": "2.1"}],
            ["1.1", "2.0.5"],
            ["1.3", "2.1", "0.5"],
        ),
        # Events need not come in order: OSV evaluates them sorted.
        ([{"fixed": "2.0"}, {"introduced": "1.0"}], ["1.5"], ["2.5", "0.5"]),
        ([{"introduced": "1.0"}], ["1.0", "99"], ["0.9"]),
        ([{"introduced": "0"}, {"limit": "3.0"}], ["2.9"], ["3.0", "4"]),
        ([{"introduced": "1.0"}, {"limit": "*"}], ["5.0"], ["0.1"]),
        ([{"introduced": "1.0rc1"}, {"fixed": "1.0"}], ["1.0rc1", "1.0rc2"], ["1.0", "0.9"]),
    ],
)
def test_ecosystem_ranges_follow_osv(
    events: list[dict[str, str]], inside: list[str], outside: list[str]
) -> None:
    osv_range = ecosystem_range(*events)
    assert [v for v in inside if not in_range(osv_range, v)] == []
    assert [v for v in outside if in_range(osv_range, v)] == []


def test_semver_ranges_order_prereleases_before_their_release() -> None:
    osv_range = ecosystem_range({"introduced": "2.0.0-beta.2"}, {"fixed": "2.0.0"}, kind="SEMVER")
    assert in_range(osv_range, "2.0.0-beta.10")
    assert in_range(osv_range, "2.0.0-rc.1")
    assert not in_range(osv_range, "2.0.0-beta.1")
    assert not in_range(osv_range, "2.0.0")
    assert semver_key("1.0.0-alpha") < semver_key("1.0.0-alpha.1") < semver_key("1.0.0-beta")


def test_git_ranges_and_unreadable_versions_affect_nothing() -> None:
    git = OsvRange.model_validate(
        {"type": "GIT", "repo": "https://x.test/r", "events": [{"introduced": "0"}]}
    )
    assert not in_range(git, "1.0")
    assert not in_range(ecosystem_range({"introduced": "0"}), "not-a-version")
    assert not in_range(ecosystem_range({"introduced": "one"}, {"fixed": "2.0"}), "1.5")


def test_an_event_must_say_exactly_one_thing() -> None:
    with pytest.raises(ValueError, match="exactly one of"):
        ecosystem_range({"introduced": "1.0", "fixed": "2.0"})


@given(
    st.lists(st.integers(0, 40), min_size=1, max_size=8, unique=True).map(sorted),
    st.integers(0, 45),
)
def test_introduced_and_fixed_pairs_are_half_open_intervals(points: list[int], probe: int) -> None:
    # Points alternate introduced, fixed, introduced, ...: the reference is interval math.
    events = [
        {"introduced" if i % 2 == 0 else "fixed": f"1.{point}"} for i, point in enumerate(points)
    ]
    bounds = [*points, 10**6] if len(points) % 2 else points
    intervals = list(zip(bounds[::2], bounds[1::2], strict=True))
    expected = any(low <= probe < high for low, high in intervals)
    # Shuffled order must not matter either.
    for ordering in (events, list(reversed(events))):
        assert in_range(ecosystem_range(*ordering), f"1.{probe}") is expected


@given(st.lists(st.integers(0, 30), min_size=2, max_size=2).map(sorted), st.integers(0, 30))
def test_last_affected_includes_its_own_version(ends: list[int], probe: int) -> None:
    low, high = ends
    osv_range = ecosystem_range({"introduced": f"2.{low}"}, {"last_affected": f"2.{high}"})
    assert in_range(osv_range, f"2.{probe}") is (low <= probe <= high)
    assert Version(f"2.{probe}")  # the probe is a real PEP 440 version


# ---------------------------------------------------------------------------- which refuse


def test_only_malicious_or_marked_records_refuse(xdg: Path) -> None:
    xdg.mkdir(parents=True)
    vulnerable = record("PYSEC-2099-1", versions=["1.50.0"])
    marked = record("GHSA-aaaa-bbbb-cccc", versions=["1.51.0"])
    marked["database_specific"] = {"compat_refuse": True}
    for item in (vulnerable, marked):
        (xdg / f"{item['id']}.json").write_text(json.dumps(item))
    assert advisory_for("litellm", "1.50.0") is None, "a plain vulnerability is not refused"
    found = advisory_for("litellm", "1.51.0")
    assert found is not None and found.id == "GHSA-aaaa-bbbb-cccc"


def test_a_refreshed_record_with_the_same_id_and_a_later_date_wins(xdg: Path) -> None:
    xdg.mkdir(parents=True)
    newer = record("MAL-2026-2144", versions=["1.82.7", "1.82.8", "1.82.9"])
    newer["modified"] = "2027-01-01T00:00:00Z"
    (xdg / "MAL-2026-2144.json").write_text(json.dumps(newer))
    found = advisory_for("litellm", "1.82.9")
    assert found is not None and found.summary == "summary of MAL-2026-2144"
    assert [a.id for a in load_advisories()].count("MAL-2026-2144") == 1


def test_a_broken_cached_record_is_an_error_naming_the_file(xdg: Path) -> None:
    xdg.mkdir(parents=True)
    bad = xdg / "MAL-2099-1.json"
    bad.write_text(json.dumps({"id": "MAL-2099-1", "affected": []}))
    with pytest.raises(InputError) as caught:
        advisory_for("litellm", "1.0.0")
    assert str(bad) in str(caught.value) and "modified" in str(caught.value)


# -------------------------------------------------------------------------------- refreshes


class Pages(dict):
    """LocalServer routes that answer one path with the next page each time it is asked."""

    def __init__(self, key: tuple[str, str], answers: list[Answer]) -> None:
        super().__init__()
        self.key = key
        self.answers = list(answers)

    def get(self, key: Any, default: Any = None) -> Any:
        if key == self.key and self.answers:
            return self.answers.pop(0)
        return default


def page(vulns: list[dict[str, Any]], token: str | None = None) -> Answer:
    body: dict[str, Any] = {"vulns": vulns}
    if token:
        body["next_page_token"] = token
    return Answer(200, json.dumps(body).encode(), {"content-type": "application/json"})


@pytest.fixture
def osv() -> Iterator[LocalServer]:
    with LocalServer() as server:
        yield server


def test_a_query_follows_every_page(osv: LocalServer) -> None:
    first = [record("MAL-2099-1", versions=["9.0.0"]), record("PYSEC-2099-2", versions=["1"])]
    osv.routes = Pages(("POST", "/v1/query"), [page(first, "next-1"), page([record("MAL-2099-3")])])
    found = query_osv("litellm", url=osv.url)
    assert [a.id for a in found] == ["MAL-2099-1", "PYSEC-2099-2", "MAL-2099-3"]
    bodies = [json.loads(seen.body) for seen in osv.seen]
    assert bodies[0] == {"package": {"name": "litellm", "ecosystem": "PyPI"}}
    assert bodies[1]["page_token"] == "next-1"


def test_a_query_that_never_ends_is_refused(osv: LocalServer) -> None:
    osv.json("/v1/query", {"vulns": [], "next_page_token": "again"}, method="POST")
    with pytest.raises(CompatError, match="still more pages"):
        query_osv("litellm", url=osv.url)


def test_a_query_answer_that_is_not_osv_names_the_record(osv: LocalServer) -> None:
    osv.json("/v1/query", {"vulns": [{"id": "MAL-1", "modified": "never"}]}, method="POST")
    with pytest.raises(CompatError) as caught:
        query_osv("litellm", url=osv.url)
    assert "vulns[0]" in str(caught.value) and "modified" in str(caught.value)


def test_saving_keeps_only_malicious_records_of_the_package(xdg: Path) -> None:
    found = [
        Advisory.model_validate(record("MAL-2099-1", versions=["9.0.0"], credits=[{"name": "x"}])),
        Advisory.model_validate(record("PYSEC-2099-2", versions=["9.0.1"])),
        Advisory.model_validate(record("MAL-2099-3", name="other-package", versions=["1.0"])),
    ]
    saved = save_refusing(found, "litellm")
    assert [a.id for a in saved] == ["MAL-2099-1"]
    assert sorted(p.name for p in xdg.iterdir()) == ["MAL-2099-1.json"]
    written = json.loads((xdg / "MAL-2099-1.json").read_text())
    assert written["credits"] == [{"name": "x"}], "fields compat does not read are kept"
    assert advisory_for("litellm", "9.0.0") is not None


def test_files_hold_one_record_or_a_query_answer(tmp_path: Path) -> None:
    export = tmp_path / "export" / "PyPI"
    export.mkdir(parents=True)
    (export / "MAL-2099-1.json").write_text(json.dumps(record("MAL-2099-1")))
    (export / "answer.json").write_text(json.dumps({"vulns": [record("MAL-2099-2")]}))
    assert sorted(a.id for a in read_osv_files(tmp_path / "export")) == ["MAL-2099-1", "MAL-2099-2"]
    assert [a.id for a in read_osv_files(export / "MAL-2099-1.json")] == ["MAL-2099-1"]


def test_a_record_id_cannot_name_a_path(tmp_path: Path) -> None:
    path = tmp_path / "evil.json"
    path.write_text(json.dumps(record("../../etc/MAL-1")))
    with pytest.raises(InputError) as caught:
        read_osv_files(path)
    assert str(path) in str(caught.value) and "id" in str(caught.value)


def test_a_missing_source_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"--from: .* does not exist"):
        read_osv_files(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"holds no \.json files"):
        read_osv_files(tmp_path / "empty")


def test_the_osv_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(advisories.OSV_URL_ENV, raising=False)
    assert advisories.osv_url() == "https://api.osv.dev"
    monkeypatch.setenv(advisories.OSV_URL_ENV, "http://osv.mirror/")
    assert advisories.osv_url() == "http://osv.mirror"
