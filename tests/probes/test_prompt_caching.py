"""Prompt caching, 5 minute and 1 hour TTL: judged on the final usage and the breakpoints sent."""

from __future__ import annotations

import json
import re

from compat.outcome import Pass
from support.recorded import failed, judge, recorded_context, strip_cache_control, transcript


def converse_shaped(text: str) -> str:
    """The run as a Bedrock Converse stream reports it: no cache counts in message_start.

    ConverseStream sends usage only in its closing `metadata` event, so the proxy's
    `message_start` (which Claude Code copies into each assistant message) has zeros and the
    counts arrive in `message_delta`, which only the final usage (the result) carries.
    """
    lines = []
    for line in text.splitlines():
        event = json.loads(line)
        if event.get("type") == "assistant":
            event["message"]["usage"] = {
                "input_tokens": 0,
                "output_tokens": 0,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
            }
        lines.append(json.dumps(event))
    return "\n".join(lines)


def test_caching_passes_on_the_recorded_transcripts():
    for feature in ("prompt_caching_5m", "prompt_caching_1h"):
        assert judge(feature, transcript(feature)).outcome == Pass(), feature


def test_cache_counts_only_in_the_final_usage_pass():
    for feature in ("prompt_caching_5m", "prompt_caching_1h"):
        verdict = judge(feature, transcript(feature, converse_shaped))
        assert verdict.outcome == Pass(), (feature, verdict.outcome)


def test_caching_fails_without_reads_on_the_repeat():
    run = transcript(
        "prompt_caching_5m",
        lambda t: re.sub(r'"cache_read_input_tokens":\d+', '"cache_read_input_tokens":0', t),
    )
    failed(judge("prompt_caching_5m", run), "expected cache_read_input_tokens > 0 on the repeat")


def test_caching_needs_two_turns():
    def first_turn_only(text: str) -> str:
        lines = text.splitlines()
        ids = [json.loads(line)["message"]["id"] for line in lines if '"type":"assistant"' in line]
        return "\n".join(line for line in lines if ids[-1] not in line or '"result"' in line)

    failed(
        judge("prompt_caching_5m", transcript("prompt_caching_5m", first_turn_only)),
        "expected two model turns",
    )


def test_caching_fails_when_the_breakpoints_never_reached_upstream():
    ctx = recorded_context("prompt_caching_5m", strip_cache_control(ttl_only=False))
    failed(
        judge("prompt_caching_5m", transcript("prompt_caching_5m"), ctx),
        "expected cache breakpoints (`cache_control`) in the upstream requests",
    )


def test_1h_caching_fails_without_1h_writes():
    run = transcript(
        "prompt_caching_1h",
        lambda t: re.sub(r'"ephemeral_1h_input_tokens":\d+', '"ephemeral_1h_input_tokens":0', t),
    )
    failed(judge("prompt_caching_1h", run), "expected cache_creation.ephemeral_1h_input_tokens > 0")


def test_1h_caching_fails_when_the_ttl_never_reached_upstream():
    ctx = recorded_context("prompt_caching_1h", strip_cache_control(ttl_only=True))
    failed(
        judge("prompt_caching_1h", transcript("prompt_caching_1h"), ctx),
        'expected cache breakpoints with `ttl: "1h"` upstream',
    )
