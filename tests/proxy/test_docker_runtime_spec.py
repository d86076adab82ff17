"""The container spec: the config and every credential file mounted read-only, once each."""

from __future__ import annotations

from pathlib import Path

from compat.proxy.docker_runtime import CONTAINER_FILES_DIR, DockerNetwork, DockerRuntime
from compat.proxy.environment import ProxyEnvironment
from compat.proxy.logs import ProxyLog, Redactor
from compat.proxy.runtime import Launch


def test_two_variables_naming_one_file_share_one_read_only_mount(tmp_path: Path):
    key = tmp_path / "sa.json"
    key.write_text("{}")
    config = tmp_path / "proxy_config.yaml"
    config.write_text("model_list: []\n")
    launch = Launch(
        config_path=config,
        port=4000,
        environment=ProxyEnvironment(
            values={"PLAIN": "1"},
            files={
                "GOOGLE_APPLICATION_CREDENTIALS": key,
                "DEFAULT_GOOGLE_APPLICATION_CREDENTIALS": key,
            },
        ),
        master_key="sk-test",
        log=ProxyLog(tmp_path / "litellm.log", Redactor()),
        work_dir=tmp_path,
        inherit_environment=False,
    )
    spec = DockerRuntime("img", "tag", DockerNetwork.bridge)._container_spec(launch)
    inside = f"{CONTAINER_FILES_DIR}/GOOGLE_APPLICATION_CREDENTIALS"
    assert spec["volumes"][str(key.resolve())] == {"bind": inside, "mode": "ro"}
    assert spec["volumes"][str(config.resolve())]["mode"] == "ro"
    assert spec["environment"]["GOOGLE_APPLICATION_CREDENTIALS"] == inside
    assert spec["environment"]["DEFAULT_GOOGLE_APPLICATION_CREDENTIALS"] == inside
