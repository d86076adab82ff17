"""What each emulated provider accepts, per model tier, from the providers' public docs.

A `Capabilities` row combines two kinds of facts: facts about the model (context window,
thinking modes, minimum cacheable prefix) and facts about the platform serving it (which
beta flags and server tools it accepts). Each rule cites its source beside it. The model
id is recognised however the provider spells it (`claude-sonnet-4-6`,
`us.anthropic.claude-sonnet-4-6`, `claude-opus-4-7@20260416`, an Azure deployment named
`claude-haiku-4-5`, ...); an id that names none of the three tiers is `not_found_error`.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict

from compat.emulator.rules import (
    CONTEXT_1M_BETA,
    DOCUMENTED,
    INTERLEAVED_THINKING_BETA,
    TIERS,
    RuleBook,
    Tier,
    rule,
)
from compat.emulator.types import EmulatorError, ProviderId

__all__ = [
    "CONTEXT_1M_BETA",
    "INTERLEAVED_THINKING_BETA",
    "TIERS",
    "Capabilities",
    "Tier",
    "capabilities_for",
]

ThinkingMode = Literal["enabled", "adaptive"]
CacheTtl = Literal["5m", "1h"]

STANDARD_CONTEXT_WINDOW = 200_000
ONE_MILLION_CONTEXT_WINDOW = 1_000_000

_TIER_PATTERN = re.compile(r"claude-(haiku-4-5|sonnet-4-6|opus-4-7)(?![0-9])")


class Capabilities(BaseModel):
    """What one provider accepts for one model tier."""

    model_config = ConfigDict(frozen=True)

    provider: ProviderId
    tier: Tier
    context_window: int
    """Input tokens accepted without any beta flag."""
    context_window_with_1m_beta: int
    """Input tokens accepted when the 1M-context beta flag arrived."""
    thinking_modes: frozenset[ThinkingMode]
    thinking_can_be_disabled: bool
    supports_effort: bool
    min_cache_tokens: int
    cache_ttls: frozenset[CacheTtl]
    supported_betas: frozenset[str]
    supported_server_tools: frozenset[str]

    @property
    def supports_1m_context(self) -> bool:
        return self.context_window_with_1m_beta >= ONE_MILLION_CONTEXT_WINDOW

    def max_input_tokens(self, betas: frozenset[str]) -> int:
        """The context window for a request carrying `betas`."""
        if CONTEXT_1M_BETA in betas:
            return self.context_window_with_1m_beta
        return self.context_window


class _TierFacts(NamedTuple):
    """What one model tier accepts, wherever it is served."""

    context_window: int
    context_window_with_1m_beta: int
    thinking_modes: frozenset[ThinkingMode]
    supports_effort: bool
    min_cache_tokens: int
    dynamic_web_search: bool


_200K, _1M = STANDARD_CONTEXT_WINDOW, ONE_MILLION_CONTEXT_WINDOW

# Each fact is a rule with its evidence in rules.py: context.windows,
# thinking.opus-4-7.no-manual, thinking.haiku-4-5.no-adaptive, effort.tiers, cache.ttls,
# tools.web-search (dynamic filtering needs Claude 4.6 or later).
# Columns: context window, with the 1M beta, thinking modes, effort, minimum cacheable
# prefix, dynamic web search.
_TIER_FACTS: dict[Tier, _TierFacts] = {
    "haiku-4-5": _TierFacts(_200K, _200K, frozenset({"enabled"}), False, 4_096, False),
    "sonnet-4-6": _TierFacts(_1M, _1M, frozenset({"enabled", "adaptive"}), True, 1_024, True),
    "opus-4-7": _TierFacts(_1M, _1M, frozenset({"adaptive"}), True, 4_096, True),
}

WEB_SEARCH_BASIC = "web_search_20250305"
WEB_SEARCH_DYNAMIC = frozenset({"web_search_20260209", "web_search_20260318"})
TOOL_SEARCH_TOOLS = frozenset(
    {
        "tool_search_tool_regex_20251119",
        "tool_search_tool_bm25_20251119",
        # undated aliases accepted by the Claude API (anthropic SDK 2.11.0 tool types)
        "tool_search_tool_regex",
        "tool_search_tool_bm25",
    }
)
TOOL_SEARCH_DATED = frozenset(t for t in TOOL_SEARCH_TOOLS if t[-1].isdigit())


class _PlatformFacts(NamedTuple):
    """The server tools one platform offers."""

    web_search: frozenset[str]
    tool_search: frozenset[str]


_WEB_SEARCH_ALL = frozenset({WEB_SEARCH_BASIC}) | WEB_SEARCH_DYNAMIC
_NONE: frozenset[str] = frozenset()

# Server tools per platform: rules tools.web-search and tools.tool-search (rules.py).
# Columns: web search tools, tool search tools.
_PLATFORM_FACTS: dict[ProviderId, _PlatformFacts] = {
    "anthropic": _PlatformFacts(_WEB_SEARCH_ALL, TOOL_SEARCH_TOOLS),
    "azure": _PlatformFacts(frozenset({WEB_SEARCH_BASIC}), TOOL_SEARCH_DATED),
    "vertex_ai": _PlatformFacts(frozenset({WEB_SEARCH_BASIC}), TOOL_SEARCH_DATED),
    "bedrock_invoke": _PlatformFacts(_NONE, TOOL_SEARCH_DATED),
    "bedrock_converse": _PlatformFacts(_NONE, _NONE),
}


def tier_of(model_id: str) -> Tier | None:
    """The tier a provider's model id names, or None."""
    match = _TIER_PATTERN.search(model_id.lower())
    if match is None:
        return None
    tier: Tier = match.group(1)  # type: ignore[assignment]  # the pattern only matches tiers
    return tier


def capabilities_for(
    provider: ProviderId, model_id: str, rules: RuleBook = DOCUMENTED
) -> Capabilities:
    """The capability row for `model_id` on `provider`; unknown ids are `not_found_error`."""
    tier = tier_of(model_id)
    if tier is None:
        # The Claude API answers an unknown model with 404 not_found_error "model: <id>".
        # Source: https://platform.claude.com/docs/en/api/errors
        raise EmulatorError("not_found_error", f"model: {model_id}")
    facts = _TIER_FACTS[tier]
    platform = _PLATFORM_FACTS[provider]
    web_search = platform.web_search
    if not facts.dynamic_web_search:
        web_search = web_search - WEB_SEARCH_DYNAMIC
    return Capabilities(
        provider=provider,
        tier=tier,
        context_window=facts.context_window,
        context_window_with_1m_beta=facts.context_window_with_1m_beta,
        thinking_modes=facts.thinking_modes,
        thinking_can_be_disabled=not rule("thinking.opus-4-7.disabled-on-bedrock").applies(
            provider, tier
        ),
        supports_effort=facts.supports_effort,
        min_cache_tokens=facts.min_cache_tokens,
        # 5-minute and 1-hour TTLs on every platform.
        # Sources: https://platform.claude.com/docs/en/build-with-claude/prompt-caching#1-hour-cache-duration
        #          https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_CachePointBlock.html
        cache_ttls=frozenset({"5m", "1h"}),
        supported_betas=rules.accepted_betas(provider, tier),
        supported_server_tools=web_search | platform.tool_search,
    )
