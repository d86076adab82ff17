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
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict

from compat.emulator.types import EmulatorError, ProviderId

Tier = Literal["haiku-4-5", "sonnet-4-6", "opus-4-7"]
ThinkingMode = Literal["enabled", "adaptive"]
CacheTtl = Literal["5m", "1h"]

TIERS: tuple[Tier, ...] = get_args(Tier)
CONTEXT_1M_BETA = "context-1m-2025-08-07"
INTERLEAVED_THINKING_BETA = "interleaved-thinking-2025-05-14"
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


class _TierFacts(BaseModel):
    model_config = ConfigDict(frozen=True)

    context_window: int
    context_window_with_1m_beta: int
    thinking_modes: frozenset[ThinkingMode]
    thinking_can_be_disabled: bool
    supports_effort: bool
    min_cache_tokens: int
    dynamic_web_search: bool


# Context windows: Sonnet 4.6 and Opus 4.7 have a 1M window without any beta flag;
# Haiku 4.5 has 200k, and the 1M beta does not extend it (the flag is accepted but the
# window stays 200k, so a longer prompt fails with "prompt is too long").
# Sources: https://platform.claude.com/docs/en/models/opus-4-6/overview (lineup table)
#          https://platform.claude.com/docs/en/build-with-claude/context-windows
# Thinking: Opus 4.7 accepts only adaptive thinking and rejects `enabled` and `disabled`;
# Sonnet 4.6 accepts both (budget_tokens is deprecated there); older models such as
# Haiku 4.5 need `enabled` with budget_tokens.
# Source: https://docs.aws.amazon.com/bedrock/latest/userguide/claude-messages-adaptive-thinking.html
# Effort: claude CLI 2.1.329 sends output_config.effort for Sonnet 4.6 and Opus 4.7 but
# never for Haiku 4.5 (docs/claude-cli-notes.md §2), matching the effort docs' model list.
# Source: https://platform.claude.com/docs/en/build-with-claude/effort
# Minimum cacheable prefix: 4,096 tokens for Opus 4.7 and Haiku 4.5, 1,024 for Sonnet 4.6.
# Source: https://platform.claude.com/docs/en/build-with-claude/prompt-caching#cache-limitations
# Dynamic web search filtering (web_search_20260209 and later) needs Claude 4.6 or later.
# Source: https://platform.claude.com/docs/en/agents-and-tools/tool-use/web-search-tool
_TIER_FACTS: dict[Tier, _TierFacts] = {
    "haiku-4-5": _TierFacts(
        context_window=STANDARD_CONTEXT_WINDOW,
        context_window_with_1m_beta=STANDARD_CONTEXT_WINDOW,
        thinking_modes=frozenset({"enabled"}),
        thinking_can_be_disabled=True,
        supports_effort=False,
        min_cache_tokens=4_096,
        dynamic_web_search=False,
    ),
    "sonnet-4-6": _TierFacts(
        context_window=ONE_MILLION_CONTEXT_WINDOW,
        context_window_with_1m_beta=ONE_MILLION_CONTEXT_WINDOW,
        thinking_modes=frozenset({"enabled", "adaptive"}),
        thinking_can_be_disabled=True,
        supports_effort=True,
        min_cache_tokens=1_024,
        dynamic_web_search=True,
    ),
    "opus-4-7": _TierFacts(
        context_window=ONE_MILLION_CONTEXT_WINDOW,
        context_window_with_1m_beta=ONE_MILLION_CONTEXT_WINDOW,
        thinking_modes=frozenset({"adaptive"}),
        thinking_can_be_disabled=False,
        supports_effort=True,
        min_cache_tokens=4_096,
        dynamic_web_search=True,
    ),
}

