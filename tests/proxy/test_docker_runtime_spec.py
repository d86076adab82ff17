"""The container spec: the config and every credential file mounted read-only, once each;
an init as PID 1 so `docker stop`'s SIGTERM reaches LiteLLM; only the variables it needs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from compat.proxy.docker_runtime import (
    CONTAINER_CONFIG_PATH,
    CONTAINER_FILES_DIR,
    CONTAINER_PORT,
    LABEL,
    OWNER_LABEL,
    DockerNetwork,
    DockerRuntime,
)
from compat.proxy.environment import ProxyEnvironment
from compat.proxy.logs import ProxyLog, Redactor
from compat.proxy.runtime import Launch

PORT = 4123


def _launch(tmp_path: Path, files: dict[str, Path] | None = None) -> Launch:
    config = tmp_path / "proxy_config.yaml"
    config.write_text("model_list: []\n")
    return Launch(
        config_path=config,
        port=PORT,
        environment=ProxyEnvironment(values={"PLAIN": "1"}, files=files or {}),
        master_key="sk-test",
        log=ProxyLog(tmp_path / "litellm.log", Redactor()),
        work_dir=tmp_path,
        inherit_environment=False,
    )


def _spec(launch: Launch, network: DockerNetwork = DockerNetwork.bridge) -> dict[str, Any]:
    runtime = DockerRuntime(("img", "tag"), network, litellm_version="1.106.12")
    return runtime._container_spec(launch)


def test_two_variables_naming_one_file_share_one_read_only_mount(tmp_path: Path):
    key = tmp_path / "sa.json"
    key.write_text("{}")
    launch = _launch(
        tmp_path,
        {"GOOGLE_APPLICATION_CREDENTIALS": key, "DEFAULT_GOOGLE_APPLICATION_CREDENTIALS": key},
    )
    spec = _spec(launch)
    inside = f"{CONTAINER_FILES_DIR}/GOOGLE_APPLICATION_CREDENTIALS"
    assert spec["volumes"] == {
        str(launch.config_path.resolve()): {"bind": CONTAINER_CONFIG_PATH, "mode": "ro"},
        str(key.resolve()): {"bind": inside, "mode": "ro"},
    }
    assert spec["environment"]["GOOGLE_APPLICATION_CREDENTIALS"] == inside
    assert spec["environment"]["DEFAULT_GOOGLE_APPLICATION_CREDENTIALS"] == inside


def test_the_container_gets_an_init_labels_and_only_the_launch_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp-not-for-the-proxy")
    launch = _launch(tmp_path)
    spec = _spec(launch)
    # PID 1 without a handler ignores SIGTERM: without an init, every stop waited out the grace.
    assert spec["init"] is True
    assert spec["image"] == "img:tag"
    assert spec["labels"] == {LABEL: "proxy", OWNER_LABEL: str(os.getpid())}
    assert spec["environment"] == {"PLAIN": "1", **launch.proxy_variables()}


@pytest.mark.parametrize("network", list(DockerNetwork))
def test_the_listening_address_follows_the_network(tmp_path: Path, network: DockerNetwork):
    spec = _spec(_launch(tmp_path), network)
    if network is DockerNetwork.host:
        assert spec["network_mode"] == "host" and "ports" not in spec
        assert spec["command"][-4:] == ["--host", "127.0.0.1", "--port", str(PORT)]
    else:
        assert spec["ports"] == {f"{CONTAINER_PORT}/tcp": ("127.0.0.1", PORT)}
        assert spec["command"][-4:] == ["--host", "0.0.0.0", "--port", str(CONTAINER_PORT)]
    assert spec["command"][:2] == ["--config", CONTAINER_CONFIG_PATH]
