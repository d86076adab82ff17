"""`compat install litellm --runtime docker` and `compat install image` as a user runs them."""

from __future__ import annotations

import time
from pathlib import Path

import docker
import docker.errors
import pytest

from compat.proxy.venv import DEFAULT_LITELLM_VERSION
from support.cli import run_compat

LOCAL = f"compat-litellm:{DEFAULT_LITELLM_VERSION}"
WIDE = {"COLUMNS": "4000"}


@pytest.fixture(scope="module")
def daemon() -> None:
    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except docker.errors.DockerException as exc:
        pytest.fail(f"these tests need a Docker daemon (.ci/run starts one): {exc}")
    try:
        assert client.images.list(name=LOCAL), (
            f"{LOCAL} is missing: `compat install litellm --runtime docker` builds it"
        )
    finally:
        client.close()


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error: ")]


@pytest.mark.usefixtures("daemon")
def test_the_docker_runtime_prints_the_image_already_here_fast() -> None:
    started = time.monotonic()
    done = run_compat("install", "litellm", "--runtime", "docker", env=WIDE)
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{LOCAL}\n"
    assert f"LiteLLM {DEFAULT_LITELLM_VERSION}: {LOCAL}" in done.stderr
    assert took < 30, f"nothing to build, yet it took {took:.1f} s"


def test_source_without_the_docker_runtime_is_one_paragraph_and_no_traceback() -> None:
    done = run_compat("install", "litellm", "--source", "build", env=WIDE)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert error_lines(done.stderr) == ["error: --source: only for --runtime docker"]
    assert done.stderr.strip().count("\n\n") == 0
    assert "Traceback" not in done.stderr
    assert "installing LiteLLM" not in done.stderr


@pytest.mark.usefixtures("daemon")
def test_registry_only_without_a_registry_says_to_build_instead() -> None:
    done = run_compat(
        "install", "litellm", "--runtime", "docker", "--source", "registry", env=WIDE, timeout=120
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    [error] = error_lines(done.stderr)
    assert error.startswith("error: cannot pull ghcr.io/berriai/litellm:v1.106.12")
    assert "--source build" in error
    assert LOCAL in error
    assert "Traceback" not in done.stderr


def test_an_invalid_version_for_the_docker_runtime_is_refused_as_input() -> None:
    done = run_compat("install", "litellm", "--runtime", "docker", "--version", "latest", env=WIDE)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    [error] = error_lines(done.stderr)
    assert "'latest' is not a LiteLLM release version" in error
    assert "Traceback" not in done.stderr


@pytest.mark.usefixtures("daemon")
def test_install_image_from_a_directory_that_is_no_checkout_errors_clearly(
    tmp_path: Path,
) -> None:
    missing = Path("/tmp/not-a-checkout")
    assert not missing.exists()
    done = run_compat("install", "image", "--checkout", str(missing), env=WIDE)
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    [error] = error_lines(done.stderr)
    assert error == f"error: {missing}/Dockerfile: no Dockerfile; run from a compat checkout"
    assert "built " not in done.stderr
    assert "Traceback" not in done.stderr

    # A Dockerfile alone does not make a checkout: what git does not track is not sent.
    (tmp_path / "Dockerfile").write_text("FROM compat-debian:bookworm\n")
    done = run_compat("install", "image", "--checkout", str(tmp_path), env=WIDE)
    assert done.returncode == 1, done.stderr
    [error] = error_lines(done.stderr)
    assert error == f"error: {tmp_path} is not a git checkout of compat"
    assert "Traceback" not in done.stderr
