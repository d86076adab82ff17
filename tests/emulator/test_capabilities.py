"""The capability table: model id recognition and what each provider accepts per tier."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compat.emulator.capabilities import (
    CONTEXT_1M_BETA,
    capabilities_for,
    tier_of,
    unsupported_beta_message,
)
from compat.emulator.types import EmulatorError, ProviderId

HEADERS = json.loads(
    (
        Path(__file__).parent.parent / "fixtures/claude_requests/basic_request.headers.json"
    ).read_text()
)
# Betas claude CLI 2.1.329 adds beyond the base set, per model (docs/claude-cli-notes.md §2).
CLAUDE_EXTRA_BETAS = {
    "effort-2025-11-24",
    "mid-conversation-tool-changes-2026-07-01",
    "per-turn-control-2026-07-01",
}


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


def test_every_beta_claude_sends_to_the_claude_api_is_accepted() -> None:
    sent = set(HEADERS["headers"]["anthropic-beta"].split(",")) | CLAUDE_EXTRA_BETAS
    for model_id in ("claude-haiku-4-5", "claude-sonnet-4-6", "claude-opus-4-7"):
        assert sent <= capabilities_for("anthropic", model_id).supported_betas


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
    assert unsupported_beta_message("azure", "x") == "Unsupported beta header: x"
    assert unsupported_beta_message("bedrock_converse", "x") == "invalid beta flag"
