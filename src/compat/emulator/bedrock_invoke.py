"""InvokeModel bodies for Claude: the Messages body in Bedrock's envelope, and the reply back.

Source: https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-anthropic-claude-messages-request-response.html
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compat.emulator.anthropic_stream import anthropic_events
from compat.emulator.bedrock_models import ModelRef
from compat.emulator.messages_decode import parse_json_body, validate_messages_request
from compat.emulator.messages_envelope import UNIFIED_API_VERSION, EnvelopeRules
from compat.emulator.types import ModelReply, NeutralRequest

BEDROCK_VERSION = "bedrock-2023-05-31"
BEDROCK_VERSIONS = (BEDROCK_VERSION, UNIFIED_API_VERSION)

# `anthropic_version` must be "bedrock-2023-05-31", betas travel as a body list
# `anthropic_beta`, the model is the URL's modelId and streaming is chosen by the
# operation, so `model` and `stream` are extraneous keys (source: module docstring;
# "extraneous key [stream] is not permitted" as seen in
# https://github.com/fumito-ito/AnthropicSwiftSDK/issues/19).
BEDROCK_ENVELOPE = EnvelopeRules(
    model_in_body=False,
    stream_in_body=False,
    versions=BEDROCK_VERSIONS,
    version_required=True,
    betas_in_body=True,
    bedrock_messages=True,
)


def invoke_request(raw: bytes, model: ModelRef, *, stream: bool = False) -> NeutralRequest:
    """Validate an InvokeModel body the way Bedrock does for Claude."""
    payload = parse_json_body(raw)
    neutral = validate_messages_request(
        payload, provider="bedrock_invoke", envelope=BEDROCK_ENVELOPE, model=model.raw
    )
    return neutral.model_copy(update={"stream": stream})


def bedrock_message(message: Mapping[str, Any], model: ModelRef) -> dict[str, Any]:
    """A Messages object as Bedrock returns it: `msg_bdrk_` id, Anthropic's model name."""
    # As captured from Bedrock, e.g. "id":"msg_bdrk_01...","model":"claude-sonnet-4-5-20250929"
    # (fixtures/anthropic/simple_bedrock.txtar in https://github.com/coder/aibridge/pull/226).
    message_id = "msg_bdrk_" + str(message["id"]).removeprefix("msg_")
    return {**message, "id": message_id, "model": model.anthropic_name}


def invocation_metrics(reply: ModelReply, latency_ms: int) -> dict[str, int]:
    """`amazon-bedrock-invocationMetrics`, which Bedrock adds to the `message_stop` event."""
    # Not in the API reference; field names as real streams carry them, e.g. inputTokenCount,
    # outputTokenCount, invocationLatency, firstByteLatency, cacheRead/WriteInputTokenCount
    # (run-llama/LlamaIndexTS packages/community/src/llm/bedrock/types.ts).
    usage = reply.usage
    metrics = {
        "inputTokenCount": usage.input_tokens,
        "outputTokenCount": usage.output_tokens,
        "invocationLatency": latency_ms,
        "firstByteLatency": latency_ms,
    }
    if usage.cache_read_input_tokens or usage.cache_creation_input_tokens:
        metrics["cacheReadInputTokenCount"] = usage.cache_read_input_tokens
        metrics["cacheWriteInputTokenCount"] = usage.cache_creation_input_tokens
    return metrics


def invoke_stream_events(
    reply: ModelReply, model: ModelRef, latency_ms: int
) -> list[dict[str, Any]]:
    """The model's Anthropic stream events as Bedrock relays them."""
    events: list[dict[str, Any]] = []
    for event in anthropic_events(reply):
        if event["type"] == "message_start":
            event = {**event, "message": bedrock_message(event["message"], model)}
        elif event["type"] == "message_stop":
            event = {
                **event,
                "amazon-bedrock-invocationMetrics": invocation_metrics(reply, latency_ms),
            }
        events.append(event)
    return events
