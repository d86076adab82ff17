"""Claude Code's WebSearch runs Anthropic's server-side web search tool through the proxy.

A pass needs an upstream request carrying the `web_search_*` server tool, and the
WebSearch tool result in the transcript to hold the search's results with their URLs
(what the upstream's `server_tool_use` and `web_search_tool_result` blocks became).
"""

from __future__ import annotations

import json

from compat.driver import ClaudeInvocation, ClaudeRun, UserEvent
from compat.probes import register, wire
from compat.probes.base import CliProbe, ProbeContext, clip
from compat.probes.prompts import ask
from compat.upstream_log import RecordedRequest

SERVER_TOOL_PREFIX = "web_search_"


def server_tool_problem(records: list[RecordedRequest]) -> str | None:
    carried = [
        record
        for record in records
        if any(str(t.get("type") or "").startswith(SERVER_TOOL_PREFIX) for t in wire.tools(record))
    ]
    if carried:
        return None
    return (
        "expected the web search server tool (`tools` entry of type web_search_*) in an "
        f"upstream request, none of this run's {len(records)} carried it: the proxy dropped it"
    )


@register
class WebSearch(CliProbe):
    feature_id = "web_search"
    upstream_requests = 4  # ToolSearch and WebSearch calls, the search request, the answer

    def invocation(self, ctx: ProbeContext) -> ClaudeInvocation:
        prompt = (
            f"Search the web for {ctx.nonce} using the WebSearch tool, "
            "then reply with the title of the first result."
        )
        return ask(ctx, prompt, "--allowedTools", "WebSearch")

    def wire_problem(
        self, run: ClaudeRun, ctx: ProbeContext, records: list[RecordedRequest]
    ) -> str | None:
        if not any(b.get("name") == "WebSearch" for b in run.blocks("tool_use")):
            return None  # no search was asked for: the transcript's judge says so
        return server_tool_problem(records)

    def judge(self, run: ClaudeRun, ctx: ProbeContext) -> str | None:
        calls = [b for b in run.blocks("tool_use") if b.get("name") == "WebSearch"]
        if not calls:
            names = [b.get("name") for b in run.blocks("tool_use")]
            return f"expected a WebSearch tool call, saw tool calls {names or 'none'}"
        # Claude Code runs WebSearch as a separate request carrying the server tool; its
        # outcome reaches the transcript as the WebSearch tool result.
        searches = [
            e.tool_use_result
            for e in run.of_type(UserEvent)
            if isinstance(e.tool_use_result, dict) and "results" in e.tool_use_result
        ]
        if not searches:
            ids = {call.get("id") for call in calls}
            answers = [r for r in run.tool_results if r.get("tool_use_id") in ids]
            content = answers[0].get("content") if answers else None
            text = content if isinstance(content, str) else json.dumps(content)
            return (
                "the WebSearch call returned no search results: "
                f"{clip(text, 600) if answers else 'it got no tool result'}"
            )
        hits = [
            item
            for search in searches
            for entry in search.get("results", [])
            if isinstance(entry, dict)
            for item in entry.get("content", [])
            if isinstance(item, dict) and item.get("url")
        ]
        if not hits:
            return (
                "expected web_search_tool_result entries with URLs, got "
                f"{clip(json.dumps(searches))} (server_tool_use did not run upstream)"
            )
        return None
