"""Rules of a Messages body that its schema cannot express: roles, pairing, non-empty text.

Each rule raises the `invalid_request_error` the real API answers with, in its words.
"""

from __future__ import annotations

from pydantic import BaseModel

from compat.emulator.messages_schema import (
    SYSTEM_MESSAGE_BETAS,
    ConversationMessage,
    CustomTool,
    RedactedThinkingBlock,
    ServerTool,
    SystemMessage,
    TextBlock,
    ThinkingBlock,
    ToolChoiceTool,
    ToolResultBlock,
    ToolUseBlock,
)
from compat.emulator.types import EmulatorError


def _blocks(content: str | list[BaseModel]) -> list[BaseModel]:
    return [] if isinstance(content, str) else content


def check_messages(
    messages: list[ConversationMessage | SystemMessage], betas: frozenset[str]
) -> None:
    """Roles, non-empty content, block placement and tool_use/tool_result pairing."""
    conversation = [m for m in messages if isinstance(m, ConversationMessage)]
    last_index = len(messages) - 1
    for index, message in enumerate(messages):
        if isinstance(message, SystemMessage):
            if not betas & SYSTEM_MESSAGE_BETAS:
                raise EmulatorError.invalid(
                    f"messages.{index}.role: Input should be 'user' or 'assistant'"
                )
            continue
        final_assistant = index == last_index and message.role == "assistant"
        # Source: https://platform.claude.com/docs/en/api/messages/create ("messages" parameter).
        if not message.content and not final_assistant:
            raise EmulatorError.invalid(
                f"messages.{index}: all messages must have non-empty content except for the "
                "optional final assistant message"
            )
        for position, block in enumerate(_blocks(message.content)):
            _check_block_role(block, message.role, f"messages.{index}.content.{position}")
    if conversation and conversation[0].role != "user":
        # Source: https://platform.claude.com/docs/en/api/messages/create ("messages" parameter).
        raise EmulatorError.invalid('messages: first message must use the "user" role')
    _check_tool_pairing(messages)


def _check_block_role(block: BaseModel, role: str, where: str) -> None:
    """Blocks only the model writes live in assistant turns; tool results in user turns."""
    if isinstance(block, TextBlock) and not block.text:
        # Source: https://docs.claude.com/en/api/errors (invalid_request_error examples).
        raise EmulatorError.invalid("messages: text content blocks must be non-empty")
    assistant_only = (ToolUseBlock, ThinkingBlock, RedactedThinkingBlock)
    if role == "user" and isinstance(block, assistant_only):
        raise EmulatorError.invalid(
            f"{where}.type: `{block.type}` blocks can only be in `assistant` messages"
        )
    if role == "assistant" and isinstance(block, ToolResultBlock):
        raise EmulatorError.invalid(
            f"{where}.type: `tool_result` blocks can only be in `user` messages"
        )


# Source: https://platform.claude.com/docs/en/agents-and-tools/tool-use/implement-tool-use
# ("tool result blocks must immediately follow their corresponding tool use blocks").
_STRAY_RESULTS = (
    "messages.{index}.content.0: unexpected `tool_use_id` found in `tool_result` blocks: {ids}. "
    "Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
)
_UNANSWERED_USES = (
    "messages.{index}: `tool_use` ids were found without `tool_result` blocks immediately "
    "after: {ids}. Each `tool_use` block must have a corresponding `tool_result` block in the "
    "next message."
)


def _tool_ids(blocks: list[BaseModel], kind: type[ToolUseBlock | ToolResultBlock]) -> list[str]:
    """The tool-use ids that `tool_use` (or `tool_result`) blocks carry, in order."""
    return [
        b.id if isinstance(b, ToolUseBlock) else b.tool_use_id
        for b in blocks
        if isinstance(b, kind)
    ]


def _check_tool_pairing(messages: list[ConversationMessage | SystemMessage]) -> None:
    """Each tool_use is answered by a tool_result in the next message, and only there."""
    turns = [
        (i, _blocks(m.content))
        for i, m in enumerate(messages)
        if isinstance(m, ConversationMessage)
    ]
    for position, (index, blocks) in enumerate(turns):
        asked = set(_tool_ids(turns[position - 1][1], ToolUseBlock)) if position else set()
        stray = [r for r in _tool_ids(blocks, ToolResultBlock) if r not in asked]
        if stray:
            raise EmulatorError.invalid(_STRAY_RESULTS.format(index=index, ids=", ".join(stray)))
        if position + 1 < len(turns):
            answered = set(_tool_ids(turns[position + 1][1], ToolResultBlock))
            missing = [u for u in _tool_ids(blocks, ToolUseBlock) if u not in answered]
            if missing:
                raise EmulatorError.invalid(
                    _UNANSWERED_USES.format(index=index, ids=", ".join(missing))
                )


def check_system(system: str | list[TextBlock] | None) -> None:
    """System text blocks are non-empty."""
    if isinstance(system, list) and any(not block.text for block in system):
        raise EmulatorError.invalid("system: text content blocks must be non-empty")


def check_tools(tools: list[CustomTool | ServerTool] | None, choice: BaseModel | None) -> None:
    """Tool names are unique, and a forced tool choice names a defined tool."""
    # Source: https://platform.claude.com/docs/en/agents-and-tools/tool-use/implement-tool-use
    names = [tool.name for tool in tools or []]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise EmulatorError.invalid(
            f"tools: Tool names must be unique. Duplicate: {', '.join(duplicates)}"
        )
    if isinstance(choice, ToolChoiceTool) and choice.name not in names:
        raise EmulatorError.invalid(f"tool_choice.name: Tool '{choice.name}' not found in tools")
