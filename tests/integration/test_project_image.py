"""compat's own image, built here on the debootstrapped base, runs compat and a real cell."""

from __future__ import annotations

import io
import re
import tarfile
from pathlib import Path

import docker
import docker.errors
import pytest

from compat.images.debian_base import BASE_REFERENCE, ROLE_LABEL
from compat.images.project_image import build_project_image
from compat.outcome import Pass, ResultsFile
from support.cli import run_compat

BUILD_TIMEOUT_SECONDS = 1800
"""The first build (apt, npm, the LiteLLM venv) takes minutes; cached rebuilds seconds."""
pytestmark = [pytest.mark.integration, pytest.mark.timeout(BUILD_TIMEOUT_SECONDS)]

ROOT = Path(__file__).parents[2]
TAG = "compat:test"
TEST_LABEL = "org.compat.test"
RESULTS_IN_IMAGE = "/tmp/compat-out/compat-results.json"
RUN_TIMEOUT_SECONDS = 600


def makefile_claude_code_version() -> str:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    match = re.search(r"^CLAUDE_CODE_VERSION\s*\?=\s*(\S+)\s*$", text, re.MULTILINE)
    assert match, "the Makefile sets CLAUDE_CODE_VERSION ?= <version>"
    return match.group(1)


@pytest.fixture(scope="module")
def client(docker_client: docker.DockerClient) -> docker.DockerClient:
    """The session's daemon (a daemon that cannot be reached fails the test)."""
    return docker_client


@pytest.fixture(scope="module")
def project_image(client: docker.DockerClient) -> str:
    """`compat:test` from this checkout; kept afterwards so the layer cache speeds reruns."""
    build_project_image(
        ROOT, tag=TAG, claude_code_version=makefile_claude_code_version(), client=client
    )
    return TAG


def run_in_image(
    client: docker.DockerClient, image: str, argv: list[str], *, fetch: str | None = None
) -> tuple[int, str, bytes | None]:
    """`docker run image argv`: exit code, output and (optionally) one file copied out."""
    container = client.containers.run(
        image, argv, detach=True, labels={TEST_LABEL: "project-image"}
    )
    try:
        status = container.wait(timeout=RUN_TIMEOUT_SECONDS)
        output = container.logs(stdout=True, stderr=True).decode(errors="replace")
        content = None
        if fetch is not None:
            try:
                stream, _ = container.get_archive(fetch)
            except docker.errors.NotFound:
                content = None
            else:
                with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
                    [member] = tar.getmembers()
                    extracted = tar.extractfile(member)
                    assert extracted is not None
                    content = extracted.read()
        return int(status["StatusCode"]), output, content
    finally:
        container.remove(force=True, v=True)


def test_the_image_is_built_on_the_debootstrapped_base_and_labelled(
    client: docker.DockerClient, project_image: str
) -> None:
    image = client.images.get(project_image)
    assert image.labels.get(ROLE_LABEL) == "compat"
    base = client.images.get(BASE_REFERENCE)
    history_ids = {layer["Id"] for layer in image.history()}
    assert base.id in history_ids, f"{project_image} does not descend from {BASE_REFERENCE}"


def test_compat_in_the_image_is_the_hosts_version(
    client: docker.DockerClient, project_image: str
) -> None:
    host = run_compat("--version")
    assert host.returncode == 0, host.stderr
    code, output, _ = run_in_image(client, project_image, ["compat", "--version"])
    assert code == 0, output
    assert output.strip() == host.stdout.strip()


def test_a_cell_runs_green_inside_the_image(
    client: docker.DockerClient, project_image: str
) -> None:
    argv = ["compat", "run", "-f", "basic_messaging_streaming", "-p", "anthropic"]
    argv += ["-o", str(Path(RESULTS_IN_IMAGE).parent)]
    code, output, content = run_in_image(client, project_image, argv, fetch=RESULTS_IN_IMAGE)
    assert code == 0, output
    assert content is not None, f"no {RESULTS_IN_IMAGE} in the container; output:\n{output}"
    results = ResultsFile.model_validate_json(content)
    assert results.upstream == "emulated"
    assert results.results, f"no cell ran; output:\n{output}"
    cells = {(r.feature_id, r.provider, r.tier): r.outcome for r in results.results}
    assert {feature for feature, _, _ in cells} == {"basic_messaging_streaming"}
    assert {provider for _, provider, _ in cells} == {"anthropic"}
    failed = {key: outcome for key, outcome in cells.items() if outcome != Pass()}
    assert failed == {}, output
    assert results.versions.claude_code == makefile_claude_code_version()
