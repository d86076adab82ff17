"""The emulator's own endpoints under `/_emulator/`: health, the recorded requests, the faults."""

from __future__ import annotations

from typing import TYPE_CHECKING, get_args

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from compat.emulator.faults import FaultSpec
from compat.emulator.types import ProviderId

if TYPE_CHECKING:
    from compat.emulator.context import EmulatorContext

CONTROL_PREFIX = "/_emulator"
PROVIDERS: tuple[ProviderId, ...] = get_args(ProviderId)


def _bad_request(message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=400)


def control_routes(ctx: EmulatorContext) -> list[Route]:
    """`/_emulator/...`: health, the recorded requests, and the fault plan."""

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "providers": list(PROVIDERS)})

    async def requests(request: Request) -> Response:
        if request.method == "DELETE":
            ctx.recorder.clear()
            return Response(status_code=204)
        provider = request.query_params.get("provider") or None
        if provider is not None and provider not in PROVIDERS:
            return _bad_request(f"unknown provider {provider!r}; expected one of {list(PROVIDERS)}")
        try:
            since = int(request.query_params.get("since", "0"))
        except ValueError:
            return _bad_request("`since` must be an integer sequence number")
        found = ctx.recorder.query(
            provider=provider,  # type: ignore[arg-type]  # checked against PROVIDERS above
            contains=request.query_params.get("contains") or None,
            since=since,
        )
        return JSONResponse(
            {
                "requests": [record.model_dump(mode="json") for record in found],
                "last_seq": ctx.recorder.last_seq,
            }
        )

    async def faults(request: Request) -> Response:
        if request.method == "DELETE":
            ctx.faults.clear()
            return Response(status_code=204)
        if request.method == "POST":
            try:
                spec = FaultSpec.model_validate_json(await request.body())
            except ValidationError as exc:
                return _bad_request(str(exc))
            return JSONResponse(ctx.faults.add(spec).model_dump(mode="json"), status_code=201)
        return JSONResponse({"faults": [f.model_dump(mode="json") for f in ctx.faults.pending()]})

    return [
        Route(f"{CONTROL_PREFIX}/health", health, methods=["GET"]),
        Route(f"{CONTROL_PREFIX}/requests", requests, methods=["GET", "DELETE"]),
        Route(f"{CONTROL_PREFIX}/faults", faults, methods=["GET", "POST", "DELETE"]),
    ]


def control_not_found(request: Request) -> Response:
    """The 404 for a path under `/_emulator/` that no control endpoint serves."""
    return JSONResponse({"error": f"no control endpoint at {request.url.path}"}, status_code=404)
