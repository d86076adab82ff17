"""Building an image from a context compat assembles, with progress and a clear failure."""

from __future__ import annotations

import contextlib
import io
import os
import tarfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import docker
import docker.errors

from compat.errors import CompatError

BUILD_CA_NAME = "build-ca.crt"
"""The trust bundle a build's downloads verify against (a TLS-inspecting egress needs its CA)."""
TAIL_LINES = 20
BUILD_TIMEOUT_SECONDS = 3600
"""A build step may print nothing for minutes (a quiet install); the API must keep waiting."""


@contextlib.contextmanager
def patient(client: docker.DockerClient) -> Iterator[None]:
    """The client's API calls wait up to BUILD_TIMEOUT_SECONDS while inside the block."""
    api = client.api
    before = api.timeout
    api.timeout = BUILD_TIMEOUT_SECONDS
    try:
        yield
    finally:
        api.timeout = before


def build_ca_bundle() -> Path:
    """The CA bundle this machine trusts: $SSL_CERT_FILE when set, else certifi's."""
    configured = os.environ.get("SSL_CERT_FILE")
    if configured and Path(configured).is_file():
        return Path(configured)
    import certifi

    return Path(certifi.where())


def context_tar(files: Iterable[tuple[str, Path]], extra: dict[str, bytes]) -> io.BytesIO:
    """A build context holding `files` (name in the context, path on disk) and `extra` bytes."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, path in files:
            tar.add(str(path), arcname=name, recursive=False)
        for name, data in extra.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    return buffer


def build_image(
    client: docker.DockerClient,
    context: io.BytesIO,
    tag: str,
    *,
    buildargs: dict[str, str],
    labels: dict[str, str],
    progress: Callable[[str], None],
) -> str:
    """Build `tag` from a tar context; returns the image id. Build steps go to `progress`."""
    lines: list[str] = []
    image_id: str | None = None
    try:
        for chunk in client.api.build(
            fileobj=context,
            custom_context=True,
            tag=tag,
            buildargs=buildargs,
            labels=labels,
            rm=True,
            forcerm=True,
            decode=True,
            timeout=BUILD_TIMEOUT_SECONDS,
        ):
            if "error" in chunk:
                lines.append(str(chunk["error"]).strip())
                raise _build_error(tag, lines)
            text = str(chunk.get("stream", "")).rstrip()
            for line in filter(None, text.splitlines()):
                lines.append(line)
                if line.startswith("Step "):
                    progress(f"building {tag}: {line}")
            aux = chunk.get("aux") or {}
            image_id = aux.get("ID", image_id)
    except docker.errors.DockerException as exc:
        raise CompatError(f"cannot build {tag}: {docker_reason(exc)}") from None
    if image_id is None:
        image_id = client.images.get(tag).id
    return image_id


def _build_error(tag: str, lines: list[str]) -> CompatError:
    tail = "\n".join(f"  | {line}" for line in lines[-TAIL_LINES:])
    return CompatError(f"building {tag} failed; last lines of the build:\n{tail}")


def docker_reason(exc: docker.errors.DockerException) -> str:
    """What the daemon said, else the exception's own text."""
    explanation = getattr(exc, "explanation", None)
    return str(explanation or exc).strip()


def image_exists(client: docker.DockerClient, reference: str) -> bool:
    try:
        client.images.get(reference)
    except docker.errors.ImageNotFound:
        return False
    return True
