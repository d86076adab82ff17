"""The one table of what each emulated platform accepts and refuses, every rule with evidence.

Evidence is of three kinds only: the provider's public documentation (`docs`), a live
observation quoting the real service (`live`: an issue, a PR or a published matrix), or
what the Claude Code release under test sends to that platform in its own provider mode
(`client`, captured per release by `compat.oracle`). LiteLLM's code never counts: the
proxy is the system under test.

Beta flags are the rules most likely to go stale, so the documented sets here are only a
floor: a platform also accepts whatever the Claude Code release under test sends it in
its own mode (`RuleBook.with_client`). `docs/emulator-rules.md` is generated from this
module (`make docs`); a test fails when it is stale.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, model_validator

from compat.emulator.types import ProviderId

ClaudeTier = Literal["haiku-4-5", "sonnet-4-6", "opus-4-7"]
GptTier = Literal["gpt-5-6-sol", "gpt-5-6-terra", "gpt-5-6-luna"]
"""OpenAI's GPT-5.6 models, served on the OpenAI-shaped wires (`OPENAI_WIRES`)."""
Tier = Literal[ClaudeTier, GptTier]
TIERS: tuple[ClaudeTier, ...] = get_args(ClaudeTier)
"""The Claude tiers: a rule is about these unless it names its tiers."""
GPT_TIERS: tuple[GptTier, ...] = get_args(GptTier)
ALL_TIERS: tuple[Tier, ...] = TIERS + GPT_TIERS
PROVIDERS: tuple[ProviderId, ...] = get_args(ProviderId)
EvidenceKind = Literal["docs", "live", "client"]

CONTEXT_1M_BETA = "context-1m-2025-08-07"
INTERLEAVED_THINKING_BETA = "interleaved-thinking-2025-05-14"

Platform = Literal["first_party", "foundry", "bedrock", "vertex"]
"""Where Claude Code can be pointed in its own provider modes."""
PLATFORM_OF: dict[ProviderId, Platform] = {
    "anthropic": "first_party",
    "azure": "foundry",
    "bedrock_invoke": "bedrock",
    # Claude Code speaks only InvokeModel; Converse takes the same flags in
    # additionalModelRequestFields, less the InvokeModel-only ones
    # (rule bedrock.converse.invoke-only-betas).
    "bedrock_converse": "bedrock",
    "vertex_ai": "vertex",
}
OPENAI_WIRES: frozenset[ProviderId] = frozenset({"openai", "azure_openai", "bedrock_mantle"})
"""Providers serving OpenAI's APIs (Responses, Chat Completions) for the GPT tiers."""


class Evidence(BaseModel):
    """Why a rule holds: a document, a quoted live answer, or what the client sends."""

    model_config = ConfigDict(frozen=True)

    kind: EvidenceKind
    url: str | None = None
    quote: str | None = None
    """The source's own words, exactly."""
    note: str | None = None
    """What the source says, in ours, where no short exact quote carries it."""

    @model_validator(mode="after")
    def _says_something(self) -> Evidence:
        if not (self.quote or self.note):
            raise ValueError("evidence needs a quote or a note")
        return self


class Rule(BaseModel):
    """One thing a platform accepts or refuses, for some providers and tiers."""

    model_config = ConfigDict(frozen=True)

    id: str
    statement: str
    providers: frozenset[ProviderId] = frozenset(PROVIDERS)
    tiers: frozenset[Tier] = frozenset(TIERS)
    betas: frozenset[str] = frozenset()
    """For beta rules: the flags this rule accepts (or, with `refuses`, takes away)."""
    refuses: bool = False
    """A beta rule that removes its flags from what the other rules document."""
    evidence: tuple[Evidence, ...]

    def applies(self, provider: ProviderId, tier: Tier) -> bool:
        return provider in self.providers and tier in self.tiers


def _docs(url: str, quote: str | None = None, *, note: str | None = None) -> Evidence:
    return Evidence(kind="docs", url=url, quote=quote, note=note)


def _live(url: str, quote: str) -> Evidence:
    return Evidence(kind="live", url=url, quote=quote)


CLAUDE_API = frozenset({"anthropic", "azure"})
BEDROCK = frozenset({"bedrock_invoke", "bedrock_converse"})
VERTEX = frozenset({"vertex_ai"})
NOT_HAIKU = frozenset({"sonnet-4-6", "opus-4-7"})

# --------------------------------------------------------------------------- beta flags

