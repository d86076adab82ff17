"""Readiness: poll the proxy's liveliness endpoint until it answers, it dies, or time runs out."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import httpx

LIVELINESS_PATH = "/health/liveliness"
POLL_INTERVAL = 0.2


class NotReady(Exception):
    """The proxy did not become healthy; `str()` says why, without any log."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def is_healthy(client: httpx.Client, base_url: str) -> bool:
    """One liveliness probe; any transport error counts as not (yet) healthy."""
    try:
        response = client.get(base_url + LIVELINESS_PATH)
    except httpx.TransportError:
        return False
    return response.status_code == 200


def wait_until_healthy(
    base_url: str,
    *,
    timeout: float,
    exit_status: Callable[[], int | None],
    startup_failure: Callable[[], str | None] = lambda: None,
    interval: float = POLL_INTERVAL,
) -> float:
    """Block until `base_url` is live; returns the seconds waited, raises NotReady otherwise."""
    started = time.monotonic()
    deadline = started + timeout
    with httpx.Client(timeout=httpx.Timeout(2.0, connect=1.0), trust_env=False) as client:
        while True:
            if is_healthy(client, base_url):
                return time.monotonic() - started
            status = exit_status()
            if status is not None:
                raise NotReady(f"the proxy exited with status {status} before it became healthy")
            failure = startup_failure()
            if failure is not None:
                raise NotReady(f"the proxy's startup failed ({failure})")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise NotReady(
                    f"the proxy did not answer {LIVELINESS_PATH} within {timeout:g} seconds"
                )
            time.sleep(min(interval, remaining))
