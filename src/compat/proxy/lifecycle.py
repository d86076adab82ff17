"""ProxySession: emulator (when emulated) + LiteLLM proxy, up and healthy inside a `with` block."""

from __future__ import annotations

import atexit
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from compat.driver import ProxyEndpoint
from compat.errors import CompatError
from compat.proxy.config import DEFAULT_PROXY_CONFIG, ProxyConfig, load_proxy_config
from compat.proxy.environment import (
    EMULATED_VERTEX_PROJECT,
    ProxyEnvironment,
    Upstream,
    emulated_environment,
    live_environment,
)
from compat.proxy.health import NotReady, free_port, wait_until_healthy
from compat.proxy.local import LocalRuntime
from compat.proxy.logs import ProxyLog, Redactor
from compat.proxy.runtime import (
    DEFAULT_GRACE_SECONDS,
    DEFAULT_IMAGE,
    DockerNetwork,
    Launch,
    ProxyRuntime,
    RuntimeKind,
    default_tag,
)
from compat.proxy.venv import (
    DEFAULT_LITELLM_VERSION,
    ensure_litellm,
    installed_packages,
    is_release_version,
)

if TYPE_CHECKING:
    from compat.emulator.recorder import Recorder
    from compat.emulator.rules import RuleBook
    from compat.emulator.server import EmulatorServer

DEFAULT_TIMEOUT_SECONDS = 120.0
MASTER_KEY_PREFIX = "sk-"


def new_master_key() -> str:
    """`sk-` and 48 URL-safe random characters: long enough that LiteLLM accepts it."""
    return MASTER_KEY_PREFIX + secrets.token_urlsafe(36)


class ProxySettings(BaseModel):
    """How to boot the proxy: runtime, upstream mode, version, where and how long to wait."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    runtime: RuntimeKind = RuntimeKind.local
    upstream: Upstream = Upstream.emulated
    litellm_version: str = DEFAULT_LITELLM_VERSION
    image: str | None = Field(default=None, min_length=1)
    """None (and no tag): the release's image this machine has, can pull or builds
    (`compat.images.litellm_image`); with only a tag, LiteLLM's published image."""
    tag: str | None = None
    """Image tag; default `v<litellm_version>`."""
    docker_network: DockerNetwork | None = None
    """Default: `host` when emulated (the emulator binds 127.0.0.1 only), else `bridge`."""
    port: int | None = Field(default=None, ge=1, le=65535)
    config: Path = DEFAULT_PROXY_CONFIG
    timeout: float = Field(default=DEFAULT_TIMEOUT_SECONDS, gt=0)
    grace: float = Field(default=DEFAULT_GRACE_SECONDS, gt=0)
    log_path: Path | None = None
    """Where the proxy's (redacted) log goes; default: a temp dir removed on exit."""

    @field_validator("litellm_version")
    @classmethod
    def _release_version(cls, version: str) -> str:
        if not is_release_version(version):
            raise ValueError(f"{version!r} is not a LiteLLM release version (e.g. 1.106.2)")
        return version

    @property
    def image_tag(self) -> str:
        return self.tag or default_tag(self.litellm_version)

    @property
    def image_reference(self) -> tuple[str, str] | None:
        """(image, tag) as given; None when the release's image is to be found or built."""
        if self.image is None and self.tag is None:
            return None
        return self.image or DEFAULT_IMAGE, self.image_tag

    @property
    def network(self) -> DockerNetwork:
        if self.docker_network is not None:
            return self.docker_network
        return DockerNetwork.host if self.upstream is Upstream.emulated else DockerNetwork.bridge


class ProxyStartError(CompatError):
    """The proxy did not become healthy; the message quotes the end of its log."""


