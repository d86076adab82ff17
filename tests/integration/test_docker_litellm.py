"""The docker runtime with LiteLLM's real image: a run passes on every provider, the container
sees its config read-only and only the variables it needs, leaks no secret, and is removed
however compat stops (SIGTERM, Ctrl-C, SIGKILL)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors
import httpx
import pytest
from docker.models.containers import Container

from compat.images.litellm_image import image_packages, local_reference
from compat.manifest import load_manifest
from compat.outcome import Pass, ResultsFile
from compat.proxy import env_names as env
from compat.proxy.config import load_proxy_config
from compat.proxy.docker_runtime import CONTAINER_CONFIG_PATH, LABEL, OWNER_LABEL
from compat.proxy.environment import SECRET_NAMES, emulated_environment
from compat.proxy.logs import ProxyLog, Redactor
from compat.proxy.runtime import Launch
from compat.proxy.venv import DEFAULT_LITELLM_VERSION
from proxy.foreground import ForegroundProxy
from support.cli import compat_command
from support.processes import Children
from support.sessions import PROXY_CONFIG

pytestmark = pytest.mark.integration

BOOT_TIMEOUT = "180"
READY_WITHIN_SECONDS = 240.0
GONE_WITHIN_SECONDS = 30.0
RUN_TIMEOUT_SECONDS = 600.0
# Every column with a proxy deployment (Vertex AI's GPT column is n/a as a whole).
_MANIFEST = load_manifest(Path(__file__).resolve().parents[2] / "manifest.yaml")
SERVED_PROVIDERS = tuple(
    provider
    for provider in _MANIFEST.provider_ids
    if provider not in _MANIFEST.unserved_provider_ids
)
FEATURES = ("basic_messaging_streaming", "tool_use")
# One tier per column: the Claude providers serve haiku, the GPT ones luna.
TIERS = ("haiku-4-5", "gpt-5-6-luna")
# In compat's own environment, none of them the proxy's business: they must not reach it.
SENTINELS = {
    "GITHUB_TOKEN": "ghp_compatSentinelGithubToken0123456789ab",
    "COMPAT_DOCS_TOKEN": "compat-docs-sentinel-token-5a4b3c2d1e",
    "ACME_VENDOR_API_KEY": "acme-sentinel-api-key-9f8e7d6c5b4a",
    # Emulated mode makes its own OpenAI key; the user's must not be passed on instead.
    env.OPENAI_API_KEY: "sk-proj-user-sentinel-openai-key-0011223344",
}


def _containers_of(client: docker.DockerClient, pid: int) -> list[Container]:
    """Proxy containers the compat process `pid` started."""
    labels = [LABEL, f"{OWNER_LABEL}={pid}"]
    return client.containers.list(all=True, filters={"label": labels})


def _wait_until_gone(client: docker.DockerClient, pid: int) -> list[str]:
    """Names of `pid`'s containers still there after GONE_WITHIN_SECONDS (none, if all went)."""
    deadline = time.monotonic() + GONE_WITHIN_SECONDS
    while True:
        left = [c.name for c in _containers_of(client, pid)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.25)


def _remove(client: docker.DockerClient, pid: int) -> None:
    """Teardown after a failed test: only the containers this test's compat started."""
    for container in _containers_of(client, pid):
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True)


def _environment(container: Container) -> dict[str, str]:
    return dict(item.split("=", 1) for item in container.attrs["Config"]["Env"])


@dataclass
class Booted:
    proxy: ForegroundProxy
    base_url: str
    container: Container


def _boot(client: docker.DockerClient, repo_root: Path) -> Booted:
    proxy = ForegroundProxy(
        "--runtime", "docker", "--boot-timeout", BOOT_TIMEOUT, cwd=repo_root, env=SENTINELS
    )
    try:
        base_url = proxy.wait_ready(timeout=READY_WITHIN_SECONDS)
        (container,) = _containers_of(client, proxy.process.pid)
    except BaseException:
        proxy.close()
        _remove(client, proxy.process.pid)
        raise
    return Booted(proxy, base_url, container)


