"""Fixtures for the emulator's wire tests: one real server per session, reset per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from compat.emulator import EmulatorServer
from compat.emulator.model import Model
from support.bedrock_client import BedrockClient, RecordingModel, bedrock_client
from support.model_requests import SECRET


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


# The Bedrock wire tests (invoke and converse) share these: a client of a private emulator,
# optionally behind a model that records what the wire decoded.


@pytest.fixture
def client() -> Iterator[BedrockClient]:
    yield from bedrock_client()


@pytest.fixture
def recording() -> RecordingModel:
    return RecordingModel()


@pytest.fixture
def stub_client(recording: RecordingModel) -> Iterator[BedrockClient]:
    yield from bedrock_client(recording)


@pytest.fixture
def model() -> Model:
    """The shared model with a known thinking secret."""
    return Model(secret=SECRET)
