"""EmulatorServer lifecycle and loopback-only binding, and the `compat emulate` command."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from compat.cli import main
from compat.commands.emulate import client_environment
from compat.emulator import EmulatorServer
from compat.errors import InputError
from support.cli import compat_command
from support.processes import spawned


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.com", ""])
def test_refuses_any_non_loopback_host(host: str) -> None:
    with pytest.raises(InputError, match="only listens on the loopback interface"):
        EmulatorServer(host=host)


def test_starts_fast_serves_health_and_releases_the_port() -> None:
    started = time.perf_counter()
    server = EmulatorServer(host="localhost").start()
    assert time.perf_counter() - started < 1.0
    try:
        assert server.url.startswith("http://127.0.0.1:")
        health = httpx.get(f"{server.url}/_emulator/health").json()
        assert health["status"] == "ok"
        assert set(health["providers"]) == {
            "anthropic",
            "azure",
            "vertex_ai",
            "bedrock_invoke",
            "bedrock_converse",
            "openai",
            "azure_openai",
            "bedrock_mantle",
        }
        port = server.port
    finally:
        server.stop()
    server.stop()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))


def test_serves_on_ipv6_loopback() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        server = EmulatorServer(host="::1").start()
    except InputError:
        pytest.skip("::1 is not configured on this machine")
    try:
        assert server.url.startswith("http://[::1]:")
        assert httpx.get(f"{server.url}/_emulator/health").status_code == 200
    finally:
        server.stop()


def test_a_taken_port_is_a_clear_input_error(emulator_server: EmulatorServer) -> None:
    with pytest.raises(InputError, match=f"port {emulator_server.port}"):
        EmulatorServer(port=emulator_server.port).start()


def test_emulate_command_refuses_public_hosts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["emulate", "--host", "0.0.0.0"]) == 2
    assert "refusing to bind the emulator to '0.0.0.0'" in capsys.readouterr().err


def test_client_environment_points_every_provider_at_the_emulator(tmp_path: Path) -> None:
    env = client_environment("http://127.0.0.1:9", tmp_path / "sa.json")
    assert env["ANTHROPIC_BASE_URL"] == "http://127.0.0.1:9"
    assert env["ANTHROPIC_FOUNDRY_BASE_URL"] == "http://127.0.0.1:9/anthropic"
    assert env["ANTHROPIC_VERTEX_BASE_URL"] == "http://127.0.0.1:9/v1"
    assert env["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] == "http://127.0.0.1:9"
    assert env["GOOGLE_APPLICATION_CREDENTIALS"] == str(tmp_path / "sa.json")


@pytest.mark.parametrize(
    ("signum", "expected"),
    [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
    ids=["ctrl-c", "sigterm"],
)
def test_emulate_command_serves_until_stopped(
    tmp_path: Path, signum: signal.Signals, expected: int
) -> None:
    account = tmp_path / "sa.json"
    with spawned(
        compat_command("emulate", "--service-account", account),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    ) as process:
        assert process.stdout is not None
        base_url = ""
        deadline = time.monotonic() + 20
        while not base_url and time.monotonic() < deadline:
            line = process.stdout.readline()
            if line.startswith("ANTHROPIC_BASE_URL="):
                base_url = line.strip().split("=", 1)[1]
        assert base_url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{base_url}/_emulator/health").status_code == 200
        assert account.exists()
        process.send_signal(signum)
        assert process.wait(timeout=10) == expected
        assert "emulator stopped" in process.stderr.read()
