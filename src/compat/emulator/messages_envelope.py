"""Where a wire carries the envelope of a Messages body, and the body validator for each envelope.

The Anthropic, Azure Foundry, Vertex AI and Bedrock Invoke wires all carry the same
Messages body; they differ only in the envelope: where `model`, `stream`, the API version
and the beta flags travel. Each wire states its `EnvelopeRules` beside its sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter, create_model

from compat.emulator.messages_schema import CountTokensBody, MessagesBody

Endpoint = Literal["messages", "count_tokens"]

# The platforms' own `anthropic_version` body values are each wire's; the dated API version
# the official anthropic SDK 2.11.0 sends in their place (`ANTHROPIC_API_VERSION` in
# anthropic/_constants.py, set by lib/vertex/_client.py and lib/bedrock/_client.py) is
# therefore accepted by the platforms as well.
UNIFIED_API_VERSION = "2026-10-21"

# Body keys that belong to the provider envelope, not to what the model sees.
ENVELOPE_KEYS = frozenset({"model", "stream", "anthropic_version", "anthropic_beta"})


@dataclass(frozen=True)
class EnvelopeRules:
    """Where one endpoint expects the envelope fields of a Messages body (default: Anthropic's)."""

    model_in_body: bool = True
    stream_in_body: bool = True
    versions: tuple[str, ...] | None = None
    """The `anthropic_version` values the body may carry; None means the key is not allowed."""
    version_required: bool = False
    betas_in_body: bool = False
    bedrock_messages: bool = False
    """Render schema errors the way Bedrock does ("Malformed input request: ...")."""


@cache
def envelope_validator(rules: EnvelopeRules, endpoint: Endpoint) -> TypeAdapter[BaseModel]:
    """A validator for one envelope: the shared body plus that envelope's own keys."""
    fields: dict[str, Any] = {}
    if rules.model_in_body:
        fields["model"] = (str, ...)
    if rules.stream_in_body and endpoint == "messages":
        fields["stream"] = (bool | None, None)
    if rules.versions is not None:
        version_type = Literal[rules.versions]  # type: ignore[valid-type]
        fields["anthropic_version"] = (
            (version_type, ...) if rules.version_required else (version_type | None, None)
        )
    if rules.betas_in_body:
        fields["anthropic_beta"] = (list[str] | None, None)
    base = MessagesBody if endpoint == "messages" else CountTokensBody
    model = create_model(f"{base.__name__}Envelope", __base__=base, **fields)
    return TypeAdapter(model)
