"""The tool-search server tool is accepted and used: it finds a deferred tool.

No beta is required for the tool, and a proxy can drop the tool and still get a 200 (on
Converse LiteLLM removes it without a word), so a 200 alone proves nothing. A pass needs
the tool-search server tool in the upstream request's `tools` (found by this run's
deferred tool), and the reply to hold the `server_tool_use` and a `tool_search_tool_result`
naming the deferred weather tool.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import httpx

from compat.outcome import Pass
from compat.probes import register, wire
from compat.probes.base import HttpProbe, ProbeContext, Verdict, clip, fail, http_error

# Anthropic's tool search tool (regex variant) and the beta that enables it.
# https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/tool-search-tool
TOOL_SEARCH_TYPE = "tool_search_tool_regex_20251119"
TOOL_SEARCH_BETA = "advanced-tool-use-2025-11-20"
TOOL_SEARCH_PREFIX = "tool_search_tool_"


def weather_tool_name(ctx: ProbeContext) -> str:
    return "weather_report_" + ctx.nonce.rsplit("-", 1)[-1].lower()


def tool_search_body(ctx: ProbeContext) -> dict[str, Any]:
    def deferred(name: str, description: str) -> dict[str, Any]:
        return {
            "name": name,
            "description": description,
            "input_schema": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
            "defer_loading": True,
        }

    return {
        "model": ctx.alias,
        "max_tokens": 1024,
        "tools": [
            {"type": TOOL_SEARCH_TYPE, "name": "tool_search_tool_regex"},
            deferred(weather_tool_name(ctx), "Get the current weather report for a city."),
            deferred("stock_quote", "Get the latest stock price for a ticker symbol."),
            deferred("translate_text", "Translate text between two languages."),
        ],
        "messages": [
            {
                "role": "user",
                "content": "Search your tools for the one that reports the weather, "
                "then tell me that tool's exact name.",
            }
        ],
    }


def _server_tool_problem(ctx: ProbeContext) -> str | None:
    records = ctx.upstream_requests(weather_tool_name(ctx))
    if not records:
        return None  # live, or refused before upstream: the HTTP answer says which
    for record in records:
        if any(str(t.get("type") or "").startswith(TOOL_SEARCH_PREFIX) for t in wire.tools(record)):
            return None
    names = [str(t.get("name") or t.get("type")) for t in wire.tools(records[-1])]
    return (
        f"expected the tool search server tool ({TOOL_SEARCH_TYPE}) in the upstream "
        f"request's `tools`, {wire.describe(records[-1])} offered only {names}: the proxy "
        "dropped it"
    )


def judge_tool_search(response: httpx.Response, ctx: ProbeContext) -> Verdict:
    problem = _server_tool_problem(ctx)
    if problem is not None:
        return fail(problem, excerpt=clip(response.text, 2000))
    if response.status_code != 200:
        return http_error(response)
    try:
        body = response.json()
        content = body["content"]
    except (ValueError, KeyError, TypeError):
        return fail(f"expected a Messages response, got {clip(response.text)}")
    types = [block.get("type") for block in content if isinstance(block, dict)]
    if "server_tool_use" not in types:
        return fail(f"expected a server_tool_use block (the search ran), got blocks {types}")
    results = [b for b in content if b.get("type") == "tool_search_tool_result"]
    found = json.dumps(results)
    if weather_tool_name(ctx) not in found:
        return fail(
            f"expected a tool_search_tool_result referencing {weather_tool_name(ctx)}, "
            f"got {clip(found) if results else f'blocks {types}'}"
        )
    return Verdict(outcome=Pass(), usage=body.get("usage"))


@register
class ToolSearch(HttpProbe):
    feature_id = "tool_search"
    path = "/v1/messages"
    headers: ClassVar[dict[str, str]] = {"anthropic-beta": TOOL_SEARCH_BETA}
    request_body = staticmethod(tool_search_body)
    judge_response = staticmethod(judge_tool_search)

    def evidence_key(self, ctx: ProbeContext) -> str:
        return weather_tool_name(ctx)
