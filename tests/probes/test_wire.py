"""Reading what reached upstream on each wire: the shapes are those the emulator recorded."""

from __future__ import annotations

from typing import Any

import pytest

from compat.probes import wire
from support.recorded import made_record


def record(path: str, body: Any, headers: dict[str, str] | None = None, status: int = 200):
    return made_record(path, body, headers, status)


ANTHROPIC = record(
    "/v1/messages",
    {
        "stream": True,
        "output_config": {"effort": "high"},
        "system": [{"type": "text", "text": "s", "cache_control": {"type": "ephemeral"}}],
        "tools": [{"name": "Bash", "input_schema": {"type": "object"}}],
        "messages": [
            {"role": "assistant", "content": [{"type": "thinking", "signature": "sig"}]},
            {"role": "user", "content": [{"type": "image", "source": {}}]},
        ],
    },
    {"anthropic-beta": "claude-code-20250219, context-1m-2025-08-07"},
)
# Bedrock Converse as LiteLLM sends it (recorded from ConverseStream).
CONVERSE = record(
    "/model/us.anthropic.claude-sonnet-4-6/converse-stream",
    {
        "system": [{"text": "s"}, {"cachePoint": {"type": "default", "ttl": "1h"}}],
        "toolConfig": {
            "tools": [{"toolSpec": {"name": "Bash", "inputSchema": {"json": {"type": "object"}}}}]
        },
        "messages": [
            {
                "role": "assistant",
                "content": [
                    {"reasoningContent": {"reasoningText": {"text": "t", "signature": "sig"}}},
                    {"toolUse": {"toolUseId": "t1", "name": "Bash", "input": {}}},
                ],
            },
            {"role": "user", "content": [{"toolResult": {"toolUseId": "t1"}}, {"document": {}}]},
        ],
        "additionalModelRequestFields": {
            "output_config": {"effort": "medium"},
            "anthropic_beta": ["effort-2025-11-24"],
        },
    },
)
INVOKE = record(
    "/model/us.anthropic.claude-sonnet-4-6/invoke",
    {"stream": True, "anthropic_beta": ["context-1m-2025-08-07"]},
)


def test_betas_come_from_the_header_and_the_body_fields():
    assert wire.betas(ANTHROPIC) == {"claude-code-20250219", "context-1m-2025-08-07"}
    assert wire.betas(CONVERSE) == {"effort-2025-11-24"}
    assert wire.betas(INVOKE) == {"context-1m-2025-08-07"}


@pytest.mark.parametrize(
    ("path", "body", "streams"),
    [
        ("/v1/messages", {"stream": True}, True),
        ("/v1/messages", {"stream": False}, False),
        ("/anthropic/v1/messages", {}, False),
        ("/model/m/invoke-with-response-stream", {}, True),
        ("/model/m/invoke", {"stream": True}, False),  # the operation decides on Bedrock
        ("/model/m/converse-stream", {}, True),
        ("/model/m/converse", {}, False),
        ("/v1/projects/p/locations/l/publishers/anthropic/models/m:streamRawPredict", {}, True),
        ("/v1/projects/p/locations/l/publishers/anthropic/models/m:rawPredict", {}, False),
    ],
)
def test_streaming_is_the_body_flag_or_the_operation(path, body, streams):
    assert wire.streaming(record(path, body)) is streams


def test_effort_tools_blocks_and_breakpoints_on_both_shapes():
    assert wire.effort(ANTHROPIC) == "high" and wire.effort(CONVERSE) == "medium"
    assert wire.effort(INVOKE) is None
    for shape in (ANTHROPIC, CONVERSE):
        assert [t["name"] for t in wire.tools(shape)] == ["Bash"]
        assert wire.tools(shape)[0]["input_schema"] == {"type": "object"}
        thinking = wire.blocks(shape, "thinking", role="assistant")
        assert [wire.thinking_signature(b) for b in thinking] == ["sig"]
        assert wire.blocks(shape, "thinking", role="user") == []
    assert len(wire.blocks(ANTHROPIC, "image")) == 1
    assert len(wire.blocks(CONVERSE, "document")) == len(wire.blocks(CONVERSE, "tool_result")) == 1
    assert len(wire.blocks(CONVERSE, "tool_use")) == 1
    assert wire.cache_breakpoints(ANTHROPIC) == [{"type": "ephemeral"}]
    assert wire.cache_breakpoints(CONVERSE) == [{"type": "default", "ttl": "1h"}]


def test_count_tokens_routes_and_answered_requests():
    for path in (
        "/v1/messages/count_tokens",
        "/anthropic/v1/messages/count_tokens",
        "/model/anthropic.claude-sonnet-4-6/count-tokens",
        "/v1/projects/p/locations/l/publishers/anthropic/models/count-tokens:rawPredict",
    ):
        assert wire.is_count_tokens(record(path, {})), path
    assert not wire.is_count_tokens(ANTHROPIC)
    refused = record("/v1/messages", {}, status=400)
    assert wire.answered([ANTHROPIC, refused]) == [ANTHROPIC]
    assert wire.describe(refused) == "POST /v1/messages (400)"
