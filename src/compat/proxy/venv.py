"""Isolated, cached virtual environments holding one LiteLLM release each."""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ValidationError

from compat.errors import CompatError, InputError
from compat.files import write_atomic
from compat.http import client, send_json
from compat.processes import die_with_parent

# The release under test by default. Newer PyPI releases require certifi>=2026.10.19, which
# the package index these machines reach does not serve, so they cannot be installed here.
DEFAULT_LITELLM_VERSION = "1.106.2"

# `google` brings google-auth, without which LiteLLM cannot sign Vertex AI requests.
EXTRAS = "proxy,google"
MARKER_NAME = ".compat-install.json"
FREEZE_NAME = "compat-freeze.txt"
"""`uv pip freeze` of the venv, written at install: exactly what this release ran with."""
INSTALL_LOG_NAME = "install.log"
PIP_TAIL_LINES = 20
LOCKS_DIR = Path(__file__).parent / "locks"
DEFAULT_PYPI_URL = "https://pypi.org"
PYPI_URL_ENV = "COMPAT_PYPI_URL"
EXCLUDE_NEWER_AFTER_RELEASE = timedelta(days=1)

_VERSION = re.compile(r"^[0-9]+(\.[0-9]+){1,3}((a|b|rc|\.post|\.dev)[0-9]+)*$")


class InstallMarker(BaseModel):
    """Written last by a successful install; a venv without it is never used."""

    requirement: str
    python: str
    installed_at: str
    constraint: str | None = None
    """`lock <file>`, `exclude-newer <time>` or `none`: how the dependencies were pinned."""
    packages_sha256: str | None = None
    """Digest of the freeze written beside it: two installs of one release compare by it."""


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
    uv = uv_binary()
    python = str(target / "bin" / "python")
    try:
        if not (target / "bin" / "python").exists():
            shutil.rmtree(target, ignore_errors=True)
            progress(f"creating a virtual environment in {target}")
            _run([uv, "venv", "--python", sys.executable, str(target)], log_path, progress)
        constraint = _install_packages(uv, python, version, log_path, progress)
        binary = target / "bin" / "litellm"
        if not binary.exists():
            raise CompatError(f"installing {requirement(version)} did not provide {binary}")
        freeze = _capture([uv, "pip", "freeze", "--python", python], log_path)
        write_atomic(target / FREEZE_NAME, freeze)
        marker = InstallMarker(
            requirement=requirement(version),
            python=sys.version.split()[0],
            installed_at=datetime.now(UTC).isoformat(timespec="seconds"),
            constraint=constraint,
            packages_sha256=hashlib.sha256(freeze.encode()).hexdigest(),
        )
        write_atomic(target / MARKER_NAME, marker.model_dump_json(indent=2) + "\n")
    except BaseException:
        # Whatever stopped us (an install failure, Ctrl-C), no half-made venv stays behind.
        shutil.rmtree(target, ignore_errors=True)
        raise
    log_path.unlink(missing_ok=True)
    return binary


def _install_packages(
    uv: str, python: str, version: str, log_path: Path, progress: Callable[[str], None]
) -> str:
    """Install LiteLLM as reproducibly as its release allows; returns how it was constrained.

    A release with a lock shipped in compat installs exactly that lock, hashes checked.
    Any other release resolves as of one day after PyPI received it, so the same release
    gets the same dependencies on every machine and close to what its users installed.
    """
    lock = bundled_lock(version)
    if lock is not None:
        progress(f"uv pip sync {lock.name} (hashes checked)")
        _run(
            [uv, "pip", "sync", "--python", python, "--require-hashes", str(lock)],
            log_path,
            progress,
        )
        return f"lock {lock.name}"
    argv = [uv, "pip", "install", "--python", python, requirement(version)]
    uploaded = release_uploaded_at(version)
    if uploaded is None:
        progress(f"no PyPI release date for litellm {version}; resolving with today's index")
        constraint = "none"
    else:
        cutoff = (uploaded + EXCLUDE_NEWER_AFTER_RELEASE).strftime("%Y-%m-%dT%H:%M:%SZ")
        argv += ["--exclude-newer", cutoff]
        constraint = f"exclude-newer {cutoff}"
    progress(f"uv pip install {requirement(version)} ({constraint})")
    _run(argv, log_path, progress)
    return constraint


def bundled_lock(version: str) -> Path | None:
    """The hash-pinned requirements shipped for `version`, if compat carries one."""
    path = LOCKS_DIR / f"litellm-{version}.txt"
    return path if path.is_file() else None


def release_uploaded_at(version: str) -> datetime | None:
    """When PyPI received `litellm==version` (its first file), or None when unknown."""
    # The project-wide document, not `/pypi/litellm/<version>/json`: some mirrors serve only
    # the former, and it answers for every release at once.
    url = f"{pypi_url()}/pypi/litellm/json"
    try:
        with client() as http:
            data = send_json(http, "GET", url, what="PyPI project metadata").data
        times = [file["upload_time_iso_8601"] for file in data["releases"][version]]
        return min(datetime.fromisoformat(t.replace("Z", "+00:00")) for t in times)
    except (CompatError, KeyError, TypeError, ValueError, AttributeError):
        return None


def pypi_url() -> str:
    """PyPI's JSON API root; `COMPAT_PYPI_URL` points it elsewhere (a mirror, a test)."""
    return os.environ.get(PYPI_URL_ENV, DEFAULT_PYPI_URL).rstrip("/")


def uv_binary() -> str:
    """The uv that compat depends on (its wheel ships the binary), else one on PATH."""
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found is None:
            raise CompatError(
                "uv is not installed; it comes with compat (reinstall it with `make install`)"
            ) from None
        return found


def installed_packages(version: str) -> list[str] | None:
    """What the cached venv of `version` holds, as `uv pip freeze` wrote it at install."""
    try:
        text = (venv_dir(version) / FREEZE_NAME).read_text(encoding="utf-8")
    except OSError:
        return None
    return [line for line in text.splitlines() if line.strip()]


def _capture(argv: list[str], log_path: Path) -> str:
    done = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
        preexec_fn=die_with_parent(),
    )
    if done.returncode != 0:
        with log_path.open("a", encoding="utf-8") as log:
            log.write(done.stdout + done.stderr)
        raise CompatError(f"`{' '.join(argv[1:])}` failed (exit {done.returncode}): {done.stderr}")
    return done.stdout


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
                env={**os.environ, "NO_COLOR": "1"},
                preexec_fn=die_with_parent(),
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
            f"`{' '.join(argv[1:])}` failed (exit {process.returncode}); "
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
