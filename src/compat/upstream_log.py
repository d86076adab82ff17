"""The upstream's record of what the proxy sent it: the record type and the log's protocol.

The emulator keeps this record (`compat.emulator.recorder`); the probes judge it and the
scheduler quotes it as evidence, without either importing the emulator.
"""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel


class SentEvent(BaseModel):
    """One stream event of a streamed reply, and when the upstream handed it to its server."""

    t: float
    """`time.time()` when the frame carrying the event was handed to the HTTP server."""
    type: str
    """The event's type: the SSE event (`message_start`, `content_block_delta`, `ping`, ...);
    on a Bedrock event stream the Anthropic event inside the `chunk` (or the Converse event),
    and an `:exception` frame's exception type."""


class RecordedRequest(BaseModel):
    """One request the upstream served, as a probe and a red cell's evidence see it."""

    seq: int
    provider: str
    """The provider wire that served it (a manifest provider id)."""
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any
    """The parsed JSON body, or the raw text when the body is not JSON."""
    timestamp: float
    duration_ms: float
    status: int | None
    error_kind: str | None = None
    error_message: str | None = None
    sent_events: list[SentEvent] | None = None
    """The stream events of a streamed reply in the order they left; None when not streamed."""
    response_body: Any = None
    """The parsed JSON body of a reply that was not streamed, when it was JSON of at most
    16 KiB (success and error replies alike); None otherwise."""


class UpstreamLog(Protocol):
    """The requests the upstream served, newest last, numbered from 1."""

    @property
    def last_seq(self) -> int: ...

    def query(self, *, contains: str | None = None, since: int = 0) -> list[RecordedRequest]: ...
