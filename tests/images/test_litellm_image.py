"""LiteLLM's image for the docker runtime: found without rebuilding, refused clearly when only a
registry would do, and holding what the venv of the same release holds."""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

import docker
import pytest
from packaging.markers import Marker

from compat.errors import CompatError, InputError
from compat.images import litellm_image
from compat.images.debian_base import ROLE_LABEL
from compat.images.litellm_image import (
    FREEZE_IN_IMAGE,
    VERSION_LABEL,
    ImageRecord,
    ImageSource,
    build_litellm_image,
    ensure_litellm_image,
    freeze_path,
    image_packages,
    local_reference,
    record_path,
    upstream_reference,
)
from compat.proxy.venv import (
    DEFAULT_LITELLM_VERSION,
    bundled_lock,
    installed_packages,
    requirement,
    venv_dir,
)

VERSION = DEFAULT_LITELLM_VERSION
LOCAL = f"compat-litellm:{VERSION}"
FOUND_WITHIN_SECONDS = 5.0

# Debian bookworm's python3-venv seeds every venv with its bundled pip and setuptools wheels
# and the image's freeze is `pip freeze --all`, so it lists them; uv's venvs hold neither.
DEBIAN_VENV_SEED = {"pip": "23.0.1", "setuptools": "66.1.1"}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def freeze_map(lines: list[str]) -> dict[str, str]:
    pins = {}
    for line in lines:
        name, sep, version = line.strip().partition("==")
        assert sep, f"not a name==version pin: {line!r}"
        pins[normalise(name)] = version
    return pins


def lock_pins(lock: Path, python_full_version: str) -> dict[str, str]:
    """The lock's pins that apply on `python_full_version` (their markers evaluated)."""
    environment = {
        "python_full_version": python_full_version,
        "python_version": ".".join(python_full_version.split(".")[:2]),
        "sys_platform": "linux",
        "platform_system": "Linux",
        "os_name": "posix",
        "platform_machine": "x86_64",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
    }
    pins = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        if not line or line[0] in " #-":
            continue
        spec, _, marker = line.rstrip(" \\").partition(";")
        name, _, version = spec.strip().partition("==")
        if marker.strip() and not Marker(marker.strip()).evaluate(environment):
            continue
        pins[normalise(name.split("[")[0])] = version
    return pins


def venv_python(version: str) -> str:
    text = (venv_dir(version) / "pyvenv.cfg").read_text(encoding="utf-8")
    [found] = re.findall(r"^version_info\s*=\s*(\S+)$", text, re.MULTILINE)
    return found


@pytest.fixture(scope="module")
def built(client: docker.DockerClient) -> str:
    """compat-litellm:<default> on this daemon, recorded in this cache (built when absent)."""
    return ensure_litellm_image(client, VERSION, source=ImageSource.build)


def test_registry_only_is_refused_clearly_when_no_registry_answers(
    client: docker.DockerClient, built: str
) -> None:
    steps: list[str] = []
    with pytest.raises(CompatError) as caught:
        ensure_litellm_image(client, VERSION, source=ImageSource.registry, progress=steps.append)
    message = str(caught.value)
    assert f"cannot pull {upstream_reference(VERSION)}" in message
    assert "--source build" in message
    assert LOCAL in message
    assert "Traceback" not in message
    assert any(step.startswith(f"cannot pull {upstream_reference(VERSION)}") for step in steps)


def test_auto_finds_the_built_image_without_rebuilding(
    client: docker.DockerClient, built: str, monkeypatch
) -> None:
    before = client.images.get(LOCAL).id

    def no_build(*args, **kwargs):
        raise AssertionError("auto rebuilt an image the daemon already has")

    monkeypatch.setattr(litellm_image, "build_litellm_image", no_build)
    started = time.monotonic()
    assert ensure_litellm_image(client, VERSION, source=ImageSource.auto) == LOCAL
    assert time.monotonic() - started < FOUND_WITHIN_SECONDS
    assert client.images.get(LOCAL).id == before


