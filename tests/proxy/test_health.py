"""Readiness polling against a real HTTP server that becomes live late, or never."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from compat.proxy.health import NotReady, free_port, wait_until_healthy


class _Handler(BaseHTTPRequestHandler):
    live_after = 0.0

    def do_GET(self) -> None:
        ready = time.monotonic() >= self.live_after and self.path == "/health/liveliness"
        self.send_response(200 if ready else 503)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, type[_Handler]]]:
    handler = type("Handler", (_Handler,), {})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    httpd.shutdown()
    httpd.server_close()


def test_waits_until_the_endpoint_answers_200(server: tuple[str, type[_Handler]]) -> None:
    url, handler = server
    handler.live_after = time.monotonic() + 0.6
    waited = wait_until_healthy(url, timeout=5, exit_status=lambda: None, interval=0.05)
    assert 0.5 <= waited < 5


def test_times_out_with_a_clear_reason(server: tuple[str, type[_Handler]]) -> None:
    url, handler = server
    handler.live_after = time.monotonic() + 60
    started = time.monotonic()
    with pytest.raises(NotReady, match=r"did not answer /health/liveliness within 0.5 seconds"):
        wait_until_healthy(url, timeout=0.5, exit_status=lambda: None, interval=0.05)
    assert time.monotonic() - started < 2


def test_a_dead_proxy_ends_the_wait_at_once() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(NotReady, match="exited with status 3"):
        wait_until_healthy(url, timeout=30, exit_status=lambda: 3)
    assert time.monotonic() - started < 5


def test_free_port_is_bindable() -> None:
    import socket

    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_a_reported_startup_failure_ends_the_wait_at_once() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(NotReady, match=r"startup failed \(ERROR: Application startup failed"):
        wait_until_healthy(
            url,
            timeout=30,
            exit_status=lambda: None,
            startup_failure=lambda: "ERROR: Application startup failed. Exiting.",
        )
    assert time.monotonic() - started < 5
