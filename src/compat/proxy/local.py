"""The `local` runtime: the `litellm` binary from a cached venv, in its own process group."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from pathlib import Path

from compat.errors import CompatError
from compat.processes import die_with_parent
from compat.proxy.runtime import DEFAULT_GRACE_SECONDS, Launch

# Variables an emulated-mode proxy keeps from the caller: enough to run, no credentials.
BARE_ENVIRONMENT_KEEP: tuple[str, ...] = ("PATH", "LANG", "LC_ALL", "TZ", "TMPDIR")
PUMP_JOIN_SECONDS = 5.0


class LocalRuntime:
    """`litellm --config … --host 127.0.0.1 --port N` as a child process group."""

    name = "local"

    def __init__(self, binary: Path, version: str) -> None:
        self.binary = binary
        self.version = version
        self._process: subprocess.Popen[bytes] | None = None
        self._pump: threading.Thread | None = None

    def describe(self) -> str:
        return f"local litellm {self.version}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def _environment(self, launch: Launch) -> dict[str, str]:
        if launch.inherit_environment:
            base = dict(os.environ)
        else:
            base = {k: os.environ[k] for k in BARE_ENVIRONMENT_KEEP if k in os.environ}
            # A private HOME: nothing in the user's dotfiles can redirect an emulated run.
            base["HOME"] = str(launch.work_dir)
            base["NO_PROXY"] = base["no_proxy"] = "127.0.0.1,localhost"
        return {**base, **launch.environment.for_host(), **launch.proxy_variables()}

    def start(self, launch: Launch) -> None:
        argv = [
            str(self.binary),
            "--config",
            str(launch.config_path),
            "--host",
            "127.0.0.1",
            "--port",
            str(launch.port),
        ]
        try:
            self._process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=self._environment(launch),
                cwd=launch.work_dir,
                # Its own process group, so stop() reaches any worker it forks and a Ctrl-C
                # in the terminal reaches compat first, which then stops it in order.
                start_new_session=True,
                # Even a SIGKILLed compat must not leave a proxy holding the port.
                preexec_fn=die_with_parent(),
            )
        except OSError as exc:
            raise CompatError(f"cannot start {self.binary}: {exc.strerror or exc}") from None
        assert self._process.stdout is not None
        self._pump = launch.log.pump(self._process.stdout)

    def exit_status(self) -> int | None:
        return self._process.poll() if self._process else None

    def stop(self, grace: float = DEFAULT_GRACE_SECONDS) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            process.wait()
        # The leader is gone; anything it left in its group goes too.
        _signal_group(process.pid, signal.SIGKILL)
        if self._pump is not None:
            self._pump.join(timeout=PUMP_JOIN_SECONDS)
            # Closing a pipe another thread still reads from can block; let that thread end it.
            if not self._pump.is_alive() and process.stdout is not None:
                process.stdout.close()


def _signal_group(pgid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signum)