def test_the_built_image_is_labelled_and_recorded(client: docker.DockerClient, built: str) -> None:
    image = client.images.get(LOCAL)
    assert image.labels[ROLE_LABEL] == "litellm"
    assert image.labels[VERSION_LABEL] == VERSION
    record = ImageRecord.model_validate_json(record_path(VERSION).read_text(encoding="utf-8"))
    assert record.reference == LOCAL == local_reference(VERSION)
    assert record.image_id == image.id
    assert record.requirement == requirement(VERSION)
    assert record.python == "3.11.2", "Debian bookworm's Python"
    assert record.constraint == f"lock litellm-{VERSION}.txt"
    freeze = freeze_path(VERSION).read_text(encoding="utf-8")
    assert record.packages_sha256 == hashlib.sha256(freeze.encode()).hexdigest()
    assert f"litellm=={VERSION}" in freeze.splitlines()
    in_image = client.containers.run(
        LOCAL, entrypoint=["cat"], command=[FREEZE_IN_IMAGE], remove=True, network_mode="none"
    ).decode()
    assert in_image == freeze, "the freeze kept beside the venvs is the image's own"
    assert image_packages(VERSION, LOCAL) == [line for line in freeze.splitlines() if line]


def test_the_image_holds_the_releases_lock_as_the_venv_does(
    client: docker.DockerClient, built: str
) -> None:
    image = freeze_map(image_packages(VERSION, LOCAL) or [])
    lock = bundled_lock(VERSION)
    assert lock is not None, f"compat ships a lock for its default release {VERSION}"
    # Exactly the lock as it applies on the image's Python (3.11.2), plus Debian's venv seed.
    assert image == {**lock_pins(lock, "3.11.2"), **DEBIAN_VENV_SEED}

    venv = installed_packages(VERSION)
    assert venv is not None, f"LiteLLM {VERSION}'s venv: `compat install litellm` installs it"
    venv_pins = freeze_map(venv)
    host_python = venv_python(VERSION)
    assert venv_pins == lock_pins(lock, host_python)
    # The known difference: the seed, and the lock's pins whose markers hold on Debian's
    # 3.11.2 but not on the venv's Python (async-timeout: python_full_version < '3.11.3').
    only_in_image = {name: image[name] for name in image.keys() - venv_pins.keys()}
    expected = dict(DEBIAN_VENV_SEED)
    if not Marker("python_full_version < '3.11.3'").evaluate({"python_full_version": host_python}):
        expected["async-timeout"] = "5.0.1"
    assert only_in_image == expected
    assert venv_pins.keys() - image.keys() == set()
    assert {n: (image[n], v) for n, v in venv_pins.items() if image[n] != v} == {}


@pytest.mark.parametrize("version", ["latest", "v1.106.12", "1.106.12; rm -rf /", "../1.106.12"])
def test_an_invalid_version_is_refused_before_anything_is_built(
    client: docker.DockerClient, version: str, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))

    def no_build(*args, **kwargs):
        raise AssertionError("a build began for an invalid version")

    monkeypatch.setattr(litellm_image, "build_image", no_build)
    monkeypatch.setattr(litellm_image, "ensure_base_image", no_build)
    monkeypatch.setattr(litellm_image, "_pull", no_build)
    for source in ImageSource:
        with pytest.raises(InputError, match="is not a LiteLLM release version"):
            ensure_litellm_image(client, version, source=source)
    with pytest.raises(InputError, match="is not a LiteLLM release version"):
        build_litellm_image(client, version, reference="compat-litellm:never-built")
    assert not (tmp_path / "cache").exists(), "nothing was written for it"


def test_an_image_this_cache_has_no_record_of_is_recorded_from_the_image_itself(
    client: docker.DockerClient, built: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As when another cache (another checkout, CI's) built the image on this daemon.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    in_image = client.containers.run(
        LOCAL, entrypoint=["cat"], command=[FREEZE_IN_IMAGE], remove=True, network_mode="none"
    ).decode()
    packages = [line for line in in_image.splitlines() if line]
    assert image_packages(VERSION, LOCAL) is None, "no record here, and no client to look"
    assert image_packages(VERSION, LOCAL, client=client) == packages
    assert ensure_litellm_image(client, VERSION) == LOCAL
    record = ImageRecord.model_validate_json(record_path(VERSION).read_text(encoding="utf-8"))
    assert record.image_id == client.images.get(LOCAL).id
    assert record.constraint == f"lock litellm-{VERSION}.txt"
    assert freeze_path(VERSION).read_text(encoding="utf-8") == in_image
    assert image_packages(VERSION, LOCAL, client=client) == packages
