"""A watcher that removes a proxy container once compat is gone, however it went.

A container belongs to the Docker daemon, not to compat, so no parent-death signal reaches
it. The watcher is a separate process reading a pipe that only compat writes to: the pipe
closes when compat exits for any reason, SIGKILL included. If compat released the container
first (it stopped and removed it itself), the watcher just exits.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from typing import Self

RELEASE = b"released\n"
REAPER_GRACE_SECONDS = 2
JOIN_SECONDS = 10.0


class ContainerReaper:
    """compat's end of the pipe to one watcher process."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process

    @classmethod
    def watch(cls, container_id: str) -> Self:
        process = subprocess.Popen(
            [sys.executable, "-m", "compat.proxy.container_reaper", container_id],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # Its own session: the Ctrl-C that reaches compat's process group must not end it.
            start_new_session=True,
        )
        return cls(process)

    @property
    def pid(self) -> int:
        return self._process.pid

    def release(self) -> None:
        """compat removed the container itself: let the watcher go."""
        stdin = self._process.stdin
        try:
            if stdin is not None:
                stdin.write(RELEASE)
                stdin.close()
        except OSError:
            pass  # The watcher already went: nothing is left to tell.
        try:
            self._process.wait(timeout=JOIN_SECONDS)
        except subprocess.TimeoutExpired:
            self._process.kill()


def main(argv: list[str]) -> int:
    (container_id,) = argv
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    message = sys.stdin.buffer.read()
    if message == RELEASE:
        return 0
    import docker
    import docker.errors

    try:
        client = docker.from_env(timeout=30)
        container = client.containers.get(container_id)
        try:
            container.stop(timeout=REAPER_GRACE_SECONDS)
        finally:
            container.remove(force=True, v=True)
    except docker.errors.NotFound:
        return 0
    except docker.errors.DockerException as exc:
        print(f"cannot remove container {container_id}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
