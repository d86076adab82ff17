"""Bedrock Converse and ConverseStream: strict parsing, translation to the model and back."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest
from botocore.eventstream import ChecksumMismatch

from compat.emulator import EmulatorServer
from compat.emulator.faults import FaultSpec
from compat.emulator.types import CacheCreation, ModelReply, Usage
from compat.probes.media import one_line_pdf
from support.bedrock_client import (
    HAIKU,
    SONNET,
    BedrockClient,
    RecordingModel,
    assert_bedrock_error,
    frame_payloads,
    runtime_client,
)

NONCE = "COMPAT-c0nv3rse"
PNG = base64.b64encode(b"\x89PNG fake bytes").decode()
PDF = base64.b64encode(b"%PDF-1.4 fake").decode()
BASH_TOOL: dict[str, Any] = {
    "toolSpec": {
        "name": "Bash",
        "description": "Run a shell command",
        "inputSchema": {
            "json": {
                "type": "object",
                "properties": {"command": {"type": "string"}},
                "required": ["command"],
            }
        },
    }
}
RUN_PROMPT = f"Use the Bash tool to run this exact command: `echo {NONCE}`. Then reply."


def user(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "content": list(blocks)}


def converse_body(**overrides: Any) -> dict[str, Any]:
    """A valid Converse request asking for the nonce."""
    body: dict[str, Any] = {
        "messages": [user({"text": f"Reply with exactly: {NONCE}"})],
        "inferenceConfig": {"maxTokens": 512},
    }
    body.update(copy.deepcopy(overrides))
    return body


def sent_body(client: BedrockClient, recording: RecordingModel, **overrides: Any) -> dict[str, Any]:
    """The Anthropic body the model received for a Converse request."""
    response = client.post(SONNET, "converse", converse_body(**overrides))
    assert response.status_code == 200, response.text
    return recording.last.body


# --- happy paths ----------------------------------------------------------------------------


def test_converse_returns_the_converse_response_shape(client: BedrockClient) -> None:
    response = client.post(HAIKU, "converse", converse_body())
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"output", "stopReason", "usage", "metrics"}
    assert body["output"] == {"message": {"role": "assistant", "content": [{"text": NONCE}]}}
    assert body["stopReason"] == "end_turn"
    usage = body["usage"]
    assert set(usage) == {"inputTokens", "outputTokens", "totalTokens"}
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    assert body["metrics"]["latencyMs"] >= 1


def test_converse_stream_events_in_order(client: BedrockClient) -> None:
    response = client.post(HAIKU, "converse-stream", converse_body())
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.amazon.eventstream"
    events = frame_payloads(response.content)
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "messageStart" and kinds[-3:] == [
        "contentBlockStop",
        "messageStop",
        "metadata",
    ]
    assert set(kinds[1:-3]) == {"contentBlockDelta"} and len(kinds[1:-3]) >= 2
    payloads = [payload for _, payload in events]
    assert all(payload.pop("p") for payload in payloads)
    assert payloads[0] == {"role": "assistant"}
    assert "".join(p["delta"]["text"] for p in payloads[1:-3]) == NONCE
    assert all(p["contentBlockIndex"] == 0 for p in payloads[1:-2])
    assert payloads[-2] == {"stopReason": "end_turn"}
    assert set(payloads[-1]) == {"usage", "metrics"}
    assert payloads[-1]["usage"]["outputTokens"] > 0


def test_boto3_converse_and_converse_stream(emulator: EmulatorServer) -> None:
    runtime = runtime_client(emulator.url)
    messages = [{"role": "user", "content": [{"text": f"Reply with exactly: {NONCE}"}]}]
    reply = runtime.converse(modelId=SONNET, messages=messages)
    assert reply["output"]["message"]["content"] == [{"text": NONCE}]
    assert reply["usage"]["inputTokens"] > 0
    stream = runtime.converse_stream(modelId=SONNET, messages=messages)["stream"]
    events = list(stream)
    text = "".join(
        e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e
    )
    assert text == NONCE
    assert events[-1]["metadata"]["usage"]["totalTokens"] > 0
    counted = runtime.count_tokens(modelId=SONNET, input={"converse": {"messages": messages}})
    assert counted["inputTokens"] > 0


# --- translation into the Anthropic body ----------------------------------------------------


def test_inference_config_becomes_anthropic_parameters(
    stub_client: BedrockClient, recording: RecordingModel
) -> None:
    config = {"maxTokens": 99, "temperature": 0.2, "topP": 0.9, "stopSequences": ["END"]}
    body = sent_body(stub_client, recording, inferenceConfig=config)
    assert body["max_tokens"] == 99
    assert body["temperature"] == 0.2
    assert body["top_p"] == 0.9
    assert body["stop_sequences"] == ["END"]
    assert recording.last.provider == "bedrock_converse"
    assert recording.last.model == SONNET


def test_cache_points_become_cache_control_on_the_block_before(
    stub_client: BedrockClient, recording: RecordingModel
) -> None:
    body = sent_body(
        stub_client,
        recording,
        system=[{"text": "You are terse."}, {"cachePoint": {"type": "default"}}],
        messages=[
            user(
                {"text": "first"},
                {"text": "second"},
                {"cachePoint": {"type": "default", "ttl": "1h"}},
            )
        ],
        toolConfig={"tools": [BASH_TOOL, {"cachePoint": {"type": "default", "ttl": "5m"}}]},
    )
    assert body["system"] == [
        {"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}}
    ]
    assert body["messages"][0]["content"] == [
        {"type": "text", "text": "first"},
        {"type": "text", "text": "second", "cache_control": {"type": "ephemeral", "ttl": "1h"}},
    ]
    assert body["tools"][0]["cache_control"] == {"type": "ephemeral", "ttl": "5m"}
    assert body["tools"][0]["input_schema"] == BASH_TOOL["toolSpec"]["inputSchema"]["json"]


def test_images_and_documents_become_anthropic_blocks(
    stub_client: BedrockClient, recording: RecordingModel
) -> None:
    body = sent_body(
        stub_client,
        recording,
        messages=[
            user(
                {"image": {"format": "png", "source": {"bytes": PNG}}},
                {
                    "document": {
                        "format": "pdf",
                        "name": "Report (final) [v2]",
                        "source": {"bytes": PDF},
                    }
                },
                {
                    "document": {
                        "format": "txt",
                        "name": "notes",
                        "source": {"bytes": base64.b64encode(b"hi").decode()},
                    }
                },
                {"text": "Describe them."},
            )
        ],
    )
    image, pdf, text, _ = body["messages"][0]["content"]
    assert image == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": PNG},
    }
    assert pdf["source"] == {"type": "base64", "media_type": "application/pdf", "data": PDF}
    assert pdf["title"] == "Report (final) [v2]"
    assert text["source"] == {"type": "text", "media_type": "text/plain", "data": "hi"}


def test_tool_use_and_results_become_tool_blocks(
    stub_client: BedrockClient, recording: RecordingModel
) -> None:
    body = sent_body(
        stub_client,
        recording,
        messages=[
            user({"text": "run it"}),
            {
                "role": "assistant",
                "content": [
                    {
                        "toolUse": {
                            "toolUseId": "tooluse_1",
                            "name": "Bash",
                            "input": {"command": "ls"},
                        }
                    }
                ],
            },
            user(
                {
                    "toolResult": {
                        "toolUseId": "tooluse_1",
                        "content": [{"text": "a.txt"}, {"json": {"files": 1}}],
                        "status": "error",
                    }
                }
            ),
        ],
        toolConfig={"tools": [BASH_TOOL], "toolChoice": {"tool": {"name": "Bash"}}},
    )
    assert body["messages"][1]["content"] == [
        {"type": "tool_use", "id": "tooluse_1", "name": "Bash", "input": {"command": "ls"}}
    ]
    assert body["messages"][2]["content"] == [
        {
            "type": "tool_result",
            "tool_use_id": "tooluse_1",
            "content": [{"type": "text", "text": "a.txt"}, {"type": "text", "text": '{"files":1}'}],
            "is_error": True,
        }
    ]
    assert body["tool_choice"] == {"type": "tool", "name": "Bash"}


@pytest.mark.parametrize(
    ("choice", "expected"),
    [({"auto": {}}, {"type": "auto"}), ({"any": {}}, {"type": "any"})],
)
def test_tool_choices(
    stub_client: BedrockClient,
    recording: RecordingModel,
    choice: dict[str, Any],
    expected: dict[str, str],
) -> None:
    body = sent_body(
        stub_client, recording, toolConfig={"tools": [BASH_TOOL], "toolChoice": choice}
    )
    assert body["tool_choice"] == expected


def test_additional_fields_carry_thinking_and_betas(
    stub_client: BedrockClient, recording: RecordingModel
) -> None:
    extra = {
        "thinking": {"type": "enabled", "budget_tokens": 2048},
        "anthropic_beta": ["interleaved-thinking-2025-05-14"],
        "top_k": 40,
    }
    body = sent_body(
        stub_client,
        recording,
        additionalModelRequestFields=extra,
        inferenceConfig={"maxTokens": 1024},
    )
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert body["top_k"] == 40
    assert "anthropic_beta" not in body
    assert recording.last.betas == frozenset({"interleaved-thinking-2025-05-14"})


def test_reasoning_content_becomes_thinking_blocks(
    stub_client: BedrockClient, recording: RecordingModel
) -> None:
    redacted = base64.b64encode(b"opaque").decode()
    body = sent_body(
        stub_client,
        recording,
        messages=[
            user({"text": "hi"}),
            {
                "role": "assistant",
                "content": [
                    {"reasoningContent": {"reasoningText": {"text": "hmm", "signature": "sig=="}}},
                    {"reasoningContent": {"redactedContent": redacted}},
                    {"text": "hello"},
                ],
            },
            user({"text": "again"}),
        ],
    )
    assert body["messages"][1]["content"][:2] == [
        {"type": "thinking", "thinking": "hmm", "signature": "sig=="},
        {"type": "redacted_thinking", "data": "opaque"},
    ]


def test_output_config_becomes_structured_output_and_effort(
    stub_client: BedrockClient, recording: RecordingModel
) -> None:
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}}
    config = {
        "effort": "high",
        "textFormat": {
            "type": "json_schema",
            "structure": {"jsonSchema": {"schema": json.dumps(schema)}},
        },
    }
    body = sent_body(stub_client, recording, outputConfig=config)
    assert body["output_config"] == {
        "effort": "high",
        "format": {"type": "json_schema", "schema": schema},
    }


def test_accepted_members_that_do_not_reach_the_model(
    stub_client: BedrockClient, recording: RecordingModel
) -> None:
    body = sent_body(
        stub_client,
        recording,
        requestMetadata={"team": "compat"},
        performanceConfig={"latency": "standard"},
        serviceTier={"type": "default"},
    )
    assert set(body) == {"messages", "max_tokens"}


# --- the reply back into Converse -----------------------------------------------------------


def reply_with(
    *blocks: dict[str, Any], stop: str = "end_turn", usage: Usage | None = None
) -> ModelReply:
    return ModelReply(
        id="msg_x",
        model="m",
        content=list(blocks),
        stop_reason=stop,  # type: ignore[arg-type]
        usage=usage or Usage(input_tokens=10, output_tokens=5),
    )


THINKING = {"type": "thinking", "thinking": "Let me run it.", "signature": "c2lnbmVk"}
TOOL_USE = {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "ls -la"}}


def test_reply_blocks_become_converse_content(
    stub_client: BedrockClient, recording: RecordingModel
) -> None:
    recording.reply = reply_with(
        THINKING, {"type": "text", "text": "Running."}, TOOL_USE, stop="tool_use"
    )
    response = stub_client.post(
        SONNET, "converse", converse_body(toolConfig={"tools": [BASH_TOOL]})
    )
    body = response.json()
    assert body["output"]["message"]["content"] == [
        {
            "reasoningContent": {
                "reasoningText": {"text": "Let me run it.", "signature": "c2lnbmVk"}
            }
        },
        {"text": "Running."},
        {"toolUse": {"toolUseId": "toolu_1", "name": "Bash", "input": {"command": "ls -la"}}},
    ]
    assert body["stopReason"] == "tool_use"


def test_stream_reasoning_and_tool_input_deltas(
    stub_client: BedrockClient, recording: RecordingModel
) -> None:
    recording.reply = reply_with(THINKING, TOOL_USE, stop="tool_use")
    response = stub_client.post(
        SONNET, "converse-stream", converse_body(toolConfig={"tools": [BASH_TOOL]})
    )
    events = [
        (kind, {k: v for k, v in p.items() if k != "p"})
        for kind, p in frame_payloads(response.content)
    ]
    reasoning = [
        p["delta"]["reasoningContent"]
        for k, p in events
        if k == "contentBlockDelta" and p["contentBlockIndex"] == 0
    ]
    assert "".join(r.get("text", "") for r in reasoning) == "Let me run it."
    assert reasoning[-1] == {"signature": "c2lnbmVk"}
    starts = [p for k, p in events if k == "contentBlockStart"]
    assert starts == [
        {"contentBlockIndex": 1, "start": {"toolUse": {"toolUseId": "toolu_1", "name": "Bash"}}}
    ]
    tool_input = "".join(
        p["delta"]["toolUse"]["input"]
        for k, p in events
        if k == "contentBlockDelta" and p["contentBlockIndex"] == 1
    )
    assert json.loads(tool_input) == {"command": "ls -la"}
    assert [p["contentBlockIndex"] for k, p in events if k == "contentBlockStop"] == [0, 1]
    assert ("messageStop", {"stopReason": "tool_use"}) in events


def test_cache_usage_fields(stub_client: BedrockClient, recording: RecordingModel) -> None:
    usage = Usage(
        input_tokens=12,
        output_tokens=5,
        cache_creation_input_tokens=3000,
        cache_read_input_tokens=1000,
        cache_creation=CacheCreation(
            ephemeral_5m_input_tokens=1000, ephemeral_1h_input_tokens=2000
        ),
    )
    recording.reply = reply_with({"type": "text", "text": "ok"}, usage=usage)
    body = stub_client.post(SONNET, "converse", converse_body()).json()
    assert body["usage"] == {
        "inputTokens": 12,
        "outputTokens": 5,
        "totalTokens": 4017,
        "cacheReadInputTokens": 1000,
        "cacheWriteInputTokens": 3000,
        "cacheDetails": [{"ttl": "5m", "inputTokens": 1000}, {"ttl": "1h", "inputTokens": 2000}],
    }


def test_additional_response_field_paths(stub_client: BedrockClient) -> None:
    paths = ["/stop_sequence", "/usage/output_tokens", "/not_there"]
    body = stub_client.post(
        SONNET, "converse", converse_body(additionalModelResponseFieldPaths=paths)
    ).json()
    assert body["additionalModelResponseFields"] == {
        "stop_sequence": None,
        "usage": {"output_tokens": 2},
    }
    events = frame_payloads(
        stub_client.post(
            SONNET, "converse-stream", converse_body(additionalModelResponseFieldPaths=paths)
        ).content
    )
    stop = next(p for kind, p in events if kind == "messageStop")
    assert stop["additionalModelResponseFields"] == body["additionalModelResponseFields"]


# --- the real model through Converse --------------------------------------------------------


def test_cache_points_give_cache_writes_then_reads(client: BedrockClient) -> None:
    system = [
        {"text": "You follow instructions exactly. " * 400},
        {"cachePoint": {"type": "default", "ttl": "1h"}},
    ]
    first = client.post(SONNET, "converse", converse_body(system=system)).json()["usage"]
    second = client.post(SONNET, "converse", converse_body(system=system)).json()["usage"]
    assert first["cacheWriteInputTokens"] > 0 and first["cacheReadInputTokens"] == 0
    assert first["cacheDetails"] == [{"ttl": "1h", "inputTokens": first["cacheWriteInputTokens"]}]
    assert second["cacheReadInputTokens"] == first["cacheWriteInputTokens"]
    assert second["cacheWriteInputTokens"] == 0
    assert second["totalTokens"] == first["totalTokens"]


def thinking_request(*messages: dict[str, Any]) -> dict[str, Any]:
    return converse_body(
        messages=list(messages),
        inferenceConfig={"maxTokens": 4096},
        additionalModelRequestFields={"thinking": {"type": "enabled", "budget_tokens": 1024}},
    )


def test_signed_reasoning_round_trips_and_tampering_is_refused(client: BedrockClient) -> None:
    question = user({"text": f"Reply with exactly: {NONCE}"})
    first = client.post(HAIKU, "converse", thinking_request(question))
    assert first.status_code == 200, first.text
    content = first.json()["output"]["message"]["content"]
    reasoning = content[0]["reasoningContent"]["reasoningText"]
    assert reasoning["text"] and reasoning["signature"]
    follow_up = user({"text": "And again?"})
    turn = {"role": "assistant", "content": content}
    second = client.post(HAIKU, "converse", thinking_request(question, turn, follow_up))
    assert second.status_code == 200, second.text
    tampered = copy.deepcopy(turn)
    tampered["content"][0]["reasoningContent"]["reasoningText"]["text"] += " (edited)"
    refused = client.post(HAIKU, "converse", thinking_request(question, tampered, follow_up))
    assert_bedrock_error(refused, 400, "ValidationException", "signature")


def test_a_tool_call_and_its_result_round_trip(client: BedrockClient) -> None:
    tools = {"tools": [BASH_TOOL]}
    first = client.post(
        HAIKU, "converse", converse_body(messages=[user({"text": RUN_PROMPT})], toolConfig=tools)
    )
    body = first.json()
    assert body["stopReason"] == "tool_use", first.text
    call = body["output"]["message"]["content"][-1]["toolUse"]
    assert call["name"] == "Bash" and call["input"]["command"] == f"echo {NONCE}"
    result = user({"toolResult": {"toolUseId": call["toolUseId"], "content": [{"text": NONCE}]}})
    history = [user({"text": RUN_PROMPT}), body["output"]["message"], result]
    second = client.post(
        HAIKU, "converse", converse_body(messages=history, toolConfig=tools)
    ).json()
    assert second["stopReason"] == "end_turn"
    assert NONCE in second["output"]["message"]["content"][-1]["text"]


# --- rejections -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"surprise": True}, "Value at 'surprise' failed to satisfy constraint"),
        (
            {"messages": [user({"text": "hi", "colour": "red"})]},
            "'messages.1.member.content.1.member.colour'",
        ),
        (
            {
                "messages": [
                    user({"text": "hi", "image": {"format": "png", "source": {"bytes": PNG}}})
                ]
            },
            "exactly one member of ContentBlock",
        ),
        ({"messages": [user()]}, None),
        ({"messages": [{"role": "robot", "content": [{"text": "hi"}]}]}, "enum value set"),
        ({"inferenceConfig": {"temperature": 1.5}}, "less than or equal to 1"),
        ({"inferenceConfig": {"maxTokens": 0}}, "greater than or equal to 1"),
        ({"inferenceConfig": {"maxTokens": "12"}}, "inferenceConfig.maxTokens"),
        (
            {"messages": [user({"image": {"format": "bmp", "source": {"bytes": PNG}}})]},
            "enum value set",
        ),
        (
            {"messages": [user({"image": {"format": "png", "source": {"bytes": "%%%"}}})]},
            "invalid base64",
        ),
        (
            {
                "messages": [
                    user(
                        {"image": {"format": "png", "source": {"s3Location": {"uri": "s3://b/k"}}}}
                    )
                ]
            },
            "s3Location",
        ),
        ({"messages": [user({"video": {}})]}, "ContentBlock.video is not supported"),
        ({"guardrailConfig": {"guardrailIdentifier": "g"}}, "guardrailConfig"),
        ({"toolConfig": {"tools": []}}, "greater than or equal to 1"),
        (
            {
                "toolConfig": {
                    "tools": [{"toolSpec": {"name": "has space", "inputSchema": {"json": {}}}}]
                }
            },
            "regular expression",
        ),
        ({"toolConfig": {"tools": [{"systemTool": {"name": "nova_grounding"}}]}}, "systemTool"),
        ({"additionalModelResponseFieldPaths": ["stop_sequence"]}, "JSON pointer"),
        ({"requestMetadata": {"bad key!": "v"}}, "regular expression"),
    ],
)
def test_malformed_requests_are_validation_exceptions(
    client: BedrockClient, overrides: dict[str, Any], fragment: str | None
) -> None:
    for operation in ("converse", "converse-stream"):
        response = client.post(SONNET, operation, converse_body(**overrides))
        assert_bedrock_error(response, 400, "ValidationException", fragment)


def test_tool_blocks_need_a_tool_config(client: BedrockClient) -> None:
    messages = [
        user({"text": "go"}),
        {
            "role": "assistant",
            "content": [{"toolUse": {"toolUseId": "t1", "name": "Bash", "input": {}}}],
        },
        user({"toolResult": {"toolUseId": "t1", "content": [{"text": "done"}]}}),
    ]
    response = client.post(SONNET, "converse", converse_body(messages=messages))
    assert response.json() == {
        "message": "The toolConfig field must be defined when using toolUse and toolResult "
        "content blocks."
    }
    assert_bedrock_error(response, 400, "ValidationException")


# Rule converse.document-name: the documented characters, with underscores (accepted live)
# and with non-ASCII letters, tabs and U+3000 refused (refused live).
@pytest.mark.parametrize(
    "name",
    ["report.pdf", "two  spaces", "résumé", "tab\there", "ideographic\u3000space"],
)
def test_document_names_are_restricted(client: BedrockClient, name: str) -> None:
    document = {"document": {"format": "pdf", "name": name, "source": {"bytes": PDF}}}
    response = client.post(
        SONNET, "converse", converse_body(messages=[user(document, {"text": "read"})])
    )
    assert_bedrock_error(
        response, 400, "ValidationException", "The document file name can only contain alphanumeric"
    )


@pytest.mark.parametrize(
    "name", ["under_score", "DocumentPDFmessages_1a2b_pdf", "Q3 (final) [v2]-x"]
)
def test_document_names_bedrock_accepts(client: BedrockClient, name: str) -> None:
    real_pdf = base64.b64encode(one_line_pdf("quarterly figures")).decode()
    document = {"document": {"format": "pdf", "name": name, "source": {"bytes": real_pdf}}}
    response = client.post(
        SONNET, "converse", converse_body(messages=[user(document, {"text": "read"})])
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        (
            {"system": [{"cachePoint": {"type": "default"}}, {"text": "x"}]},
            "cachePoint must follow",
        ),
        (
            {"additionalModelRequestFields": {"anthropic_beta": ["tool-search-tool-2025-10-19"]}},
            "invalid beta flag",
        ),
        (
            {"additionalModelRequestFields": {"anthropic_beta": ["claude-code-20250219"]}},
            "invalid beta flag",
        ),
        (
            {"additionalModelRequestFields": {"anthropic_beta": "interleaved-thinking-2025-05-14"}},
            "list of strings",
        ),
        ({"additionalModelRequestFields": {"max_tokens": 5}}, "max_tokens"),
        (
            {
                "additionalModelRequestFields": {
                    "tools": [{"type": "web_search_20250305", "name": "web_search"}]
                }
            },
            "tools",
        ),
        ({"additionalModelRequestFields": {"not_a_field": 1}}, "extraneous key [not_a_field]"),
        ({"performanceConfig": {"latency": "optimized"}}, "Latency-optimized"),
        ({"messages": [{"role": "system", "content": [{"text": "be nice"}]}]}, "role 'system'"),
        (
            {
                "messages": [
                    user({"document": {"format": "docx", "name": "d", "source": {"bytes": PDF}}})
                ]
            },
            "docx",
        ),
        (
            {
                "outputConfig": {
                    "textFormat": {
                        "type": "json_schema",
                        "structure": {"jsonSchema": {"schema": "{"}},
                    }
                }
            },
            "not valid JSON",
        ),
    ],
)
def test_requests_the_model_cannot_take_are_validation_exceptions(
    client: BedrockClient, overrides: dict[str, Any], fragment: str
) -> None:
    response = client.post(SONNET, "converse", converse_body(**overrides))
    assert_bedrock_error(response, 400, "ValidationException", fragment)


def test_the_models_own_checks_still_apply(client: BedrockClient) -> None:
    thinking = {"thinking": {"type": "enabled", "budget_tokens": 1024}}
    response = client.post(
        SONNET,
        "converse",
        converse_body(inferenceConfig={"maxTokens": 1024}, additionalModelRequestFields=thinking),
    )
    assert_bedrock_error(response, 400, "ValidationException", "budget_tokens")


def test_converse_needs_an_inference_profile(client: BedrockClient) -> None:
    response = client.post("anthropic.claude-opus-4-7", "converse", converse_body())
    assert_bedrock_error(response, 400, "ValidationException", "on-demand throughput")


def test_converse_stream_status_faults_are_http_errors(client: BedrockClient) -> None:
    client.ctx.faults.add(FaultSpec(provider="bedrock_converse", kind="status", status=429))
    response = client.post(SONNET, "converse-stream", converse_body())
    assert_bedrock_error(response, 429, "ThrottlingException")


def test_converse_stream_cut_and_malformed_faults(client: BedrockClient) -> None:
    client.ctx.faults.add(FaultSpec(provider="bedrock_converse", kind="cut_stream", after_events=1))
    cut = client.post(SONNET, "converse-stream", converse_body())
    assert [kind for kind, _ in frame_payloads(cut.content)] == ["messageStart"]
    client.ctx.faults.add(
        FaultSpec(provider="bedrock_converse", kind="malformed_frame", after_events=0)
    )
    malformed = client.post(SONNET, "converse-stream", converse_body())
    with pytest.raises(ChecksumMismatch):
        frame_payloads(malformed.content)


def test_count_tokens_with_a_converse_input_is_recorded_as_converse(client: BedrockClient) -> None:
    body = {
        "input": {"converse": {"messages": [user({"text": "count me"})], "system": [{"text": "s"}]}}
    }
    response = client.post("anthropic.claude-sonnet-4-6", "count-tokens", body)
    assert response.status_code == 200, response.text
    assert response.json()["inputTokens"] > 0
    assert client.ctx.recorder.query()[-1].provider == "bedrock_converse"
    refused = client.post(
        SONNET, "count-tokens", {"input": {"converse": {"messages": [], "inferenceConfig": {}}}}
    )
    assert_bedrock_error(refused, 400, "ValidationException", "inferenceConfig")
