"""The request as the model reads it: the prompt, the task, the tools, the nonce, the attachments.

"The prompt" is the text of the last user message with `<system-reminder>` sections
removed; "the task" is the first user message's.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from compat.emulator import instructions
from compat.emulator.blocks import as_list, block_type, message_blocks
from compat.emulator.prompt_cache import Segment
from compat.emulator.tokens import canonical_json
from compat.emulator.types import NeutralRequest

NONCE_PATTERN = re.compile(r"COMPAT-[A-Za-z0-9]{6,}")

StopReason = Literal["end_turn", "tool_use"]

_SYSTEM_REMINDER = re.compile(r"<system-reminder>.*?</system-reminder>", re.DOTALL)


@dataclass(frozen=True)
class Toolbox:
    """The tools the model can see: custom tools by name, deferred ones, server tools."""

    custom: dict[str, dict[str, Any]]
    deferred: list[dict[str, Any]]
    server: list[dict[str, Any]]

    def server_tool(self, predicate: Callable[[str], bool]) -> dict[str, Any] | None:
        return next((tool for tool in self.server if predicate(str(tool.get("type")))), None)


@dataclass(frozen=True)
class Conversation:
    """The request as the model reads it."""

    body: dict[str, Any]
    digest: str
    tools: Toolbox
    prompt: str
    task: str
    """The first user message's text: what the conversation was asked to do."""
    previous_tool_calls: frozenset[str]
    """Names of the tools the assistant called in the turn just before the last user turn."""
    system_text: str
    nonce: str | None
    tool_results: list[tuple[str, dict[str, Any]]]
    attachments: list[tuple[str, dict[str, Any]]]
    deferred_names: frozenset[str] = frozenset()
    """Tools the client says the model can load on demand (deferred, or listed as such)."""

    def tool_choice(self) -> str:
        choice = self.body.get("tool_choice")
        return str(choice.get("type", "auto")) if isinstance(choice, dict) else "auto"

    def with_nonce(self, text: str) -> str:
        if self.nonce is None or self.nonce in text:
            return text
        return f"{text} {self.nonce}"

    def item_id(self, prefix: str, salt: str) -> str:
        return f"{prefix}_{hashlib.sha256(f'{self.digest}:{salt}'.encode()).hexdigest()[:24]}"


@dataclass(frozen=True)
class Answer:
    """What the model answers: its content blocks and why."""

    blocks: list[dict[str, Any]]
    intent: str
    """What the model decided to do, in words; the thinking text states it."""
    stop_reason: StopReason = "end_turn"
    web_search_requests: int = 0


def read_conversation(req: NeutralRequest, segments: list[Segment], tools: Toolbox) -> Conversation:
    """What the model sees in a request it has admitted."""
    body = req.body
    messages = as_list(body.get("messages"))
    index = next(
        (
            i
            for i in range(len(messages) - 1, -1, -1)
            if isinstance(messages[i], dict) and messages[i].get("role") == "user"
        ),
        None,
    )
    blocks = message_blocks(messages[index]) if index is not None else []
    prompt = _user_text(blocks)
    first_user = next(
        (m for m in messages if isinstance(m, dict) and m.get("role") == "user"), None
    )
    task = _user_text(message_blocks(first_user)) if first_user is not None else ""
    listed = "\n".join(
        str(b.get("text", ""))
        for m in messages
        if isinstance(m, dict) and m.get("role") == "user"
        for b in message_blocks(m)
        if block_type(b) == "text"
    )
    previous = messages[index - 1] if index else None
    previous_calls = frozenset(
        str(b.get("name"))
        for b in (message_blocks(previous) if isinstance(previous, dict) else [])
        if block_type(b) == "tool_use"
    )
    nonces = NONCE_PATTERN.findall(prompt)
    located = [(f"messages.{index}.content.{j}", b) for j, b in enumerate(blocks)]
    system = body.get("system")
    system_text = (
        system
        if isinstance(system, str)
        else " ".join(str(b.get("text", "")) for b in as_list(system) if block_type(b) == "text")
    )
    return Conversation(
        body=body,
        digest=_digest(req, segments),
        tools=tools,
        prompt=prompt,
        task=task,
        previous_tool_calls=previous_calls,
        system_text=system_text,
        nonce=nonces[-1] if nonces else None,
        tool_results=[(p, b) for p, b in located if block_type(b) == "tool_result"],
        attachments=[(p, b) for p, b in located if block_type(b) in ("image", "document")],
        deferred_names=instructions.deferred_tool_names(listed)
        | {str(t.get("name")) for t in tools.deferred},
    )


def _user_text(blocks: list[Any]) -> str:
    texts = (
        _SYSTEM_REMINDER.sub("", str(b.get("text", ""))).strip()
        for b in blocks
        if block_type(b) == "text"
    )
    return "\n".join(text for text in texts if text)


def _digest(req: NeutralRequest, segments: list[Segment]) -> str:
    """A hash of everything in the request, reusing the segments' canonical JSON."""
    rest = {k: v for k, v in req.body.items() if k not in ("tools", "system", "messages")}
    digest = hashlib.sha256(
        canonical_json([req.provider, req.model, sorted(req.betas), rest]).encode()
    )
    for segment in segments:
        digest.update(segment.canonical.encode())
    return digest.hexdigest()


def text_block(text: str) -> dict[str, Any]:
    """A `text` content block."""
    return {"type": "text", "text": text}


def first_sentence(text: str) -> str:
    """The first sentence of `text`, at most 200 characters."""
    sentence = re.split(r"(?<=[.!?])\s", " ".join(text.split()), maxsplit=1)[0]
    return sentence[:200]
