"""build_image on a real daemon: an image with its labels, or the failing build's last lines."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import docker
import docker.errors
import pytest

from compat.errors import CompatError
from compat.images.debian_base import BASE_REFERENCE
from compat.images.docker_build import build_image, context_tar, image_exists


@pytest.fixture
def tag(client: docker.DockerClient) -> Iterator[str]:
    """A tag of this test's own, removed afterwards."""
    reference = f"compat-build-test:{uuid.uuid4().hex[:12]}"
    yield reference
    if image_exists(client, reference):
        client.images.remove(reference, force=True)


def dockerfile(text: str):
    return context_tar([], {"Dockerfile": text.encode()})


def test_a_build_gives_the_image_with_its_labels_and_reports_steps(
    client: docker.DockerClient, tag: str
) -> None:
    steps: list[str] = []
    image_id = build_image(
        client,
        dockerfile(f'FROM {BASE_REFERENCE}\nARG GREETING\nRUN echo "$GREETING" > /greeting\n'),
        tag,
        buildargs={"GREETING": "hello from the build"},
        labels={"org.compat.test": "docker-build"},
        progress=steps.append,
    )
    image = client.images.get(tag)
    assert image.id == image_id
    assert image.labels["org.compat.test"] == "docker-build"
    assert any(line.startswith(f"building {tag}: Step ") for line in steps), steps
    output = client.containers.run(tag, ["cat", "/greeting"], remove=True, network_mode="none")
    assert output.decode().strip() == "hello from the build"


def test_a_failing_run_is_a_compat_error_quoting_the_builds_last_lines(
    client: docker.DockerClient, tag: str
) -> None:
    context = dockerfile(
        f"FROM {BASE_REFERENCE}\n"
        "RUN echo compat-marker-before-failure && echo compat-marker-on-stderr >&2 && exit 7\n"
    )
    with pytest.raises(CompatError) as caught:
        build_image(client, context, tag, buildargs={}, labels={}, progress=lambda _line: None)
    message = str(caught.value)
    assert message.startswith(f"building {tag} failed; last lines of the build:")
    assert "  | compat-marker-before-failure" in message
    assert "returned a non-zero code: 7" in message
    assert "Traceback" not in message
    assert not image_exists(client, tag)


def test_a_missing_base_is_a_compat_error_naming_it(client: docker.DockerClient, tag: str) -> None:
    absent = f"compat-debian:absent-{uuid.uuid4().hex[:12]}"
    with pytest.raises(CompatError) as caught:
        build_image(
            client,
            dockerfile(f"FROM {absent}\n"),
            tag,
            buildargs={},
            labels={},
            progress=lambda _line: None,
        )
    assert tag in str(caught.value)
    assert absent in str(caught.value)
    assert not image_exists(client, tag)
