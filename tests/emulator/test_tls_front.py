"""The TLS front: stand-in hosts reach the emulator over real TLS; every other host is refused."""

from __future__ import annotations

import ssl

import httpx
import pytest

from compat.emulator.server import EmulatorServer
from compat.emulator.tls_front import TlsFront, stands_in_for


@pytest.fixture(scope="module")
def front():
    with EmulatorServer() as server, TlsFront(server.host, server.port) as tls_front:
        yield tls_front


def _client(front: TlsFront) -> httpx.Client:
    return httpx.Client(proxy=front.url, verify=ssl.create_default_context(cafile=front.ca_file))


@pytest.mark.parametrize(
    "host", ["us-east5-aiplatform.googleapis.com", "aiplatform.googleapis.com"]
)
def test_a_vertex_host_is_answered_by_the_emulator_over_tls(front, host):
    with _client(front) as client:
        response = client.get(f"https://{host}/_emulator/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_any_other_host_is_refused_and_named(front):
    with _client(front) as client, pytest.raises(httpx.ProxyError):
        client.get("https://api.example.com/")
    assert "api.example.com:443" in front.refused


def test_the_certificate_is_only_trusted_with_the_front_s_own_authority(front):
    with httpx.Client(proxy=front.url) as client, pytest.raises(httpx.ConnectError):
        client.get("https://us-east5-aiplatform.googleapis.com/_emulator/health")


def test_stand_in_hosts_are_google_s_vertex_endpoints_only():
    assert stands_in_for("europe-west1-aiplatform.googleapis.com")
    assert not stands_in_for("aiplatform.googleapis.com.evil.example")
    assert not stands_in_for("oauth2.googleapis.com")


def test_stopping_removes_the_authority_files():
    with EmulatorServer() as server:
        tls_front = TlsFront(server.host, server.port).start()
        ca = tls_front.ca_file
        assert ca.exists()
        tls_front.stop()
    assert not ca.exists()
