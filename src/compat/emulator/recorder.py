"""Every request the emulator served, secrets stripped, in a bounded ring buffer.

A red cell has to show what the proxy actually sent upstream, so the recorder keeps
full bodies; the buffer is bounded by request count and by body bytes so a long matrix
run cannot grow without limit. Requests are recorded by an ASGI middleware, so every
wire (including ones added later) is covered without cooperating.
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
from compat.upstream_log import RecordedRequest

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


class _Entry:
    """A stored request: the record plus the body text used for substring queries."""

    __slots__ = ("body_text", "record", "size")

    def __init__(self, record: RecordedRequest, body_text: str) -> None:
        self.record = record
        self.body_text = body_text
        self.size = len(body_text)


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
        """(requests held, body bytes held): what the buffer costs now, up to its bounds."""
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
    ) -> None:
        """Store one served request, evicting the oldest ones beyond the bounds."""
        text = body.decode("utf-8", errors="replace")
        if "form-urlencoded" in headers.get("content-type", ""):
            # Form bodies (the OAuth token exchange) carry signed assertions: mask those.
            text = redact_query(text)
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
            entry = _Entry(record, text)
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
            entry.record.model_copy(update={"body": _decoded(entry.body_text)})
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
            )

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                # Record before the last byte leaves: a client that got its full response
                # can query the recorder at once and find this request there.
                record()
            await send(message)

        try:
            await self.app(scope, replay, watch)
        finally:
            record()
