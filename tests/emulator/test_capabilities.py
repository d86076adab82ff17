"""The capability table: model id recognition and what each provider accepts per tier."""

from __future__ import annotations

import pytest

from compat.emulator.capabilities import CONTEXT_1M_BETA, capabilities_for, tier_of
from compat.emulator.rules import RuleBook, unsupported_beta_message
from compat.emulator.types import EmulatorError, ProviderId


@pytest.mark.parametrize(
    ("model_id", "tier"),
    [
        ("claude-haiku-4-5-20251001", "haiku-4-5"),
        ("claude-haiku-4-5", "haiku-4-5"),
        ("anthropic.claude-haiku-4-5-20251001-v1:0", "haiku-4-5"),
        ("claude-sonnet-4-6", "sonnet-4-6"),
        ("us.anthropic.claude-sonnet-4-6", "sonnet-4-6"),
        ("claude-opus-4-7@20260416", "opus-4-7"),
        ("global.anthropic.claude-opus-4-7", "opus-4-7"),
        ("arn:aws:bedrock:us-east-1:1:inference-profile/eu.anthropic.claude-opus-4-7", "opus-4-7"),
    ],
)
def test_model_ids_name_their_tier(model_id: str, tier: str) -> None:
    assert tier_of(model_id) == tier


@pytest.mark.parametrize(
    "model_id", ["claude-sonnet-4-5", "claude-opus-4-70", "gpt-4o", "sonnet-4-6", ""]
)
def test_other_ids_name_no_tier(model_id: str) -> None:
    assert tier_of(model_id) is None
    with pytest.raises(EmulatorError) as caught:
        capabilities_for("anthropic", model_id)
    assert caught.value.kind == "not_found_error"


def test_a_beta_only_the_client_vouches_for_is_accepted_only_with_that_client() -> None:
    # No hand-kept list of today's client betas: the release under test is the evidence.
    sent = "prompt-caching-scope-2026-01-05"
    assert sent not in capabilities_for("anthropic", "claude-sonnet-4-6").supported_betas
    book = RuleBook.with_client({"first_party": {"sonnet-4-6": [sent]}}, "Claude Code 2.1.228")
    assert sent in capabilities_for("anthropic", "claude-sonnet-4-6", book).supported_betas
    # Only on that platform and tier: what the client sends first-party says nothing of Vertex.
    assert sent not in capabilities_for("vertex_ai", "claude-sonnet-4-6", book).supported_betas
    assert sent not in capabilities_for("anthropic", "claude-opus-4-7", book).supported_betas


def test_converse_never_takes_invoke_only_betas_even_from_the_client() -> None:
    book = RuleBook.with_client(
        {"bedrock": {"haiku-4-5": ["tool-search-tool-2025-10-19", "x-client-2026"]}}, "client"
    )
    invoke = capabilities_for("bedrock_invoke", "claude-haiku-4-5", book).supported_betas
    converse = capabilities_for("bedrock_converse", "claude-haiku-4-5", book).supported_betas
    assert {"tool-search-tool-2025-10-19", "x-client-2026"} <= invoke
    assert "x-client-2026" in converse and "tool-search-tool-2025-10-19" not in converse


def test_vertex_takes_effort_on_sonnet_and_opus_but_not_haiku() -> None:
    assert "effort-2025-11-24" in capabilities_for("vertex_ai", "claude-opus-4-7").supported_betas
    assert (
        "effort-2025-11-24" not in capabilities_for("vertex_ai", "claude-haiku-4-5").supported_betas
    )


def test_bedrock_opus_4_7_refuses_its_launch_refusals_unless_the_client_sends_them() -> None:
    documented = capabilities_for("bedrock_invoke", "claude-opus-4-7").supported_betas
    assert "effort-2025-11-24" not in documented
    assert {"interleaved-thinking-2025-05-14", "context-management-2025-06-27"} <= documented
    book = RuleBook.with_client({"bedrock": {"opus-4-7": ["effort-2025-11-24"]}}, "client")
    assert (
        "effort-2025-11-24"
        in capabilities_for("bedrock_invoke", "claude-opus-4-7", book).supported_betas
    )


def test_claude_code_betas_are_not_bedrock_betas() -> None:
    betas = capabilities_for("bedrock_invoke", "claude-sonnet-4-6").supported_betas
    assert "claude-code-20250219" not in betas
    assert "tool-search-tool-2025-10-19" in betas
    assert (
        "tool-search-tool-2025-10-19"
        not in capabilities_for("bedrock_converse", "claude-sonnet-4-6").supported_betas
    )


@pytest.mark.parametrize(
    ("provider", "tools"),
    [
        ("anthropic", {"web_search_20250305", "web_search_20260209", "web_search_20260318"}),
        ("azure", {"web_search_20250305"}),
        ("vertex_ai", {"web_search_20250305"}),
        ("bedrock_invoke", set()),
        ("bedrock_converse", set()),
    ],
)
def test_web_search_versions_per_provider(provider: ProviderId, tools: set[str]) -> None:
    offered = capabilities_for(provider, "claude-sonnet-4-6").supported_server_tools
    assert {t for t in offered if t.startswith("web_search")} == tools


def test_tool_search_everywhere_but_converse() -> None:
    for provider in ("anthropic", "azure", "vertex_ai", "bedrock_invoke"):
        offered = capabilities_for(provider, "claude-haiku-4-5").supported_server_tools
        assert "tool_search_tool_regex_20251119" in offered
    converse = capabilities_for("bedrock_converse", "claude-haiku-4-5")
    assert not {t for t in converse.supported_server_tools if t.startswith("tool_search")}


@pytest.mark.parametrize(
    ("model_id", "min_cache", "window", "modes"),
    [
        ("claude-haiku-4-5", 4096, 200_000, {"enabled"}),
        ("claude-sonnet-4-6", 1024, 1_000_000, {"enabled", "adaptive"}),
        ("claude-opus-4-7", 4096, 1_000_000, {"adaptive"}),
    ],
)
def test_model_facts(model_id: str, min_cache: int, window: int, modes: set[str]) -> None:
    caps = capabilities_for("vertex_ai", model_id)
    assert caps.min_cache_tokens == min_cache
    assert caps.max_input_tokens(frozenset({CONTEXT_1M_BETA})) == window
    assert caps.supports_1m_context == (window == 1_000_000)
    assert caps.thinking_modes == modes


def test_beta_rejection_wording_follows_the_provider() -> None:
    assert unsupported_beta_message("azure", ["x"]) == "Unsupported beta header: x"
    assert unsupported_beta_message("bedrock_invoke", ["x", "y"]) == "invalid beta flag"
    assert unsupported_beta_message("vertex_ai", ["b-2", "a-1"]) == (
        "Unexpected value(s) `a-1`, `b-2` for the `anthropic-beta` header. Please consult our "
        "documentation at docs.anthropic.com or try again without the header."
    )


def test_opus_4_7_thinking_can_be_disabled_except_on_bedrock() -> None:
    for provider in ("anthropic", "azure", "vertex_ai"):
        assert capabilities_for(provider, "claude-opus-4-7").thinking_can_be_disabled
    for provider in ("bedrock_invoke", "bedrock_converse"):
        assert not capabilities_for(provider, "claude-opus-4-7").thinking_can_be_disabled
    assert capabilities_for("bedrock_invoke", "claude-sonnet-4-6").thinking_can_be_disabled
