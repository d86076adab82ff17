"""Responses sent frame by frame, and the stream faults that cut or corrupt them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from compat.emulator.faults import Fault

Corrupt = Callable[[list[bytes], int], list[bytes]]
"""Spoils a stream's frames after the given number of events, in that wire's own way."""


class FrameResponse(Response):
    """Sends the body as separate frames; with `complete=False` it stops without ending it."""

    # Ending the ASGI call before the final body message makes the server drop the
    # connection mid-body, which is how a cut upstream stream looks to a client.

    def __init__(
        self,
        frames: Iterable[bytes],
        *,
        media_type: str,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        complete: bool = True,
    ) -> None:
        self.frames = list(frames)
        self.complete = complete
        self.status_code = status_code
        self.media_type = media_type
        self.background = None
        self.init_headers(headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        last = len(self.frames) - 1
        for index, frame in enumerate(self.frames):
            # The last frame of a complete body ends it in the same write.
            more = not (self.complete and index == last)
            await send({"type": "http.response.body", "body": frame, "more_body": more})
        if self.complete and not self.frames:
            await send({"type": "http.response.body", "body": b"", "more_body": False})


def faulted_frames(
    frames: list[bytes], fault: Fault | None, *, corrupt: Corrupt
) -> tuple[list[bytes], bool]:
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
        return FrameResponse([half], media_type="application/json", headers=headers, complete=False)
    return Response(half, media_type="application/json", headers=headers)
