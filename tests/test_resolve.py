"""Version resolvers against a real local HTTP server serving recorded npm and GitHub answers."""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from compat.errors import CompatError, InputError
from compat.resolve import (
    LitellmRelease,
    litellm_release,
    resolve_claude_code,
    resolve_litellm,
)
from support.local_http import Answer, LocalServer, closed_port_url

REGISTRY_FIXTURES = Path(__file__).parent / "fixtures" / "registry"
PACKUMENT_PATH = "/@anthropic-ai%2fclaude-code"
RELEASES_PATH = "/repos/BerriAI/litellm/releases?per_page=100"
PAGE_PATH = "/repositories/671269505/releases?per_page=100&page={page}"
FAKE_GITHUB_TOKEN = "ghp_FAKEtoken0123456789resolveSECRET"
# The recorded packument was fetched at this moment; its newest release is 2.1.329.
RECORDED_AT = datetime(2026, 11, 21, 6, 38, 54, tzinfo=UTC)


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as running:
        yield running


@pytest.fixture
def packument() -> dict[str, Any]:
    return json.loads((REGISTRY_FIXTURES / "claude-code-packument.json").read_text())


def serve_packument(server: LocalServer, doc: dict[str, Any]) -> None:
    server.json(PACKUMENT_PATH, doc)


def published(doc: dict[str, Any], version: str) -> datetime:
    return datetime.fromisoformat(doc["time"][version])


def add_version(doc: dict[str, Any], version: str, when: str) -> None:
    doc["time"][version] = when
    doc["versions"][version] = {"name": doc["name"], "version": version}


def serve_release_pages(server: LocalServer) -> None:
    github = REGISTRY_FIXTURES / "github"
    server.recorded(RELEASES_PATH, github / "releases-page1.json")
    server.recorded(PAGE_PATH.format(page=2), github / "releases-page2.json")
    server.recorded(PAGE_PATH.format(page=3), github / "releases-page3.json")


def release(tag: str, **fields: Any) -> dict[str, Any]:
    return {"tag_name": tag, "draft": False, "prerelease": False, **fields}


# --- Claude Code ------------------------------------------------------------------------------


def test_min_age_picks_the_newest_release_old_enough(server, packument):
    serve_packument(server, packument)
    resolved = resolve_claude_code(registry=server.url, min_age=timedelta(days=3), now=RECORDED_AT)
    assert resolved.version == "2.1.327"
    assert resolved.explanation.startswith("2.1.327 published 2026-11-17T20:33:19Z (3d 10h ago;")
    assert "cutoff 2026-11-18T06:38:54Z" in resolved.explanation
    assert "newest 2.1.329" in resolved.explanation
    assert server.seen[0].target == PACKUMENT_PATH


def test_exactly_at_the_cutoff_is_eligible(server, packument):
    serve_packument(server, packument)
    boundary = published(packument, "2.1.328") + timedelta(days=3)
    at = resolve_claude_code(registry=server.url, min_age=timedelta(days=3), now=boundary)
    just_before = resolve_claude_code(
        registry=server.url,
        min_age=timedelta(days=3),
        now=boundary - timedelta(seconds=1),
    )
    assert (at.version, just_before.version) == ("2.1.328", "2.1.327")


def test_hours_and_zero_ages(server, packument):
    serve_packument(server, packument)
    now = published(packument, "2.1.329") + timedelta(hours=35)
    assert resolve_claude_code(
        registry=server.url, min_age=timedelta(hours=36), now=now
    ).version == ("2.1.328")
    assert resolve_claude_code(registry=server.url, min_age=timedelta(0), now=now).version == (
        "2.1.329"
    )