_SDK_BETAS = frozenset(
    {
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
    }
)

_AWS_DOCUMENTED_BETAS = frozenset(
    {
        "computer-use-2024-10-22",
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
_INVOKE_ONLY_BETAS = frozenset({"tool-search-tool-2025-10-19", "tool-examples-2025-10-29"})

BETA_RULES: tuple[Rule, ...] = (
    Rule(
        id="betas.claude-api.sdk",
        statement="The Claude API (and Foundry, which serves it) accepts every beta flag its "
        "published SDK names.",
        providers=CLAUDE_API,
        betas=_SDK_BETAS,
        evidence=(
            _docs(
                "https://github.com/anthropics/anthropic-sdk-python/blob/main/src/anthropic/types/anthropic_beta_param.py",
                note="the AnthropicBetaParam values of the SDK release 2.11.0",
            ),
            _docs(
                "https://platform.claude.com/docs/en/build-with-claude/claude-in-microsoft-foundry",
                note="Foundry serves Claude through the Messages API, beta headers included",
            ),
        ),
    ),
    Rule(
        id="betas.claude-api.feature-pages",
        statement="The Claude API accepts the flags its feature pages name.",
        providers=CLAUDE_API,
        betas=frozenset(
            {
                "advanced-tool-use-2025-11-20",
                "effort-2025-11-24",
                "fine-grained-tool-streaming-2025-05-14",
                "web-fetch-2025-09-10",
                "code-execution-2025-08-25",
            }
        ),
        evidence=(
            _docs(
                "https://platform.claude.com/docs/en/agents-and-tools/tool-use/tool-search-tool",
                note="names the flag advanced-tool-use-2025-11-20",
            ),
            _docs(
                "https://platform.claude.com/docs/en/build-with-claude/effort",
                note="names the flag effort-2025-11-24",
            ),
        ),
    ),
    Rule(
        id="betas.bedrock.documented",
        statement="Bedrock accepts the anthropic_beta values AWS documents for Claude.",
        providers=BEDROCK,
        betas=_AWS_DOCUMENTED_BETAS,
        evidence=(
            _docs(
                "https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-anthropic-claude-messages-request-response.html",
                note="the anthropic_beta values: computer-use-2024-10-22, computer-use-2025-01-24, "
                "token-efficient-tools-2025-02-19, interleaved-thinking-2025-05-14, "
                "output-128k-2025-02-19, dev-full-thinking-2025-05-14, context-1m-2025-08-07, "
                "context-management-2025-06-27, effort-2025-11-24, tool-search-tool-2025-10-19, "
                "tool-examples-2025-10-29",
            ),
        ),
    ),
    Rule(
        id="betas.bedrock.opus-4-7-refused",
        statement="Bedrock's Opus 4.7 refused effort, tool search and claude-code flags at "
        "launch; they count as accepted only when the client under test sends them in Bedrock "
        "mode.",
        providers=BEDROCK,
        tiers=frozenset({"opus-4-7"}),
        betas=frozenset(
            {"claude-code-20250219", "effort-2025-11-24", "tool-search-tool-2025-10-19"}
        ),
        refuses=True,
        evidence=(
            _live(
                "https://github.com/anthropics/claude-code/issues/49370",
                "header claude-code-20250219,effort-2025-11-24, body tool-search-tool-2025-10-19 "
                "→ 400 invalid beta flag",
            ),
            _live(
                "https://github.com/anthropics/claude-code/issues/49648",
                "Opus 4.6 (global.anthropic.claude-opus-4-6-v1) accepts claude-code-20250219 on "
                "Bedrock — this is an Opus 4.7-specific regression.",
            ),
        ),
    ),
    Rule(
        id="betas.vertex.documented",
        statement="Vertex AI accepts interleaved thinking, context management and the 1M "
        "context flag on every model.",
        providers=VERTEX,
        betas=frozenset(
            {INTERLEAVED_THINKING_BETA, "context-management-2025-06-27", CONTEXT_1M_BETA}
        ),
        evidence=(
            _docs(
                "https://platform.claude.com/docs/en/build-with-claude/extended-thinking",
                "Partner-operated platforms (Amazon Bedrock and Google Cloud) likewise accept the "
                "header on any model without returning an error",
            ),
            _docs(
                "https://platform.claude.com/docs/en/build-with-claude/overview",
                "Context editing … vertexAiBeta; 1M token context window … vertexAiBeta",
            ),
        ),
    ),
    Rule(
        id="betas.vertex.effort",
        statement="Vertex AI accepts the effort flag on Sonnet 4.6 and Opus 4.7, not Haiku 4.5.",
        providers=VERTEX,
        tiers=NOT_HAIKU,
        betas=frozenset({"effort-2025-11-24"}),
        evidence=(
            _live(
                "https://github.com/anthropics/anthropic-sdk-typescript/pull/1089",
                'Haiku consistently lags… Unexpected value(s) "effort-2025-11-24"… The same call '
                "against claude-opus-4-7@default or claude-sonnet-4-6@default succeeds.",
            ),
        ),
    ),
)

# ----------------------------------------------------------------- refusals and wording

REFUSAL_RULES: tuple[Rule, ...] = (
    Rule(
        id="refusal.claude-api.beta",
        statement="An unknown beta flag: 400 invalid_request_error "
        '"Unsupported beta header: <flag>".',
        providers=CLAUDE_API,
        evidence=(
            _docs(
                "https://platform.claude.com/docs/en/api/beta-headers",
                '{"type":"error","error":{"type":"invalid_request_error","message":'
                '"Unsupported beta header: invalid-beta-name"}}',
            ),
        ),
    ),
    Rule(
        id="refusal.vertex.beta",
        statement="An unknown beta flag: 400 invalid_request_error naming every refused flag, "
        'sorted: "Unexpected value(s) `a`, `b` for the `anthropic-beta` header. …".',
        providers=VERTEX,
        evidence=(
            _live(
                "https://github.com/anthropics/claude-agent-sdk-typescript/issues/307",
                "Unexpected value(s) `effort-2025-11-24`, `tool-search-tool-2025-10-19`, "
                "`web-search-2025-03-05` for the `anthropic-beta` header. Please consult our "
                "documentation at docs.anthropic.com or try again without the header.",
            ),
            _live(
                "https://github.com/anthropics/claude-code/issues/34802",
                "Unexpected value(s) `adaptive-thinking-2026-01-28`, `effort-2025-11-24` for the "
                "`anthropic-beta` header.",
            ),
        ),
    ),
    Rule(
        id="refusal.bedrock-invoke.beta",
        statement='An unknown beta flag: 400 ValidationException {"message":"invalid beta '
        'flag"}, the flag not named.',
        providers=frozenset({"bedrock_invoke"}),
        evidence=(
            _live(
                "https://github.com/coder/aibridge/issues/221", '{"message":"invalid beta flag"}'
            ),
            _live(
                "https://github.com/wecode-ai/Wegent/issues/27",
                "ValidationException: invalid beta flag",
            ),
        ),
    ),
    Rule(
        id="refusal.bedrock-converse.beta",
        statement="Converse carries the model's refusal behind a prefix: \"The model returned "
        'the following errors: invalid beta flag".',
        providers=frozenset({"bedrock_converse"}),
        evidence=(
            _live(
                "https://github.com/anthropics/claude-code/issues/26570",
                "ValidationException … ConverseStream operation: The model returned the "
                "following errors: invalid beta flag",
            ),
        ),
    ),
    Rule(
        id="bedrock.converse.invoke-only-betas",
        statement="Tool search and tool examples work through InvokeModel only, not Converse.",
        providers=frozenset({"bedrock_converse"}),
        betas=_INVOKE_ONLY_BETAS,
        evidence=(
            _docs(
                "https://platform.claude.com/docs/en/agents-and-tools/tool-use/tool-search-tool",
                "On Amazon Bedrock, server-side tool search is available only through the "
                "InvokeModel API, not the Converse API",
            ),
        ),
    ),
    Rule(
        id="converse.document-name",
        statement="A Converse document name has ASCII letters, digits, underscores, hyphens, "
        "parentheses, square brackets and single ASCII spaces only, 1–200 characters.",
        providers=frozenset({"bedrock_converse"}),
        evidence=(
            _docs(
                "https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_DocumentBlock.html",
                "Alphanumeric characters · Whitespace characters (no more than one in a row) · "
                "Hyphens · Parentheses · Square brackets … Maximum length of 200.",
            ),
            _live(
                "https://github.com/vercel/ai/pull/20366",
                "Underscores are kept on purpose. They are not in the documented list, but "
                "Bedrock accepts them (checked live)",
            ),
            _live(
                "https://github.com/aws-samples/generative-ai-use-cases/pull/1677",
                "\\s also matches U+3000 (ideographic space) and tabs, which Bedrock rejects… "
                "allows only the ASCII space",
            ),
            _live(
                "https://github.com/vercel/ai/issues/20365",
                "résumé.pdf … anything non-ASCII fails: The document file name can only contain "
                "alphanumeric characters, whitespace characters, hyphens, parentheses, and "
                "square brackets.",
            ),
        ),
    ),
    Rule(
        id="thinking.opus-4-7.no-manual",
        statement='Opus 4.7 refuses thinking {"type": "enabled", "budget_tokens": N}: adaptive '
        "thinking and effort replace it.",
        tiers=frozenset({"opus-4-7"}),
        evidence=(
            _docs(
                "https://platform.claude.com/docs/en/about-claude/models/whats-new-claude-4-7",
                'Setting thinking: {"type": "enabled", "budget_tokens": N} will return a 400 error',
            ),
            _live(
                "https://github.com/SigmaNight/basiliskLLM/issues/1185",
                '"thinking.type.enabled" is not supported for this model. Use '
                '"thinking.type.adaptive" and "output_config.effort" to control thinking '
                "behavior.",
            ),
        ),
    ),
    Rule(
        id="thinking.opus-4-7.disabled-on-bedrock",
        statement='Bedrock refuses thinking {"type": "disabled"} on Opus 4.7; the Claude API, '
        "Foundry and Vertex AI accept it.",
        providers=BEDROCK,
        tiers=frozenset({"opus-4-7"}),
        evidence=(
            _docs(
                "https://docs.aws.amazon.com/bedrock/latest/userguide/claude-messages-adaptive-thinking.html",
                "Claude Opus 4.7 … only support adaptive thinking. … disabled thinking "
                '(thinking.type: "disabled") are not supported on these models and will return '
                "a 400 error.",
            ),
            _docs(
                "https://platform.claude.com/docs/en/build-with-claude/adaptive-thinking",
                'Disabled | thinking: {type: "disabled"} | All models except Claude Fable 5, '
                "Claude Mythos 5, and Claude Mythos Preview.",
            ),
        ),
    ),
    Rule(
        id="thinking.haiku-4-5.no-adaptive",
        statement="Haiku 4.5 has manual extended thinking only, not adaptive thinking.",
        tiers=frozenset({"haiku-4-5"}),
        evidence=(
            _docs(
                "https://platform.claude.com/docs/en/build-with-claude/adaptive-thinking",
                note="lists adaptive thinking for the 4.6 and 4.7 models; Haiku 4.5 uses manual "
                "extended thinking with budget_tokens",
            ),
        ),
    ),
    Rule(
        id="effort.tiers",
        statement="output_config.effort is accepted on Sonnet 4.6 and Opus 4.7, not Haiku 4.5.",
        tiers=frozenset({"haiku-4-5"}),
        evidence=(
            _docs(
                "https://platform.claude.com/docs/en/build-with-claude/effort",
                note="the effort parameter's model list has Sonnet 4.6 and Opus 4.7, not Haiku 4.5",
            ),
        ),
    ),
    Rule(
        id="thinking.budget-below-max-tokens",
        statement="budget_tokens must be below max_tokens unless interleaved thinking is on.",
        evidence=(
            _docs(
                "https://platform.claude.com/docs/en/build-with-claude/extended-thinking",
                "with interleaved thinking, budget_tokens can exceed max_tokens",
            ),
        ),
    ),
    Rule(
        id="context.windows",
        statement="Sonnet 4.6 and Opus 4.7 take 1M input tokens; Haiku 4.5 takes 200k, with or "
        'without the 1M flag (longer prompts: "prompt is too long").',
        evidence=(
            _docs(
                "https://platform.claude.com/docs/en/build-with-claude/context-windows",
                note="Opus 4.7 and Sonnet 4.6 have a 1M-token window; Haiku 4.5 has 200k",
            ),
        ),
    ),
    Rule(
        id="tools.web-search",
        statement="Web search: every version on the Claude API; the basic web_search_20250305 "
        "only on Vertex AI and Foundry; none on Bedrock. Dynamic filtering needs Claude 4.6+.",
        evidence=(
            _docs(
                "https://platform.claude.com/docs/en/agents-and-tools/tool-use/web-search-tool",
                "On Google Cloud, only the basic web search tool (without dynamic filtering) is "
                "available. Web search is not available on Amazon Bedrock.",
            ),
        ),
    ),
    Rule(
        id="tools.tool-search",
        statement="Tool search: the Claude API, Foundry, Vertex AI and Bedrock InvokeModel; not "
        "Converse.",
        evidence=(
            _docs(
                "https://platform.claude.com/docs/en/agents-and-tools/tool-use/tool-search-tool",
                "On Amazon Bedrock, server-side tool search is available only through the "
                "InvokeModel API, not the Converse API",
            ),
        ),
    ),
    Rule(
        id="cache.ttls",
        statement="5-minute and 1-hour cache TTLs on every platform; the minimum cacheable "
        "prefix is 4,096 tokens (Opus 4.7, Haiku 4.5) or 1,024 (Sonnet 4.6).",
        evidence=(
            _docs(
                "https://platform.claude.com/docs/en/build-with-claude/prompt-caching",
                note="sections '1-hour cache duration' and 'cache limitations' (minimum "
                "cacheable prompt length per model)",
            ),
            _docs(
                "https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_CachePointBlock.html",
                note="CachePointBlock ttl takes 5m or 1h",
            ),
        ),
    ),
)

GPT = frozenset(GPT_TIERS)

# What the OpenAI-shaped wires accept for the GPT-5.6 tiers: model facts from OpenAI's model
# pages and the platforms' model cards, caching from OpenAI's prompt-caching guide.
GPT_RULES: tuple[Rule, ...] = (
    Rule(
        id="gpt.context-window",
        statement="GPT-5.6 Sol, Terra and Luna take 1,050,000 input tokens on every platform "
        "serving them; longer prompts are refused.",
        providers=OPENAI_WIRES,
        tiers=GPT,
        evidence=(
            _docs(
                "https://developers.openai.com/api/docs/models/gpt-5.6-sol",
                note="context window 1,050,000 tokens, 128,000 max output tokens",
            ),
            _docs(
                "https://docs.aws.amazon.com/bedrock/latest/userguide/model-card-openai-gpt-56-terra.html",
                note="Context window: 1,050,000 tokens (Bedrock's GPT-5.6 model cards)",
            ),
        ),
    ),
    Rule(
        id="gpt.no-anthropic-features",
        statement="The OpenAI APIs take no Anthropic beta flags and no Anthropic server tools; "
        "GPT-5.6 reasons on its own (reasoning.effort), with no thinking budget.",
        providers=OPENAI_WIRES,
        tiers=GPT,
        evidence=(
            _docs(
                "https://platform.openai.com/docs/api-reference/responses/create",
                note="the request body has no beta or thinking fields; tools are function tools "
                "and OpenAI's own built-in tools; reasoning takes effort and summary",
            ),
        ),
    ),
    Rule(
        id="gpt.prompt-caching",
        statement="Prompt caching is automatic: a repeated prefix of 1,024 tokens or more is "
        "read from the cache in 128-token increments and reported as cached_tokens.",
        providers=OPENAI_WIRES,
        tiers=GPT,
        evidence=(
            _docs(
                "https://platform.openai.com/docs/guides/prompt-caching",
                "Caching is enabled automatically for prompts that are 1024 tokens or longer",
            ),
            _docs(
                "https://platform.openai.com/docs/guides/prompt-caching",
                note="cache hits occur in increments of 128 tokens; usage reports them in "
                "cached_tokens",
            ),
        ),
    ),
    Rule(
        id="mantle.gpt-route",
        statement="Bedrock's Mantle endpoint serves GPT-5.6 under /openai/v1 only; /v1 refuses "
        'it ("isn\'t supported on this route").',
        providers=frozenset({"bedrock_mantle"}),
        tiers=GPT,
        evidence=(
            _docs(
                "https://docs.aws.amazon.com/bedrock/latest/userguide/inference-responses-api.html",
                note="on bedrock-mantle the path prefix varies per model (/v1 or /openai/v1); the "
                "wrong one is refused with model `<model-id>` isn't supported on this route",
            ),
            _docs(
                "https://developers.openai.com/api/docs/guides/amazon-bedrock",
                note="the examples use https://bedrock-mantle.us-east-2.api.aws/openai/v1 with "
                "openai.gpt-5.6-sol because the provider's default /v1 route does not support "
                "this model",
            ),
        ),
    ),
)

RULES: tuple[Rule, ...] = BETA_RULES + REFUSAL_RULES + GPT_RULES
RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}


def rule(rule_id: str) -> Rule:
    """The rule a check enforces, by id (a KeyError means code cites a rule the table lacks)."""
    return RULES_BY_ID[rule_id]


ClientBetas = Mapping[Platform, Mapping[Tier, Iterable[str]]]


@dataclass(frozen=True)
class RuleBook:
    """The rules one emulator enforces: the documented table plus what the client sends."""

    client: dict[Platform, dict[Tier, frozenset[str]]] = field(default_factory=dict)
    client_label: str | None = None
    """Which client the `client` sets come from, e.g. `Claude Code 2.1.329`."""

    @classmethod
    def with_client(cls, betas: ClientBetas, label: str) -> RuleBook:
        return cls(
            client={p: {t: frozenset(b) for t, b in tiers.items()} for p, tiers in betas.items()},
            client_label=label,
        )

    def documented_betas(self, provider: ProviderId, tier: Tier) -> frozenset[str]:
        applying = [r for r in BETA_RULES if r.applies(provider, tier)]
        accepted = frozenset().union(*(r.betas for r in applying if not r.refuses))
        accepted -= frozenset().union(*(r.betas for r in applying if r.refuses))
        if provider == "bedrock_converse":
            accepted -= rule("bedrock.converse.invoke-only-betas").betas
        return accepted

    def client_betas(self, provider: ProviderId, tier: Tier) -> frozenset[str]:
        platform = PLATFORM_OF.get(provider)
        if platform is None:
            # Claude Code has no provider mode of its own for the OpenAI wires.
            return frozenset()
        sent = self.client.get(platform, {}).get(tier, frozenset())
        if provider == "bedrock_converse":
            sent -= rule("bedrock.converse.invoke-only-betas").betas
        return sent

    def accepted_betas(self, provider: ProviderId, tier: Tier) -> frozenset[str]:
        """Documented ∪ what the client under test sends this platform in its own mode."""
        return self.documented_betas(provider, tier) | self.client_betas(provider, tier)


DOCUMENTED = RuleBook()


CONVERSE_MODEL_ERROR_PREFIX = "The model returned the following errors: "
"""How Converse hands on the model's own refusals (rule refusal.bedrock-converse.beta)."""


def unsupported_beta_message(provider: ProviderId, refused: Iterable[str]) -> str:
    """The provider's own wording for the beta flags it refuses (rules refusal.*.beta)."""
    flags = sorted(refused)
    if provider in CLAUDE_API:
        return f"Unsupported beta header: {flags[0]}"
    if provider == "vertex_ai":
        listed = ", ".join(f"`{flag}`" for flag in flags)
        return (
            f"Unexpected value(s) {listed} for the `anthropic-beta` header. Please consult our "
            "documentation at docs.anthropic.com or try again without the header."
        )
    # Bedrock never names the flag; Converse adds its prefix where the model check runs.
    return "invalid beta flag"


def rules_markdown() -> str:
    """`docs/emulator-rules.md`: every rule, where it applies, and its evidence."""
    lines = [
        "# Emulator rules",
        "",
        "Generated from `src/compat/emulator/rules.py` by `make docs`; do not edit by hand. "
        "Each rule says what an emulated platform accepts or refuses and why we believe "
        "the real one does: its public "
        "documentation (docs), a live observation quoting the real service (live), or what "
        "the Claude Code release under test sends to that platform in its own mode (client; "
        "captured per release, so it is not listed here).",
        "",
    ]
    for item in RULES:
        providers = (
            "all providers"
            if item.providers == frozenset(PROVIDERS)
            else ", ".join(p for p in PROVIDERS if p in item.providers)
        )
        tiers = (
            "all tiers"
            if item.tiers == frozenset(TIERS)
            else ", ".join(t for t in ALL_TIERS if t in item.tiers)
        )
        lines += [f"## `{item.id}`", "", item.statement, "", f"Applies to: {providers}; {tiers}."]
        if item.betas:
            label = "Refused flags" if item.refuses else "Flags"
            flags = ", ".join(f"`{b}`" for b in sorted(item.betas))
            lines += ["", f"{label}: {flags}."]
        lines.append("")
        for evidence in item.evidence:
            where = f" <{evidence.url}>" if evidence.url else ""
            said = f"“{evidence.quote}”" if evidence.quote else evidence.note
            lines.append(f"- {evidence.kind}:{where} {said}")
        lines.append("")
    return "\n".join(lines)
