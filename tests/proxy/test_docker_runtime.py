"""The docker runtime against a real daemon.

The healthy paths run LiteLLM's real image (`litellm_image`: found on this daemon, or built
as compat builds it). A busybox stand-in built offline plays only the faults a real LiteLLM
is hard to make commit on cue: dying at start, never answering, ignoring SIGTERM.
"""

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
from compat.proxy import env_names as env
from compat.proxy.docker_runtime import (
    CONTAINER_CONFIG_PATH,
    LABEL,
    OWNER_LABEL,
    DockerNetwork,
    DockerRuntime,
)
from compat.proxy.environment import ProxyEnvironment, Upstream
from compat.proxy.health import free_port, wait_until_healthy
from compat.proxy.lifecycle import ProxySession, ProxySettings, ProxyStartError
from compat.proxy.logs import REDACTED, ProxyLog, Redactor
from compat.proxy.runtime import Launch, RuntimeKind
from compat.proxy.venv import DEFAULT_LITELLM_VERSION
from support.sessions import PROXY_CONFIG

from .conftest import ConfigFactory

IMAGE = "compat-test-litellm"
TAG = "fake"
IMAGE_DIR = Path(__file__).with_name("fake_litellm_image")
MASTER_KEY = "sk-docker-runtime-test-key-0123456789abcdef012345678"
UPSTREAM_SECRET = "sk-ant-docker-runtime-upstream-9f8e7d6c5b4a3928"
# The real LiteLLM imports for several seconds before it answers.
BOOT_TIMEOUT = 120
STOP_GRACE = 20.0
# One alias, no upstream needed to boot: what a healthy LiteLLM must serve from the mount.
REAL_CONFIG = f"""\
model_list:
- model_name: claude-haiku-4-5
  litellm_params:
    model: anthropic/claude-haiku-4-5-20251001
    api_key: os.environ/{env.ANTHROPIC_API_KEY}
general_settings:
  master_key: os.environ/{env.LITELLM_MASTER_KEY}
"""


@pytest.fixture(scope="module")
def client(docker_client: docker.DockerClient) -> docker.DockerClient:
    return docker_client


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


@pytest.fixture
def real_config(tmp_path: Path) -> Path:
    path = tmp_path / "proxy_config.yaml"
    path.write_text(REAL_CONFIG)
    return path


def _reference(image: str) -> tuple[str, str]:
    repository, _, tag = image.rpartition(":")
    return repository, tag


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
        log=ProxyLog(tmp_path / "litellm.log", Redactor([MASTER_KEY, *values.values()])),
        work_dir=tmp_path,
        inherit_environment=False,
    )


@pytest.mark.parametrize("network", [DockerNetwork.host, DockerNetwork.bridge])
@pytest.mark.usefixtures("no_leftovers")
def test_real_litellm_becomes_healthy_logs_redacted_and_is_removed(
    client: docker.DockerClient,
    litellm_image: str,
    real_config: Path,
    tmp_path: Path,
    network: DockerNetwork,
) -> None:
    launch = _launch(tmp_path, real_config, **{env.ANTHROPIC_API_KEY: UPSTREAM_SECRET})
    runtime = DockerRuntime(
        _reference(litellm_image), network, litellm_version=DEFAULT_LITELLM_VERSION
    )
    base_url = f"http://127.0.0.1:{launch.port}"
    try:
        runtime.start(launch)
        wait_until_healthy(base_url, timeout=BOOT_TIMEOUT, exit_status=runtime.exit_status)
        assert runtime.container_id is not None
        container = client.containers.get(runtime.container_id)
        assert container.image.tags and litellm_image in container.image.tags
        assert container.labels[LABEL] == "proxy"
        assert container.labels[OWNER_LABEL] == str(os.getpid())
        if network is DockerNetwork.bridge:
            binding = container.attrs["HostConfig"]["PortBindings"]["4000/tcp"][0]
            assert binding == {"HostIp": "127.0.0.1", "HostPort": str(launch.port)}
        else:
            assert container.attrs["HostConfig"]["NetworkMode"] == "host"
        mounts = {m["Destination"]: m for m in container.attrs["Mounts"]}
        assert mounts[CONTAINER_CONFIG_PATH]["RW"] is False
        # The mounted config is the one served, behind the master key compat handed over.
        models = httpx.get(
            f"{base_url}/v1/models", headers={"Authorization": f"Bearer {MASTER_KEY}"}
        )
        assert models.status_code == 200, models.text
        assert [m["id"] for m in models.json()["data"]] == ["claude-haiku-4-5"]
        refused = httpx.get(f"{base_url}/v1/models", headers={"Authorization": "Bearer sk-no"})
        assert refused.status_code in (400, 401, 403), refused.text
        assert runtime.exit_status() is None
        assert container.attrs["HostConfig"]["Init"] is True
        raw = container.logs(stdout=True, stderr=True).decode(errors="replace")
    finally:
        stopping = time.monotonic()
        runtime.stop(grace=STOP_GRACE)
    # LiteLLM heard the SIGTERM (no waiting out the grace for the SIGKILL).
    assert time.monotonic() - stopping < STOP_GRACE / 2
    text = launch.log.path.read_text()
    # The pump copied LiteLLM's own output (uvicorn's banner), minus every secret.
    assert "Uvicorn running on" in text and "Uvicorn running on" in raw
    for secret in (MASTER_KEY, UPSTREAM_SECRET):
        assert secret not in text and secret not in raw
    with pytest.raises(docker.errors.NotFound):
        client.containers.get(container.id)


