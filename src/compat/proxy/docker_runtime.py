"""The `docker` runtime: LiteLLM's published image, run and always removed via the docker SDK."""

from __future__ import annotations

import math
import os
import secrets
import threading
from collections.abc import Callable
from typing import Any

import docker
import docker.errors
from docker.models.containers import Container

from compat.errors import CompatError
from compat.images.docker_build import docker_reason, image_exists
from compat.proxy.container_reaper import ContainerReaper
from compat.proxy.runtime import (
    DEFAULT_GRACE_SECONDS,
    DockerNetwork,
    Launch,
)

CONTAINER_CONFIG_PATH = "/compat/proxy_config.yaml"
CONTAINER_FILES_DIR = "/compat/files"
# LiteLLM's image listens here unless told otherwise; the bridge network maps it.
CONTAINER_PORT = 4000
LABEL = "org.compat.role"
# Which process started a container: tells apart runs sharing one daemon.
OWNER_LABEL = "org.compat.owner-pid"
DOCKER_API_TIMEOUT = 30
PUMP_JOIN_SECONDS = 5.0


def connect() -> docker.DockerClient:
    """A client for the local daemon, or a CompatError saying how to get one."""
    try:
        client = docker.from_env(timeout=DOCKER_API_TIMEOUT)
        client.ping()
    except docker.errors.DockerException as exc:
        raise CompatError(
            f"cannot reach a Docker daemon ({docker_reason(exc)}); start dockerd, or use "
            "--runtime local"
        ) from None
    return client


class DockerRuntime:
    """Runs `<image>:<tag> --config … --port …` detached; stop() removes the container.

    Given no (image, tag), it runs the LiteLLM release's image: the published one if this
    machine has it or can pull it, else `compat-litellm:<version>`, built here.
    """

    name = "docker"

    def __init__(
        self,
        image: tuple[str, str] | None,
        network: DockerNetwork,
        *,
        litellm_version: str,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.resolved = image
        self.litellm_version = litellm_version
        self.network = network
        self._progress = progress or (lambda _line: None)
        self._client: docker.DockerClient | None = None
        self._container: Container | None = None
        self._pump: threading.Thread | None = None
        self._reaper: ContainerReaper | None = None

    @property
    def reference(self) -> str:
        if self.resolved is None:
            return f"LiteLLM {self.litellm_version}'s image"
        return ":".join(self.resolved)

    @property
    def client(self) -> docker.DockerClient | None:
        """The daemon's client while started, else None."""
        return self._client

    @property
    def container_id(self) -> str | None:
        return self._container.id if self._container else None

    def describe(self) -> str:
        return f"docker {self.reference}"

    def _ensure_image(self, client: docker.DockerClient) -> None:
        if self.resolved is None:
            from compat.images.litellm_image import ensure_litellm_image

            found = ensure_litellm_image(client, self.litellm_version, progress=self._progress)
            image, _, tag = found.rpartition(":")
            self.resolved = (image, tag)
            return
        image, tag = self.resolved
        if image_exists(client, self.reference):
            return
        self._progress(f"pulling {self.reference}")
        try:
            client.images.pull(image, tag=tag)
        except docker.errors.DockerException as exc:
            raise CompatError(
                f"image {self.reference} is not on this machine and pulling it failed "
                f"({docker_reason(exc)}); pull or load it first, or pass --image/--tag"
            ) from None

    def _container_spec(self, launch: Launch) -> dict[str, Any]:
        for name, path in launch.environment.files.items():
            # Docker would bind-mount a missing path as a new empty directory.
            if not path.is_file():
                raise CompatError(f"{name} names {path}, which is not a file")
        # One mount per host file: docker's volumes are keyed by host path, and two
        # variables may name the same file (the Vertex key for the model list and for the
        # pass-through route).
        mounts: dict[str, str] = {}
        for name, path in launch.environment.files.items():
            mounts.setdefault(str(path.resolve()), f"{CONTAINER_FILES_DIR}/{name}")
        files = {
            name: mounts[str(path.resolve())] for name, path in launch.environment.files.items()
        }
        volumes = {
            str(launch.config_path.resolve()): {"bind": CONTAINER_CONFIG_PATH, "mode": "ro"},
            **{host: {"bind": inside, "mode": "ro"} for host, inside in mounts.items()},
        }
        environment = {**launch.environment.values, **files, **launch.proxy_variables()}
        if self.network is DockerNetwork.host:
            listen = ["--host", "127.0.0.1", "--port", str(launch.port)]
            network: dict[str, Any] = {"network_mode": "host"}
        else:
            listen = ["--host", "0.0.0.0", "--port", str(CONTAINER_PORT)]
            network = {"ports": {f"{CONTAINER_PORT}/tcp": ("127.0.0.1", launch.port)}}
        return {
            "image": self.reference,
            "command": ["--config", CONTAINER_CONFIG_PATH, *listen],
            "environment": environment,
            "volumes": volumes,
            "name": f"compat-proxy-{secrets.token_hex(4)}",
            "labels": {LABEL: "proxy", OWNER_LABEL: str(os.getpid())},
            # Docker's init as PID 1 forwards SIGTERM: the kernel drops a signal PID 1 has
            # no handler for, so LiteLLM as PID 1 ignored `docker stop` until the SIGKILL.
            "init": True,
            **network,
        }

    def start(self, launch: Launch) -> None:
        client = self._client = connect()
        self._ensure_image(client)
        try:
            # Created first and remembered, so stop() can remove it even if starting fails.
            self._container = client.containers.create(**self._container_spec(launch))
            # Removes the container should compat die without stopping it (even by SIGKILL).
            self._reaper = ContainerReaper.watch(self._container.id)
            self._container.start()
            stream = self._container.logs(stream=True, follow=True, stdout=True, stderr=True)
        except docker.errors.DockerException as exc:
            raise CompatError(
                f"cannot start a container from {self.reference}: {docker_reason(exc)}"
            ) from None
        self._pump = launch.log.pump(stream)

    def exit_status(self) -> int | None:
        if self._container is None:
            return None
        try:
            self._container.reload()
        except docker.errors.NotFound:
            return -1
        if self._container.status in ("exited", "dead"):
            return int(self._container.attrs["State"]["ExitCode"])
        return None

    def stop(self, grace: float = DEFAULT_GRACE_SECONDS) -> None:
        container, self._container = self._container, None
        client, self._client = self._client, None
        try:
            if container is not None:
                _stop_and_remove(container, grace)
            if self._pump is not None:
                self._pump.join(timeout=PUMP_JOIN_SECONDS)
        finally:
            reaper, self._reaper = self._reaper, None
            if reaper is not None:
                reaper.release()
            if client is not None:
                client.close()


def _stop_and_remove(container: Container, grace: float) -> None:
    """Docker's own stop: SIGTERM, SIGKILL after `grace`; then remove, whatever state it is in."""
    try:
        container.stop(timeout=max(1, math.ceil(grace)))
    except docker.errors.NotFound:
        return
    except docker.errors.APIError:
        pass  # Already stopped, or stuck: removal with force kills it either way.
    try:
        container.remove(force=True, v=True)
    except docker.errors.NotFound:
        pass
    except docker.errors.APIError as exc:
        raise CompatError(
            f"cannot remove container {container.name}: {docker_reason(exc)}"
        ) from None
