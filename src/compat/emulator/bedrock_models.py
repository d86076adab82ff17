"""Bedrock model ids: foundation models, inference profiles, and their ARNs."""

from __future__ import annotations

import re
from dataclasses import dataclass

from compat.emulator.bedrock_errors import BedrockError

# Foundation model ids, as the Bedrock model cards and real errors spell them (e.g.
# "Invocation of model ID anthropic.claude-sonnet-4-6 with on-demand throughput isn't
# supported"). Source: https://docs.aws.amazon.com/bedrock/latest/userguide/models-supported.html
FOUNDATION_MODELS = frozenset(
    {
        "anthropic.claude-haiku-4-5-20251001-v1:0",
        "anthropic.claude-sonnet-4-6",
        "anthropic.claude-opus-4-7",
    }
)
# System-defined cross-region inference profiles prefix the model id with a geography.
# Source: https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html
PROFILE_PREFIXES = frozenset({"us", "us-gov", "eu", "apac", "jp", "au", "ca", "global"})
_MODEL_ARN = re.compile(
    r"^arn:aws(?:-[a-z-]+)?:bedrock:[a-z0-9-]+:(?:\d{12})?:"
    r"(?P<kind>foundation-model|inference-profile)/(?P<id>.+)$"
)


@dataclass(frozen=True)
class ModelRef:
    """A modelId from the URL: the foundation model it names and how it was named."""

    raw: str
    foundation: str
    via_profile: bool

    @property
    def anthropic_name(self) -> str:
        """The model name Bedrock's Anthropic responses carry (`claude-haiku-4-5-20251001`)."""
        return self.foundation.removeprefix("anthropic.").removesuffix("-v1:0")


def resolve_model(model_id: str) -> ModelRef:
    """Recognise a foundation model id, an inference profile id, or their ARNs."""
    kind, ident = None, model_id
    if arn := _MODEL_ARN.match(model_id):
        kind, ident = arn["kind"], arn["id"]
    prefix, _, rest = ident.partition(".")
    if kind != "foundation-model" and prefix in PROFILE_PREFIXES and rest in FOUNDATION_MODELS:
        return ModelRef(model_id, rest, via_profile=True)
    if kind != "inference-profile" and ident in FOUNDATION_MODELS:
        return ModelRef(model_id, ident, via_profile=False)
    # Observed wording: https://github.com/aws-samples/amazon-bedrock-workshop/issues/315
    raise BedrockError("ValidationException", "The provided model identifier is invalid.")


def require_profile(model: ModelRef) -> None:
    """Claude 4.5+ models serve on-demand inference only through an inference profile."""
    if not model.via_profile:
        # Source: https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html
        raise BedrockError(
            "ValidationException",
            f"Invocation of model ID {model.foundation} with on-demand throughput isn't "
            "supported. Retry your request with the ID or ARN of an inference profile that "
            "contains this model.",
        )