# Beta flags of the Claude API. Sources: the `AnthropicBetaParam` values of Anthropic's
# Python SDK 2.11.0 (anthropic/types/anthropic_beta_param.py); feature pages naming their
# flag (tool search: advanced-tool-use-2025-11-20, https://platform.claude.com/docs/en/
# agents-and-tools/tool-use/tool-search-tool; effort: effort-2025-11-24, https://
# platform.claude.com/docs/en/build-with-claude/effort; fine-grained tool streaming, web
# fetch, code execution on their tool pages); and the flags the real claude CLI 2.1.329
# sends to the Claude API (docs/claude-cli-notes.md §1-2).
# An unknown flag is rejected with "Unsupported beta header: <name>".
# Source: https://platform.claude.com/docs/en/api/beta-headers
_CLAUDE_API_BETAS = frozenset(
    {
        # anthropic SDK 2.11.0 AnthropicBetaParam
        "computer-use-2024-10-22",
        "computer-use-2025-01-24",
        "computer-use-2025-11-24",
        "output-128k-2025-02-19",
        "output-300k-2026-03-24",
        "mcp-client-2025-04-04",
        "mcp-client-2025-11-20",
        "dev-full-thinking-2025-05-14",
        INTERLEAVED_THINKING_BETA,
        "code-execution-2025-05-22",
        CONTEXT_1M_BETA,
        "context-management-2025-06-27",
        "model-context-window-exceeded-2025-08-26",
        "fast-mode-2026-02-01",
        "advisor-tool-2026-03-01",
        "thinking-token-count-2026-05-13",
        "mid-conversation-tool-changes-2026-07-01",
        "mid-conversation-output-config-2026-07-01",
        "mid-conversation-system-clear-at-2026-08-21",
        "compact-2026-01-12",
        "compact-2026-09-04",
        "structured-outputs-2025-11-13",
        "task-budgets-2026-03-13",
        "thinking-display-updates-2026-08-18",
        "thinking-binding-controls-2026-08-01",
        "inline-tools-2026-09-15",
        "message-batches-2024-09-24",
        "prompt-caching-2024-07-31",
        "pdfs-2024-09-25",
        "token-counting-2024-11-01",
        "token-efficient-tools-2025-02-19",
        "files-api-2025-04-14",
        "extended-cache-ttl-2025-04-11",
        "skills-2025-10-02",
        "cache-diagnosis-2026-04-07",
        # feature pages
        "advanced-tool-use-2025-11-20",
        "effort-2025-11-24",
        "fine-grained-tool-streaming-2025-05-14",
        "web-fetch-2025-09-10",
        "code-execution-2025-08-25",
        # sent by claude CLI 2.1.329
        "claude-code-20250219",
        "per-turn-control-2026-07-01",
    }
)

# Bedrock accepts a smaller set in the body's `anthropic_beta`; anything else fails with
# ValidationException "invalid beta flag".
# Source: https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-anthropic-claude-messages-request-response.html
_BEDROCK_INVOKE_BETAS = frozenset(
    {
        "computer-use-2025-01-24",
        "token-efficient-tools-2025-02-19",
        INTERLEAVED_THINKING_BETA,
        "output-128k-2025-02-19",
        "dev-full-thinking-2025-05-14",
        CONTEXT_1M_BETA,
        "context-management-2025-06-27",
        "effort-2025-11-24",
        "tool-search-tool-2025-10-19",
        "tool-examples-2025-10-29",
    }
)
# Tool search and tool examples work through InvokeModel only, not Converse.
# Source: https://platform.claude.com/docs/en/agents-and-tools/tool-use/tool-search-tool
_BEDROCK_CONVERSE_BETAS = _BEDROCK_INVOKE_BETAS - {
    "tool-search-tool-2025-10-19",
    "tool-examples-2025-10-29",
}
# Vertex AI names its own tool search flag and carries the 1M-context flag.
# Sources: https://platform.claude.com/docs/en/agents-and-tools/tool-use/tool-search-tool
#          https://docs.anthropic.com/en/docs/claude-code/google-vertex-ai (1M on Vertex)
#          https://platform.claude.com/docs/en/build-with-claude/claude-on-vertex-ai
_VERTEX_BETAS = frozenset(
    {
        CONTEXT_1M_BETA,
        "context-management-2025-06-27",
        INTERLEAVED_THINKING_BETA,
        "effort-2025-11-24",
        "tool-search-tool-2025-10-19",
        "web-search-2025-03-05",
        "computer-use-2025-01-24",
        "token-efficient-tools-2025-02-19",
        "output-128k-2025-02-19",
    }
)

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


