"""The container reaper against a real container: released, it leaves the container alone;
once compat is gone without releasing (its pipe closed, os._exit, SIGKILL) the container goes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import pytest

from compat.images.debian_base import BASE_REFERENCE, ensure_base_image
from compat.proxy.container_reaper import ContainerReaper

TEST_LABEL = "org.compat.test"
GONE_WITHIN_SECONDS = 20.0

# A stand-in for compat: starts the watcher, says its pid, then dies as it is told to.
COMPAT_STAND_IN = """
import os, sys, time
from compat.proxy.container_reaper import ContainerReaper
reaper = ContainerReaper.watch(sys.argv[1])
print(reaper.pid, flush=True)
if sys.argv[2] == "exit":
    os._exit(3)
time.sleep(600)
"""


@pytest.fixture(scope="module")
def client(docker_client: docker.DockerClient) -> docker.DockerClient:
    """The session's daemon, with the Debian base the sleeper containers run."""
    ensure_base_image(docker_client)
    return docker_client


@pytest.fixture
def sleeper(client: docker.DockerClient) -> Iterator[docker.models.containers.Container]:
    """A real container that would run for ten minutes; removed afterwards whatever happened."""
    mark = f"container-reaper-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    container = client.containers.run(
        BASE_REFERENCE,
        ["sleep", "600"],
        detach=True,
        labels={TEST_LABEL: mark},
        network_mode="none",
    )
    try:
        yield container
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True, v=True)
        assert not client.containers.list(all=True, filters={"label": f"{TEST_LABEL}={mark}"})


def exists(client: docker.DockerClient, container_id: str) -> bool:
    try:
        client.containers.get(container_id)
    except docker.errors.NotFound:
        return False
    return True


def wait_gone(client: docker.DockerClient, container_id: str) -> float:
    """Seconds until the container is gone; fails after GONE_WITHIN_SECONDS."""
    started = time.monotonic()
    while time.monotonic() - started < GONE_WITHIN_SECONDS:
        if not exists(client, container_id):
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"container {container_id[:12]} still there after {GONE_WITHIN_SECONDS} s")


def process_gone(pid: int, within: float = GONE_WITHIN_SECONDS) -> bool:
    """The watcher exited (it is not our child, so it is reaped elsewhere: look at /proc)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.1)
    return False


def start_stand_in(container_id: str, how: str) -> tuple[subprocess.Popen[str], int]:
    compat = subprocess.Popen(
        [sys.executable, "-c", COMPAT_STAND_IN, container_id, how],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert compat.stdout is not None
    line = compat.stdout.readline()
    assert line.strip().isdigit(), f"the stand-in did not start the watcher: {line!r}"
    return compat, int(line)


def test_a_released_container_is_left_running_and_the_watcher_exits(
    client: docker.DockerClient, sleeper: docker.models.containers.Container
) -> None:
    reaper = ContainerReaper.watch(sleeper.id)
    watcher = reaper.pid
    time.sleep(0.5)  # the watcher is up and reading its pipe
    reaper.release()
    assert process_gone(watcher, within=1.0), "release() returned with the watcher still running"
    time.sleep(3)  # longer than the reaper's stop grace: it would have acted by now
    sleeper.reload()
    assert sleeper.status == "running"


def test_the_watcher_has_its_own_session_so_compats_ctrl_c_does_not_reach_it(
    client: docker.DockerClient, sleeper: docker.models.containers.Container
) -> None:
    reaper = ContainerReaper.watch(sleeper.id)
    try:
        assert os.getsid(reaper.pid) == reaper.pid
        assert os.getpgid(reaper.pid) != os.getpgid(0)
    finally:
        reaper.release()
    sleeper.reload()
    assert sleeper.status == "running"


def test_compat_exiting_without_release_removes_the_container(
    client: docker.DockerClient, sleeper: docker.models.containers.Container
) -> None:
    compat, watcher = start_stand_in(sleeper.id, "exit")
    assert compat.wait(timeout=10) == 3
    wait_gone(client, sleeper.id)
    assert process_gone(watcher), "the watcher outlived its work"


def test_compat_sigkilled_removes_the_container(
    client: docker.DockerClient, sleeper: docker.models.containers.Container
) -> None:
    compat, watcher = start_stand_in(sleeper.id, "sleep")
    time.sleep(1.0)
    assert compat.poll() is None, "the stand-in should still be alive until killed"
    assert exists(client, sleeper.id), "nothing may be removed while compat lives"
    os.kill(compat.pid, signal.SIGKILL)
    assert compat.wait(timeout=10) == -signal.SIGKILL
    took = wait_gone(client, sleeper.id)
    assert took < GONE_WITHIN_SECONDS
    assert process_gone(watcher), "the watcher outlived its work"


def test_a_watched_container_already_gone_is_no_error(
    client: docker.DockerClient, sleeper: docker.models.containers.Container
) -> None:
    compat, watcher = start_stand_in(sleeper.id, "sleep")
    sleeper.remove(force=True)
    os.kill(compat.pid, signal.SIGKILL)
    compat.wait(timeout=10)
    assert process_gone(watcher), "the watcher hung on a container that was already gone"
