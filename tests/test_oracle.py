"""The client oracle: the union of what one run sent, comparing releases, and the cache."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.testclient import TestClient

from compat import oracle
from compat.cli import main
from compat.emulator.app import create_app
from compat.errors import InputError
from compat.manifest import Manifest, load_manifest
from compat.oracle import (
    CAPTURE_PROTOCOL,
    ClientOracle,
    PlatformSend,
    Refusal,
    compare,
    load_or_capture,
    merge,
    plan_digest,
    plan_runs,
    summarize,
)
from compat.upstream_log import RecordedRequest

ROOT = Path(__file__).resolve().parents[1]
MANIFEST_PATH = ROOT / "manifest.yaml"


@pytest.fixture(scope="module")
def manifest() -> Manifest:
    return load_manifest(MANIFEST_PATH)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty compat cache (`$XDG_CACHE_HOME`) of this test's own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("COMPAT_CLAUDE_BIN", raising=False)
    return tmp_path / "cache" / "compat" / "claude-code"


def record(
    seq: int,
    path: str,
    *,
    body: Any = None,
    beta: str | None = None,
    method: str = "POST",
    query: str = "",
    status: int = 200,
    error_kind: str | None = None,
    error_message: str | None = None,
) -> RecordedRequest:
    headers = {"anthropic-beta": beta} if beta is not None else {}
    return RecordedRequest(
        seq=seq,
        provider="anthropic",
        method=method,
        path=path,
        query=query,
        headers=headers,
        body=body,
        timestamp=0.0,
        duration_ms=1.0,
        status=status,
        error_kind=error_kind,
        error_message=error_message,
    )


def messages_body(**extra: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 10, **extra}


def fake_oracle(version: str, manifest: Manifest, *, extra_beta: str | None = None) -> ClientOracle:
    """An oracle of every planned run, as a capture would build it, without running claude."""
    runs = plan_runs(manifest)
    platforms: dict[str, dict[str, PlatformSend]] = {}
    long_context: dict[str, dict[str, PlatformSend]] = {}
    for run in runs:
        betas = ["claude-code-20250219"] + ([extra_beta] if extra_beta else [])
        if run.long_context:
            betas.append("context-1m-2025-08-07")
        send = PlatformSend(model=run.model, betas=sorted(betas), header_betas=sorted(betas))
        (long_context if run.long_context else platforms).setdefault(run.platform, {})[run.tier] = (
            send
        )
    return ClientOracle.model_validate(
        {
            "plan_digest": plan_digest(runs),
            "claude_code_version": version,
            "captured_at": datetime(2026, 1, 2, tzinfo=UTC),
            "platforms": platforms,
            "long_context_1m": long_context,
        }
    )


# ---------------------------------------------------------------- the union of one run


def test_betas_are_the_union_of_header_and_body_over_every_request() -> None:
    records = [
        record(
            2,
            "/model/us.anthropic.claude-sonnet-4-6/invoke-with-response-stream",
            beta="claude-code-20250219, effort-2025-11-24",
            body=messages_body(anthropic_beta=["interleaved-thinking-2025-05-14"]),
        ),
        record(1, "/inference-profiles", method="GET", query="type=SYSTEM_DEFINED"),
        record(
            3, "/v1/messages", beta="effort-2025-11-24,context-1m-2025-08-07", query="beta=true"
        ),
    ]
    sent = summarize(records, model="us.anthropic.claude-sonnet-4-6")
    assert sent.betas == [
        "claude-code-20250219",
        "context-1m-2025-08-07",
        "effort-2025-11-24",
        "interleaved-thinking-2025-05-14",
    ]
    assert sent.header_betas == [
        "claude-code-20250219",
        "context-1m-2025-08-07",
        "effort-2025-11-24",
    ]
    assert sent.body_betas == ["interleaved-thinking-2025-05-14"]
    assert sent.requests == 3
    assert sent.paths == [
        "GET /inference-profiles?type=SYSTEM_DEFINED",
        "POST /model/us.anthropic.claude-sonnet-4-6/invoke-with-response-stream",
        "POST /v1/messages?beta=true",
    ]
    assert sent.refused == []


def test_body_fields_and_tool_types_come_from_messages_bodies_only() -> None:
    tools = [
        {"name": "Bash", "input_schema": {}},
        {"type": "web_search_20250305", "name": "web_search"},
        {"type": "tool_search_tool_regex_20251119", "name": "tool_search"},
    ]
    records = [
        record(1, "/v1/messages", body=messages_body(tools=tools, thinking={"type": "adaptive"})),
        record(2, "/v1/messages", body=messages_body(output_config={"effort": "high"})),
        # A count-tokens wrapper and a non-JSON body are not Messages bodies.
        record(3, "/model/x/count-tokens", body={"input": {"invokeModel": {"body": "e30="}}}),
        record(4, "/", method="HEAD", body="not json"),
    ]
    sent = summarize(records, model="m")
    assert sent.body_fields == ["max_tokens", "messages", "output_config", "thinking", "tools"]
    assert sent.tool_types == ["tool_search_tool_regex_20251119", "web_search_20250305"]


def test_refusals_keep_the_error_and_name_the_flags_it_names() -> None:
    records = [
        record(
            1,
            "/v1/projects/p/locations/l/publishers/anthropic/models/claude-opus-4-7:rawPredict",
            beta="claude-code-20250219,web-search-2025-03-05,effort-2025-11-24",
            body=messages_body(),
            status=400,
            error_kind="invalid_request_error",
            error_message=(
                "Unexpected value(s) `claude-code-20250219`, `web-search-2025-03-05` for the "
                "`anthropic-beta` header."
            ),
        ),
        record(
            2,
            "/model/us.anthropic.claude-opus-5/invoke",
            body=messages_body(),
            status=400,
            error_kind="ValidationException",
            error_message="The provided model identifier is invalid.",
        ),
        record(
            3,
            "/v1/messages",
            body=messages_body(context_management={}),
            status=400,
            error_kind="invalid_request_error",
            error_message="context_management: Extra inputs are not permitted",
        ),
        record(4, "/v1/messages", body=messages_body()),
    ]
    refused = summarize(records, model="m").refused
    assert [r.subjects for r in refused] == [
        ["claude-code-20250219", "web-search-2025-03-05"],
        # "model" is a word of the message, not the field it names.
        [],
        ["context_management"],
    ]
    assert refused[0].error.startswith("invalid_request_error: Unexpected value(s)")
    assert refused[0].betas == [
        "claude-code-20250219",
        "effort-2025-11-24",
        "web-search-2025-03-05",
    ]
    assert refused[1] == Refusal(
        method="POST",
        path="/model/us.anthropic.claude-opus-5/invoke",
        status=400,
        error="ValidationException: The provided model identifier is invalid.",
    )


def test_a_status_without_an_error_kind_still_counts_as_refused() -> None:
    refused = summarize([record(1, "/", method="HEAD", status=404)], model="m").refused
    assert refused == [Refusal(method="HEAD", path="/", status=404, error="(no message)")]


def test_merge_unions_every_list_and_adds_the_counts() -> None:
    first = PlatformSend(model="m", betas=["a", "b"], body_fields=["x"], requests=2, paths=["P"])
    refusal = Refusal(method="POST", path="/", status=400, error="e")
    second = PlatformSend(
        model="m", betas=["b", "c"], tool_types=["t"], requests=1, refused=[refusal], failure="f"
    )
    merged = merge(first, second)
    assert merged.betas == ["a", "b", "c"]
    assert merged.body_fields == ["x"] and merged.tool_types == ["t"] and merged.paths == ["P"]
    assert merged.requests == 3 and merged.refused == [refusal] and merged.failure == "f"
    assert merge(first, PlatformSend(model="m")) == first


# ---------------------------------------------------------------- the plan and comparing


def test_the_plan_covers_every_platform_and_tier_and_1m_where_applicable(
    manifest: Manifest,
) -> None:
    runs = plan_runs(manifest)
    standard = [r for r in runs if not r.long_context]
    long_context = [r for r in runs if r.long_context]
    assert len(standard) == len(oracle.PLATFORMS) * len(manifest.tier_ids_for("anthropic"))
    # Haiku 4.5 is n/a for long_context_1m on every provider.
    assert {r.tier for r in long_context} == {"sonnet-4-6", "opus-4-7"}
    assert len(long_context) == 2 * len(oracle.PLATFORMS)
    models = {(r.platform, r.tier): r.model for r in standard}
    assert models["first_party", "haiku-4-5"] == manifest.upstream_model("anthropic", "haiku-4-5")
    assert models["bedrock", "opus-4-7"] == manifest.upstream_model("bedrock_invoke", "opus-4-7")
    assert models["vertex", "haiku-4-5"] == manifest.upstream_model("vertex_ai", "haiku-4-5")
    assert models["foundry", "sonnet-4-6"] == manifest.upstream_model("azure", "sonnet-4-6")
    assert all(r.model.endswith("[1m]") for r in long_context)


def test_the_plan_digest_changes_with_a_model_id(manifest: Manifest) -> None:
    runs = plan_runs(manifest)
    other = [oracle.CaptureRun(r.platform, r.tier, r.model + "-x", r.long_context) for r in runs]
    assert plan_digest(runs) == plan_digest(plan_runs(manifest))
    assert plan_digest(runs) != plan_digest(other)


def test_compare_names_what_was_added_and_removed(manifest: Manifest) -> None:
    old = fake_oracle("2.1.1", manifest, extra_beta="prompt-caching-scope-2026-01-05")
    new = fake_oracle("2.1.2", manifest, extra_beta="effort-2025-11-24")
    changes = compare(old, new)
    betas = [c for c in changes if c.field == "betas"]
    assert len(betas) == len(plan_runs(manifest))
    first = next(
        c for c in betas if (c.platform, c.tier, c.variant) == ("bedrock", "opus-4-7", "1m")
    )
    assert first.added == ["effort-2025-11-24"]
    assert first.removed == ["prompt-caching-scope-2026-01-05"]
    assert compare(old, old) == []


def test_sent_betas_joins_the_1m_runs_into_their_tier(manifest: Manifest) -> None:
    sent = fake_oracle("2.1.1", manifest).sent_betas()
    assert sent["bedrock"]["sonnet-4-6"] == ["claude-code-20250219", "context-1m-2025-08-07"]
    assert sent["bedrock"]["haiku-4-5"] == ["claude-code-20250219"]
    assert set(sent) == set(oracle.PLATFORMS)


def test_platform_environments_put_claude_in_each_mode() -> None:
    tokens = SimpleNamespace(issue=lambda: "ya29.emulated.token")
    server: Any = SimpleNamespace(
        url="http://127.0.0.1:9", ctx=SimpleNamespace(vertex_tokens=tokens)
    )
    first_party, key = oracle.platform_environment("first_party", server)
    assert first_party == {} and key == "emulated"
    bedrock, _ = oracle.platform_environment("bedrock", server)
    assert bedrock["CLAUDE_CODE_USE_BEDROCK"] == "1"
    assert bedrock["ANTHROPIC_BEDROCK_BASE_URL"] == "http://127.0.0.1:9"
    assert bedrock["CLAUDE_CODE_SKIP_BEDROCK_AUTH"] == "1"
    vertex, token = oracle.platform_environment("vertex", server)
    assert vertex["ANTHROPIC_VERTEX_BASE_URL"] == "http://127.0.0.1:9/v1"
    assert vertex["CLAUDE_CODE_SKIP_VERTEX_AUTH"] == "1" and token == "ya29.emulated.token"
    assert {"ANTHROPIC_VERTEX_PROJECT_ID", "CLOUD_ML_REGION"} <= set(vertex)
    foundry, _ = oracle.platform_environment("foundry", server)
    assert foundry["ANTHROPIC_FOUNDRY_BASE_URL"] == "http://127.0.0.1:9/anthropic"
    assert foundry["CLAUDE_CODE_USE_FOUNDRY"] == "1" and foundry["ANTHROPIC_FOUNDRY_API_KEY"]


# ---------------------------------------------------------------- the cache


class FakeCapture:
    """Stands in for `capture_oracle`: counts calls and returns a fake oracle."""

    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest
        self.calls: list[str] = []

    def __call__(self, binary: Any, manifest: Manifest, *, progress: Any, version: str) -> Any:
        self.calls.append(version)
        return fake_oracle(version, manifest, extra_beta=f"call-{len(self.calls)}-2026-01-01")


def test_the_oracle_is_captured_once_then_read_from_the_cache(
    cache: Path, manifest: Manifest
) -> None:
    capture = FakeCapture(manifest)
    first = load_or_capture("claude", "2.1.5", manifest, capture=capture)
    path = cache / "2.1.5" / "compat-oracle.json"
    assert path.is_file()
    assert json.loads(path.read_text())["protocol"] == CAPTURE_PROTOCOL
    again = load_or_capture("claude", "2.1.5", manifest, capture=capture)
    assert capture.calls == ["2.1.5"]
    assert again == first
    # No temporary file of the atomic write is left beside it.
    assert [p.name for p in path.parent.iterdir()] == ["compat-oracle.json"]


def test_refresh_captures_again_and_replaces_the_cache(cache: Path, manifest: Manifest) -> None:
    capture = FakeCapture(manifest)
    load_or_capture("claude", "2.1.5", manifest, capture=capture)
    fresh = load_or_capture("claude", "2.1.5", manifest, capture=capture, refresh=True)
    assert capture.calls == ["2.1.5", "2.1.5"]
    assert oracle.load_cached("2.1.5", manifest) == fresh


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda d: {**d, "protocol": CAPTURE_PROTOCOL + 1}, id="other-protocol"),
        pytest.param(lambda d: {**d, "plan_digest": "0" * 16}, id="other-plan"),
        pytest.param(lambda d: {**d, "claude_code_version": "2.1.6"}, id="other-version"),
        pytest.param(lambda d: {**d, "platforms": "nonsense"}, id="invalid"),
    ],
)
def test_a_cache_of_another_capture_is_captured_again(
    cache: Path, manifest: Manifest, spoil: Any
) -> None:
    capture = FakeCapture(manifest)
    load_or_capture("claude", "2.1.5", manifest, capture=capture)
    path = cache / "2.1.5" / "compat-oracle.json"
    path.write_text(json.dumps(spoil(json.loads(path.read_text()))))
    assert oracle.load_cached("2.1.5", manifest) is None
    load_or_capture("claude", "2.1.5", manifest, capture=capture)
    assert capture.calls == ["2.1.5", "2.1.5"]
    assert oracle.load_cached("2.1.5", manifest) is not None


def test_a_torn_cache_file_is_captured_again(cache: Path, manifest: Manifest) -> None:
    path = cache / "2.1.5" / "compat-oracle.json"
    path.parent.mkdir(parents=True)
    path.write_text('{"protocol": 1, "claude_')
    capture = FakeCapture(manifest)
    load_or_capture("claude", "2.1.5", manifest, capture=capture)
    assert capture.calls == ["2.1.5"]


def test_a_missing_release_without_a_cache_is_an_input_error(
    cache: Path, manifest: Manifest
) -> None:
    with pytest.raises(InputError, match=re.escape("compat install claude-code --version 2.1.7")):
        oracle.oracle_for(None, "2.1.7", manifest)
    oracle.save(fake_oracle("2.1.7", manifest))
    assert oracle.oracle_for(None, "2.1.7", manifest).claude_code_version == "2.1.7"


def test_resolve_release_refuses_two_sources(cache: Path) -> None:
    with pytest.raises(InputError, match="not both"):
        oracle.resolve_release(Path("/bin/true"), "2.1.1")
    with pytest.raises(InputError, match="is not a Claude Code release"):
        oracle.resolve_release(None, "latest")
    assert oracle.resolve_release(None, "2.1.1") == (None, "2.1.1")


# ---------------------------------------------------------------- the command


def test_the_command_prints_a_cached_oracle_as_json(
    cache: Path, manifest: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    oracle.save(fake_oracle("2.1.8", manifest))
    code = main(["oracle", "--claude-code-version", "2.1.8", "--json", "-m", str(MANIFEST_PATH)])
    assert code == 0
    printed = ClientOracle.model_validate_json(capsys.readouterr().out)
    assert printed == fake_oracle("2.1.8", manifest)


def test_the_command_tables_name_every_platform(
    cache: Path, manifest: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    oracle.save(fake_oracle("2.1.8", manifest))
    assert main(["oracle", "--claude-code-version", "2.1.8", "-m", str(MANIFEST_PATH)]) == 0
    shown = capsys.readouterr().out
    for platform in oracle.PLATFORMS:
        assert f"Claude Code 2.1.8: {platform}" in shown
    assert "context-1m-2025-08-07" in shown


def test_the_command_compares_two_releases(
    cache: Path, manifest: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    oracle.save(fake_oracle("2.1.8", manifest))
    oracle.save(fake_oracle("2.1.9", manifest, extra_beta="effort-2025-11-24"))
    args = ["oracle", "--compare", "2.1.8", "2.1.9", "-m", str(MANIFEST_PATH)]
    assert main(args) == 0
    assert "effort-2025-11-24" in capsys.readouterr().out
    assert main([*args, "--json"]) == 0
    compared = json.loads(capsys.readouterr().out)
    assert {c["field"] for c in compared["changes"]} == {"betas", "header_betas"}
    assert main(["oracle", "--compare", "2.1.8", "2.1.8", "-m", str(MANIFEST_PATH)]) == 0
    assert "send the same" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--claude-code-version", "latest"], "'latest' is not a Claude Code release"),
        (["--claude-code-version", "2.1.3"], "compat install claude-code --version 2.1.3"),
        (["--claude", "/bin/true", "--claude-code-version", "2.1.3"], "not both"),
        (["--claude", "/no/such/claude"], "/no/such/claude does not exist"),
        (["--compare", "2.1.3", "2.1.4", "--claude-code-version", "2.1.3"], "--compare"),
        (["--claude", "/bin/echo"], "not a Claude Code release"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    cache: Path, capsys: pytest.CaptureFixture[str], args: list[str], fragment: str
) -> None:
    assert main(["oracle", *args, "-m", str(MANIFEST_PATH)]) == 2
    error = capsys.readouterr().err
    assert fragment in " ".join(error.split())
    assert error.startswith("error: ") and "Traceback" not in error


# ---------------------------------------------------------------- the Bedrock control plane


def test_the_emulator_lists_bedrock_inference_profiles() -> None:
    app = create_app()
    client = TestClient(app)
    listed = client.get(
        "/inference-profiles",
        params={"type": "SYSTEM_DEFINED"},
        headers={"authorization": "Bearer k"},
    )
    assert listed.status_code == 200
    ids = {s["inferenceProfileId"] for s in listed.json()["inferenceProfileSummaries"]}
    assert ids == {
        "us.anthropic.claude-haiku-4-5-20251001-v1:0",
        "us.anthropic.claude-sonnet-4-6",
        "us.anthropic.claude-opus-4-7",
    }
    application = client.get(
        "/inference-profiles", params={"type": "APPLICATION"}, headers={"authorization": "Bearer k"}
    )
    assert application.json() == {"inferenceProfileSummaries": []}
    bad = client.get(
        "/inference-profiles", params={"type": "X"}, headers={"authorization": "Bearer k"}
    )
    assert bad.status_code == 400
    assert bad.headers["x-amzn-errortype"].startswith("ValidationException")
    unsigned = client.get("/inference-profiles")
    assert unsigned.status_code == 403
    assert unsigned.json() == {"Message": "Authorization header is missing"}
    recorded = app.state.ctx.recorder.query()
    assert {r.provider for r in recorded} == {"bedrock_invoke"}