@pytest.fixture(scope="module")
def booted(docker_client: docker.DockerClient, litellm_image: str) -> Iterator[Booted]:
    """One `compat boot-proxy --runtime docker`, shared by the checks that only look."""
    session = _boot(docker_client, Path(__file__).resolve().parents[2])
    try:
        session.container.reload()
        assert session.container.status == "running"
        assert litellm_image in session.container.image.tags
        yield session
    finally:
        session.proxy.close()
        left = _wait_until_gone(docker_client, session.proxy.process.pid)
        _remove(docker_client, session.proxy.process.pid)
        assert not left, f"containers left after Ctrl-C of boot-proxy: {left}"


def _expected_variables(image_variables: set[str], scratch: Path) -> set[str]:
    """What the container's environment must hold, from compat's own account of it.

    Emulated mode's upstream variables (model list, pass-through routes, TLS front, and the
    credentials files), the settings every LiteLLM boot gets, and the image's own ENV.
    """
    upstream = emulated_environment(
        "http://127.0.0.1:1",
        Path("sa.json"),
        config=load_proxy_config(PROXY_CONFIG),
        litellm_version=DEFAULT_LITELLM_VERSION,
        tls_front=("http://127.0.0.1:2", Path("ca.pem")),
    )
    launch = Launch(
        config_path=PROXY_CONFIG,
        port=1,
        environment=upstream,
        master_key="sk-unused",
        log=ProxyLog(scratch / "unused.log", Redactor()),
        work_dir=scratch,
        inherit_environment=False,
    )
    return set(upstream.for_host()) | set(launch.proxy_variables()) | image_variables


def test_the_config_is_mounted_read_only(booted: Booted, repo_root: Path) -> None:
    container = booted.container
    mounts = {m["Destination"]: m for m in container.attrs["Mounts"]}
    assert mounts[CONTAINER_CONFIG_PATH]["RW"] is False
    assert mounts[CONTAINER_CONFIG_PATH]["Source"] == str(repo_root / "proxy_config.yaml")
    assert all(m["RW"] is False for m in mounts.values()), mounts
    written = container.exec_run(
        ["python3", "-c", f"open({CONTAINER_CONFIG_PATH!r}, 'a').write('# changed')"]
    )
    assert written.exit_code != 0, written.output
    assert b"Read-only file system" in written.output
    shown = container.exec_run(["cat", CONTAINER_CONFIG_PATH])
    assert shown.exit_code == 0
    assert shown.output.decode() == (repo_root / "proxy_config.yaml").read_text()


def test_the_container_gets_exactly_the_variables_the_proxy_needs(
    booted: Booted, docker_client: docker.DockerClient, litellm_image: str, tmp_path: Path
) -> None:
    image_env = docker_client.images.get(litellm_image).attrs["Config"]["Env"] or []
    image_variables = {item.split("=", 1)[0] for item in image_env}
    environment = _environment(booted.container)
    assert set(environment) == _expected_variables(image_variables, tmp_path)
    assert environment["LITELLM_LOCAL_MODEL_COST_MAP"] == "True"
    raw = "\n".join(booted.container.attrs["Config"]["Env"])
    for name, value in SENTINELS.items():
        assert value not in raw, f"{name} from compat's environment reached the container"


def test_no_secret_reaches_the_containers_raw_log(booted: Booted) -> None:
    environment = _environment(booted.container)
    master_key = environment[env.LITELLM_MASTER_KEY]
    # Requests log more than a boot does: an accepted one, and one with a wrong key.
    reply = httpx.post(
        booted.base_url + "/v1/messages",
        headers={"Authorization": f"Bearer {master_key}"},
        json={
            "model": "claude-haiku-4-5",
            "max_tokens": 64,
            "messages": [{"role": "user", "content": "Say hello."}],
        },
        timeout=60,
    )
    assert reply.status_code == 200, reply.text[:500]
    refused = httpx.get(
        booted.base_url + "/v1/models", headers={"Authorization": f"Bearer {master_key}x"}
    )
    assert refused.status_code in (400, 401, 403), refused.text[:500]
    raw = booted.container.logs(stdout=True, stderr=True).decode(errors="replace")
    assert "Uvicorn running on" in raw, raw[-2000:]
    secrets = {env.LITELLM_MASTER_KEY: master_key, **SENTINELS}
    secrets |= {name: environment[name] for name in SECRET_NAMES if name in environment}
    assert env.ANTHROPIC_API_KEY in secrets and env.AWS_SECRET_ACCESS_KEY in secrets
    leaked = [name for name, value in secrets.items() if value in raw]
    assert not leaked, f"in the container's own log: {leaked}"


