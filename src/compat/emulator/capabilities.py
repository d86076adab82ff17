"""What each emulated provider accepts, per model tier, from the providers' public docs.

A `Capabilities` row combines two kinds of facts: facts about the model (context window,
thinking modes, minimum cacheable prefix) and facts about the platform serving it (which
beta flags and server tools it accepts). Each rule cites its source beside it. The model
id is recognised however the provider spells it (`claude-sonnet-4-6`,
`us.anthropic.claude-sonnet-4-6`, `claude-opus-4-7@20260416`, an Azure deployment named
`claude-haiku-4-5`, ...); an id that names none of the three tiers is `not_found_error`.
The GPT-5.6 tiers (`gpt-5.6-sol`, `openai.gpt-5.6-terra`, an Azure deployment named
`gpt-5.6-luna`) are served only on the OpenAI-shaped wires (`OPENAI_WIRES`), the Claude
tiers only on the others.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict

from compat.emulator.rules import (
    CONTEXT_1M_BETA,
    DOCUMENTED,
    GPT_TIERS,
    INTERLEAVED_THINKING_BETA,
    OPENAI_WIRES,
    TIERS,
    RuleBook,
    Tier,
    rule,
)
from compat.emulator.types import EmulatorError, ProviderId

__all__ = [
    "CONTEXT_1M_BETA",
    "GPT_TIERS",
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
# `gpt-5.6-sol`, `openai.gpt-5.6-sol` (Bedrock), an optional dated snapshot suffix; the
# tier's own spelling `gpt-5-6-sol` too.
_GPT_PATTERN = re.compile(r"gpt-5[.-]6-(sol|terra|luna)(?:-\d{4}-\d{2}-\d{2})?$")
GPT_CONTEXT_WINDOW = 1_050_000
# Cache hits on OpenAI's automatic prompt caching come in 128-token increments.
# Source: https://platform.openai.com/docs/guides/prompt-caching
OPENAI_CACHE_INCREMENT = 128


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
    automatic_cache_increment: int | None = None
    """With OpenAI's automatic prefix caching, the granularity of cache hits in tokens; None
    where caching follows `cache_control` breakpoints."""

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
# GPT-5.6: rules gpt.context-window, gpt.no-anthropic-features, gpt.prompt-caching. The
# model reasons adaptively (the wire turns `reasoning` into adaptive thinking) and its
# effort stays with the wire, which checks it in OpenAI's terms.
_GPT_FACTS = _TierFacts(
    GPT_CONTEXT_WINDOW, GPT_CONTEXT_WINDOW, frozenset({"adaptive"}), False, 1_024, False
)
_TIER_FACTS.update(dict.fromkeys(GPT_TIERS, _GPT_FACTS))

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
    # No Anthropic server tools on the OpenAI APIs (rule gpt.no-anthropic-features).
    "openai": _PlatformFacts(_NONE, _NONE),
    "azure_openai": _PlatformFacts(_NONE, _NONE),
    "bedrock_mantle": _PlatformFacts(_NONE, _NONE),
}


def tier_of(model_id: str) -> Tier | None:
    """The tier a provider's model id names, or None."""
    lowered = model_id.lower()
    match = _TIER_PATTERN.search(lowered)
    if match is not None:
        tier: Tier = match.group(1)  # type: ignore[assignment]  # the pattern only matches tiers
        return tier
    gpt = _GPT_PATTERN.search(lowered)
    if gpt is None:
        return None
    gpt_tier: Tier = f"gpt-5-6-{gpt.group(1)}"  # type: ignore[assignment]  # a GPT tier
    return gpt_tier


def capabilities_for(
    provider: ProviderId, model_id: str, rules: RuleBook = DOCUMENTED
) -> Capabilities:
    """The capability row for `model_id` on `provider`; unknown ids are `not_found_error`."""
    tier = tier_of(model_id)
    openai_wire = provider in OPENAI_WIRES
    if openai_wire and (tier is None or tier not in GPT_TIERS):
        # OpenAI's 404 for a model it does not serve (code model_not_found).
        # Source: https://platform.openai.com/docs/guides/error-codes
        raise EmulatorError(
            "not_found_error",
            f"The model `{model_id}` does not exist or you do not have access to it.",
        )
    if tier is None or (tier in GPT_TIERS and not openai_wire):
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
        # OpenAI's caching takes no breakpoints, so no TTL (rule gpt.prompt-caching).
        cache_ttls=frozenset() if openai_wire else frozenset({"5m", "1h"}),
        supported_betas=frozenset() if openai_wire else rules.accepted_betas(provider, tier),
        supported_server_tools=web_search | platform.tool_search,
        automatic_cache_increment=OPENAI_CACHE_INCREMENT if openai_wire else None,
    )
