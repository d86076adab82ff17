"""Tool search: the search blocks come back and reference this run's tool."""

from __future__ import annotations

import httpx

from compat.outcome import Pass
from compat.probes.tool_search import judge_tool_search
from support.recorded import (
    each_body,
    failed,
    http_response,
    recorded_context,
)


def without_lines(marker: str):
    return lambda t: "\n".join(line for line in t.splitlines() if marker not in line)


def tool_search(response=None, upstream=lambda r: r):
    ctx = recorded_context("tool_search", upstream)
    return judge_tool_search(response or http_response("tool_search"), ctx)


def test_tool_search_passes_on_the_recorded_answer():
    assert tool_search().outcome == Pass()


def test_tool_search_fails_without_the_search_blocks():
    def no_search(body: dict) -> None:
        body["content"] = [b for b in body["content"] if b["type"] == "text"]

    failed(tool_search(http_response("tool_search", no_search)), "expected a server_tool_use block")


def test_tool_search_fails_when_the_server_tool_never_reached_upstream():
    def no_search_tool(body: dict) -> None:
        body["tools"] = [
            t for t in body["tools"] if not t.get("type", "").startswith("tool_search")
        ]

    failed(
        tool_search(upstream=lambda records: each_body(records, no_search_tool)),
        "expected the tool search server tool (tool_search_tool_regex_20251119) in the upstream",
    )


def test_tool_search_passes_live_on_the_answer_alone_and_retries_an_overload():
    assert tool_search(upstream=lambda r: None).outcome == Pass()
    overloaded = tool_search(
        httpx.Response(529, json={"type": "error", "error": {"message": "Overloaded"}}),
        upstream=lambda r: None,
    )
    assert overloaded.retryable and "HTTP 529: Overloaded" in overloaded.outcome.error
