"""LiteLLM's proxy image for the docker runtime: the published one, or one built here.

`ghcr.io/berriai/litellm:v<version>` when this machine has it or can pull it; otherwise
`compat-litellm:<version>`, built on the debootstrapped Debian base from the same hash-pinned
lock the local venvs install, with a record of what it holds beside the venvs' records.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import docker
import docker.errors
from pydantic import BaseModel

from compat.errors import CompatError
from compat.files import write_atomic
from compat.images.debian_base import (
    BASE_REFERENCE,
    ROLE_LABEL,
    ensure_base_image,
    exclusive,
    images_cache,
)
from compat.images.docker_build import (
    BUILD_CA_NAME,
    build_ca_bundle,
    build_image,
    context_tar,
    docker_reason,
    image_exists,
    patient,
)
from compat.proxy.runtime import DEFAULT_IMAGE, default_tag
from compat.proxy.venv import LOCK_NAME, check_release, lock_for, requirement, validate_version

LOCAL_REPOSITORY = "compat-litellm"
DOCKERFILE = Path(__file__).with_name("litellm.Dockerfile")
FREEZE_IN_IMAGE = "/opt/litellm/compat-freeze.txt"
VERSION_LABEL = "org.compat.litellm-version"
CONSTRAINT_LABEL = "org.compat.constraint"
BASE_LABEL = "org.compat.base"


class ImageSource(StrEnum):
    """Where `compat install litellm --runtime docker` gets the image from."""

    auto = "auto"
    """The registry's image when it can be had, else one built here."""
    registry = "registry"
    build = "build"


class ImageRecord(BaseModel):
    """`compat-litellm-<version>.json`: how a built image was made and what it holds."""

    reference: str
    image_id: str
    requirement: str
    base: str
    python: str
    built_at: str
    constraint: str
    packages_sha256: str


def upstream_reference(version: str) -> str:
    return f"{DEFAULT_IMAGE}:{default_tag(version)}"


def local_reference(version: str) -> str:
    return f"{LOCAL_REPOSITORY}:{validate_version(version)}"


def record_path(version: str) -> Path:
    return images_cache() / f"{LOCAL_REPOSITORY}-{version}.json"


def freeze_path(version: str) -> Path:
    return images_cache() / f"{LOCAL_REPOSITORY}-{version}.freeze.txt"


def find_litellm_image(client: docker.DockerClient, version: str) -> str | None:
    """The image this daemon already has for `version`: the published one first."""
    for reference in (upstream_reference(version), local_reference(version)):
        if image_exists(client, reference):
            return reference
    return None


def ensure_litellm_image(
    client: docker.DockerClient,
    version: str,
    *,
    source: ImageSource = ImageSource.auto,
    progress: Callable[[str], None] | None = None,
) -> str:
    """The reference of a LiteLLM `version` image on this daemon, pulled or built if absent."""
    report = progress or (lambda _line: None)
    version = validate_version(version)
    if source is not ImageSource.build:
        found = find_litellm_image(client, version)
        if found is not None and (source is ImageSource.auto or found != local_reference(version)):
            return _with_record(client, version, found)
        pulled = _pull(client, version, report)
        if pulled is not None:
            return pulled
        if source is ImageSource.registry:
            raise CompatError(
                f"cannot pull {upstream_reference(version)} (no registry answered); "
                f"`compat install litellm --runtime docker --source build` builds "
                f"{local_reference(version)} here instead"
            )
    elif image_exists(client, local_reference(version)):
        return _with_record(client, version, local_reference(version))
    return build_litellm_image(client, version, progress=report)


def _with_record(client: docker.DockerClient, version: str, reference: str) -> str:
    """`reference`, its record made anew from the image's labels when this cache has none of
    it (an image another cache built, or one rebuilt since)."""
    if reference != local_reference(version) or _recorded_freeze(version, reference, client):
        return reference
    image = client.images.get(reference)
    labels = image.labels or {}
    _record(
        client,
        version,
        reference,
        image.id,
        labels.get(BASE_LABEL, "unknown"),
        labels.get(CONSTRAINT_LABEL, "unknown"),
    )
    return reference


