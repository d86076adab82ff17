"""What every proxy runtime is given and must do: start, report its exit, stop for good."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from compat.proxy import env_names as env
from compat.proxy.environment import ProxyEnvironment
from compat.proxy.logs import ProxyLog

DEFAULT_GRACE_SECONDS = 10.0
DEFAULT_IMAGE = "ghcr.io/berriai/litellm"


class DockerNetwork(StrEnum):
    """`host` shares the host's loopback (emulated mode: the emulator is on 127.0.0.1 only);
    `bridge` publishes the port on 127.0.0.1 (live mode)."""

    host = "host"
    bridge = "bridge"


def default_tag(litellm_version: str) -> str:
    """LiteLLM tags each release's image `v<version>`."""
    return f"v{litellm_version}"


class RuntimeKind(StrEnum):
    """Where the proxy runs: a local child process, or LiteLLM's container image."""

    local = "local"
    docker = "docker"


@dataclass(frozen=True)
class Launch:
    """One boot of the proxy: its config, port, upstream environment, key and log."""

    config_path: Path
    port: int
    environment: ProxyEnvironment
    master_key: str
    log: ProxyLog
    work_dir: Path
    inherit_environment: bool
    """Live mode keeps the user's environment (proxies, CA bundles); emulated mode starts bare."""

    def proxy_variables(self) -> dict[str, str]:
        """Settings every LiteLLM boot gets, whatever the runtime."""
        return {
            env.LITELLM_MASTER_KEY: self.master_key,
            # LiteLLM fetches its model cost map at start unless told to use the bundled one.
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        }


class ProxyRuntime(Protocol):
    """A way to run the LiteLLM proxy (a local process, a container)."""

    name: str

    def start(self, launch: Launch) -> None:
        """Start the proxy listening on 127.0.0.1:`launch.port`; return without waiting."""
        ...

    def exit_status(self) -> int | None:
        """None while running, else its exit status."""
        ...

    def stop(self, grace: float = DEFAULT_GRACE_SECONDS) -> None:
        """SIGTERM, SIGKILL after `grace` seconds; nothing of it is left afterwards. Idempotent."""
        ...

    def describe(self) -> str:
        """A short label for messages, e.g. `local litellm 1.106.2`."""
        ...
