"""The gateway-contract checks, judged on made-up transcripts and upstream records."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from compat.driver import ClaudeRun, ProxyEndpoint, parse_transcript
from compat.outcome import Fail, Pass
from compat.probes.base import ProbeContext
from compat.probes.contract import sequence_problem, stream_marker
from compat.probes.contract_event_sequence import EventSequence
from compat.probes.contract_exact_token_count import judge_exact
from compat.probes.contract_keep_alive import KeepAlive
from compat.probes.contract_model_discovery import judge_discovery
from compat.probes.contract_open_lists import OpenLists, unseen_beta, unseen_field
from compat.probes.contract_system_array import system_problem
from compat.probes.contract_thinking_signatures import ThinkingSignatures, turn_token
from compat.probes.contract_unbuffered_stream import UnbufferedStream
from compat.run.cells import Cell
from compat.upstream_log import RecordedRequest, SentEvent
from support.recorded import made_record

NONCE = "COMPAT-0123456789AB"
PROXY = ProxyEndpoint(base_url="http://127.0.0.1:9", api_key=SecretStr("sk-test"))


class Log:
    def __init__(self, records: list[RecordedRequest]) -> None:
        self.records = records

    @property
    def last_seq(self) -> int:
        return len(self.records)

    def query(self, *, contains: str | None = None, since: int = 0) -> list[RecordedRequest]:
        return [r for r in self.records if contains is None or contains in json.dumps(r.body)]


def context(feature: str, records: list[RecordedRequest], provider: str = "anthropic"):
    return ProbeContext(
        cell=Cell(feature, provider, "haiku-4-5"),
        alias=f"claude-haiku-4-5-{provider}",
        proxy=PROXY,
        nonce=NONCE,
        upstream=Log(records),
    )


def record(
    *,
    body: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    path: str = "/v1/messages",
    status: int = 200,
    events: list[tuple[float, str]] | None = None,
    response: Any = None,
) -> RecordedRequest:
    return made_record(
        path,
        body if body is not None else {"messages": [NONCE], "stream": events is not None},
        headers,
        status,
        sent_events=[SentEvent(t=t, type=k) for t, k in events] if events is not None else None,
        response_body=response,
    )


GRAMMAR = [
    {"type": "message_start"},
    {"type": "content_block_start", "index": 0},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": NONCE}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "."}},
    {"type": "content_block_stop", "index": 0},
    {"type": "message_delta"},
    {"type": "message_stop"},
]


def streamed_run(events: list[dict[str, Any]], arrivals: list[float] | None = None) -> ClaudeRun:
    lines = [json.dumps({"type": "stream_event", "event": e}) for e in events]
    lines.append(json.dumps({"type": "result", "subtype": "success", "result": NONCE}))
    parsed = parse_transcript("\n".join(lines))
    return ClaudeRun(
        argv=[],
        events=parsed,
        exit_code=0,
        stderr="",
        duration_ms=1,
        arrivals=arrivals if arrivals is not None else [0.0] * len(parsed),
    )


# ---------------------------------------------------------------- the stream grammar


def test_a_complete_stream_follows_the_grammar():
    assert sequence_problem(GRAMMAR) is None


@pytest.mark.parametrize(
    ("drop", "expected"),
    [
        (5, "no message_delta before message_stop"),
        (6, "expected one message_stop last"),
        (0, "expected one message_start first"),
        (4, "message_delta at event 4 inside content block 0"),
        (2, "content block 0 stopped without a single delta"),
    ],
)
def test_a_dropped_event_breaks_the_grammar(drop, expected):
    events = [e for i, e in enumerate(GRAMMAR) if i not in (drop, 3 if drop == 2 else -1)]
    problem = sequence_problem(events)
    assert problem is not None and expected in problem


def test_a_duplicated_or_reordered_event_breaks_the_grammar():
    assert "one message_start" in (sequence_problem([GRAMMAR[0], *GRAMMAR]) or "")
    swapped = [*GRAMMAR[:4], GRAMMAR[5], GRAMMAR[4], GRAMMAR[6]]
    assert "inside content block 0" in (sequence_problem(swapped) or "")


def test_the_marker_is_the_emulator_s_syntax():
    assert stream_marker(pace=0.4) == "[compat-stream pace=0.4]"
    assert stream_marker(stall=16, ping=2) == "[compat-stream stall=16 ping=2]"


def test_the_sequence_check_compares_with_what_the_upstream_sent():
    kinds = [(0.0, str(e["type"])) for e in GRAMMAR]
    same = record(events=[*kinds[:1], (0.0, "ping"), *kinds[1:]])
    probe = EventSequence()
    ctx = context("contract_event_sequence", [same])
    assert probe.wire_problem(streamed_run(GRAMMAR), ctx, [same]) is None
    extra = record(events=[*kinds[:3], (0.0, "content_block_delta"), *kinds[3:]])
    problem = probe.wire_problem(streamed_run(GRAMMAR), ctx, [extra])
    assert (
        problem is not None and "Claude Code received 7 events where the upstream sent 8" in problem
    )


# ---------------------------------------------------------------- timing


def test_unbuffered_when_the_first_delta_arrives_before_the_last_upstream_event():
    upstream = record(events=[(100.0 + i * 0.4, "content_block_delta") for i in range(10)])
    ctx = context("contract_unbuffered_stream", [upstream])
    arrivals = [100.1, 100.2, 100.5, 101.0, 103.0, 104.0, 104.1, 104.2]
    assert UnbufferedStream().wire_problem(streamed_run(GRAMMAR, arrivals), ctx, [upstream]) is None
    late = [104.0] * len(arrivals)
    problem = UnbufferedStream().wire_problem(streamed_run(GRAMMAR, late), ctx, [upstream])
    assert problem is not None and "the proxy buffered the stream" in problem


def test_an_unpaced_upstream_is_no_evidence_either_way():
    upstream = record(events=[(100.0, "content_block_delta")] * 5)
    ctx = context("contract_unbuffered_stream", [upstream])
    problem = UnbufferedStream().wire_problem(streamed_run(GRAMMAR), ctx, [upstream])
    assert problem is not None and "its events were not paced" in problem


def test_keep_alive_fails_when_claude_code_asked_again_without_streaming():
    stalled = record(events=[(0.0, "message_start"), (0.1, "content_block_delta"), (16.1, "x")])
    retry = record(body={"messages": [NONCE], "stream": False})
    ctx = context("contract_keep_alive", [stalled, retry])
    run = streamed_run(GRAMMAR)
    assert KeepAlive().wire_problem(run, ctx, [stalled]) is None
    problem = KeepAlive().wire_problem(run, ctx, [stalled, retry])
    assert problem is not None and "asked again without streaming" in problem
    quick = record(events=[(0.0, "message_start"), (0.1, "content_block_delta")])
    problem = KeepAlive().wire_problem(run, ctx, [quick])
    assert problem is not None and "expected the upstream to fall silent" in problem


# ---------------------------------------------------------------- what arrived upstream


def test_open_lists_pass_when_both_unseen_values_arrive_even_if_refused():
    both = record(
        body={"messages": [NONCE], unseen_field(NONCE): NONCE},
        headers={"anthropic-beta": f"claude-code-20250219,{unseen_beta(NONCE)}"},
        status=400,
    )
    ctx = context("contract_open_lists", [both])
    assert OpenLists().lost(ctx, [both]) is None
    without = record(body={"messages": [NONCE]}, headers={"anthropic-beta": "claude-code-20250219"})
    problem = OpenLists().lost(ctx, [without])
    assert problem is not None
    assert "(ANTHROPIC_BETAS)" in problem and "(CLAUDE_CODE_EXTRA_BODY)" in problem


def test_open_lists_invocation_sets_both_variables():
    ctx = context("contract_open_lists", [])
    env = OpenLists().invocation(ctx).env
    assert env["ANTHROPIC_BETAS"] == unseen_beta(NONCE)
    assert json.loads(env["CLAUDE_CODE_EXTRA_BODY"]) == {unseen_field(NONCE): NONCE}


ATTRIBUTION = {"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1.329;"}
PROMPT = {"type": "text", "text": "You are Claude Code."}


@pytest.mark.parametrize(
    ("system", "expected"),
    [
        ([ATTRIBUTION, PROMPT], None),
        ([{"text": ATTRIBUTION["text"]}, {"text": "You are Claude Code."}], None),
        ([PROMPT], "it is in no entry"),
        ([PROMPT, ATTRIBUTION], "it is in entry 1"),
        ([{"type": "text", "text": ATTRIBUTION["text"] + "\nYou are Claude Code."}], "merged"),
        ("You are Claude Code.", "it arrived str"),
    ],
)
def test_the_system_array_keeps_the_attribution_block_first_and_alone(system, expected):
    problem = system_problem(record(body={"messages": [NONCE], "system": system}))
    if expected is None:
        assert problem is None
    else:
        assert problem is not None and expected in problem


def _thinking_run(signatures: list[str]) -> ClaudeRun:
    lines = []
    for turn, signature in enumerate(signatures, start=1):
        content = [{"type": "thinking", "thinking": "t", "signature": signature}]
        lines.append(json.dumps({"type": "assistant", "message": {"content": content}}))
        result = {"type": "result", "subtype": "success", "result": turn_token(NONCE, turn)}
        lines.append(json.dumps(result))
    return ClaudeRun(
        argv=[], events=parse_transcript("\n".join(lines)), exit_code=0, stderr="", duration_ms=1
    )


def test_the_last_turn_carries_every_earlier_signature():
    run = _thinking_run(["s1", "s2", "s3"])
    assert ThinkingSignatures().judge(run, context("contract_thinking_signatures", [])) is None

    def last(blocks):
        return record(
            body={
                "messages": [
                    {"role": "user", "content": [{"type": "text", "text": NONCE}]},
                    {"role": "assistant", "content": blocks},
                    {"role": "user", "content": [{"type": "text", "text": "next"}]},
                ]
            }
        )

    kept = last([{"type": "thinking", "signature": "s1"}, {"type": "thinking", "signature": "s2"}])
    ctx = context("contract_thinking_signatures", [kept])
    assert ThinkingSignatures().wire_problem(run, ctx, [kept]) is None
    altered = last(
        [{"type": "thinking", "signature": "s1"}, {"type": "thinking", "signature": "X"}]
    )
    problem = ThinkingSignatures().wire_problem(run, ctx, [altered])
    assert problem is not None and "turn(s) 2" in problem


def test_a_bound_elsewhere_refusal_fails_the_signature_check():
    refused = record(status=400)
    refused = refused.model_copy(
        update={"error_message": "The block is bound to a different conversation"}
    )
    ctx = context("contract_thinking_signatures", [refused])
    problem = ThinkingSignatures().wire_problem(_thinking_run(["s1"]), ctx, [refused])
    assert problem is not None and "refused a replayed thinking block" in problem


def test_each_turn_must_answer_its_own_token():
    run = _thinking_run(["s1", "s2"])
    problem = ThinkingSignatures().judge(run, context("contract_thinking_signatures", []))
    assert problem == "expected 3 answered turns, Claude Code finished 2"
    assert turn_token(NONCE, 1) == NONCE and turn_token(NONCE, 2) != turn_token(NONCE, 3)


# ---------------------------------------------------------------- HTTP checks


def _count(given: int, counted: int | None):
    upstream = record(
        path="/v1/messages/count_tokens",
        body={"messages": [NONCE]},
        response={"input_tokens": counted} if counted is not None else None,
    )
    ctx = context("contract_exact_token_count", [upstream])
    return judge_exact(httpx.Response(200, json={"input_tokens": given}), ctx)


def test_the_count_must_be_the_upstream_s():
    assert _count(12, 12).outcome == Pass()
    wrong = _count(11, 12).outcome
    assert isinstance(wrong, Fail) and "the upstream counted 12" in wrong.error
    missing = _count(12, None).outcome
    assert isinstance(missing, Fail) and "held no count" in missing.error


def _discovery(response: httpx.Response, elapsed: float = 0.1):
    return judge_discovery(response, elapsed, context("contract_model_discovery", []))


def test_discovery_needs_the_alias_among_the_kept_ids_quickly_and_without_a_redirect():
    ids = {"data": [{"id": "claude-haiku-4-5-anthropic"}, {"id": "gpt-4o"}]}
    assert _discovery(httpx.Response(200, json=ids)).outcome == Pass()
    slow = _discovery(httpx.Response(200, json=ids), elapsed=3.5).outcome
    assert isinstance(slow, Fail) and "past Claude Code's 3 s" in slow.error
    moved = _discovery(httpx.Response(307, headers={"location": "/v1/models/"})).outcome
    assert isinstance(moved, Fail) and "redirect" in moved.error
    other = _discovery(httpx.Response(200, json={"data": [{"id": "gpt-4o"}]})).outcome
    assert isinstance(other, Fail) and "got 0" in other.error
