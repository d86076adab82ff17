"""The docker runtime against a real daemon, with a stand-in LiteLLM image built offline."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import docker
import docker.errors
import httpx
import pytest

from compat.errors import CompatError
from compat.proxy.docker_runtime import LABEL, OWNER_LABEL, DockerNetwork, DockerRuntime
from compat.proxy.environment import ProxyEnvironment, Upstream
from compat.proxy.health import free_port, wait_until_healthy
from compat.proxy.lifecycle import ProxySession, ProxySettings, ProxyStartError
from compat.proxy.logs import REDACTED, ProxyLog, Redactor
from compat.proxy.runtime import Launch, RuntimeKind

from .conftest import ConfigFactory

IMAGE = "compat-test-litellm"
TAG = "fake"
IMAGE_DIR = Path(__file__).with_name("fake_litellm_image")
MASTER_KEY = "sk-docker-runtime-test-key-0123456789abcdef012345678"


@pytest.fixture(scope="module")
def client() -> Iterator[docker.DockerClient]:
    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except docker.errors.DockerException as exc:
        pytest.fail(f"these tests need a Docker daemon (.ci/run starts one): {exc}")
    yield client
    client.close()


@pytest.fixture(scope="module")
def fake_image(client: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Build the stand-in image from Debian's static busybox; no registry needed."""
    busybox = shutil.which("busybox")
    assert busybox, "install Debian's busybox-static package (.ci/run does)"
    context = tmp_path_factory.mktemp("image")
    shutil.copytree(IMAGE_DIR, context, dirs_exist_ok=True)
    shutil.copy2(busybox, context / "busybox")
    client.images.build(path=str(context), tag=f"{IMAGE}:{TAG}", rm=True, forcerm=True)
    return IMAGE


def _our_containers(client: docker.DockerClient) -> list[str]:
    """Proxy containers this test process started (other runs may share the daemon)."""
    mine = f"{OWNER_LABEL}={os.getpid()}"
    return [c.id for c in client.containers.list(all=True, filters={"label": [LABEL, mine]})]


@pytest.fixture
def no_leftovers(client: docker.DockerClient) -> Iterator[None]:
    """Every test must leave exactly the containers it found."""
    before = set(_our_containers(client))
    yield
    assert set(_our_containers(client)) == before


def _launch(tmp_path: Path, config: Path, **values: str) -> Launch:
    return Launch(
        config_path=config,
        port=free_port(),
        environment=ProxyEnvironment(values=dict(values)),
        master_key=MASTER_KEY,
        log=ProxyLog(tmp_path / "litellm.log", Redactor([MASTER_KEY])),
        work_dir=tmp_path,
        inherit_environment=False,
    )


@pytest.mark.parametrize("network", [DockerNetwork.host, DockerNetwork.bridge])
@pytest.mark.usefixtures("no_leftovers")
def test_becomes_healthy_logs_redacted_and_is_removed(
    client: docker.DockerClient,
    fake_image: str,
    fake_config: ConfigFactory,
    tmp_path: Path,
    network: DockerNetwork,
) -> None:
    launch = _launch(tmp_path, fake_config("healthy"))
    runtime = DockerRuntime(fake_image, TAG, network)
    try:
        runtime.start(launch)
        wait_until_healthy(
            f"http://127.0.0.1:{launch.port}", timeout=30, exit_status=runtime.exit_status
        )
        assert runtime.container_id is not None
        container = client.containers.get(runtime.container_id)
        assert container.labels[LABEL] == "proxy"
        assert container.labels[OWNER_LABEL] == str(os.getpid())
        if network is DockerNetwork.bridge:
            binding = container.attrs["HostConfig"]["PortBindings"]["4000/tcp"][0]
            assert binding == {"HostIp": "127.0.0.1", "HostPort": str(launch.port)}
        else:
            assert container.attrs["HostConfig"]["NetworkMode"] == "host"
        mounts = {m["Destination"]: m for m in container.attrs["Mounts"]}
        assert mounts["/compat/proxy_config.yaml"]["RW"] is False
        assert runtime.exit_status() is None
    finally:
        runtime.stop(grace=2)
    text = launch.log.path.read_text()
    assert "fake-litellm starting (healthy)" in text
    assert "cost map local=True" in text
    assert MASTER_KEY not in text and f"LITELLM_MASTER_KEY={REDACTED}" in text
    with pytest.raises(docker.errors.NotFound):
        client.containers.get(container.id)


