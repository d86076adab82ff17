"""What the gateway-contract checks share: stream shapes asked of the upstream, and stream judging.

The checks judge what Claude Code received against what the upstream sent, event by event,
so most of them need the emulator's record (`needs_upstream_record`): against live
upstreams those cells are not tested.
"""

from __future__ import annotations

from typing import Any

from compat.driver import ClaudeRun, StreamEvent
from compat.probes.base import expect_nonce
from compat.upstream_log import RecordedRequest


def stream_marker(
    *, pace: float | None = None, stall: float | None = None, ping: float | None = None
) -> str:
    """The emulator's marker for a paced or stalled stream (see compat.emulator.stream_pacing)."""
    parts = [
        f"{name}={value:g}"
        for name, value in (("pace", pace), ("stall", stall), ("ping", ping))
        if value is not None
    ]
    return "[compat-stream " + " ".join(parts) + "]"


def streamed_text_problem(run: ClaudeRun, nonce: str) -> str | None:
    """The text Claude Code received in `text_delta` events holds the nonce, or what it held."""
    text = "".join(d.get("text", "") for d in run.deltas("text_delta"))
    return expect_nonce(text, nonce, "the streamed text")


def client_events(run: ClaudeRun) -> list[StreamEvent]:
    """The stream events Claude Code relayed (`--include-partial-messages`), pings left out."""
    return [e for e in run.of_type(StreamEvent) if e.event.get("type") != "ping"]


def sequence_problem(events: list[dict[str, Any]]) -> str | None:
    """What breaks the Messages stream grammar in `events`, or None.

    https://docs.claude.com/en/docs/build-with-claude/streaming#event-types: one
    `message_start`; per content block a `content_block_start`, one or more
    `content_block_delta` and a `content_block_stop`; one or more `message_delta`; a final
    `message_stop`. (The grammar allows a block without deltas; Claude Code's replies here
    always have text, so one without is a dropped delta.)
    """
    kinds = [str(e.get("type")) for e in events]
    if not kinds:
        return "no stream events reached Claude Code"
    if kinds[0] != "message_start" or kinds.count("message_start") != 1:
        return f"expected one message_start first, got {_head(kinds)}"
    if kinds[-1] != "message_stop" or kinds.count("message_stop") != 1:
        return f"expected one message_stop last, the stream ended {_tail(kinds)}"
    open_index: int | None = None
    next_index, deltas, seen_delta = 0, 0, False
    for position, event in enumerate(events[1:-1], start=1):
        kind = event.get("type")
        index = event.get("index")
        if kind == "message_delta":
            if open_index is not None:
                return f"message_delta at event {position} inside content block {open_index}"
            seen_delta = True
            continue
        if seen_delta:
            return f"{kind} at event {position} after message_delta"
        if kind == "content_block_start":
            if open_index is not None:
                return f"content block {index} started before block {open_index} stopped"
            if index != next_index:
                return f"expected content block {next_index} next, got block {index}"
            open_index, deltas = index, 0
        elif kind == "content_block_delta":
            if index != open_index:
                return f"a delta for block {index} arrived while block {open_index} was open"
            deltas += 1
        elif kind == "content_block_stop":
            if index != open_index:
                return f"content_block_stop for block {index} while block {open_index} was open"
            if deltas == 0:
                return f"content block {index} stopped without a single delta"
            open_index, next_index = None, next_index + 1
        else:
            return f"unexpected event {kind!r} at event {position}"
    if not seen_delta:
        return "no message_delta before message_stop (stop_reason and usage were lost)"
    if next_index == 0:
        return "no content block reached Claude Code"
    return None


def _head(kinds: list[str]) -> str:
    return ", ".join(kinds[:3]) + (" …" if len(kinds) > 3 else "")


def _tail(kinds: list[str]) -> str:
    return "with " + ", ".join(kinds[-3:]) if kinds else "empty"


def streamed(records: list[RecordedRequest]) -> list[RecordedRequest]:
    """The answered requests whose reply the upstream streamed (with its event times)."""
    return [r for r in records if r.sent_events and r.status is not None and 200 <= r.status < 300]


def upstream_kinds(record: RecordedRequest) -> list[str]:
    """The event types the upstream sent, pings left out."""
    return [e.type for e in record.sent_events or [] if e.type != "ping"]
