"""Every probe: what it asks of claude (argv, env, stdin) and how it judges real transcripts.

The transcripts under fixtures/probe_transcripts were recorded from the real chain (claude
+ LiteLLM + the emulator) by scripts/capture_probe_transcripts.py; each failing case is
that real transcript with the one thing the feature depends on taken away.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import jsonschema
import pytest
from pydantic import SecretStr

from compat.driver import ClaudeRun, ProxyEndpoint, build_argv, parse_transcript
from compat.manifest import load_manifest
from compat.outcome import Fail, Pass
from compat.probes import load_probes
from compat.probes.base import Cell, CliProbe, ProbeContext, cli_failure
from compat.probes.count_tokens import count_tokens_body, judge_count
from compat.probes.structured_outputs import SCHEMA
from compat.probes.tool_search import judge_tool_search, tool_search_body

FIXTURES = Path(__file__).parent.parent / "fixtures"
RECORDED = FIXTURES / "probe_transcripts"
PROXY = ProxyEndpoint(base_url="http://127.0.0.1:9", api_key=SecretStr("sk-test"))
PROBES = load_probes()
CLI_FEATURES = sorted(f for f, p in PROBES.items() if isinstance(p, CliProbe))
OTHER_NONCE = "COMPAT-000000000000"


def recorded_context(feature: str) -> ProbeContext:
    meta = json.loads((RECORDED / f"{feature}.meta.json").read_text())
    return ProbeContext(
        cell=Cell(feature, "anthropic", meta["tier"]),
        alias=meta["alias"],
        proxy=PROXY,
        nonce=meta["nonce"],
    )


def transcript(feature: str, mutate: Callable[[str], str] = lambda text: text) -> ClaudeRun:
    text = mutate((RECORDED / f"{feature}.jsonl").read_text())
    return ClaudeRun(argv=[], events=parse_transcript(text), exit_code=0, stderr="", duration_ms=1)


def judge(feature: str, run: ClaudeRun):
    probe = PROBES[feature]
    assert isinstance(probe, CliProbe)
    return probe.verdict(run, recorded_context(feature))


def test_every_manifest_feature_has_exactly_one_probe(manifest_path):
    assert sorted(PROBES) == sorted(load_manifest(manifest_path).feature_ids)


# ------------------------------------------------------------------ argv and env


def invocation(feature: str):
    ctx = ProbeContext(
        cell=Cell(feature, "vertex_ai", "sonnet-4-6"),
        alias="claude-sonnet-4-6-vertex",
        proxy=PROXY,
        nonce="COMPAT-ABCDEF123456",
    )
    probe = PROBES[feature]
    assert isinstance(probe, CliProbe)
    return probe.invocation(ctx), ctx


@pytest.mark.parametrize("feature", CLI_FEATURES)
def test_every_cli_probe_runs_non_interactively_on_its_alias(feature):
    inv, ctx = invocation(feature)
    argv = build_argv("claude", inv)
    assert argv[:7] == ["claude", "--print", "--output-format", "stream-json", "--verbose",
                        "--model", inv.model]  # fmt: skip
    assert inv.model.startswith(ctx.alias)
    at = argv.index("--permission-mode")
    assert argv[at + 1] == "dontAsk"
    if inv.prompt is not None:
        assert argv[-2:] == ["--", inv.prompt]
    else:
        assert argv[-2:] == ["--input-format", "stream-json"]


@pytest.mark.parametrize(
    "feature",
    [
        "tool_use",
        "tool_use_streaming",
        "thinking_with_tool_use",
        "prompt_caching_5m",
        "prompt_caching_1h",
    ],
)
def test_bash_probes_allow_exactly_their_one_command(feature):
    inv, ctx = invocation(feature)
    args = list(inv.extra_args)
    assert args[args.index("--allowedTools") + 1] == f"Bash(echo {ctx.nonce})"
    assert args.count("--allowedTools") == 1
    assert f"`echo {ctx.nonce}`" in (inv.prompt or "")


@pytest.mark.parametrize(
    ("feature", "flag"),
    [
        ("basic_messaging_streaming", "--include-partial-messages"),
        ("tool_use_streaming", "--include-partial-messages"),
        ("structured_outputs", "--json-schema"),
    ],
)
def test_probe_specific_flags(feature, flag):
    inv, _ = invocation(feature)
    assert flag in inv.extra_args


def test_no_probe_allows_tools_it_does_not_need():
    for feature in CLI_FEATURES:
        inv, _ = invocation(feature)
        args = list(inv.extra_args)
        allowed = [args[i + 1] for i, a in enumerate(args) if a == "--allowedTools"]
        if feature == "web_search":
            assert allowed == ["WebSearch"]
        elif "Bash" in str(allowed):
            assert len(allowed) == 1
        else:
            assert allowed == [], feature


def test_json_schema_flag_carries_the_schema():
    inv, _ = invocation("structured_outputs")
    args = list(inv.extra_args)
    assert json.loads(args[args.index("--json-schema") + 1]) == SCHEMA


def test_caching_probes_set_the_ttl_through_the_environment():
    assert invocation("prompt_caching_1h")[0].env == {"ENABLE_PROMPT_CACHING_1H": "1"}
    assert invocation("prompt_caching_5m")[0].env == {}


def test_vision_sends_a_fresh_png_over_stdin():
    inv, ctx = invocation("vision")
    blocks = inv.stdin_messages[0]["message"]["content"]
    image = blocks[0]
    assert image["type"] == "image" and image["source"]["media_type"] == "image/png"
    assert ctx.evidence_key in image["source"]["data"]
    other, _ = invocation("vision")
    assert other.stdin_messages[0] == inv.stdin_messages[0]  # same nonce → same image


def test_pdf_probe_puts_the_nonce_only_inside_the_pdf():
    inv, ctx = invocation("pdf_input")
    blocks = inv.stdin_messages[0]["message"]["content"]
    assert blocks[0]["type"] == "document"
    assert ctx.nonce not in json.dumps(blocks[1])
    assert ctx.evidence_key in blocks[0]["source"]["data"]


def test_long_context_asks_for_the_1m_window_with_a_prompt_over_200k_tokens():
    inv, _ = invocation("long_context_1m")
    assert inv.model == "claude-sonnet-4-6-vertex[1m]"
    text = json.dumps(inv.stdin_messages)
    assert len(text) / 4 > 200_000


def test_http_probes_address_the_alias():
    ctx = recorded_context("count_tokens")
    assert count_tokens_body(ctx)["model"] == ctx.alias
    body = tool_search_body(ctx)
    assert body["model"] == ctx.alias
    assert sum(1 for t in body["tools"] if t.get("defer_loading")) == 3


# ------------------------------------------------------------------ judges

FAILING: dict[str, tuple[Callable[[str], str], str]] = {
    "basic_messaging_non_streaming": (
        lambda t: re.sub(r"COMPAT-[0-9A-F]{12}", OTHER_NONCE, t),
        "expected the reply to contain the nonce",
    ),
    "basic_messaging_streaming": (
        lambda t: "\n".join(line for line in t.splitlines() if '"stream_event"' not in line),
        "saw 0 (the reply arrived in one piece",
    ),
    "tool_use": (
        lambda t: "\n".join(line for line in t.splitlines() if '"type":"user"' not in line),
        "got no tool_result",
    ),
    "prompt_caching_5m": (
        lambda t: re.sub(r'"cache_read_input_tokens":\d+', '"cache_read_input_tokens":0', t),
        "expected cache_read_input_tokens > 0",
    ),
    "vision": (
        lambda t: re.sub(r"#[0-9a-f]{6}", "#000001", t),
        "expected the image's colour",
    ),
    "thinking": (
        lambda t: re.sub(r'"signature":"[^"]*"', '"signature":""', t),
        "non-empty signature",
    ),
    "tool_use_streaming": (
        lambda t: "\n".join(line for line in t.splitlines() if "input_json_delta" not in line),
        "expected input_json_delta stream events",
    ),
    "thinking_with_tool_use": (
        lambda t: "\n".join(line for line in t.splitlines() if '"type":"thinking"' not in line),
        "expected the first turn to hold a thinking block",
    ),
    "pdf_input": (
        lambda t: re.sub(r"COMPAT-[0-9A-F]{12}", OTHER_NONCE, t),
        "expected the reply to contain the nonce",
    ),
    "prompt_caching_1h": (
        lambda t: re.sub(r'"ephemeral_1h_input_tokens":\d+', '"ephemeral_1h_input_tokens":0', t),
        "expected cache_creation.ephemeral_1h_input_tokens > 0",
    ),
    "web_search": (
        lambda t: t.replace('"results":', '"no_results":'),
        "returned no search results",
    ),
    "structured_outputs": (
        lambda t: t.replace('"structured_output":{', '"structured_output":{"extra":1,'),
        "does not match the schema",
    ),
    "long_context_1m": (
        lambda t: re.sub(r"COMPAT-[0-9A-F]{12}", OTHER_NONCE, t),
        "expected the reply to contain the nonce",
    ),
}


@pytest.mark.parametrize("feature", CLI_FEATURES)
def test_recorded_real_transcript_passes(feature):
    verdict = judge(feature, transcript(feature))
    assert verdict.outcome == Pass(), verdict.outcome


@pytest.mark.parametrize("feature", CLI_FEATURES)
def test_transcript_without_the_feature_fails_with_a_reason(feature):
    mutate, expected = FAILING[feature]
    verdict = judge(feature, transcript(feature, mutate))
    assert isinstance(verdict.outcome, Fail)
    assert expected in verdict.outcome.error
    assert not verdict.retryable


@pytest.mark.parametrize("feature", CLI_FEATURES)
def test_an_overloaded_upstream_is_a_retryable_failure_for_every_probe(feature):
    run = ClaudeRun(
        argv=[],
        events=parse_transcript((FIXTURES / "transcripts" / "error_529.jsonl").read_text()),
        exit_code=1,
        stderr="",
        duration_ms=1,
    )
    verdict = judge(feature, run)
    assert isinstance(verdict.outcome, Fail) and verdict.retryable
    assert "API error 529" in verdict.outcome.error


def test_a_400_is_a_final_failure_naming_the_upstream_error():
    run = transcript("basic_messaging_non_streaming")
    run.events = parse_transcript((FIXTURES / "transcripts" / "error_400.jsonl").read_text())
    verdict = judge("basic_messaging_non_streaming", run)
    assert isinstance(verdict.outcome, Fail) and not verdict.retryable
    assert "API error 400" in verdict.outcome.error


def test_a_timeout_and_a_crash_are_failures():
    timed_out = ClaudeRun(
        argv=[], events=[], exit_code=None, stderr="", duration_ms=1, timed_out=True
    )
    failure = cli_failure(timed_out, 30)
    assert failure is not None and "did not finish within 30s" in failure.outcome.error
    crashed = ClaudeRun(argv=[], events=[], exit_code=2, stderr="boom\nSegfault", duration_ms=1)
    failure = cli_failure(crashed, 30)
    assert failure is not None and "exited with code 2 without a result event: Segfault" in (
        failure.outcome.error
    )


def http_response(feature: str, mutate: Callable[[dict], None] | None = None) -> httpx.Response:
    recorded = json.loads((RECORDED / f"{feature}.json").read_text())
    body = recorded["body"]
    if mutate is not None:
        mutate(body)
    return httpx.Response(recorded["status"], json=body)


def test_count_tokens_judge():
    assert judge_count(http_response("count_tokens")).outcome == Pass()
    zero = judge_count(http_response("count_tokens", lambda b: b.update(input_tokens=0)))
    assert "positive integer input_tokens" in zero.outcome.error
    error = judge_count(
        httpx.Response(404, json={"error": {"message": "no route for count_tokens"}})
    )
    assert "HTTP 404: no route for count_tokens" in error.outcome.error


def test_tool_search_judge():
    ctx = recorded_context("tool_search")
    assert judge_tool_search(http_response("tool_search"), ctx).outcome == Pass()

    def no_search(body: dict) -> None:
        body["content"] = [b for b in body["content"] if b["type"] == "text"]

    missing = judge_tool_search(http_response("tool_search", no_search), ctx)
    assert "expected a server_tool_use block" in missing.outcome.error
    overloaded = judge_tool_search(
        httpx.Response(529, json={"type": "error", "error": {"message": "Overloaded"}}), ctx
    )
    assert overloaded.retryable and "HTTP 529: Overloaded" in overloaded.outcome.error


def test_structured_output_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
