"""Run the emulator on a loopback port in a background thread, for the runner and for tests."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Self

import uvicorn

from compat.emulator.app import create_app
from compat.emulator.context import EmulatorContext
from compat.errors import InputError

# The emulator answers with fake upstreams for anyone who connects; it must never be
# reachable from another machine.
LOOPBACK_HOSTS: dict[str, str] = {"127.0.0.1": "127.0.0.1", "localhost": "127.0.0.1", "::1": "::1"}
_STARTUP_TIMEOUT_S = 10.0
_STOP_TIMEOUT_S = 5.0


def loopback_address(host: str) -> str:
    """The loopback address to bind for `host`, or an `InputError` for anything else."""
    address = LOOPBACK_HOSTS.get(host.strip().lower().strip("[]"))
    if address is None:
        raise InputError(
            f"refusing to bind the emulator to {host!r}: it only listens on the loopback "
            "interface (127.0.0.1, ::1 or localhost), so no other machine can reach it."
        )
    return address


class EmulatorServer:
    """The emulator served by uvicorn on a loopback port in a daemon thread (port 0: any free)."""

    def __init__(
        self, ctx: EmulatorContext | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.host = loopback_address(host)
        self.ctx = ctx if ctx is not None else EmulatorContext()
        self._requested_port = port
        self._port: int | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def port(self) -> int:
        """The port the server listens on (after `start()`)."""
        if self._port is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return self._port

    @property
    def url(self) -> str:
        """Base URL of the running emulator, e.g. `http://127.0.0.1:54321`."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> Self:
        """Bind the port and serve until `stop()`; returns once requests are accepted."""
        if self._thread is not None:
            raise RuntimeError("the emulator is already running")
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # Naming IPPROTO_TCP matters: asyncio only turns Nagle off (TCP_NODELAY) on accepted
        # sockets whose protocol says TCP, and with Nagle on every response waits ~40 ms
        # for a delayed ACK.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self._requested_port))
        except OSError as exc:
            sock.close()
            raise InputError(
                f"cannot listen on {self.host} port {self._requested_port}: {exc.strerror}"
            ) from exc
        # Binding the socket here (rather than letting uvicorn do it) makes port 0 work:
        # the chosen port is known before the server thread starts.
        self._socket = sock
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            create_app(self.ctx),
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            # The plain asyncio loop: uvicorn's "auto" would install uvloop's policy
            # process-wide, under the runner's own event loop too. httptools (a runtime
            # dependency) is uvicorn's C HTTP parser, which it picks automatically.
            loop="asyncio",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [sock]},
            name=f"compat-emulator-{self._port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + _STARTUP_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the emulator failed to start; see the log above")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop serving and release the port; safe to call twice."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(_STOP_TIMEOUT_S)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None
        self._port = None

    def write_service_account(self, path: Path, *, project_id: str = "compat-emulated") -> Path:
        """A service-account JSON whose `token_uri` is this emulator's OAuth endpoint."""
        return self.ctx.write_service_account(
            path, token_uri=f"{self.url}/oauth2/token", project_id=project_id
        )

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
