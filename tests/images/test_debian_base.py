"""The debootstrapped Debian base: present, labelled, bookworm; refusals say what to do."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import docker
import pytest

from compat.errors import CompatError
from compat.images import debian_base
from compat.images.debian_base import BASE_REFERENCE, ROLE_LABEL, ensure_base_image
from compat.images.docker_build import image_exists


@pytest.fixture
def absent_reference(client: docker.DockerClient, tmp_path: Path, monkeypatch) -> str:
    """A base reference no daemon has, with build records kept in a private cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    reference = f"compat-debian:absent-{uuid.uuid4().hex[:12]}"
    assert not image_exists(client, reference)
    return reference


def test_the_base_image_is_there_labelled_and_debian_bookworm(client: docker.DockerClient) -> None:
    lines: list[str] = []
    assert ensure_base_image(client, progress=lines.append) == BASE_REFERENCE
    assert lines == [], "an existing base is used as it is, nothing debootstrapped"
    image = client.images.get(BASE_REFERENCE)
    assert image.labels.get(ROLE_LABEL) == "debian-base"
    output = client.containers.run(
        BASE_REFERENCE, ["cat", "/etc/os-release"], remove=True, network_mode="none"
    ).decode()
    fields = dict(line.split("=", 1) for line in output.splitlines() if "=" in line)
    assert fields["ID"] == "debian"
    assert fields["VERSION_CODENAME"] == "bookworm"
    assert fields["VERSION_ID"].strip('"') == "12"


def test_no_debootstrap_is_refused_naming_the_image_and_the_package(
    client: docker.DockerClient, absent_reference: str, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.setattr(debian_base, "DEBOOTSTRAP_FALLBACK", tmp_path / "no" / "debootstrap")
    with pytest.raises(CompatError) as caught:
        ensure_base_image(client, reference=absent_reference)
    message = str(caught.value)
    assert absent_reference in message
    assert "debootstrap is not installed" in message
    assert "make system" in message
    assert not image_exists(client, absent_reference)


def test_not_root_is_refused_naming_the_image_and_what_to_do(
    client: docker.DockerClient, absent_reference: str, monkeypatch
) -> None:
    assert debian_base.DEBOOTSTRAP_FALLBACK.exists(), "this machine's debootstrap is needed"
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(CompatError) as caught:
        ensure_base_image(client, reference=absent_reference)
    message = str(caught.value)
    assert absent_reference in message
    assert "must run as root" in message
    assert "sudo" in message
    assert f"docker tag debian:bookworm-slim {absent_reference}" in message
    assert not image_exists(client, absent_reference)
