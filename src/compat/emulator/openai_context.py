"""User-role messages that say they are context, not the user's words, read as context.

OpenAI's message roles leave a client that has context to give mid-conversation (an
environment listing, a reminder) a user message, in which it says in plain words that the
text is not the user's ("Operator note (not from the user): ..."). A model reads such a
message as background, not as the instruction to follow. The shared model's prompt
protocol (`model`) treats the user's instruction as "the prompt" and `<system-reminder>`
sections as background, so the neutral request carries these messages as such sections.
"""

from __future__ import annotations

import re
from typing import Any

# The plain-words declaration a message opens with; any client's wording of it.
_NOT_THE_USER = re.compile(r"\bnot (?:from|by|written by) the user\b", re.IGNORECASE)


def declares_context(blocks: list[dict[str, Any]]) -> bool:
    """Whether a user message's first text says it does not come from the user."""
    first = next((b for b in blocks if b.get("type") == "text"), None)
    return first is not None and bool(_NOT_THE_USER.search(str(first.get("text", ""))))


def as_context(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A context message's blocks, its text wrapped as background for the shared model."""
    if not declares_context(blocks):
        return blocks
    return [
        {**b, "text": f"<system-reminder>\n{b['text']}\n</system-reminder>"}
        if b.get("type") == "text"
        else b
        for b in blocks
    ]
