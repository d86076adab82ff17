"""The prompt rules answered in text: what the tools returned, what attachments show, plain asks.

Attachments are read from their own bytes (`media`); nothing is invented about one that
did not arrive.
"""

from __future__ import annotations

import re
from typing import Any

from compat.emulator import instructions
from compat.emulator.blocks import as_list, block_type
from compat.emulator.conversation import Answer, Conversation, text_block
from compat.emulator.media import document_text, image_facts

_MENTIONS_MEDIA = re.compile(
    r"\b(?:pdfs?|images?|pictures?|photos?|photographs?|screenshots?|png|jpe?g|gif|webp)\b",
    re.IGNORECASE,
)


def tool_result_reply(c: Conversation) -> Answer | None:
    """Rule 4: report what the tools returned, answering the task from any media in it."""
    if not c.tool_results:
        return None
    texts: list[str] = []
    media: list[tuple[str, dict[str, Any]]] = []
    for path, block in c.tool_results:
        text, inner_media = _tool_result_parts(path, block)
        if text:
            texts.append(f"an error: {text}" if block.get("is_error") else text)
        media.extend(inner_media)
    # Claude Code may hand a file's contents over beside the tool result, not inside it.
    media.extend(c.attachments)
    style = instructions.answer_style(c.task)
    if media and style != "sentence":
        answer = " ".join(_media_answer(path, block, style) for path, block in media)
        return Answer([text_block(c.with_nonce(answer))], "answer from what the tool returned")
    parts = [*texts, *(_media_answer(path, block, "sentence") for path, block in media)]
    reply = "The tool returned: " + " ".join(p for p in parts if p)
    if not media and _MENTIONS_MEDIA.search(c.task):
        # Asked about a file's contents, but none reached the model: say so, invent nothing.
        reply += " I did not receive the file's contents, so I cannot say what it contains."
    return Answer([text_block(c.with_nonce(reply))], "report what the tool returned")


def _tool_result_parts(
    path: str, block: dict[str, Any]
) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
    """A tool result's text, and the images and documents it carries."""
    content = block.get("content")
    if isinstance(content, str):
        return content.strip(), []
    texts: list[str] = []
    media: list[tuple[str, dict[str, Any]]] = []
    for k, inner in enumerate(as_list(content)):
        kind = block_type(inner)
        if kind == "text":
            texts.append(str(inner.get("text", "")).strip())
        elif kind in ("image", "document"):
            media.append((f"{path}.content.{k}", inner))
    return " ".join(t for t in texts if t), media


def attachments(c: Conversation) -> Answer | None:
    """Rules 9 and 10: answer about the images and documents in the prompt, from their bytes."""
    if not c.attachments:
        return None
    style = instructions.answer_style(c.prompt)
    text = " ".join(_media_answer(path, block, style) for path, block in c.attachments)
    return Answer([text_block(c.with_nonce(text))], "describe the attachment")


def _media_answer(path: str, block: dict[str, Any], style: instructions.AnswerStyle) -> str:
    """What an image or document shows, as the prompt asks for it.

    An image: its colour name for a one-word answer, its hex code when a hex code is asked
    for, else its size and colour. A document: its bare text for a brief answer, else
    "The document says: ...".
    """
    if block_type(block) == "image":
        facts = image_facts(block, path)
        if style == "hex":
            return facts.hex
        if style == "brief":
            return facts.colour_name.capitalize()
        return facts.sentence()
    text = document_text(block, path)
    return text if style == "brief" else f"The document says: {text}"


def plain_reply(c: Conversation) -> Answer | None:
    """Rule 11: do what a plain text request asks: say given words, count, add numbers."""
    literal = instructions.literal_reply(c.prompt)
    if literal is not None:
        return Answer([text_block(c.with_nonce(literal))], f"reply with {literal}")
    counted = instructions.counting(c.prompt)
    if counted is not None:
        return Answer([text_block(c.with_nonce(counted))], "count as asked")
    sum_asked = instructions.arithmetic(c.prompt)
    if sum_asked is not None:
        value = str(sum_asked.value)
        return Answer([text_block(c.with_nonce(value))], f"work out {sum_asked.expression}")
    return None
