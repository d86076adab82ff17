"""Small readers for Anthropic Messages bodies, tolerant of shapes the wire let through."""

from __future__ import annotations

from typing import Any


def as_list(value: Any) -> list[Any]:
    """`value` when it is a list, else an empty list."""
    return value if isinstance(value, list) else []


def message_blocks(message: Any) -> list[Any]:
    """A message's content as blocks: a plain string becomes one text block."""
    if not isinstance(message, dict):
        return []
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return as_list(content)


def block_type(block: Any) -> str | None:
    """The `type` of a content block, or None for anything that is not a block."""
    kind = block.get("type") if isinstance(block, dict) else None
    return kind if isinstance(kind, str) else None
