"""Neutral types shared by every provider wire format and the shared model behaviour.

Each provider module decodes its wire format into a `NeutralRequest` (an Anthropic
Messages-shaped body plus the betas and flags that arrived in that provider's own
form), lets `the model` answer with a `ModelReply`, and encodes it back. Errors are
raised as `EmulatorError` with an Anthropic error kind; each provider maps the kind
to its own status code and error body.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ProviderId = Literal[
    "anthropic",
    "bedrock_invoke",
    "bedrock_converse",
    "vertex_ai",
    "azure",
    "openai",
    "azure_openai",
    "bedrock_mantle",
]

ErrorKind = Literal[
    "invalid_request_error",
    "authentication_error",
    "permission_error",
    "not_found_error",
    "request_too_large",
    "rate_limit_error",
    "api_error",
    "overloaded_error",
]

# Source: https://docs.anthropic.com/en/api/errors (HTTP errors table).
ANTHROPIC_STATUS_BY_KIND: dict[str, int] = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "overloaded_error": 529,
}


class EmulatorError(Exception):
    """A request the emulated provider refuses; `kind` follows Anthropic's error types."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        status: int | None = None,
        retry_after_s: int | None = None,
    ) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.message = message
        self.status = status if status is not None else ANTHROPIC_STATUS_BY_KIND[kind]
        """The HTTP status on Anthropic's API: the kind's, unless a fault names another."""
        self.retry_after_s = retry_after_s
        """The `retry-after` seconds a rate-limited answer advertises."""

    @classmethod
    def invalid(cls, message: str) -> EmulatorError:
        """An `invalid_request_error`: the request breaks one of the API's rules."""
        return cls("invalid_request_error", message)


class CacheCreation(BaseModel):
    ephemeral_5m_input_tokens: int = 0
    ephemeral_1h_input_tokens: int = 0


class Usage(BaseModel):
    """Token usage in Anthropic's field names; providers rename on the way out."""

    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation: CacheCreation = Field(default_factory=CacheCreation)
    server_tool_use: dict[str, int] | None = None


class NeutralRequest(BaseModel):
    """One Messages request as the model sees it, whatever wire it arrived on."""

    model_config = ConfigDict(frozen=True)

    provider: ProviderId
    model: str
    """The upstream model id as the provider received it (path or body)."""
    body: dict[str, Any]
    """Anthropic Messages body: messages, system, tools, thinking, ... without the
    provider envelope (model, stream, anthropic_version, anthropic_beta)."""
    betas: frozenset[str] = frozenset()
    """Beta flags, wherever that provider carries them (header, body field)."""
    stream: bool = False


class ModelReply(BaseModel):
    """The model's answer: Anthropic content blocks, stop reason and usage."""

    id: str
    model: str
    content: list[dict[str, Any]]
    stop_reason: Literal[
        "end_turn", "tool_use", "max_tokens", "stop_sequence", "pause_turn", "refusal"
    ]
    usage: Usage
