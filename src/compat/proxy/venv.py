"""Isolated, cached virtual environments holding one LiteLLM release each."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ValidationError

from compat.errors import CompatError, InputError
from compat.files import write_atomic

# The release under test by default. Newer PyPI releases require certifi>=2026.10.19, which
# the package index these machines reach does not serve, so they cannot be installed here.
DEFAULT_LITELLM_VERSION = "1.106.2"

# `google` brings google-auth, without which LiteLLM cannot sign Vertex AI requests.
EXTRAS = "proxy,google"
MARKER_NAME = ".compat-install.json"
INSTALL_LOG_NAME = "install.log"
PIP_TAIL_LINES = 20

_VERSION = re.compile(r"^[0-9]+(\.[0-9]+){1,3}((a|b|rc|\.post|\.dev)[0-9]+)*$")


class InstallMarker(BaseModel):
    """Written last by a successful install; a venv without it is never used."""

    requirement: str
    python: str
    installed_at: str


def requirement(version: str) -> str:
    """The pip requirement installed for a LiteLLM version."""
    return f"litellm[{EXTRAS}]=={version}"


def is_release_version(version: str) -> bool:
    """A plain release version like `1.106.2`; it names a directory, so nothing else passes."""
    return _VERSION.match(version) is not None


def validate_version(version: str) -> str:
    """`version` unchanged, or an InputError naming the flag."""
    if not is_release_version(version):
        raise InputError(
            f"--litellm-version: {version!r} is not a LiteLLM release version (e.g. 1.106.2)"
        )
    return version


def cache_root() -> Path:
    """`${XDG_CACHE_HOME:-~/.cache}/compat/litellm`."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "compat" / "litellm"


def venv_dir(version: str) -> Path:
    return cache_root() / validate_version(version)


def litellm_binary_path(version: str) -> Path:
    return venv_dir(version) / "bin" / "litellm"


def installed_binary(version: str) -> Path | None:
    """The `litellm` binary of a complete cached install of `version`, else None."""
    binary = litellm_binary_path(version)
    marker = _read_marker(venv_dir(version))
    if marker is None or marker.requirement != requirement(version) or not binary.exists():
        return None
    return binary


def installed_versions() -> list[str]:
    """Every version with a complete cached install, in release order."""
    root = cache_root()
    if not root.is_dir():
        return []
    names = sorted(
        (p.name for p in root.iterdir() if p.is_dir() and _VERSION.match(p.name)),
        key=lambda name: [int(part) for part in re.findall(r"[0-9]+", name)],
    )
    return [name for name in names if installed_binary(name) is not None]


def ensure_litellm(version: str, *, progress: Callable[[str], None] | None = None) -> Path:
    """The cached `litellm` binary for `version`, installing it first when needed."""
    version = validate_version(version)
    found = installed_binary(version)
    if found is not None:
        return found
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    with _exclusive(root / f".{version}.lock"):
        # Another process may have finished the same install while we waited for the lock.
        found = installed_binary(version)
        if found is not None:
            return found
        return _install(version, progress or (lambda _line: None))


def _install(version: str, progress: Callable[[str], None]) -> Path:
    # Built in place rather than in a temp dir then renamed: a venv hard-codes its own path
    # in every script's shebang, so a renamed venv's `bin/litellm` would not start. The
    # marker, written last, is what makes the directory count as installed.
    target = venv_dir(version)
    log_path = target.parent / f".{version}.{INSTALL_LOG_NAME}"
    try:
        if not (target / "bin" / "python").exists():
            shutil.rmtree(target, ignore_errors=True)
            progress(f"creating a virtual environment in {target}")
            _run([sys.executable, "-m", "venv", str(target)], log_path, progress)
        progress(f"pip install {requirement(version)}")
        _run(
            [
                str(target / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                requirement(version),
            ],
            log_path,
            progress,
        )
        binary = target / "bin" / "litellm"
        if not binary.exists():
            raise CompatError(f"installing {requirement(version)} did not provide {binary}")
        marker = InstallMarker(
            requirement=requirement(version),
            python=sys.version.split()[0],
            installed_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        write_atomic(target / MARKER_NAME, marker.model_dump_json(indent=2) + "\n")
    except BaseException:
        # Whatever stopped us (pip failure, Ctrl-C), no half-made venv stays behind.
        shutil.rmtree(target, ignore_errors=True)
        raise
    log_path.unlink(missing_ok=True)
    return binary


def _run(argv: list[str], log_path: Path, progress: Callable[[str], None]) -> None:
    """Run an install step, streaming its output to `progress` and a log kept on failure."""
    recent: deque[str] = deque(maxlen=PIP_TAIL_LINES)
    with log_path.open("a", encoding="utf-8") as log:
        try:
            process = subprocess.Popen(
                argv,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                env={**os.environ, "PIP_PROGRESS_BAR": "off"},
            )
        except OSError as exc:
            raise CompatError(f"cannot run {argv[0]}: {exc.strerror or exc}") from None
        assert process.stdout is not None
        with process:
            for line in process.stdout:
                log.write(line)
                recent.append(line.rstrip())
                if line.strip():
                    progress(line.strip())
    if process.returncode != 0:
        tail = "\n".join(f"  | {line}" for line in recent)
        raise CompatError(
            f"`{' '.join(argv[2:])}` failed (exit {process.returncode}); "
            f"full output in {log_path}; last lines:\n{tail}"
        )


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """Serialize installs of one version across processes (parallel test workers, runners)."""
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_marker(target: Path) -> InstallMarker | None:
    try:
        return InstallMarker.model_validate_json((target / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValidationError):
        return None