def _docker_settings(config: Path, image: str | None, **overrides: object) -> ProxySettings:
    """Settings for the docker runtime; `image` None: the release's own (real) image."""
    values: dict[str, object] = {
        "runtime": RuntimeKind.docker,
        "upstream": Upstream.live,
        "config": config,
        "timeout": BOOT_TIMEOUT,
        "grace": 1,
    }
    if image is not None:
        values.update(image=image, tag=TAG)
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
    # The stand-in echoes both; the log pump must have redacted them.
    assert session.master_key not in message
    assert f"LITELLM_MASTER_KEY={REDACTED}" in message
    assert live_secrets["ANTHROPIC_API_KEY"] not in message
    assert f"ANTHROPIC_API_KEY={REDACTED}" in message


@pytest.mark.usefixtures("no_leftovers")
def test_a_container_that_never_answers_and_ignores_sigterm_is_killed(
    fake_image: str, fake_config: ConfigFactory
) -> None:
    # The stand-in's `hang` never listens and, as PID 1, ignores SIGTERM.
    session = ProxySession(_docker_settings(fake_config("hang"), fake_image, timeout=2))
    started = time.monotonic()
    with pytest.raises(ProxyStartError, match="within 2 seconds") as caught:
        session.start()
    # 2 s timeout + 1 s grace before SIGKILL, plus container start and removal.
    assert time.monotonic() - started < 20
    assert "fake-litellm starting (hang)" in str(caught.value)


@pytest.mark.usefixtures("no_leftovers")
def test_ctrl_c_inside_the_session_removes_the_real_container(
    client: docker.DockerClient, litellm_image: str, real_config: Path
) -> None:
    seen: list[str] = []
    with (
        pytest.raises(KeyboardInterrupt),
        ProxySession(_docker_settings(real_config, None)) as proxy,
    ):
        assert isinstance(proxy.runtime, DockerRuntime)
        assert proxy.runtime.reference == litellm_image
        assert proxy.runtime.container_id in _our_containers(client)
        assert httpx.get(proxy.base_url + "/health/liveliness").status_code == 200
        seen.append(proxy.runtime.container_id)
        raise KeyboardInterrupt
    assert len(seen) == 1
    with pytest.raises(docker.errors.NotFound):
        client.containers.get(seen[0])


@pytest.mark.usefixtures("no_leftovers")
def test_emulated_mode_reaches_the_emulator_from_the_real_container(
    client: docker.DockerClient, litellm_image: str
) -> None:
    settings = ProxySettings(runtime=RuntimeKind.docker, config=PROXY_CONFIG, timeout=BOOT_TIMEOUT)
    with ProxySession(settings) as proxy:
        assert proxy.emulator is not None and isinstance(proxy.runtime, DockerRuntime)
        assert proxy.runtime.reference == litellm_image
        container = client.containers.get(proxy.runtime.container_id)
        environment = dict(item.split("=", 1) for item in container.attrs["Config"]["Env"])
        assert environment["COMPAT_ANTHROPIC_API_BASE"] == proxy.emulator.url
        credentials = environment[env.GOOGLE_APPLICATION_CREDENTIALS]
        assert credentials == f"/compat/files/{env.GOOGLE_APPLICATION_CREDENTIALS}"
        readable = container.exec_run(["python3", "-c", f"print(open({credentials!r}).read())"])
        assert readable.exit_code == 0, readable.output
        assert b'"private_key"' in readable.output
        # Anthropic needs the emulator reachable; Vertex also the mounted service account
        # (LiteLLM trades it for a token at the emulator before it sends the request).
        replies = {
            alias: httpx.post(
                proxy.base_url + "/v1/messages",
                headers={"Authorization": f"Bearer {proxy.master_key}"},
                json={
                    "model": alias,
                    "max_tokens": 64,
                    "messages": [{"role": "user", "content": "Say hello."}],
                },
                timeout=60,
            )
            for alias in ("claude-haiku-4-5", "claude-haiku-4-5-vertex")
        }
        for alias, reply in replies.items():
            assert reply.status_code == 200, f"{alias}: {reply.status_code} {reply.text[:500]}"
            assert reply.json()["type"] == "message", alias
        assert proxy.upstream_log is not None
        providers = [entry.provider for entry in proxy.upstream_log.query()]
    # The Vertex request came through on the service account's token: the file was read.
    assert "anthropic" in providers and "vertex_ai" in providers, providers


@pytest.mark.usefixtures("no_leftovers")
def test_an_absent_image_that_cannot_be_pulled_is_a_clear_error(
    real_config: Path, tmp_path: Path
) -> None:
    runtime = DockerRuntime(
        ("compat-test-absent-image", "nope"),
        DockerNetwork.bridge,
        litellm_version=DEFAULT_LITELLM_VERSION,
    )
    with pytest.raises(CompatError, match="is not on this machine and pulling it failed"):
        runtime.start(_launch(tmp_path, real_config))
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
    runtime = DockerRuntime(
        (fake_image, TAG), DockerNetwork.bridge, litellm_version=DEFAULT_LITELLM_VERSION
    )
    with pytest.raises(CompatError, match=r"GOOGLE_APPLICATION_CREDENTIALS names .* not a file"):
        runtime.start(launch)
    runtime.stop()
    assert not missing.exists()
