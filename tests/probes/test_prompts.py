"""What each probe asks of claude (argv, env, stdin) or of the proxy (its HTTP body)."""

from __future__ import annotations

import json

import pytest

from compat.driver import build_argv
from compat.manifest import load_manifest
from compat.probes.base import CliProbe, ProbeContext
from compat.probes.basic_messaging_non_streaming import non_streaming_body
from compat.probes.count_tokens import count_tokens_body
from compat.probes.long_context_1m import start_token
from compat.probes.structured_outputs import SCHEMA
from compat.probes.tool_search import tool_search_body
from compat.run.cells import Cell
from support.recorded import CLI_FEATURES, PROBES, PROXY, recorded_context


def test_every_manifest_feature_and_contract_check_has_exactly_one_probe(manifest_path):
    assert sorted(PROBES) == sorted(load_manifest(manifest_path).row_ids)


def invocation(feature: str, tier: str = "sonnet-4-6"):
    ctx = ProbeContext(
        cell=Cell(feature, "vertex_ai", tier),
        alias=f"claude-{tier}-vertex",
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


def test_thinking_sets_the_effort_only_where_the_tier_takes_one():
    for tier in ("sonnet-4-6", "opus-4-7"):
        args = list(invocation("thinking", tier)[0].extra_args)
        assert args[args.index("--effort") + 1] == "high"
    assert "--effort" not in invocation("thinking", "haiku-4-5")[0].extra_args


def test_vision_sends_a_fresh_png_over_stdin():
    inv, ctx = invocation("vision")
    blocks = inv.stdin_messages[0]["message"]["content"]
    image = blocks[0]
    assert image["type"] == "image" and image["source"]["media_type"] == "image/png"
    assert PROBES["vision"].evidence_key(ctx) in image["source"]["data"]
    other, _ = invocation("vision")
    assert other.stdin_messages[0] == inv.stdin_messages[0]  # same nonce → same image


def test_pdf_probe_puts_the_nonce_only_inside_the_pdf():
    inv, ctx = invocation("pdf_input")
    blocks = inv.stdin_messages[0]["message"]["content"]
    assert blocks[0]["type"] == "document"
    assert ctx.nonce not in json.dumps(blocks[1])
    assert PROBES["pdf_input"].evidence_key(ctx) in blocks[0]["source"]["data"]


def test_long_context_asks_for_the_1m_window_with_a_marked_prompt_over_200k_tokens():
    inv, ctx = invocation("long_context_1m")
    assert inv.model == "claude-sonnet-4-6-vertex[1m]"
    text = json.dumps(inv.stdin_messages)
    assert len(text) / 4 > 200_000
    blocks = inv.stdin_messages[0]["message"]["content"]
    assert blocks[0]["text"].startswith(start_token(ctx) + " ")
    assert blocks[-1]["text"].endswith(ctx.nonce)
    # The start marker is no nonce: a model that lost the end has nothing to echo.
    assert "COMPAT-" not in start_token(ctx)


def test_http_probes_address_the_alias():
    ctx = recorded_context("count_tokens")
    assert count_tokens_body(ctx)["model"] == ctx.alias
    body = tool_search_body(ctx)
    assert body["model"] == ctx.alias
    assert sum(1 for t in body["tools"] if t.get("defer_loading")) == 3


def test_the_non_streaming_probe_asks_for_one_json_message_with_its_nonce():
    ctx = recorded_context("basic_messaging_non_streaming")
    body = non_streaming_body(ctx)
    assert body["model"] == ctx.alias and body["stream"] is False
    assert ctx.nonce in json.dumps(body["messages"])
