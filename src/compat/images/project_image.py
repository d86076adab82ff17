"""compat's own image, built from a checkout's Dockerfile on the debootstrapped base."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import docker
import git

from compat.errors import CompatError
from compat.images.debian_base import ROLE_LABEL, ensure_base_image
from compat.images.docker_build import BUILD_CA_NAME, build_ca_bundle, build_image, context_tar

DEFAULT_TAG = "compat:local"


def tracked_files(checkout: Path) -> list[tuple[str, Path]]:
    """The checkout's files that git tracks or would (not ignored), as they are on disk."""
    try:
        repo = git.Repo(checkout)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise CompatError(f"{checkout} is not a git checkout of compat") from None
    names = repo.git.ls_files("-z", "--cached", "--others", "--exclude-standard").split("\0")
    files = [(name, checkout / name) for name in names if name]
    return [(name, path) for name, path in files if path.is_file()]


def build_project_image(
    checkout: Path,
    *,
    tag: str = DEFAULT_TAG,
    claude_code_version: str,
    base: str | None = None,
    client: docker.DockerClient,
    progress: Callable[[str], None] | None = None,
) -> str:
    """Build the checkout's Dockerfile as `tag` (base: the Debian one built here); its id."""
    report = progress or (lambda _line: None)
    if not (checkout / "Dockerfile").is_file():
        raise CompatError(f"{checkout / 'Dockerfile'}: no Dockerfile; run from a compat checkout")
    base = base or ensure_base_image(client, progress=report)
    context = context_tar(tracked_files(checkout), {BUILD_CA_NAME: build_ca_bundle().read_bytes()})
    return build_image(
        client,
        context,
        tag,
        buildargs={"BASE_IMAGE": base, "CLAUDE_CODE_VERSION": claude_code_version},
        labels={ROLE_LABEL: "compat"},
        progress=report,
    )
