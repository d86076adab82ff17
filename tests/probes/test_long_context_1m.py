"""The 1M context window: the whole prompt and its beta reach upstream."""

from __future__ import annotations

import re

from compat.outcome import Pass
from compat.probes.long_context_1m import start_token
from support.recorded import (
    OTHER_NONCE,
    drop_beta,
    failed,
    judge,
    recorded_context,
    replace_text,
    transcript,
)

NONCES = re.compile(r"COMPAT-[0-9A-F]{12}")


def test_long_context_passes_on_the_recorded_run():
    assert judge("long_context_1m", transcript("long_context_1m")).outcome == Pass()


def test_long_context_fails_without_the_nonce():
    run = transcript("long_context_1m", lambda t: NONCES.sub(OTHER_NONCE, t))
    failed(judge("long_context_1m", run), "expected the reply to contain the nonce")


def test_long_context_fails_when_the_1m_beta_was_dropped_on_the_way():
    ctx = recorded_context("long_context_1m", drop_beta("context-1m-2025-08-07"))
    verdict = judge("long_context_1m", transcript("long_context_1m"), ctx)
    failed(verdict, "expected the context-1m-2025-08-07 beta Claude Code sends for a `[1m]` model")


def test_long_context_needs_no_beta_where_claude_code_sends_none():
    # Claude Code sends no 1M beta for `claude-opus-4-7[1m]`: its window is 1M already.
    ctx = recorded_context("long_context_1m", drop_beta("context-1m-2025-08-07"), tier="opus-4-7")
    assert judge("long_context_1m", transcript("long_context_1m"), ctx).outcome == Pass()


def test_long_context_fails_when_the_start_of_the_prompt_was_lost():
    ctx = recorded_context("long_context_1m")
    lost_start = replace_text(start_token(ctx), "")
    verdict = judge(
        "long_context_1m",
        transcript("long_context_1m"),
        recorded_context("long_context_1m", lost_start),
    )
    failed(verdict, f"lost its start (the token {start_token(ctx)} it begins with)")


def test_long_context_fails_when_upstream_counted_a_standard_window():
    def small(text: str) -> str:
        for key in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"):
            text = re.sub(rf'"{key}":\d+', f'"{key}":1000', text)
        return text

    run = transcript("long_context_1m", small)
    failed(judge("long_context_1m", run), "expected the upstream to count more than 200,000")
