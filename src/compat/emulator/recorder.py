"""Every request the emulator served, secrets stripped, in a bounded ring buffer.

A red cell has to show what the proxy actually sent upstream, so the recorder keeps
full bodies; it also keeps small JSON bodies of the replies that were not streamed
(`RESPONSE_BODY_LIMIT`), so a judge can compare what the upstream answered with what the
proxy relayed. The buffer is bounded by request count and by body bytes (request and
response) so a long matrix run cannot grow without limit. Requests are recorded by an
ASGI middleware, so every wire (including ones added later) is covered without
cooperating.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from compat.emulator.types import ProviderId
from compat.upstream_log import RecordedRequest, SentEvent

if TYPE_CHECKING:
    from starlette.requests import Request

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
ProviderForPath = Callable[[str], ProviderId | None]
"""Which provider's wire a path belongs to; None for paths that are not recorded."""

REDACTED = "<redacted>"

EVENTS_KEY = "compat.events"
"""The key by which an `http.response.body` message names the stream events its bytes carry.

A streamed response puts the tuple of event types there; the middleware stamps them with the
time it hands the message on, removes the key, and records them as `sent_events`."""

# The media types of streamed replies: SSE, and AWS's event stream (Bedrock).
_STREAM_MEDIA_TYPES = (b"text/event-stream", b"application/vnd.amazon.eventstream")

SentEvents = list[tuple[float, str]]
"""(time handed to the server, event type) of each stream event, in order."""

RESPONSE_BODY_LIMIT = 16 * 1024
"""The largest response body, in bytes, the recorder keeps (as `response_body`)."""

# Header names that carry credentials outright.
_SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
        "x-amz-security-token",
        "x-goog-api-key",
        "cookie",
        "set-cookie",
        "ocp-apim-subscription-key",
    }
)
# Anything else whose name looks like it holds a credential.
_SECRET_NAME = re.compile(r"key|token|secret|passw|credential|signature|assertion", re.I)
# Headers that are long, noisy and never needed to judge a cell.
_DROPPED_HEADERS = frozenset({"content-length", "connection", "host", "accept-encoding"})


def _redact_header(name: str, value: str) -> str:
    if name == "authorization" or name == "proxy-authorization":
        # Keep the scheme: whether a proxy sent Bearer or SigV4 is part of the evidence.
        scheme = value.split(" ", 1)[0] if " " in value else ""
        return f"{scheme} {REDACTED}".strip()
    return REDACTED


