"""The emulator's ASGI app: every provider's wire, the control endpoints, the recorder."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from compat.emulator.context import EmulatorContext
from compat.emulator.control import CONTROL_PREFIX, control_not_found, control_routes
from compat.emulator.recorder import RecorderMiddleware
from compat.emulator.wires import WIRES, provider_for_path, wire_for_path

_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


async def _not_found(request: Request) -> Response:
    """Unknown paths get a 404 in the shape of the wire the path belongs to."""
    path = request.url.path
    if path.startswith(CONTROL_PREFIX):
        return control_not_found(request)
    return wire_for_path(path).not_found(request)


def create_app(ctx: EmulatorContext | None = None) -> Starlette:
    """The emulator app serving every provider over one shared context."""
    context = ctx if ctx is not None else EmulatorContext()
    routes = [
        *control_routes(context),
        *(route for wire in WIRES for route in wire.routes(context)),
        Route("/{path:path}", _not_found, methods=_ALL_METHODS),
    ]
    middleware = Middleware(
        RecorderMiddleware, recorder=context.recorder, provider_for=provider_for_path
    )
    app = Starlette(routes=routes, middleware=[middleware])
    app.state.ctx = context
    return app