def test_ignores_created_modified_prereleases_and_unpublished(server, packument):
    doc = copy.deepcopy(packument)
    # npm's bookkeeping keys carry the newest timestamps of all; they are not versions.
    doc["time"]["created"] = "2025-02-24T18:03:53.000Z"
    doc["time"]["modified"] = "2026-11-20T23:59:59.000Z"
    add_version(doc, "2.2.0-beta.1", "2026-11-20T01:00:00.000Z")
    # Listed in `time` but gone from `versions`: unpublished, so not installable.
    doc["time"]["2.1.330"] = "2026-11-20T02:00:00.000Z"
    serve_packument(server, doc)
    now = datetime(2026, 11, 30, tzinfo=UTC)
    resolved = resolve_claude_code(registry=server.url, min_age=timedelta(0), now=now)
    assert resolved.version == "2.1.329"


def test_orders_by_publish_time_not_by_map_order(server, packument):
    doc = copy.deepcopy(packument)
    items = list(doc["time"].items())
    random.Random(7).shuffle(items)
    doc["time"] = dict(items)
    serve_packument(server, doc)
    resolved = resolve_claude_code(registry=server.url, min_age=timedelta(days=3), now=RECORDED_AT)
    assert resolved.version == "2.1.327"


def test_timestamps_with_z_and_milliseconds(server, packument):
    doc = copy.deepcopy(packument)
    doc["time"] = {v: t.replace("+00:00", ".123Z") for v, t in doc["time"].items()}
    serve_packument(server, doc)
    resolved = resolve_claude_code(registry=server.url, min_age=timedelta(days=3), now=RECORDED_AT)
    assert resolved.version == "2.1.327"


def test_no_eligible_version_names_cutoff_and_newest(server, packument):
    serve_packument(server, packument)
    with pytest.raises(CompatError) as caught:
        resolve_claude_code(registry=server.url, min_age=timedelta(days=400), now=RECORDED_AT)
    message = str(caught.value)
    assert "cutoff 2025-10-17T06:38:54Z" in message
    assert "the newest seen is 2.1.329, published 2026-11-19T18:40:25Z" in message
    assert caught.value.exit_code == 1


def test_without_min_age_prints_latest(server, packument):
    doc = copy.deepcopy(packument)
    doc["dist-tags"]["latest"] = "2.1.328"
    serve_packument(server, doc)
    resolved = resolve_claude_code(registry=server.url)
    assert resolved.version == "2.1.328"
    assert "the `latest` dist-tag" in resolved.explanation


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (Answer(200, b"<html>maintenance</html>", {"content-type": "text/html"}), "as JSON"),
        (Answer(200, b"", {"content-type": "application/json"}), "(empty body)"),
        (Answer(200, b"[]", {"content-type": "application/json"}), "(a JSON object)"),
        (Answer(200, b'{"name": "x"}', {"content-type": "application/json"}), "`time` map"),
        (Answer(200, b'{"time": {"1.0.0": "yesterday"}}', {}), "time['1.0.0']"),
        (Answer(200, b'{"time": {"created": "2025-01-01T00:00:00Z"}}', {}), "no released"),
        (Answer(200, b'{"time": []}', {}), "does not fit"),
        (Answer(404, b'{"error": "Not found"}', {}), "HTTP 404 Not Found"),
        (Answer(503, b"upstream down", {}), "HTTP 503"),
    ],
)
def test_bad_registry_answers_name_the_url(server, answer, expected):
    server.answer("GET", PACKUMENT_PATH, answer)
    with pytest.raises(CompatError) as caught:
        resolve_claude_code(registry=server.url, min_age=timedelta(days=3), now=RECORDED_AT)
    message = str(caught.value)
    assert f"{server.url}{PACKUMENT_PATH}" in message
    assert expected in message


def test_latest_dist_tag_missing(server, packument):
    doc = copy.deepcopy(packument)
    doc["dist-tags"] = {}
    serve_packument(server, doc)
    with pytest.raises(CompatError, match="expected a `latest` entry in `dist-tags`"):
        resolve_claude_code(registry=server.url)


