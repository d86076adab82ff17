"""The wire diff: what a release changed in the requests, without the noise of each run."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from compat.history.wire_diff import (
    DEFAULT_NONCE_PATTERN,
    FieldChange,
    WireDiff,
    format_wire_diff,
    wire_diff,
    wire_diff_of_logs,
)
from compat.probes.base import new_nonce
from compat.upstream_log import RecordedRequest
from support.recorded import OTHER_NONCE, meta, replace_text, upstream_records

NONCE = "COMPAT-1A2B3C4D5E6F"
BEDROCK_PATH = "/model/us.anthropic.claude-sonnet-4-6-v1%3A0/invoke"
VERTEX_PATH = (
    "/v1/projects/compat-test/locations/us-east5/publishers/anthropic/models/"
    "claude-sonnet-4-6:rawPredict"
)
FAKE_KEY = "sk-ant-api03-" + "Zx9" * 12


def record(
    body: Any, *, seq: int = 1, path: str = "/v1/messages", **fields: Any
) -> RecordedRequest:
    headers = fields.pop("headers", {"content-type": "application/json"})
    return RecordedRequest(
        seq=seq,
        provider=fields.pop("provider", "anthropic"),
        method="POST",
        path=path,
        query="",
        headers=headers,
        body=body,
        timestamp=1_800_000_000.0 + seq,
        duration_ms=12.5,
        status=fields.pop("status", 200),
        **fields,
    )


def invoke_body(nonce: str, *, betas: list[str], tool_id: str) -> dict[str, Any]:
    """What LiteLLM sends Bedrock's InvokeModel for Claude Code's second turn."""
    return {
        "anthropic_version": "bedrock-2023-05-31",
        "anthropic_beta": betas,
        "max_tokens": 32000,
        "system": [
            {"type": "text", "text": "You are Claude Code, Anthropic's official CLI for Claude."},
            {
                "type": "text",
                "text": "You are an interactive agent. " * 40
                + f"Workdir /tmp/compat-claude-{nonce[-8:].lower()}/work",
                "cache_control": {"type": "ephemeral"},
            },
        ],
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": f"Run `echo {nonce}`"}]},
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "thinking",
                        "thinking": "I will run it.",
                        "signature": "EqQBCk" + nonce,
                    },
                    {
                        "type": "tool_use",
                        "id": tool_id,
                        "name": "Bash",
                        "input": {"command": f"echo {nonce}"},
                    },
                ],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": tool_id, "content": nonce}],
            },
        ],
        "thinking": {"type": "enabled", "budget_tokens": 4000},
        "tools": [
            {"name": "Bash", "description": "Run a command.", "input_schema": {"type": "object"}},
            {"name": "Read", "description": "Read a file.", "input_schema": {"type": "object"}},
        ],
    }


def sigv4(date: str, signature: str, length: int) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "user-agent": "litellm/1.81.0",
        "x-amz-date": date,
        "x-amz-security-token": "IQoJb3JpZ2luX2VjEXAMPLE",
        "x-amz-content-sha256": signature * 2,
        "authorization": (
            "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20260101/us-east-1/bedrock/aws4_request, "
            f"Signature={signature}"
        ),
        "content-length": str(length),
        "amz-sdk-invocation-id": "a2f8c7c1-5b6e-4c3e-9f7e-1d2c3b4a5f6e",
    }


def changes(diff: WireDiff) -> list[tuple[str, str, str | None, str | None]]:
    return [(c.kind, c.where, c.before, c.after) for c in diff.changes]


def test_a_bedrock_invoke_pair_shows_the_beta_added_and_nothing_else():
    before = record(
        invoke_body(
            NONCE, betas=["interleaved-thinking-2025-05-14"], tool_id="toolu_01AbCdEfGhIjKlMn"
        ),
        path=BEDROCK_PATH,
        provider="bedrock_invoke",
        headers=sigv4("20260101T000000Z", "ab12" * 16, 50211),
    )
    after_body = invoke_body(
        "COMPAT-9F8E7D6C5B4A",
        betas=["interleaved-thinking-2025-05-14", "context-management-2025-06-27"],
        tool_id="toolu_01ZyXwVuTsRqPoNm",
    )
    after = record(
        after_body,
        seq=7,
        path=BEDROCK_PATH,
        provider="bedrock_invoke",
        headers=sigv4("20260102T120000Z", "cd34" * 16, 50277),
    )
    diff = wire_diff(before, after)
    assert changes(diff) == [
        ("added", "body.anthropic_beta", None, "context-management-2025-06-27"),
    ]
    assert (
        diff.changes[0].label == "beta added: context-management-2025-06-27 (body.anthropic_beta)"
    )


def test_betas_in_the_header_compare_as_a_set():
    before = record({}, headers={"anthropic-beta": "a-1,b-2,c-3"})
    after = record({}, headers={"anthropic-beta": "c-3, b-2,d-4"})
    diff = wire_diff(before, after)
    assert [c.label for c in diff.changes] == ["beta removed: a-1", "beta added: d-4"]
    assert {c.where for c in diff.changes} == {"header anthropic-beta"}
    assert wire_diff(before, record({}, headers={"anthropic-beta": "c-3,a-1,b-2"})).changes == []


def test_a_header_appearing_adds_each_of_its_betas():
    diff = wire_diff(record({}, headers={}), record({}, headers={"anthropic-beta": "x-1,y-2"}))
    assert [c.label for c in diff.changes] == ["beta added: x-1", "beta added: y-2"]


def test_a_vertex_operation_change_is_a_path_change():
    body = {"anthropic_version": "vertex-2023-10-16", "max_tokens": 10, "messages": []}
    streamed = VERTEX_PATH.replace(":rawPredict", ":streamRawPredict")
    diff = wire_diff(
        record(body, path=VERTEX_PATH), record({**body, "stream": True}, path=streamed)
    )
    assert changes(diff) == [
        ("changed", "path", VERTEX_PATH, streamed),
        ("added", "body.stream", None, "true"),
    ]
    assert diff.changes[0].label.startswith("path: /v1/projects/compat-test/")
    assert diff.changes[0].label.endswith("claude-sonnet-4-6:streamRawPredict")


def test_a_tool_whose_type_changed_reads_as_translated():
    server = {"type": "web_search_20250305", "name": "web_search", "max_uses": 5}
    function = {"type": "function", "name": "web_search", "max_uses": 5}
    diff = wire_diff(record({"tools": [server]}), record({"tools": [function]}))
    assert changes(diff) == [
        ("changed", "body.tools[name=web_search].type", "web_search_20250305", "function")
    ]
    assert diff.changes[0].label.startswith("tool type translated: web_search_20250305 → function")


def test_a_server_tool_turned_custom_loses_its_type():
    server = {"type": "web_search_20250305", "name": "web_search"}
    custom = {"name": "web_search", "input_schema": {"type": "object"}}
    diff = wire_diff(record({"tools": [server]}), record({"tools": [custom]}))
    assert changes(diff) == [
        ("changed", "body.tools[name=web_search].type", "web_search_20250305", None),
        ("added", "body.tools[name=web_search].input_schema", None, '{"type":"object"}'),
    ]
    assert "web_search_20250305 → (no type)" in diff.changes[0].label


def test_reordering_tools_is_no_change_but_dropping_one_is():
    tools = [
        {"name": "Bash", "input_schema": {"type": "object"}},
        {"type": "web_search_20250305", "name": "web_search"},
        {"type": "code_execution_20250825"},
    ]
    assert wire_diff(record({"tools": tools}), record({"tools": tools[::-1]})).changes == []
    diff = wire_diff(record({"tools": tools}), record({"tools": tools[:2]}))
    assert [(c.kind, c.where) for c in diff.changes] == [
        ("removed", "body.tools[type=code_execution_20250825]")
    ]
    assert diff.changes[0].label.startswith("tool removed: [type=code_execution_20250825]")


def test_converse_tools_are_matched_by_their_tool_spec_name():
    def converse(tools: list[dict[str, Any]], effort: str) -> dict[str, Any]:
        return {
            "messages": [
                {
                    "role": "user",
                    "content": [{"text": f"hi {NONCE}"}, {"cachePoint": {"type": "default"}}],
                }
            ],
            "system": [{"text": "You are Claude Code."}, {"cachePoint": {"type": "default"}}],
            "inferenceConfig": {"maxTokens": 32000},
            "toolConfig": {"tools": tools},
            "additionalModelRequestFields": {"output_config": {"effort": effort}},
        }

    bash = {"toolSpec": {"name": "Bash", "inputSchema": {"json": {"type": "object"}}}}
    read = {"toolSpec": {"name": "Read", "inputSchema": {"json": {"type": "object"}}}}
    point = {"cachePoint": {"type": "default"}}
    before = record(converse([bash, read, point], "high"), path="/model/m/converse")
    same = record(converse([read, bash, point], "high"), path="/model/m/converse")
    assert wire_diff(before, same).changes == []
    after = record(converse([bash, point], "low"), path="/model/m/converse")
    assert changes(wire_diff(before, after)) == [
        (
            "removed",
            "body.toolConfig.tools[name=Read]",
            '{"toolSpec":{"name":"Read","inputSchema":{"json":{"type":"object"}}}}',
            None,
        ),
        ("changed", "body.additionalModelRequestFields.output_config.effort", "high", "low"),
    ]


def test_a_dropped_field_is_removed_with_its_old_value():
    body = {
        "max_tokens": 100,
        "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
    }
    diff = wire_diff(record(body), record({"max_tokens": 100}))
    was = '{"edits":[{"type":"clear_thinking_20251015","keep":"all"}]}'
    assert changes(diff) == [("removed", "body.context_management", was, None)]
    assert diff.changes[0].label == f"body.context_management removed (was {was})"


def test_messages_compare_by_shape_not_by_text():
    def body(prompt: str, *blocks: str) -> dict[str, Any]:
        return {
            "messages": [
                {"role": "user", "content": prompt},
                {"role": "assistant", "content": [{"type": b, "text": prompt} for b in blocks]},
            ]
        }

    assert (
        wire_diff(
            record(body("one", "thinking", "text")), record(body("two", "thinking", "text"))
        ).changes
        == []
    )
    diff = wire_diff(record(body("one", "thinking", "text")), record(body("one", "text")))
    assert changes(diff) == [
        ("changed", "body.messages[1]", "assistant: thinking, text", "assistant: text")
    ]


def test_a_message_shape_shows_cache_control_tool_names_and_repeats():
    text = [{"type": "text", "text": "a"} for _ in range(3)]
    before = {"messages": [{"role": "user", "content": text}]}
    after = copy.deepcopy(before)
    after["messages"][0]["content"][2]["cache_control"] = {"type": "ephemeral", "ttl": "1h"}
    after["messages"].append(
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {}}],
        }
    )
    assert changes(wire_diff(record(before), record(after))) == [
        (
            "changed",
            "body.messages[0]",
            "user: text×3",
            'user: text×2, text cache_control={"type":"ephemeral","ttl":"1h"}',
        ),
        ("added", "body.messages[1]", None, "assistant: tool_use Bash"),
    ]


def test_long_text_is_summarised_by_its_start_and_length():
    long_before = "You are Claude Code. " + "x" * 500
    long_after = "You are Claude Code. " + "x" * 300
    diff = wire_diff(record({"system": long_before}), record({"system": long_after}))
    [change] = diff.changes
    assert change.before == f"{long_before[:60]}… [521 chars]"
    assert change.after == f"{long_after[:60]}… [321 chars]"


def test_the_default_nonce_pattern_matches_compat_nonces():
    assert DEFAULT_NONCE_PATTERN.fullmatch(new_nonce())
    assert DEFAULT_NONCE_PATTERN.fullmatch(OTHER_NONCE)


def test_nonces_are_masked_unless_told_not_to():
    def body(nonce: str) -> dict[str, Any]:
        return {
            "output_config": {"format": {"type": "json_schema", "description": f"token {nonce}"}}
        }

    before, after = record(body(NONCE)), record(body(new_nonce()))
    assert wire_diff(before, after).changes == []
    [change] = wire_diff(before, after, nonce_pattern=None).changes
    assert change.where == "body.output_config.format.description"
    assert change.before == f"token {NONCE}"


def test_per_run_noise_is_ignored():
    def body(user: str, request_id: str) -> dict[str, Any]:
        return {"metadata": {"user_id": user}, "container": {"id": request_id}}

    def headers(session: str, port: int) -> dict[str, str]:
        return {
            "x-api-key": f"sk-ant-api03-{session}",
            "authorization": f"Bearer {session}",
            "x-claude-code-session-id": session,
            "x-request-id": session,
            "host": f"127.0.0.1:{port}",
            "x-goog-user-project": session,
            "cookie": session,
            "user-agent": "litellm/1.81.0",
        }

    before = record(
        body("device-1", "c1"), headers=headers("3f1a9c0e-0000-4000-8000-000000000001", 5001)
    )
    after = record(
        body("device-2", "c2"), headers=headers("9b2c8d1f-0000-4000-8000-000000000002", 6002)
    )
    assert wire_diff(before, after).changes == []
    newer = record(
        body("device-2", "c2"), headers={**headers("s", 1), "user-agent": "litellm/1.82.0"}
    )
    assert changes(wire_diff(before, newer)) == [
        ("changed", "header user-agent", "litellm/1.81.0", "litellm/1.82.0")
    ]


def test_two_runs_of_one_recording_differ_in_nothing():
    records = upstream_records("thinking_with_tool_use")
    rerun = replace_text(meta("thinking_with_tool_use")["nonce"], OTHER_NONCE)(
        copy.deepcopy(records)
    )
    for r in rerun:
        r["headers"]["x-claude-code-session-id"] = "00000000-1111-4222-8333-444444444444"
        r["seq"] += 100
    before = [RecordedRequest.model_validate(r) for r in records]
    after = [RecordedRequest.model_validate(r) for r in rerun]
    assert wire_diff_of_logs(before, after).changes == []


def test_a_secret_in_a_value_is_redacted_in_every_output():
    before = record({"system": "plain", "metadata": {"note": "n"}})
    after = record({"system": f"key {FAKE_KEY}", "metadata": {"note": f"{FAKE_KEY} again"}})
    diff = wire_diff(before, after)
    assert len(diff.changes) == 2
    lines = format_wire_diff(diff, before_label="1.80.0", after_label="1.81.0")
    assert FAKE_KEY not in "\n".join(lines)
    assert "sk-ant" not in "\n".join(lines)
    assert FAKE_KEY[:20] not in json.dumps(diff.as_json())
    assert "***" in lines[1]


def test_a_secret_past_the_summary_cut_is_still_redacted():
    text = "x" * 50 + " " + FAKE_KEY + " " + "y" * 100
    [change] = wire_diff(record({"system": "a"}), record({"system": text})).changes
    assert FAKE_KEY[:8] not in (change.after or ""), "half a key is no better than a whole one"


def test_the_format_has_a_heading_a_symbol_per_change_and_clipped_values():
    big = "v" * 300
    before = record({"a": 1, "gone": True, "big": "short"}, headers={"anthropic-beta": "x-1"})
    after = record({"a": 2, "big": big[:59]}, headers={"anthropic-beta": "x-1,y-2"})
    diff = wire_diff(before, after)
    lines = format_wire_diff(diff, before_label="2.1.300", after_label="2.1.301")
    assert lines[0] == "on the wire 2.1.300 → 2.1.301: 4 changes"
    assert lines[1:] == [
        "  + beta added: y-2",
        "  ~ body.a: 1 → 2",
        "  - body.gone removed (was true)",
        f"  ~ body.big: short → {big[:59]}",
    ]
    nothing = format_wire_diff(WireDiff([]), before_label="a", after_label="b")
    assert nothing == ["no difference on the wire a → b (per-run noise ignored)"]


def test_a_long_value_is_clipped_in_the_label_but_kept_in_the_change():
    value = {"k": ["word"] * 60}
    [change] = wire_diff(record({}), record({"big": value})).changes
    assert change.after == json.dumps(value, separators=(",", ":"))
    assert len(change.label) < len("body.big added: ") + 121
    assert change.label.endswith("…")


def test_as_json_lists_every_change():
    diff = WireDiff([FieldChange("added", "header anthropic-beta", None, "x", "beta added: x")])
    assert diff.as_json() == {
        "changes": [
            {
                "kind": "added",
                "where": "header anthropic-beta",
                "before": None,
                "after": "x",
                "label": "beta added: x",
            }
        ]
    }


def test_status_and_error_changes_are_reported():
    refused = record(
        {}, status=400, error_kind="invalid_request_error", error_message=f"bad {NONCE}"
    )
    diff = wire_diff(record({}), refused)
    assert changes(diff) == [
        ("changed", "status", "200", "400"),
        ("added", "error", None, "invalid_request_error: bad <nonce>"),
    ]


# ---------------------------------------------------------------------------- two runs' logs


def test_logs_skip_token_exchanges_and_count_tokens_to_pair_the_model_request():
    token = record("grant_type=...", seq=1, path="/oauth2/token")
    count = record({"messages": []}, seq=2, path="/v1/messages/count_tokens")
    before = [token, count, record({"thinking": {"type": "enabled"}}, seq=3)]
    after = [
        record("other", seq=11, path="/oauth2/token"),
        record({"messages": [], "x": 1}, seq=12, path="/v1/messages/count_tokens"),
        record({"thinking": {"type": "adaptive"}}, seq=13),
    ]
    assert changes(wire_diff_of_logs(before, after)) == [
        ("changed", "body.thinking.type", "enabled", "adaptive")
    ]


def test_a_cell_of_count_tokens_alone_pairs_its_count_tokens_requests():
    before = [record({"a": 1}, path="/v1/messages/count_tokens")]
    after = [record({"a": 2}, path="/v1/messages/count_tokens")]
    assert changes(wire_diff_of_logs(before, after)) == [("changed", "body.a", "1", "2")]


def test_a_request_only_one_side_made_is_a_change_at_requests():
    before = [record({"a": 1}, seq=1), record({"a": 1}, seq=2)]
    after = [record({"a": 1}, seq=5)]
    diff = wire_diff_of_logs(before, after)
    assert changes(diff) == [("removed", "requests", "POST /v1/messages (200)", None)]
    assert diff.changes[0].label == "request removed: POST /v1/messages (200)"
    diff = wire_diff_of_logs([], after)
    assert [c.label for c in diff.changes] == ["request added: POST /v1/messages (200)"]


def test_later_requests_report_only_what_the_first_did_not():
    def turn(seq: int, beta: str, *blocks: str) -> RecordedRequest:
        messages = [{"role": "assistant", "content": [{"type": b} for b in blocks]}]
        return record({"messages": messages}, seq=seq, headers={"anthropic-beta": beta})

    before = [turn(1, "a-1", "text"), turn(2, "a-1", "thinking", "tool_use")]
    after = [turn(8, "a-1,b-2", "text"), turn(9, "a-1,b-2", "tool_use")]
    diff = wire_diff_of_logs(before, after)
    assert [c.label for c in diff.changes] == [
        "beta added: b-2",
        "request 2: body.messages[0]: assistant: thinking, tool_use → assistant: tool_use",
    ]
    assert diff.changes[1].where == "request 2 body.messages[0]"


def test_requests_pair_by_path_then_in_order():
    stream = VERTEX_PATH.replace(":rawPredict", ":streamRawPredict")
    before = [record({"n": 1}, seq=1, path=VERTEX_PATH), record({"n": 2}, seq=2, path=VERTEX_PATH)]
    after = [record({"n": 1}, seq=3, path=stream), record({"n": 2}, seq=4, path=stream)]
    diff = wire_diff_of_logs(before, after)
    assert [c.where for c in diff.changes] == ["path"], "the second pair's path change is the same"


# ------------------------------------------------------------------------------ properties

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=80),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
bodies = st.dictionaries(
    st.sampled_from(["model", "tools", "messages", "system", "anthropic_beta", "thinking", "x"]),
    json_values,
    max_size=5,
)


@given(bodies)
def test_a_request_does_not_differ_from_itself(body):
    assert wire_diff(record(body), record(copy.deepcopy(body), seq=2)).changes == []


@given(bodies, bodies)
def test_the_diff_backwards_is_the_diff_forwards_reversed(a, b):
    swap = {"added": "removed", "removed": "added", "changed": "changed"}
    forwards = {
        (c.kind, c.where, c.before, c.after) for c in wire_diff(record(a), record(b)).changes
    }
    backwards = {
        (swap[c.kind], c.where, c.after, c.before) for c in wire_diff(record(b), record(a)).changes
    }
    assert forwards == backwards