def _pull(client: docker.DockerClient, version: str, progress: Callable[[str], None]) -> str | None:
    reference = upstream_reference(version)
    progress(f"pulling {reference}")
    try:
        with patient(client):
            client.images.pull(DEFAULT_IMAGE, tag=default_tag(version))
    except docker.errors.DockerException as exc:
        progress(f"cannot pull {reference} ({docker_reason(exc).splitlines()[0][:160]})")
        return None
    return reference


def build_litellm_image(
    client: docker.DockerClient,
    version: str,
    *,
    reference: str | None = None,
    base: str = BASE_REFERENCE,
    progress: Callable[[str], None] | None = None,
) -> str:
    """Build `compat-litellm:<version>` (or `reference`) on the Debian base `base`."""
    report = progress or (lambda _line: None)
    reference = reference or local_reference(version)
    recorded = reference == local_reference(version)
    with exclusive(reference):
        if image_exists(client, reference):
            return _with_record(client, version, reference) if recorded else reference
        release = check_release(version, note=report)
        base = ensure_base_image(client, reference=base, progress=report)
        with tempfile.TemporaryDirectory(prefix="litellm-image-", dir=images_cache()) as work:
            log_path = Path(work) / "lock.log"
            uploaded = release.uploaded_at if release is not None else None
            lock, constraint = lock_for(version, Path(work), log_path, report, uploaded=uploaded)
            context = context_tar(
                [("Dockerfile", DOCKERFILE), (LOCK_NAME, lock), (BUILD_CA_NAME, build_ca_bundle())],
                {},
            )
            image_id = build_image(
                client,
                context,
                reference,
                buildargs={"BASE_IMAGE": base},
                labels={
                    ROLE_LABEL: "litellm",
                    VERSION_LABEL: version,
                    CONSTRAINT_LABEL: constraint,
                    BASE_LABEL: base,
                },
                progress=report,
            )
        if recorded:
            _record(client, version, reference, image_id, base, constraint)
    return reference


def _record(
    client: docker.DockerClient,
    version: str,
    reference: str,
    image_id: str,
    base: str,
    constraint: str,
) -> None:
    freeze = _read_in_image(client, reference, FREEZE_IN_IMAGE)
    python = _run_in_image(client, reference, ["python3", "-c", "import sys; print(sys.version)"])
    write_atomic(freeze_path(version), freeze)
    record = ImageRecord(
        reference=reference,
        image_id=image_id,
        requirement=requirement(version),
        base=base,
        python=python.split()[0],
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        constraint=constraint,
        packages_sha256=hashlib.sha256(freeze.encode()).hexdigest(),
    )
    write_atomic(record_path(version), record.model_dump_json(indent=2) + "\n")


def _read_in_image(client: docker.DockerClient, reference: str, path: str) -> str:
    return _run_in_image(client, reference, ["cat", path])


def _run_in_image(client: docker.DockerClient, reference: str, argv: list[str]) -> str:
    try:
        output = client.containers.run(
            reference, entrypoint=argv[:1], command=argv[1:], remove=True, network_mode="none"
        )
    except docker.errors.DockerException as exc:
        raise CompatError(f"cannot run {' '.join(argv)} in {reference}: {exc}") from None
    return output.decode() if isinstance(output, bytes) else str(output)


def image_packages(
    version: str, reference: str, client: docker.DockerClient | None = None
) -> list[str] | None:
    """What a compat-built image holds (its freeze); None for an image compat did not build.

    The freeze kept beside the venvs when it records this very image; otherwise (an image
    another cache built, or a rebuild) the one inside the image, read through `client`.
    """
    if reference != local_reference(version):
        return None
    text = _recorded_freeze(version, reference, client)
    if text is None and client is not None:
        try:
            text = _read_in_image(client, reference, FREEZE_IN_IMAGE)
        except CompatError:
            return None
    if text is None:
        return None
    return [line for line in text.splitlines() if line.strip()]


def _recorded_freeze(
    version: str, reference: str, client: docker.DockerClient | None
) -> str | None:
    try:
        record = ImageRecord.model_validate_json(record_path(version).read_text(encoding="utf-8"))
        text = freeze_path(version).read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None
    if client is not None:
        try:
            if client.images.get(reference).id != record.image_id:
                return None
        except docker.errors.DockerException:
            return None
    return text