def test_offline_registry():
    url = closed_port_url()
    with pytest.raises(CompatError) as caught:
        resolve_claude_code(registry=url, min_age=timedelta(days=3))
    assert f"cannot reach {url}{PACKUMENT_PATH}" in str(caught.value)
    assert str(caught.value).endswith("are you offline?")


def test_cli_prints_the_bare_version_and_explains_on_stderr(server, packument, compat_cli):
    serve_packument(server, packument)
    proc = compat_cli("resolve", "claude-code", "--min-age", "0", "--registry", server.url)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "2.1.329\n"
    assert proc.stderr.startswith("2.1.329 published 2026-11-19T18:40:25Z")
    assert proc.stderr.count("\n") == 1


def test_cli_errors_are_one_message(server, packument, compat_cli):
    serve_packument(server, packument)
    bad_age = compat_cli("resolve", "claude-code", "--min-age", "3 days", "--registry", server.url)
    too_old = compat_cli("resolve", "claude-code", "--min-age", "9999d", "--registry", server.url)
    assert (bad_age.returncode, too_old.returncode) == (2, 1)
    for proc in (bad_age, too_old):
        assert proc.stdout == ""
        assert proc.stderr.startswith("error: ")
        assert "Traceback" not in proc.stderr
    assert "--min-age: expected a duration" in bad_age.stderr
    assert "the newest seen is 2.1.329" in too_old.stderr


def test_real_npm_registry():
    try:
        httpx.head("https://registry.npmjs.org/", timeout=10)
    except httpx.HTTPError as exc:
        pytest.skip(f"the npm registry is not reachable from here ({type(exc).__name__})")
    resolved = resolve_claude_code(min_age=timedelta(days=3))
    assert re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", resolved.version)
    assert "published" in resolved.explanation
    assert "min age 3d" in resolved.explanation


# --- LiteLLM ----------------------------------------------------------------------------------


def test_stable_follows_pagination_and_orders_numerically(server):
    serve_release_pages(server)
    resolved = resolve_litellm(api_url=server.url)
    # v1.99.0-stable (page 1) sorts after v1.106.2-stable (page 2) as text; numbers win.
    assert resolved.version == "v1.106.2-stable"
    assert [seen.target for seen in server.seen] == [
        RELEASES_PATH,
        PAGE_PATH.format(page=2),
        PAGE_PATH.format(page=3),
    ]
    assert "pip 1.106.2, image tag v1.106.2-stable" in resolved.explanation
    assert "newest of 3 stable tags among 13 releases on 3 page(s)" in resolved.explanation


def test_latest_channel_skips_prereleases_and_drafts(server):
    serve_release_pages(server)
    # v1.107.0 is flagged as a prerelease; v1.107.0-rc.2 is an rc.
    assert resolve_litellm(channel="latest", api_url=server.url).version == "v1.106.4"


def test_numeric_ordering_on_one_page(server):
    server.json(
        RELEASES_PATH,
        [release("v1.9.5-stable"), release("v1.10.0-stable"), release("v1.10.0-rc.1")],
    )
    assert resolve_litellm(api_url=server.url).version == "v1.10.0-stable"


def test_drafts_and_prerelease_flags_are_ignored(server):
    server.json(
        RELEASES_PATH,
        [
            release("v1.12.0-stable", draft=True),
            release("v1.11.0-stable", prerelease=True),
            release("v1.10.1-stable"),
        ],
    )
    assert resolve_litellm(api_url=server.url).version == "v1.10.1-stable"


def test_token_goes_as_bearer_header_on_every_page(server):
    serve_release_pages(server)
    resolved = resolve_litellm(api_url=server.url, token=FAKE_GITHUB_TOKEN)
    assert {seen.headers["authorization"] for seen in server.seen} == {
        f"Bearer {FAKE_GITHUB_TOKEN}"
    }
    assert FAKE_GITHUB_TOKEN not in resolved.explanation


