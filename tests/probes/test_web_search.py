"""Web search: the server tool reaches upstream and its results come back."""

from __future__ import annotations

from compat.outcome import Pass
from support.recorded import (
    each_body,
    failed,
    judge,
    recorded_context,
    transcript,
)


def without_lines(marker: str):
    return lambda t: "\n".join(line for line in t.splitlines() if marker not in line)


def test_web_search_passes_on_the_recorded_transcript():
    assert judge("web_search", transcript("web_search")).outcome == Pass()


def test_web_search_without_results_fails():
    run = transcript("web_search", lambda t: t.replace('"results":', '"no_results":'))
    failed(judge("web_search", run), "returned no search results")


def test_web_search_fails_when_the_server_tool_never_reached_upstream():
    def no_server_tool(body: dict) -> None:
        body["tools"] = [t for t in body.get("tools", []) if t.get("type") != "web_search_20250305"]

    ctx = recorded_context("web_search", lambda records: each_body(records, no_server_tool))
    failed(
        judge("web_search", transcript("web_search"), ctx),
        "expected the web search server tool (`tools` entry of type web_search_*)",
    )