class ProxySession:
    """One booted proxy. Use as a context manager; everything it started is stopped on exit."""

    def __init__(
        self,
        settings: ProxySettings,
        *,
        progress: Callable[[str], None] | None = None,
        emulator_rules: RuleBook | None = None,
    ) -> None:
        self.settings = settings
        self.emulator_rules = emulator_rules
        """What the emulator accepts (`compat.oracle.client_rules`); None: the documented rules."""
        self.master_key = new_master_key()
        self.redact = Redactor([self.master_key])
        self.port = settings.port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.aliases: list[str] = []
        self.emulator: EmulatorServer | None = None
        self.runtime: ProxyRuntime | None = None
        self.log: ProxyLog | None = None
        self.boot_seconds: float | None = None
        self._progress = progress or (lambda _line: None)
        self._stack = ExitStack()
        self._work_dir: Path | None = None
        self._stopped = False

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Boot emulator and proxy and wait until the proxy is healthy; stops all on failure."""
        _track(self)
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        config = load_proxy_config(self.settings.config)
        self.aliases = config.aliases
        work_dir = self._work_dir = Path(tempfile.mkdtemp(prefix="compat-proxy-"))
        environment = self._environment(work_dir, config)
        self.redact.add(*environment.secrets)
        self.log = ProxyLog(self.settings.log_path or work_dir / "litellm.log", self.redact)
        runtime = self.runtime = self._runtime()
        launch = Launch(
            config_path=self.settings.config.resolve(),
            port=self.port,
            environment=environment,
            master_key=self.master_key,
            log=self.log,
            work_dir=work_dir,
            inherit_environment=self.settings.upstream is Upstream.live,
        )
        self._progress(f"starting the proxy ({runtime.describe()}) on {self.base_url}")
        runtime.start(launch)
        try:
            log = self.log
            self.boot_seconds = wait_until_healthy(
                self.base_url,
                timeout=self.settings.timeout,
                exit_status=runtime.exit_status,
                startup_failure=lambda: log.startup_failure,
            )
        except NotReady as exc:
            raise self._start_error(str(exc)) from None

    def _environment(self, work_dir: Path, config: ProxyConfig) -> ProxyEnvironment:
        # The release decides the form of each Vertex deployment's api_base (see
        # compat.proxy.environment.VertexUrlStyle).
        release = self.settings.litellm_version
        if self.settings.upstream is Upstream.live:
            return live_environment(config=config, litellm_version=release)
        # Imported here: only emulated mode needs the emulator and its dependencies.
        from compat.emulator.context import EmulatorContext
        from compat.emulator.server import EmulatorServer

        self._progress("starting the provider emulator")
        rules = self.emulator_rules
        context = EmulatorContext() if rules is None else EmulatorContext(rules=rules)
        emulator = self.emulator = self._stack.enter_context(EmulatorServer(context))
        # Generated by this emulator instance: it honours tokens only for keys it made.
        credentials = emulator.write_service_account(
            work_dir / "vertex-service-account.json", project_id=EMULATED_VERTEX_PROJECT
        )
        from compat.emulator.tls_front import TlsFront

        # On loopback beside the emulator: reachable wherever the emulator is (a local
        # proxy, or a container on the host network, emulated mode's default).
        front = self._stack.enter_context(TlsFront(emulator.host, emulator.port))
        tls_front = (front.url, front.ca_file)
        return emulated_environment(
            emulator.url, credentials, config=config, litellm_version=release, tls_front=tls_front
        )

    def _runtime(self) -> ProxyRuntime:
        settings = self.settings
        if settings.runtime is RuntimeKind.docker:
            # Imported here: the docker SDK (with requests) costs every command's start-up.
            from compat.proxy.docker_runtime import DockerRuntime

            return DockerRuntime(
                settings.image_reference,
                settings.network,
                litellm_version=settings.litellm_version,
                progress=self._progress,
            )
        binary = ensure_litellm(settings.litellm_version, progress=self._progress)
        return LocalRuntime(binary, settings.litellm_version)

    def _start_error(self, reason: str) -> ProxyStartError:
        assert self.runtime is not None and self.log is not None
        # Stop first: the last lines the proxy wrote while dying belong in the message.
        self.runtime.stop(self.settings.grace)
        where = f" ({self.log.path})" if self.settings.log_path else ""
        return ProxyStartError(
            f"{self.runtime.describe()}: {self.redact(reason)}.\n"
            f"Last lines of its log{where}:\n{self.log.quoted_tail()}"
        )

    @property
    def endpoint(self) -> ProxyEndpoint:
        """Where claude reaches this proxy, and the key it authenticates with."""
        return ProxyEndpoint(base_url=self.base_url, api_key=SecretStr(self.master_key))

    @property
    def upstream_log(self) -> Recorder | None:
        """What the emulator received from the proxy; None against live upstreams."""
        return self.emulator.ctx.recorder if self.emulator is not None else None

    def installed_packages(self) -> list[str] | None:
        """What the LiteLLM venv or compat-built image holds (its freeze); None if unknown."""
        if self.settings.runtime is RuntimeKind.docker:
            from compat.images.litellm_image import image_packages
            from compat.proxy.docker_runtime import DockerRuntime

            runtime = self.runtime
            if not isinstance(runtime, DockerRuntime) or runtime.resolved is None:
                return None
            return image_packages(
                self.settings.litellm_version, runtime.reference, client=runtime.client
            )
        return installed_packages(self.settings.litellm_version)

    def alive(self) -> bool:
        """Whether the proxy is still running."""
        return self.runtime is not None and not self._stopped and self.exit_status() is None

    def exit_status(self) -> int | None:
        """None while running; its exit status once it has exited."""
        return self.runtime.exit_status() if self.runtime is not None else None

    def stop(self) -> None:
        """Stop the proxy, then the emulator, then remove temp files. Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        try:
            if self.runtime is not None:
                self.runtime.stop(self.settings.grace)
        finally:
            self._stack.close()
            if self._work_dir is not None:
                shutil.rmtree(self._work_dir, ignore_errors=True)
            _untrack(self)


# Never leave anything behind.
# Sessions still open when the interpreter exits are stopped by an atexit hook. Where the
# entry point installed compat.signals' handlers (the CLI does), SIGTERM and SIGHUP arrive
# as SystemExit, so `with` blocks unwind the normal way first.

_open_sessions: set[ProxySession] = set()
_registry_lock = threading.Lock()
_atexit_hook_installed = False


def _track(session: ProxySession) -> None:
    global _atexit_hook_installed
    with _registry_lock:
        _open_sessions.add(session)
        if not _atexit_hook_installed:
            atexit.register(_stop_open_sessions)
            _atexit_hook_installed = True


def _untrack(session: ProxySession) -> None:
    with _registry_lock:
        _open_sessions.discard(session)


def _stop_open_sessions() -> None:
    with _registry_lock:
        sessions = list(_open_sessions)
    for session in sessions:
        session.stop()