class _PlatformFacts(BaseModel):
    model_config = ConfigDict(frozen=True)

    betas: frozenset[str]
    web_search: frozenset[str]
    tool_search: frozenset[str]


# Web search: Claude API all versions; Vertex AI (Google managed) and Microsoft Foundry
# only the basic web_search_20250305; Amazon Bedrock is not a supported platform.
# Source: https://platform.claude.com/docs/en/agents-and-tools/tool-use/web-search-tool
#         (supportedPlatforms)
# Tool search: Claude API, Foundry, Vertex AI and Bedrock InvokeModel; not Converse.
# Source: https://platform.claude.com/docs/en/agents-and-tools/tool-use/tool-search-tool
# Foundry serves Claude on Anthropic's infrastructure with the Messages API, so it takes
# the Claude API's beta flags.
# Source: https://platform.claude.com/docs/en/build-with-claude/claude-in-microsoft-foundry
_PLATFORM_FACTS: dict[ProviderId, _PlatformFacts] = {
    "anthropic": _PlatformFacts(
        betas=_CLAUDE_API_BETAS,
        web_search=frozenset({WEB_SEARCH_BASIC}) | WEB_SEARCH_DYNAMIC,
        tool_search=TOOL_SEARCH_TOOLS,
    ),
    "azure": _PlatformFacts(
        betas=_CLAUDE_API_BETAS,
        web_search=frozenset({WEB_SEARCH_BASIC}),
        tool_search=TOOL_SEARCH_DATED,
    ),
    "vertex_ai": _PlatformFacts(
        betas=_VERTEX_BETAS,
        web_search=frozenset({WEB_SEARCH_BASIC}),
        tool_search=TOOL_SEARCH_DATED,
    ),
    "bedrock_invoke": _PlatformFacts(
        betas=_BEDROCK_INVOKE_BETAS,
        web_search=frozenset(),
        tool_search=TOOL_SEARCH_DATED,
    ),
    "bedrock_converse": _PlatformFacts(
        betas=_BEDROCK_CONVERSE_BETAS,
        web_search=frozenset(),
        tool_search=frozenset(),
    ),
}


def tier_of(model_id: str) -> Tier | None:
    """The tier a provider's model id names, or None."""
    match = _TIER_PATTERN.search(model_id.lower())
    if match is None:
        return None
    tier: Tier = match.group(1)  # type: ignore[assignment]  # the pattern only matches tiers
    return tier


def capabilities_for(provider: ProviderId, model_id: str) -> Capabilities:
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
        thinking_can_be_disabled=facts.thinking_can_be_disabled,
        supports_effort=facts.supports_effort,
        min_cache_tokens=facts.min_cache_tokens,
        # 5-minute and 1-hour TTLs on every platform.
        # Sources: https://platform.claude.com/docs/en/build-with-claude/prompt-caching#1-hour-cache-duration
        #          https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_CachePointBlock.html
        cache_ttls=frozenset({"5m", "1h"}),
        supported_betas=platform.betas,
        supported_server_tools=web_search | platform.tool_search,
    )


def unsupported_beta_message(provider: ProviderId, beta: str) -> str:
    """The provider's own wording for a beta flag it does not accept."""
    if provider in ("anthropic", "azure"):
        # Source: https://platform.claude.com/docs/en/api/beta-headers
        return f"Unsupported beta header: {beta}"
    # Bedrock and Vertex reject unknown `anthropic_beta` entries with "invalid beta flag".
    # Source: https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-anthropic-claude-messages-request-response.html
    return "invalid beta flag"