# Ctrl-C is how boot-proxy is meant to end; SIGTERM arrives as SystemExit(128 + 15).
EXIT_CODES = {signal.SIGINT: 0, signal.SIGTERM: 128 + signal.SIGTERM}


def _ignores(pid: int, signum: signal.Signals) -> bool:
    status = Path(f"/proc/{pid}/status").read_text()
    mask = next(line.split()[1] for line in status.splitlines() if line.startswith("SigIgn:"))
    return bool(int(mask, 16) & (1 << (signum - 1)))


@pytest.mark.parametrize(
    "signum", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=lambda signum: signum.name
)
def test_the_container_is_removed_when_compat_is_stopped(
    docker_client: docker.DockerClient,
    litellm_image: str,
    repo_root: Path,
    signum: signal.Signals,
) -> None:
    session = _boot(docker_client, repo_root)
    pid = session.proxy.process.pid
    try:
        assert session.container.status in ("created", "running")
        # Under `nohup … &` SIGINT starts ignored; compat must hear it as a terminal's Ctrl-C.
        assert not _ignores(pid, signum), f"compat ignores {signum.name}"
        os.kill(pid, signum)
        code = session.proxy.finish(timeout=60)
        left = _wait_until_gone(docker_client, pid)
    finally:
        session.proxy.close()
        _remove(docker_client, pid)
    assert not left, f"left after {signum.name} of compat: {left}"
    if signum is signal.SIGKILL:
        # Nothing of compat ran after it: the reaper removed the container.
        assert code == -signal.SIGKILL
    else:
        # compat stopped the container itself, as `boot-proxy` documents for each signal.
        assert code == EXIT_CODES[signum], session.proxy.stderr[-2000:]
        last = session.proxy.stderr.rstrip().splitlines()[-1]
        assert last.startswith("stopped"), session.proxy.stderr[-2000:]


def test_a_run_passes_on_every_provider(
    docker_client: docker.DockerClient,
    litellm_image: str,
    repo_root: Path,
    tmp_path: Path,
    children: Children,
) -> None:
    out = tmp_path / "out"
    compat = children.spawn(
        compat_command(
            "run",
            "--runtime",
            "docker",
            *(arg for feature in FEATURES for arg in ("-f", feature)),
            *(arg for provider in SERVED_PROVIDERS for arg in ("-p", provider)),
            *(arg for tier in TIERS for arg in ("-t", tier)),
            *("--out", str(out)),
        ),
        cwd=repo_root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output, _ = compat.communicate(timeout=RUN_TIMEOUT_SECONDS)
    assert compat.returncode == 0, output[-4000:]
    assert not _wait_until_gone(docker_client, compat.pid)
    results = ResultsFile.model_validate(json.loads((out / "compat-results.json").read_text()))
    failed = {
        f"{r.feature_id}/{r.provider}/{r.tier}": r.outcome
        for r in results.results
        if r.outcome != Pass()
    }
    assert not failed, failed
    ran: dict[tuple[str, str], list[str]] = {}
    for result in results.results:
        ran.setdefault((result.feature_id, result.provider), []).append(result.tier)
    wanted = {(feature, provider) for feature in FEATURES for provider in SERVED_PROVIDERS}
    assert set(ran) == wanted
    assert all(len(tiers) == 1 and tiers[0] in TIERS for tiers in ran.values()), ran
    versions = results.versions
    assert versions.litellm == DEFAULT_LITELLM_VERSION
    assert versions.litellm_runtime == f"docker {litellm_image}"
    assert versions.litellm_packages == image_packages(
        DEFAULT_LITELLM_VERSION, litellm_image, client=docker_client
    )
    if litellm_image == local_reference(DEFAULT_LITELLM_VERSION):
        # compat built it: the results name what it holds, LiteLLM itself among them.
        assert versions.litellm_packages
        assert f"litellm=={DEFAULT_LITELLM_VERSION}" in versions.litellm_packages
