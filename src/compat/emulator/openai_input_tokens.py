"""`POST /v1/responses/input_tokens`: the input tokens a Responses request would use.

The body takes the input fields of `responses.create` (InputTokenCountParams: conversation,
input, instructions, model, parallel_tool_calls, personality, previous_response_id,
reasoning, text, tool_choice, tools, truncation) and no others, so a create-only field
(`stream`, `max_output_tokens`, `include`, ...) is "Unknown parameter". What it takes is
checked by `decode_responses`, as `responses.create` checks it, and answered with the shared
model's `count_tokens`: `{"object": "response.input_tokens", "input_tokens": N}`.
Sources: https://platform.openai.com/docs/api-reference/responses/input-tokens ,
https://developers.openai.com/api/docs/guides/token-counting ("accepts the same input
format as the Responses API"), the openai-python SDK's
src/openai/types/responses/input_token_count_params.py and input_token_count_response.py.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from compat.emulator.frames import json_response
from compat.emulator.openai_errors import OpenAIRequestError
from compat.emulator.openai_responses import parse_openai_json, request_id_headers
from compat.emulator.openai_responses_decode import ResponsesRequest, decode_responses
from compat.emulator.recorder import note_provider
from compat.emulator.types import EmulatorError, ProviderId

if TYPE_CHECKING:
    from compat.emulator.context import EmulatorContext
    from compat.emulator.wire import ErrorRenderer

# Every top-level field of the count body. Source: InputTokenCountParams in the SDK (the
# fields `client.responses.input_tokens.count` sends).
COUNT_FIELDS = frozenset(
    {
        "conversation",
        "input",
        "instructions",
        "model",
        "parallel_tool_calls",
        "personality",
        "previous_response_id",
        "reasoning",
        "text",
        "tool_choice",
        "tools",
        "truncation",
    }
)
# `personality` is a style preset "at most 64 characters" (InputTokenCountParams); the
# create body the decoder checks has no such field, so it is checked here.
MAX_PERSONALITY_LENGTH = 64
_TYPE_NAMES: dict[type, str] = {
    bool: "a boolean",
    int: "an integer",
    float: "a decimal number",
    list: "an array",
    dict: "an object",
}


def decode_input_tokens(
    payload: Any, *, provider: ProviderId, model: str | None = None
) -> ResponsesRequest:
    """Check a count body like OpenAI does and decode it as the Responses request it counts."""
    if not isinstance(payload, dict):
        return decode_responses(payload, provider=provider, model=model)
    for name in payload:
        if name not in COUNT_FIELDS:
            # The same refusal `responses.create` gives a field outside its body schema
            # (https://platform.openai.com/docs/guides/error-codes , 400).
            raise OpenAIRequestError(
                f"Unknown parameter: '{name}'.", param=name, code="unknown_parameter"
            )
    _check_personality(payload.get("personality"))
    body = {name: value for name, value in payload.items() if name != "personality"}
    if model is None and body.get("model") is None:
        # The reference makes `model` optional here and documents no default; the shared
        # model counts per model tier, so the emulator says it needs one.
        raise OpenAIRequestError(
            "The emulator counts input tokens for a named model, so 'model' is needed.",
            param="model",
        )
    if body.get("input") is None:
        # `input` is optional here (InputTokenCountParams), unlike on create: no items.
        body["input"] = []
    return decode_responses(body, provider=provider, model=model)


def _check_personality(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        # OpenAI's type refusal, observed live: "Invalid type for 'max_tokens': expected an
        # integer, but got a decimal number instead." (code invalid_type,
        # https://github.com/Jeffser/Alpaca/issues/904).
        got = _TYPE_NAMES.get(type(value), "a value")
        raise OpenAIRequestError(
            f"Invalid type for 'personality': expected a string, but got {got} instead.",
            param="personality",
            code="invalid_type",
        )
    if len(value) > MAX_PERSONALITY_LENGTH:
        # OpenAI's wording for a string over its maximum length (observed live:
        # https://github.com/nanbingxyz/5ire/issues/33).
        raise OpenAIRequestError(
            "Invalid 'personality': string too long. Expected a string with maximum length "
            f"{MAX_PERSONALITY_LENGTH}, but got a string with length {len(value)} instead.",
            param="personality",
            code="string_above_max_length",
        )


async def serve_input_tokens(
    request: Request,
    ctx: EmulatorContext,
    *,
    provider: ProviderId,
    render_error: ErrorRenderer,
) -> Response:
    """Answer one count request with the shared model's count for the decoded request."""
    note_provider(request, provider)
    # Faults apply here as on every other endpoint of the wire (the Messages count_tokens
    # endpoint takes them too), so a proxy's handling of a failing count can be tested.
    fault = ctx.faults.take(provider)
    if fault is not None and fault.kind == "status":
        return render_error(request, fault.error)
    try:
        decoded = decode_input_tokens(parse_openai_json(await request.body()), provider=provider)
        tokens = ctx.model.count_tokens(decoded.neutral)
    except EmulatorError as exc:
        return render_error(request, exc)
    if fault is not None and fault.kind == "slow_first_byte":
        await asyncio.sleep(fault.delay_s)
    body = {"object": "response.input_tokens", "input_tokens": tokens}
    return json_response(body, fault, headers=request_id_headers())
