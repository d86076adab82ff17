"""The Debian base every image here starts from: debootstrapped once, kept as a local image.

No image registry is reachable offline, but Debian's archive is: `debootstrap` builds a
minimal root filesystem from it and `docker import` turns that into `compat-debian:bookworm`.
Bookworm because its Python is 3.11, the version compat's LiteLLM locks are compiled for.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import docker

from compat.errors import CompatError
from compat.images.docker_build import image_exists, patient
from compat.paths import cache_home

SUITE = "bookworm"
BASE_REPOSITORY = "compat-debian"
BASE_REFERENCE = f"{BASE_REPOSITORY}:{SUITE}"
MIRROR_ENV = "COMPAT_DEBIAN_MIRROR"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
PUBLIC_BASE = f"debian:{SUITE}-slim"
"""What the Dockerfiles start from where a registry is reachable: the same Debian release."""
ROLE_LABEL = "org.compat.role"
DEBOOTSTRAP_FALLBACK = Path("/usr/sbin/debootstrap")
"""Where Debian installs it: off a non-root user's PATH."""
TAIL_LINES = 20


def images_cache() -> Path:
    """`${XDG_CACHE_HOME:-~/.cache}/compat/images`: build records and work space."""
    return cache_home() / "images"


@contextlib.contextmanager
def exclusive(reference: str) -> Iterator[None]:
    """One builder of image `reference` at a time across processes sharing this cache."""
    root = images_cache()
    root.mkdir(parents=True, exist_ok=True)
    name = reference.replace(":", "-").replace("/", "-")
    with open(root / f".{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def ensure_base_image(
    client: docker.DockerClient,
    *,
    reference: str = BASE_REFERENCE,
    progress: Callable[[str], None] | None = None,
) -> str:
    """`compat-debian:bookworm` (or `reference`), debootstrapped and imported when absent."""
    report = progress or (lambda _line: None)
    if image_exists(client, reference):
        return reference
    with exclusive(reference):
        if not image_exists(client, reference):
            _debootstrap_and_import(client, reference, report)
    return reference


def _debootstrap_and_import(
    client: docker.DockerClient, reference: str, progress: Callable[[str], None]
) -> None:
    debootstrap = shutil.which("debootstrap") or (
        str(DEBOOTSTRAP_FALLBACK) if DEBOOTSTRAP_FALLBACK.exists() else None
    )
    if debootstrap is None:
        raise CompatError(
            f"cannot build {reference}: debootstrap is not installed (Debian's "
            "debootstrap package; `make system` installs it)"
        )
    if os.geteuid() != 0:
        raise CompatError(
            f"cannot build {reference}: debootstrap must run as root; run this once as root "
            f"(e.g. with sudo), or tag a Debian {SUITE} image you have as {reference} "
            f"(`docker tag {PUBLIC_BASE} {reference}`)"
        )
    mirror = os.environ.get(MIRROR_ENV) or DEFAULT_MIRROR
    work = Path(tempfile.mkdtemp(prefix="debian-base-", dir=images_cache()))
    try:
        root = work / "root"
        argv = [debootstrap, "--variant=minbase", SUITE, str(root), mirror]
        progress(f"debootstrap {SUITE} from {mirror}")
        _run(argv, progress)
        # The downloaded .debs and package lists only make the image larger.
        for leftover in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for path in (root / leftover).glob("*"):
                if path.is_file():
                    path.unlink()
        tarball = work / "root.tar"
        _run(["tar", "--numeric-owner", "-C", str(root), "-cf", str(tarball), "."], progress)
        progress(f"docker import {reference}")
        repository, _, tag = reference.rpartition(":")
        with patient(client):
            client.api.import_image_from_file(
                str(tarball),
                repository=repository,
                tag=tag,
                changes=[
                    'CMD ["bash"]',
                    f"LABEL {ROLE_LABEL}=debian-base org.compat.debian-mirror={mirror}",
                ],
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if not image_exists(client, reference):
        raise CompatError(f"docker import did not create {reference}")


def _run(argv: list[str], progress: Callable[[str], None]) -> None:
    process = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    for line in process.stdout:
        lines.append(line.rstrip())
        if line.startswith("I: "):
            progress(line.rstrip())
    code = process.wait()
    if code != 0:
        tail = "\n".join(f"  | {line}" for line in lines[-TAIL_LINES:])
        raise CompatError(f"`{' '.join(argv)}` failed (exit {code}); last lines:\n{tail}")