def test_rate_limited_says_when_to_retry(server):
    server.recorded(RELEASES_PATH, REGISTRY_FIXTURES / "github" / "rate-limited.json")
    with pytest.raises(CompatError) as caught:
        resolve_litellm(api_url=server.url)
    message = str(caught.value)
    assert "rate limited (HTTP 403)" in message
    assert "retry after 2026-11-21T07:10:00Z" in message
    assert "set GITHUB_TOKEN for a higher limit" in message


def test_secondary_rate_limit_uses_retry_after(server):
    server.json(
        RELEASES_PATH,
        {"message": "You have exceeded a secondary rate limit."},
        status=429,
        headers={"retry-after": "120"},
    )
    with pytest.raises(CompatError) as caught:
        resolve_litellm(api_url=server.url, token=FAKE_GITHUB_TOKEN)
    message = str(caught.value)
    assert "rate limited (HTTP 429)" in message
    assert "(in 2m)" in message
    assert "GITHUB_TOKEN" not in message


def test_forbidden_without_rate_limit_is_an_http_error(server):
    server.json(
        RELEASES_PATH,
        {"message": "Resource not accessible by integration"},
        status=403,
        headers={"x-ratelimit-remaining": "4999"},
    )
    with pytest.raises(CompatError, match=r"HTTP 403 Forbidden: .*not accessible"):
        resolve_litellm(api_url=server.url)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ([], "lists no releases at all"),
        ({"message": "Moved"}, "expected a JSON array of GitHub releases, found a dict"),
        ([{"name": "no tag"}], "release [0] is not a GitHub release object: tag_name"),
        ([release("v1.2.3-nightly"), release("v1.2.3-stable.1")], "none of the 2 releases"),
    ],
)
def test_empty_or_malformed_release_lists(server, body, expected):
    server.json(RELEASES_PATH, body)
    with pytest.raises(CompatError) as caught:
        resolve_litellm(api_url=server.url)
    assert f"{server.url}{RELEASES_PATH}" in str(caught.value)
    assert expected in str(caught.value)


def test_refuses_to_follow_a_next_link_to_another_host(server):
    server.json(
        RELEASES_PATH,
        [release("v1.0.0-stable")],
        headers={"link": '<https://elsewhere.example/releases?page=2>; rel="next"'},
    )
    with pytest.raises(CompatError, match="points to another host"):
        resolve_litellm(api_url=server.url, token=FAKE_GITHUB_TOKEN)
    assert len(server.seen) == 1


def test_offline_github():
    url = closed_port_url()
    with pytest.raises(CompatError, match=r"cannot reach .*; are you offline\?$"):
        resolve_litellm(api_url=url)


def test_cli_litellm_keeps_the_token_out_of_output(server, compat_cli):
    serve_release_pages(server)
    proc = compat_cli(
        "resolve", "litellm", "--api-url", server.url, env={"GITHUB_TOKEN": FAKE_GITHUB_TOKEN}
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "v1.106.2-stable\n"
    assert FAKE_GITHUB_TOKEN not in proc.stdout + proc.stderr
    assert server.seen[0].headers["authorization"] == f"Bearer {FAKE_GITHUB_TOKEN}"


def test_cli_litellm_latest_channel(server, compat_cli):
    serve_release_pages(server)
    proc = compat_cli("resolve", "litellm", "--channel", "latest", "--api-url", server.url)
    assert (proc.returncode, proc.stdout) == (0, "v1.106.4\n")


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("v1.80.0-stable", LitellmRelease("v1.80.0-stable", "1.80.0", "v1.80.0-stable")),
        ("v1.106.2", LitellmRelease("v1.106.2", "1.106.2", "v1.106.2")),
    ],
)
def test_tag_maps_to_pip_and_image_versions(tag, expected):
    assert litellm_release(tag) == expected


@pytest.mark.parametrize("tag", ["1.80.0", "v1.80.0-rc.1", "v1.80-stable", "latest"])
def test_other_tags_are_refused(tag):
    with pytest.raises(InputError, match="not a LiteLLM release tag"):
        litellm_release(tag)
