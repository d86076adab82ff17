"""The emulator's ASGI app: every provider's wire, the control endpoints, the recorder."""

from __future__ import annotations

from typing import get_args

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from compat.emulator.anthropic import anthropic_error, anthropic_routes
from compat.emulator.azure import azure_routes
from compat.emulator.bedrock import bedrock_routes
from compat.emulator.context import EmulatorContext
from compat.emulator.faults import FaultSpec
from compat.emulator.recorder import CONTROL_PREFIX, RecorderMiddleware, provider_for_path
from compat.emulator.types import EmulatorError, ProviderId
from compat.emulator.vertex import google_error, vertex_routes

PROVIDERS: tuple[ProviderId, ...] = get_args(ProviderId)
_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _bad_request(message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=400)


def _control_routes(ctx: EmulatorContext) -> list[Route]:
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


async def _not_found(request: Request) -> Response:
    """Unknown paths get a 404 in the shape of the provider the path belongs to."""
    path = request.url.path
    provider = provider_for_path(path)
    error = EmulatorError("not_found_error", "Not Found")
    if provider is None:
        return JSONResponse({"error": f"no control endpoint at {path}"}, status_code=404)
    if provider == "vertex_ai":
        return google_error(404, f"Requested entity was not found: {path}", stream=False)
    if provider in ("bedrock_invoke", "bedrock_converse"):
        # AWS services name an unknown operation in `x-amzn-ErrorType`.
        # Source: https://docs.aws.amazon.com/bedrock/latest/APIReference/CommonErrors.html
        return JSONResponse(
            {"message": f"Unknown operation {request.method} {path}"},
            status_code=404,
            headers={"x-amzn-ErrorType": "UnknownOperationException"},
        )
    if provider == "azure":
        # Source: Azure AI services' 404 body, https://learn.microsoft.com/en-us/azure/ai-services/openai/reference
        return JSONResponse(
            {"error": {"code": "404", "message": "Resource not found"}}, status_code=404
        )
    return anthropic_error(request, error)


def create_app(ctx: EmulatorContext | None = None) -> Starlette:
    """The emulator app serving every provider over one shared context."""
    context = ctx if ctx is not None else EmulatorContext()
    routes = [
        *_control_routes(context),
        *anthropic_routes(context),
        *azure_routes(context),
        *vertex_routes(context),
        *bedrock_routes(context),
        Route("/{path:path}", _not_found, methods=_ALL_METHODS),
    ]
    app = Starlette(
        routes=routes, middleware=[Middleware(RecorderMiddleware, recorder=context.recorder)]
    )
    app.state.ctx = context
    return app
