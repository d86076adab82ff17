"""Paced and stalled streams, asked for by a `[compat-stream ...]` marker in the request.

A streamed reply normally leaves the emulator as fast as it can be written. A request whose
system text or user message text contains a marker such as

    [compat-stream pace=0.4 stall=6 ping=1]

is streamed with real delays instead, so a client's or proxy's handling of slow, silent or
keep-alive-only upstreams can be observed:

- `pace`: seconds between consecutive stream events (0 to 5);
- `stall`: seconds of silence inserted once, right after the first delta of the reply's
  thinking block, or after its first text delta when it has no thinking block (or after its
  first delta of any kind when it has neither) (0 to 60);
- `ping`: during the stall, an SSE `ping` event every `ping` seconds (0.2 to 60), on the
  Anthropic-shaped SSE wires only: the Messages stream documents `ping` events
  (https://docs.claude.com/en/docs/build-with-claude/streaming), Bedrock's
  InvokeModelWithResponseStream has none
  (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModelWithResponseStream.html)
  and neither has ConverseStream
  (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html).

On ConverseStream the thinking delta's counterpart is a `contentBlockDelta` whose `delta`
holds `reasoningContent` (`converse_stall_index`).

Every key is optional. The marker is an instruction to the emulator's wire, not to the model
(which reads it as any other text): it is read from the neutral request after the wire
decoded it, and it stays in the request and in the recorded body. When several markers
arrive (a conversation repeats its history) the last one wins: system text first, then the
messages in order. A marker the emulator cannot read is refused as an
`invalid_request_error` whose message names the marker, rather than silently streaming at
full speed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from compat.emulator.blocks import as_list, block_type, message_blocks
from compat.emulator.types import EmulatorError, NeutralRequest

MARKER_PREFIX = "[compat-stream"
# The prefix, then up to 200 characters to the closing bracket; "[compat-streaming" is no
# marker. The bounded class keeps the match linear in the text's length.
_MARKER = re.compile(r"\[compat-stream(?=[\s\]])(?:([^\]\[]{0,200})(\]))?")
_SETTING = re.compile(r"([a-z]+)=([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)")

MAX_PACE_S = 5.0
MAX_STALL_S = 60.0
MIN_PING_S = 0.2
MAX_PING_S = 60.0


class StreamDirective(BaseModel):
    """How one streamed reply is paced: the parsed `[compat-stream ...]` marker."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pace: float = Field(default=0.0, ge=0.0, le=MAX_PACE_S)
    """Seconds between consecutive stream events."""
    stall: float = Field(default=0.0, ge=0.0, le=MAX_STALL_S)
    """Seconds of silence inserted once, after the first thinking (else text) delta."""
    ping: float | None = Field(default=None, ge=MIN_PING_S, le=MAX_PING_S)
    """Seconds between SSE `ping` events during the stall; None sends none."""

    def marker(self) -> str:
        """The marker that asks for this directive (the inverse of `parse_marker`)."""
        settings = [f"pace={self.pace!r}", f"stall={self.stall!r}"]
        if self.ping is not None:
            settings.append(f"ping={self.ping!r}")
        return f"{MARKER_PREFIX} {' '.join(settings)}]"


def parse_marker(text: str) -> StreamDirective | None:
    """The directive of the last marker in `text`, None without one; `ValueError` if unreadable."""
    if MARKER_PREFIX not in text:
        return None
    found = None
    for found in _MARKER.finditer(text):
        if found.group(2) is None:
            raise ValueError(f"a {MARKER_PREFIX} marker must end with ']'")
    if found is None:
        return None
    settings: dict[str, str] = {}
    for token in found.group(1).split():
        setting = _SETTING.fullmatch(token)
        if setting is None:
            raise ValueError(f"{token!r} is not key=seconds (pace=0.4, stall=6, ping=1)")
        key, value = setting.groups()
        if key in settings:
            raise ValueError(f"{key} is given twice")
        settings[key] = value
    try:
        return StreamDirective.model_validate({k: float(v) for k, v in settings.items()})
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ValueError(f"{where}: {first['msg']}") from None


def request_texts(req: NeutralRequest) -> list[str]:
    """The system text and every user message's text, in the order they arrived."""
    body = req.body
    system = body.get("system")
    texts = [system] if isinstance(system, str) else []
    texts += [str(b.get("text", "")) for b in as_list(system) if block_type(b) == "text"]
    for message in as_list(body.get("messages")):
        if isinstance(message, dict) and message.get("role") == "user":
            texts += [
                str(b.get("text", "")) for b in message_blocks(message) if block_type(b) == "text"
            ]
    return texts


def stream_directive(req: NeutralRequest) -> StreamDirective | None:
    """The pacing a request asks for, or None; an unreadable marker is `invalid_request_error`."""
    directive = None
    for text in request_texts(req):
        if MARKER_PREFIX not in text:
            continue
        try:
            parsed = parse_marker(text)
        except ValueError as exc:
            raise EmulatorError.invalid(f"{MARKER_PREFIX} ...] marker: {exc}") from None
        if parsed is not None:
            directive = parsed
    return directive


def stall_index(events: Sequence[Mapping[str, Any]]) -> int | None:
    """The index of the event the stall follows: the first thinking delta, else text delta."""
    thinking = {
        event["index"]
        for event in events
        if event["type"] == "content_block_start"
        and event["content_block"].get("type") == "thinking"
    }
    first_text = first_delta = None
    for index, event in enumerate(events):
        if event["type"] != "content_block_delta":
            continue
        if event["index"] in thinking:
            return index
        if first_delta is None:
            first_delta = index
        if first_text is None and event["delta"].get("type") == "text_delta":
            first_text = index
    return first_text if first_text is not None else first_delta


def converse_stall_index(events: Sequence[tuple[str, Mapping[str, Any]]]) -> int | None:
    """The index of the ConverseStream event the stall follows, as `stall_index` picks it.

    The first `contentBlockDelta` carrying `reasoningContent` (Converse's thinking delta),
    else the first carrying `text`, else the first delta of any kind. Delta members:
    ContentBlockDelta in https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ContentBlockDelta.html
    """
    first_text = first_delta = None
    for index, (name, payload) in enumerate(events):
        if name != "contentBlockDelta":
            continue
        delta = payload["delta"]
        if "reasoningContent" in delta:
            return index
        if first_delta is None:
            first_delta = index
        if first_text is None and "text" in delta:
            first_text = index
    return first_text if first_text is not None else first_delta