def _docker_settings(config: Path, fake_image: str, **overrides: object) -> ProxySettings:
    values: dict[str, object] = {
        "runtime": RuntimeKind.docker,
        "upstream": Upstream.live,
        "image": fake_image,
        "tag": TAG,
        "config": config,
        "timeout": 30,
        "grace": 1,
    }
    values.update(overrides)
    return ProxySettings.model_validate(values)


@pytest.mark.usefixtures("no_leftovers")
def test_a_failing_container_reports_its_log_and_is_removed(
    fake_image: str, fake_config: ConfigFactory, live_secrets: dict[str, str]
) -> None:
    session = ProxySession(_docker_settings(fake_config("exit"), fake_image))
    with pytest.raises(ProxyStartError) as caught:
        session.start()
    message = str(caught.value)
    assert f"docker {fake_image}:{TAG}" in message
    assert "exited with status 3" in message
    assert "  | fake-litellm: config rejected" in message
    assert session.master_key not in message
    assert live_secrets["ANTHROPIC_API_KEY"] not in message
    assert f"ANTHROPIC_API_KEY={REDACTED}" in message


@pytest.mark.usefixtures("no_leftovers")
def test_a_container_that_never_answers_times_out_and_is_killed(
    fake_image: str, fake_config: ConfigFactory
) -> None:
    session = ProxySession(_docker_settings(fake_config("hang"), fake_image, timeout=2))
    started = time.monotonic()
    with pytest.raises(ProxyStartError, match="within 2 seconds") as caught:
        session.start()
    # 2 s timeout + 1 s grace before SIGKILL, plus container start and removal.
    assert time.monotonic() - started < 20
    assert "fake-litellm starting (hang)" in str(caught.value)


@pytest.mark.usefixtures("no_leftovers")
def test_ctrl_c_inside_the_session_removes_the_container(
    client: docker.DockerClient, fake_image: str, fake_config: ConfigFactory
) -> None:
    with (
        pytest.raises(KeyboardInterrupt),
        ProxySession(_docker_settings(fake_config("healthy"), fake_image)) as proxy,
    ):
        assert isinstance(proxy.runtime, DockerRuntime)
        assert proxy.runtime.container_id in _our_containers(client)
        raise KeyboardInterrupt


@pytest.mark.usefixtures("no_leftovers")
def test_emulated_mode_reaches_the_emulator_from_the_container(
    client: docker.DockerClient, fake_image: str, fake_config: ConfigFactory
) -> None:
    settings = _docker_settings(fake_config("healthy"), fake_image, upstream=Upstream.emulated)
    with ProxySession(settings) as proxy:
        assert proxy.emulator is not None and isinstance(proxy.runtime, DockerRuntime)
        assert httpx.get(proxy.base_url + "/health/liveliness").status_code == 200
        container = client.containers.get(proxy.runtime.container_id)
        environment = dict(item.split("=", 1) for item in container.attrs["Config"]["Env"])
        assert environment["COMPAT_ANTHROPIC_API_BASE"] == proxy.emulator.url
        credentials = environment["GOOGLE_APPLICATION_CREDENTIALS"]
        assert credentials == "/compat/files/GOOGLE_APPLICATION_CREDENTIALS"
        assert proxy.log is not None
        deadline = time.monotonic() + 10
        while "upstream reach" not in proxy.log.path.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        text = proxy.log.path.read_text()
    assert "fake-litellm upstream reachable" in text
    assert "fake-litellm credentials file readable" in text


@pytest.mark.usefixtures("no_leftovers")
def test_an_absent_image_that_cannot_be_pulled_is_a_clear_error(
    client: docker.DockerClient, fake_config: ConfigFactory, tmp_path: Path
) -> None:
    runtime = DockerRuntime("compat-test-absent-image", "nope", DockerNetwork.bridge)
    with pytest.raises(CompatError, match="is not on this machine and pulling it failed"):
        runtime.start(_launch(tmp_path, fake_config("healthy")))
    runtime.stop()


@pytest.mark.usefixtures("no_leftovers")
def test_a_missing_credentials_file_is_refused_before_docker_mounts_it(
    fake_image: str, fake_config: ConfigFactory, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-service-account.json"
    launch = replace(
        _launch(tmp_path, fake_config("healthy")),
        environment=ProxyEnvironment(values={}, files={"GOOGLE_APPLICATION_CREDENTIALS": missing}),
    )
    runtime = DockerRuntime(fake_image, TAG, DockerNetwork.bridge)
    with pytest.raises(CompatError, match=r"GOOGLE_APPLICATION_CREDENTIALS names .* not a file"):
        runtime.start(launch)
    runtime.stop()
    assert not missing.exists()
