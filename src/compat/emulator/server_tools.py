"""The prompt rules answered by a server tool the API runs itself: web search and tool search."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from compat.emulator import instructions
from compat.emulator.blocks import as_list
from compat.emulator.capabilities import TOOL_SEARCH_TOOLS
from compat.emulator.conversation import Answer, Conversation, first_sentence, text_block

_MAX_TOOL_REFERENCES = 5
_WORD = re.compile(r"[a-z0-9]+")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_STOP_WORDS = frozenset(
    {
        "the", "and", "for", "with", "that", "this", "from", "what", "which", "use", "tool",
        "tools", "find", "please", "can", "you", "want", "need", "some", "have", "has", "are",
        "was", "how", "get",
    }
)  # fmt: skip


def web_search(c: Conversation) -> Answer | None:
    """Rule 6: run the web search server tool when the prompt asks for a search."""
    tool = c.tools.server_tool(lambda kind: kind.startswith("web_search_"))
    if tool is None or c.tool_choice() == "none":
        return None
    choice = c.body.get("tool_choice")
    forced = isinstance(choice, dict) and choice.get("name") == tool.get("name")
    asked = instructions.web_search_query(c.prompt)
    if not (forced or c.tool_choice() == "any" or instructions.asks_for_search(c.prompt)):
        return None
    query = asked or c.nonce or first_sentence(c.prompt) or "latest news"
    call_id = c.item_id("srvtoolu", "web_search")
    domains = as_list(tool.get("allowed_domains"))
    host = str(domains[0]) if domains else "example.com"
    slug = hashlib.sha256(query.encode()).hexdigest()[:12]
    url = f"https://{host}/search/{slug}"
    title = f"Search results for {query}"
    token = base64.b64encode(hashlib.sha256(f"{c.digest}:{url}".encode()).digest()).decode()
    result = {
        "type": "web_search_result",
        "url": url,
        "title": title,
        "encrypted_content": token,
        "page_age": "January 1, 2026",
    }
    citation = {
        "type": "web_search_result_location",
        "url": url,
        "title": title,
        "encrypted_index": token[:16],
        "cited_text": title,
    }
    answer: dict[str, Any] = {
        "type": "text",
        "text": c.with_nonce(f"According to {title} ({url}), this page answers the question."),
        "citations": [citation],
    }
    blocks: list[dict[str, Any]] = [
        {
            "type": "server_tool_use",
            "id": call_id,
            "name": str(tool.get("name", "web_search")),
            "input": {"query": query},
        },
        {"type": "web_search_tool_result", "tool_use_id": call_id, "content": [result]},
        answer,
    ]
    # Source: https://platform.claude.com/docs/en/agents-and-tools/tool-use/web-search-tool#response
    return Answer(blocks, f"search the web for {query}", web_search_requests=1)


def tool_search(c: Conversation) -> Answer | None:
    """Rule 7: search the deferred tools for the prompt's words with the tool search tool."""
    tool = c.tools.server_tool(lambda kind: kind in TOOL_SEARCH_TOOLS)
    if tool is None or not c.tools.deferred or c.tool_choice() == "none":
        return None
    words = list(dict.fromkeys(w for w in _words(c.prompt) if len(w) >= 3 and w not in _STOP_WORDS))
    scored = sorted(
        (
            (-len(set(words) & _tool_words(t)), i, str(t.get("name")))
            for i, t in enumerate(c.tools.deferred)
        ),
    )
    found = [name for score, _, name in scored if score < 0][:_MAX_TOOL_REFERENCES]
    name = str(tool.get("name"))
    regex = "regex" in str(tool.get("type"))
    query = f"(?i)({'|'.join(re.escape(w) for w in words[:5])})" if regex else " ".join(words[:5])
    call_id = c.item_id("srvtoolu", name)
    summary = (
        f"I found the {', '.join(found)} tool, which can help with this."
        if found
        else "I could not find a tool that matches this request."
    )
    # Source: https://platform.claude.com/docs/en/agents-and-tools/tool-use/tool-search-tool#response-format
    blocks = [
        {"type": "server_tool_use", "id": call_id, "name": name, "input": {"query": query}},
        {
            "type": "tool_search_tool_result",
            "tool_use_id": call_id,
            "content": {
                "type": "tool_search_tool_search_result",
                "tool_references": [{"type": "tool_reference", "tool_name": n} for n in found],
            },
        },
        text_block(c.with_nonce(summary)),
    ]
    return Answer(blocks, "find a tool for this request")


def _words(text: str) -> list[str]:
    return _WORD.findall(_CAMEL_BOUNDARY.sub(" ", text).lower())


def _tool_words(tool: dict[str, Any]) -> set[str]:
    """Words of a tool's name, description, and parameter names and descriptions."""
    schema = tool.get("input_schema")
    properties = schema.get("properties") if isinstance(schema, dict) else None
    parts = [str(tool.get("name", "")).replace("_", " "), str(tool.get("description", ""))]
    if isinstance(properties, dict):
        for prop, spec in properties.items():
            parts.append(prop.replace("_", " "))
            if isinstance(spec, dict):
                parts.append(str(spec.get("description", "")))
    return set(_words(" ".join(parts)))
