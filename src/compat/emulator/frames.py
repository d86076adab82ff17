"""Responses sent frame by frame, and the stream faults that cut or corrupt them."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send

from compat.emulator.faults import Fault
from compat.emulator.recorder import EVENTS_KEY
from compat.emulator.stream_pacing import StreamDirective


@dataclass(frozen=True, slots=True)
class Frame:
    """Bytes the response writes in one go, and the stream events they carry."""

    data: bytes
    events: tuple[str, ...] = ()
    """The stream event types in `data`, in order, as the recorder's `sent_events` lists them."""
    stall_point: bool = False
    """A paced stream's one stall comes right after this frame (`stream_pacing`)."""


def joined(frames: Iterable[Frame]) -> Frame:
    """One frame holding the bytes and events of `frames`, in order."""
    parts = list(frames)
    return Frame(
        b"".join(frame.data for frame in parts),
        tuple(event for frame in parts for event in frame.events),
    )


def spoiled(frame: Frame, data: bytes) -> Frame:
    """`frame` carrying other bytes: a corrupted copy of the same event."""
    return dataclasses.replace(frame, data=data)


Corrupt = Callable[[list[Frame], int], list[Frame]]
"""Spoils a stream's frames after the given number of events, in that wire's own way."""


def _body(frame: Frame, *, more: bool) -> Message:
    message: Message = {"type": "http.response.body", "body": frame.data, "more_body": more}
    if frame.events:
        # The recorder stamps and removes this before the server sees the message.
        message[EVENTS_KEY] = frame.events
    return message


class FrameResponse(Response):
    """Sends the body as separate frames; with `complete=False` it stops without ending it.

    With `pacing` the frames leave with the directive's delays (`stream_pacing`): `pace`
    seconds between frames, one `stall` after the frame marked `stall_point`, and `ping`
    (when given) every `pacing.ping` seconds during the stall. A paced response stops early
    when the client disconnects.
    """

    # Ending the ASGI call before the final body message makes the server drop the
    # connection mid-body, which is how a cut upstream stream looks to a client.

    def __init__(
        self,
        frames: Iterable[Frame],
        *,
        media_type: str,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        complete: bool = True,
        pacing: StreamDirective | None = None,
        ping: Frame | None = None,
    ) -> None:
        self.frames = list(frames)
        self.complete = complete
        self.pacing = pacing
        self.ping = ping
        self.status_code = status_code
        self.media_type = media_type
        self.background = None
        self.init_headers(headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        if self.pacing is None:
            last = len(self.frames) - 1
            for index, frame in enumerate(self.frames):
                # The last frame of a complete body ends it in the same write.
                await send(_body(frame, more=not (self.complete and index == last)))
        else:
            await _until_disconnect(self._send_paced(send, self.pacing), receive)
        if self.complete and not self.frames:
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _send_paced(self, send: Send, pacing: StreamDirective) -> None:
        last = len(self.frames) - 1
        stalled = False
        for index, frame in enumerate(self.frames):
            if index and pacing.pace:
                await asyncio.sleep(pacing.pace)
            more = not (self.complete and index == last)
            await send(_body(frame, more=more))
            if frame.stall_point and more and not stalled and pacing.stall:
                stalled = True
                await self._stall(send, pacing)

    async def _stall(self, send: Send, pacing: StreamDirective) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + pacing.stall
        if self.ping is not None and pacing.ping is not None:
            # Deadlines from one clock reading, so the pings do not drift with send times.
            due = loop.time() + pacing.ping
            while due < deadline:
                await asyncio.sleep(max(0.0, due - loop.time()))
                await send(_body(self.ping, more=True))
                due += pacing.ping
        await asyncio.sleep(max(0.0, deadline - loop.time()))


async def _until_disconnect(sending: Coroutine[Any, Any, None], receive: Receive) -> None:
    """Run `sending` to its end, or until the client disconnects, whichever comes first."""

    async def disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    sender = asyncio.ensure_future(sending)
    watcher = asyncio.ensure_future(disconnected())
    try:
        await asyncio.wait({sender, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sender, watcher):
            task.cancel()
        await asyncio.gather(sender, watcher, return_exceptions=True)
    error = None if sender.cancelled() else sender.exception()
    if error is not None:
        raise error


def faulted_frames(
    frames: list[Frame], fault: Fault | None, *, corrupt: Corrupt
) -> tuple[list[Frame], bool]:
    """The frames a stream fault leaves, and whether the body still ends."""
    if fault is not None and fault.kind == "cut_stream":
        return frames[: fault.after_events], False
    if fault is not None and fault.kind == "malformed_frame":
        return corrupt(frames, fault.after_events), True
    return frames, True


def json_response(
    body: dict[str, Any], fault: Fault | None, *, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON response; a stream fault cuts it (connection drop) or truncates it (bad JSON)."""
    if fault is None or fault.kind not in ("cut_stream", "malformed_frame"):
        return JSONResponse(body, headers=headers)
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    half = raw[: max(1, len(raw) // 2)]
    if fault.kind == "cut_stream":
        return FrameResponse(
            [Frame(half)], media_type="application/json", headers=headers, complete=False
        )
    return Response(half, media_type="application/json", headers=headers)