def redact_headers(headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Header map with credential values replaced and transport noise dropped."""
    clean: dict[str, str] = {}
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        if name in _DROPPED_HEADERS:
            continue
        if name in _SECRET_HEADERS or _SECRET_NAME.search(name):
            value = _redact_header(name, value)
        clean[name] = f"{clean[name]}, {value}" if name in clean else value
    return clean


def redact_query(query: str) -> str:
    """A query string with credential-looking parameters (`key=`, `access_token=`) masked."""
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, REDACTED if _SECRET_NAME.search(k) else v) for k, v in pairs])


def _decoded(text: str) -> Any:
    """The JSON value of a recorded body, or its text when it is not JSON."""
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _json_or_none(text: str | None) -> Any:
    """The JSON value of a recorded response body; None when there is none or it is not JSON."""
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def _redacted_grant(text: str) -> str:
    """The reply to a form request (the OAuth token exchange) with its credentials masked.

    The access token it hands out is the one the recorder masks in `authorization` headers,
    so it is masked here by the same name rule as form and query parameters.
    """
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return text
    if not isinstance(value, dict):
        return text
    masked = {
        k: REDACTED if isinstance(v, str) and _SECRET_NAME.search(k) else v
        for k, v in value.items()
    }
    return json.dumps(masked, ensure_ascii=False)


class _Entry:
    """A stored request: the record plus the body text used for substring queries."""

    __slots__ = ("body_text", "record", "response_text", "sent_events", "size")

    def __init__(
        self,
        record: RecordedRequest,
        body_text: str,
        sent_events: SentEvents | None,
        response_text: str | None,
    ) -> None:
        self.record = record
        self.body_text = body_text
        self.sent_events = sent_events
        self.response_text = response_text
        self.size = len(body_text) + len(response_text or "")

    def full_record(self) -> RecordedRequest:
        """The record with its bodies parsed and its sent events as models."""
        update: dict[str, Any] = {
            "body": _decoded(self.body_text),
            "response_body": _json_or_none(self.response_text),
        }
        if self.sent_events is not None:
            update["sent_events"] = [SentEvent(t=t, type=kind) for t, kind in self.sent_events]
        return self.record.model_copy(update=update)


class Recorder:
    """Thread-safe ring buffer of served requests, bounded by count and body bytes."""

    def __init__(
        self, *, max_requests: int = 2000, max_body_bytes: int = 256 * 1024 * 1024
    ) -> None:
        self.max_requests = max_requests
        self.max_body_bytes = max_body_bytes
        self._entries: deque[_Entry] = deque()
        self._bytes = 0
        self._seq = 0
        self._lock = threading.Lock()

    @property
    def last_seq(self) -> int:
        """The sequence number of the newest request recorded so far (0 before any)."""
        with self._lock:
            return self._seq

    @property
    def held(self) -> tuple[int, int]:
        """(requests held, body bytes held): what the buffer costs now, up to its bounds.

        The bytes count request bodies and the response bodies kept beside them."""
        with self._lock:
            return len(self._entries), self._bytes

    def add(
        self,
        *,
        provider: ProviderId,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: bytes,
        timestamp: float,
        duration_ms: float,
        status: int | None,
        error_kind: str | None = None,
        error_message: str | None = None,
        sent_events: SentEvents | None = None,
        response_body: bytes | None = None,
    ) -> None:
        """Store one served request, evicting the oldest ones beyond the bounds.

        `sent_events` are the stream events of a streamed reply, None for any other.
        `response_body` is the JSON body of a reply that was not streamed, when it is at
        most `RESPONSE_BODY_LIMIT` bytes; None for any other.
        """
        text = body.decode("utf-8", errors="replace")
        response_text = None
        if response_body is not None and len(response_body) <= RESPONSE_BODY_LIMIT:
            response_text = response_body.decode("utf-8", errors="replace")
        if "form-urlencoded" in headers.get("content-type", ""):
            # Form bodies (the OAuth token exchange) carry signed assertions: mask those,
            # and the access token granted for them.
            text = redact_query(text)
            if response_text:
                response_text = _redacted_grant(response_text)
        with self._lock:
            self._seq += 1
            # The body stays text until someone asks for it: parsing a 100 KB body on every
            # request would cost more than serving it.
            record = RecordedRequest(
                seq=self._seq,
                provider=provider,
                method=method,
                path=path,
                query=redact_query(query),
                headers=headers,
                body=None,
                timestamp=timestamp,
                duration_ms=duration_ms,
                status=status,
                error_kind=error_kind,
                error_message=error_message,
            )
            # Like the body, the sent events become models only when someone asks for them.
            entry = _Entry(record, text, sent_events, response_text)
            self._entries.append(entry)
            self._bytes += entry.size
            while self._entries and (
                len(self._entries) > self.max_requests or self._bytes > self.max_body_bytes
            ):
                self._bytes -= self._entries.popleft().size

    def query(
        self,
        *,
        provider: ProviderId | None = None,
        contains: str | None = None,
        since: int = 0,
    ) -> list[RecordedRequest]:
        """Requests newer than `since`, optionally of one provider and with a body substring."""
        with self._lock:
            entries = list(self._entries)
        return [
            entry.full_record()
            for entry in entries
            if entry.record.seq > since
            and (provider is None or entry.record.provider == provider)
            and (contains is None or contains in entry.body_text)
        ]

    def clear(self) -> None:
        """Forget every recorded request; sequence numbers keep increasing."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0


def note_error(request: Request, kind: str, message: str) -> None:
    """Tell the recorder which error this request got."""
    request.state.error_kind = kind
    request.state.error_message = message


def note_provider(request: Request, provider: ProviderId) -> None:
    """Tell the recorder whose request this is, where its path alone cannot tell."""
    request.state.provider = provider


class RecorderMiddleware:
    """ASGI middleware recording every request of a provider with its status and error kind."""

    # Wire handlers report what they refused with `note_error`, and whose request it was
    # with `note_provider` when the path alone cannot tell.

    def __init__(self, app: ASGIApp, recorder: Recorder, provider_for: ProviderForPath) -> None:
        self.app = app
        self.recorder = recorder
        self.provider_for = provider_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        provider = self.provider_for(path) if scope["type"] == "http" else None
        if provider is None:
            await self.app(scope, receive, send)
            return
        # Read the whole body first so it is recorded even when the handler refuses the
        # request before reading it (a 401 must still show what the proxy sent).
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        state: dict[str, Any] = scope.setdefault("state", {})
        timestamp = time.time()
        started = time.perf_counter()
        status: int | None = None
        sent_events: SentEvents | None = None
        # The body of a JSON reply that is not streamed, while it stays within the limit.
        response_chunks: list[bytes] | None = None
        response_size = 0
        recorded = False

        def record() -> None:
            nonlocal recorded
            if recorded:
                return
            recorded = True
            self.recorder.add(
                provider=state.get("provider", provider),
                method=scope.get("method", ""),
                path=path,
                query=scope.get("query_string", b"").decode("latin-1"),
                headers=redact_headers(scope.get("headers", [])),
                body=body,
                timestamp=timestamp,
                duration_ms=(time.perf_counter() - started) * 1000,
                status=status,
                error_kind=state.get("error_kind"),
                error_message=state.get("error_message"),
                sent_events=sent_events,
                response_body=None if response_chunks is None else b"".join(response_chunks),
            )

        async def watch(message: Message) -> None:
            nonlocal status, sent_events, response_chunks, response_size
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = message.get("headers", ())
                if _is_stream(headers):
                    sent_events = []
                elif _is_json(headers):
                    response_chunks = []
            elif message["type"] == "http.response.body":
                events = message.pop(EVENTS_KEY, None)
                if events and sent_events is not None:
                    sent = time.time()
                    sent_events.extend((sent, kind) for kind in events)
                if response_chunks is not None:
                    chunk = message.get("body", b"")
                    response_size += len(chunk)
                    response_chunks.append(chunk)
                    if response_size > RESPONSE_BODY_LIMIT:
                        # Past the limit the body is not kept at all: a prefix is no JSON.
                        response_chunks = None
                if not message.get("more_body", False):
                    # Record before the last byte leaves: a client that got its full
                    # response can query the recorder at once and find this request there.
                    record()
            await send(message)

        try:
            await self.app(scope, replay, watch)
        finally:
            record()


def _content_type(headers: Any) -> bytes:
    """A response's raw content type, lowercased; empty without one."""
    for name, value in headers:
        if name.lower() == b"content-type":
            return bytes(value).lower()
    return b""


def _is_json(headers: Any) -> bool:
    """Whether a response's raw headers name a JSON media type (`application/json`, `+json`)."""
    media_type = _content_type(headers).split(b";", 1)[0].strip()
    return media_type == b"application/json" or media_type.endswith(b"+json")


def _is_stream(headers: Any) -> bool:
    """Whether a response's raw headers name a streamed media type."""
    return any(
        name.lower() == b"content-type" and value.startswith(_STREAM_MEDIA_TYPES)
        for name, value in headers
    )
