"""Fixtures for the emulator's wire tests: one real server per session, reset per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from compat.emulator import EmulatorServer


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[EmulatorServer]:
    """A real emulator on a free loopback port, shared by the session."""
    with EmulatorServer() as server:
        yield server


@pytest.fixture
def emulator(emulator_server: EmulatorServer) -> EmulatorServer:
    """The session's emulator with no recorded requests and no pending faults."""
    emulator_server.ctx.recorder.clear()
    emulator_server.ctx.faults.clear()
    return emulator_server


@pytest.fixture(scope="session")
def service_account(
    emulator_server: EmulatorServer, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A service-account JSON the session's emulator issues Vertex tokens for."""
    return emulator_server.write_service_account(
        tmp_path_factory.mktemp("gcp") / "service-account.json"
    )
