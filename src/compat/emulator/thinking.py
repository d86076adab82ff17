"""Extended thinking: its settings checked as the API checks them, its blocks signed and verified.

Source: https://platform.claude.com/docs/en/build-with-claude/extended-thinking
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from compat.emulator.blocks import as_list, block_type, message_blocks
from compat.emulator.capabilities import INTERLEAVED_THINKING_BETA, Capabilities
from compat.emulator.types import EmulatorError

_EFFORTS = ("low", "medium", "high", "xhigh", "max")
_DISPLAYS = ("summarized", "omitted", "updates")
_THINKING_TYPES = ("adaptive", "disabled", "enabled")
_MIN_BUDGET_TOKENS = 1_024
_EXTENDED_THINKING_DOCS = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"


def sign_thinking(secret: bytes, thinking: str) -> str:
    """The signature of a thinking text: base64 HMAC-SHA256 under `secret`."""
    digest = hmac.new(secret, thinking.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def thinking_block(secret: bytes, intent: str, display: str) -> dict[str, Any]:
    """The signed thinking block that states what the model decided to do."""
    text = "" if display == "omitted" else f"The request asks me to {intent}."
    return {"type": "thinking", "thinking": text, "signature": sign_thinking(secret, text)}


def thinking_config(body: dict[str, Any], caps: Capabilities, betas: frozenset[str]) -> str | None:
    """Validate `thinking` and `output_config.effort` like the API.

    Returns the thinking display mode when thinking is on, None when it is off.

    Source: https://platform.claude.com/docs/en/build-with-claude/extended-thinking
    """
    output_config = body.get("output_config")
    effort = output_config.get("effort") if isinstance(output_config, dict) else None
    if effort is not None and effort not in _EFFORTS:
        allowed = ", ".join(f"'{e}'" for e in _EFFORTS)
        raise EmulatorError(
            "invalid_request_error", f"output_config.effort: Input should be {allowed}"
        )
    if effort is not None and not caps.supports_effort:
        raise EmulatorError(
            "invalid_request_error", "output_config.effort: effort is not supported for this model"
        )
    config = body.get("thinking")
    if not isinstance(config, dict):
        return None
    kind = config.get("type")
    if kind not in _THINKING_TYPES:
        expected = ", ".join(f"'{t}'" for t in _THINKING_TYPES)
        raise EmulatorError(
            "invalid_request_error",
            f"thinking.type: Input tag '{kind}' found using 'type' does not match any of the "
            f"expected tags: {expected}",
        )
    display = config.get("display") or "summarized"
    if display not in _DISPLAYS:
        allowed = ", ".join(f"'{d}'" for d in _DISPLAYS)
        raise EmulatorError("invalid_request_error", f"thinking.display: Input should be {allowed}")
    if kind == "disabled":
        if not caps.thinking_can_be_disabled:
            raise EmulatorError("invalid_request_error", _adaptive_only("disabled"))
        return None
    if kind not in caps.thinking_modes:
        # Wording observed from the Claude API for Opus 4.7 (and mirrored for adaptive).
        # Source: https://github.com/anomalyco/opencode/issues/22863
        raise EmulatorError(
            "invalid_request_error",
            _adaptive_only(kind)
            if kind == "enabled"
            else '"thinking.type.adaptive" is not supported for this model. Use '
            '"thinking.type.enabled" and "thinking.budget_tokens" to control thinking behavior.',
        )
    if kind == "enabled":
        _check_budget(config, body, betas)
    return str(display)


def _adaptive_only(kind: str) -> str:
    return (
        f'"thinking.type.{kind}" is not supported for this model. Use "thinking.type.adaptive" '
        'and "output_config.effort" to control thinking behavior.'
    )


def _check_budget(config: dict[str, Any], body: dict[str, Any], betas: frozenset[str]) -> None:
    budget = config.get("budget_tokens")
    if not isinstance(budget, int) or isinstance(budget, bool):
        raise EmulatorError(
            "invalid_request_error", "thinking.enabled.budget_tokens: Field required"
        )
    if budget < _MIN_BUDGET_TOKENS:
        raise EmulatorError(
            "invalid_request_error",
            "thinking.enabled.budget_tokens: Input should be greater than or equal to "
            f"{_MIN_BUDGET_TOKENS}",
        )
    max_tokens = body.get("max_tokens")
    # With interleaved thinking the budget spans the whole turn and may exceed max_tokens.
    # Source: https://platform.claude.com/docs/en/build-with-claude/extended-thinking#interleaved-thinking
    if (
        isinstance(max_tokens, int)
        and budget >= max_tokens
        and INTERLEAVED_THINKING_BETA not in betas
    ):
        raise EmulatorError(
            "invalid_request_error",
            "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our "
            f"documentation at {_EXTENDED_THINKING_DOCS}#max-tokens-and-context-window-size",
        )


def check_history(body: dict[str, Any], secret: bytes, *, thinking: bool) -> None:
    """Thinking blocks sent back are signed; with thinking on, a tool turn starts with one."""
    messages = as_list(body.get("messages"))
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") != "assistant":
            continue
        for j, block in enumerate(message_blocks(message)):
            if block_type(block) != "thinking":
                continue
            signature = block.get("signature")
            expected = sign_thinking(secret, str(block.get("thinking", "")))
            if not isinstance(signature, str) or not hmac.compare_digest(signature, expected):
                raise EmulatorError(
                    "invalid_request_error",
                    f"messages.{i}.content.{j}: Invalid `signature` in `thinking` block",
                )
    if thinking:
        _check_final_assistant_turn(messages)


def _check_final_assistant_turn(messages: list[Any]) -> None:
    """With thinking on, an assistant turn answered by tool results must start with thinking.

    Source: https://platform.claude.com/docs/en/build-with-claude/extended-thinking#preserving-thinking-blocks
    """
    if len(messages) < 2:
        return
    last_user, assistant = messages[-1], messages[-2]
    if not isinstance(assistant, dict) or assistant.get("role") != "assistant":
        return
    if not any(block_type(b) == "tool_result" for b in message_blocks(last_user)):
        return
    blocks = message_blocks(assistant)
    if not any(block_type(b) == "tool_use" for b in blocks):
        return
    first = block_type(blocks[0]) if blocks else None
    if first not in ("thinking", "redacted_thinking"):
        raise EmulatorError(
            "invalid_request_error",
            f"messages.{len(messages) - 2}.content.0.type: Expected `thinking` or "
            f"`redacted_thinking`, but found `{first}`. When `thinking` is enabled, a final "
            "`assistant` message must start with a thinking block (preceeding the lastmost set "
            "of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks "
            "from previous turns. To avoid this requirement, disable `thinking`. Please consult "
            f"our documentation at {_EXTENDED_THINKING_DOCS}",
        )
