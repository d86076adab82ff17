"""Isolated, cached virtual environments holding one LiteLLM release each."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from compat.advisories import Advisory, advisory_for
from compat.errors import CompatError, InputError
from compat.files import write_atomic
from compat.paths import cache_home
from compat.processes import die_with_parent
from compat.pypi import (
    DEFAULT_PYPI_URL,
    PYPI_URL_ENV,
    PypiProject,
    PypiRelease,
    fetch_project,
    pypi_url,
)
from compat.pypi import cache_dir as pypi_cache_dir
from compat.redact import strip_url_credentials

__all__ = ["DEFAULT_PYPI_URL", "PYPI_URL_ENV", "pypi_url"]

# The release under test by default: the newest release compat ships a lock for
# (`make bump-litellm` moves it to what `compat resolve litellm --source pypi` answers, after
# the grid at that release has been compared; tests/proxy/test_venv.py keeps the two in
# step). 1.108.0-1.108.7 also install from this index, but send Opus 4.7's count_tokens to
# bedrock-mantle.<region>.api.aws, a Bedrock endpoint the emulator does not serve yet.
DEFAULT_LITELLM_VERSION = "1.106.12"

# `google` brings google-auth, without which LiteLLM cannot sign Vertex AI requests.
EXTRAS = "proxy,google"
MARKER_NAME = ".compat-install.json"
FREEZE_NAME = "compat-freeze.txt"
"""`uv pip freeze` of the venv, written at install: exactly what this release ran with."""
INSTALL_LOG_NAME = "install.log"
PIP_TAIL_LINES = 20
LOCKS_DIR = Path(__file__).parent / "locks"
LOCK_NAME = "compat-lock.txt"
"""The hash-pinned lock compiled for a release compat ships no lock for, inside its venv."""
LAST_USED_NAME = ".compat-last-used"
"""Touched on every use of a venv: `compat cache prune` keeps the most recently used."""
INSTALLABLE_NAME = "installable.json"
INSTALLABLE_MAX_AGE = timedelta(days=1)
PACKAGE = "litellm"
EXCLUDE_NEWER_AFTER_RELEASE = timedelta(days=1)
# The venv is made from the interpreter compat runs on, so locks resolve for its version.
PYTHON_VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"
DEFAULT_UV_INDEX = "https://pypi.org/simple"
NO_SOLUTION = "No solution found when resolving dependencies"

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


class RefusedRelease(CompatError):
    """A release compat will not install: an advisory lists it, or PyPI yanked it."""

    def __init__(self, message: str, *, version: str, advisory: Advisory | None = None) -> None:
        super().__init__(message)
        self.version = version
        self.advisory = advisory


class InstallFailed(CompatError):
    """An install whose dependencies do not resolve; `.reason` is the resolver's explanation."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class InstallCheck(BaseModel):
    """Whether a release resolves on this index (dependencies only, nothing installed)."""

    version: str
    installable: bool
    reason: str | None = None
    checked_at: datetime


class InstallChecks(BaseModel):
    """`installable.json`: verdicts by index (and Python version), then by release."""

    checks: dict[str, dict[str, InstallCheck]] = Field(default_factory=dict)


@dataclass(frozen=True)
class CachedVenv:
    """One directory of the LiteLLM cache; `marker` is None while it is incomplete."""

    version: str
    path: Path
    marker: InstallMarker | None
    last_used: datetime | None


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
    return cache_home() / "litellm"


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


def _lock_path(version: str) -> Path:
    return cache_root() / f".{version}.lock"


def ensure_litellm(version: str, *, progress: Callable[[str], None] | None = None) -> Path:
    """The cached `litellm` binary for `version`, installing it first when needed."""
    # A release an advisory lists is refused, installed or not (running it is the harm); one
    # PyPI yanked is refused before anything is installed. Each use is stamped for pruning.
    version = validate_version(version)
    report = progress or (lambda _line: None)
    found = installed_binary(version)
    if found is not None:
        _refuse_advised(version, installed=True)
        _touch_last_used(version)
        return found
    release = check_release(version, note=report)
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    with _exclusive(_lock_path(version)):
        # Another process may have finished the same install while we waited for the lock.
        found = installed_binary(version)
        if found is None:
            found = _install(version, release, report)
    _touch_last_used(version)
    return found


def _touch_last_used(version: str) -> None:
    # A read-only cache still runs; it only loses the order `cache prune` goes by.
    with contextlib.suppress(OSError):
        (venv_dir(version) / LAST_USED_NAME).touch()


def _refuse_advised(version: str, *, installed: bool = False) -> None:
    advisory = advisory_for(PACKAGE, version)
    if advisory is None:
        return
    where = advisory.first_reference or f"https://osv.dev/vulnerability/{advisory.id}"
    what = f"{advisory.id} ({advisory.summary or 'no summary'}) lists it as unsafe; see {where}"
    if installed:
        raise RefusedRelease(
            f"refusing to run LiteLLM {version}: {what}. Its cached venv {venv_dir(version)} "
            "was installed before the advisory was known; delete it and pick another release",
            version=version,
            advisory=advisory,
        )
    raise RefusedRelease(
        f"refusing to install LiteLLM {version}: {what}. Nothing was installed; pick another "
        "release (`compat resolve litellm --source pypi` names the newest installable one)",
        version=version,
        advisory=advisory,
    )


def _project_or_none(note: Callable[[str], None]) -> PypiProject | None:
    try:
        return fetch_project(PACKAGE, index=pypi_url(), note=note)
    except CompatError as exc:
        note(f"cannot read PyPI's release list ({exc}); not checking whether it is yanked")
        return None


def lookup_release(
    version: str, *, note: Callable[[str], None] = lambda _line: None
) -> PypiRelease | None:
    """PyPI's record of `litellm==version` (cached copy first), or None when unknown."""
    notes: list[str] = []
    project = _project_or_none(notes.append)
    for line in notes:
        note(line)
    if project is None:
        return None
    release = project.release(version)
    # A young cached copy may predate the release: ask PyPI itself once before giving up,
    # unless PyPI just failed to answer (a note says so) and would only fail again.
    if release is None and not notes:
        try:
            fresh = fetch_project(PACKAGE, index=pypi_url(), max_age=timedelta(0))
        except CompatError:
            return None
        release = fresh.release(version)
    return release


def check_release(
    version: str, *, note: Callable[[str], None] = lambda _line: None
) -> PypiRelease | None:
    """Refuse `version` when an advisory lists it or PyPI yanked it; returns PyPI's record."""
    # Advisories are on disk and always checked. Yanking is checked when PyPI's document can
    # be had, fetched or cached; without it, nothing blocks on PyPI being unreachable.
    version = validate_version(version)
    _refuse_advised(version)
    release = lookup_release(version, note=note)
    _refuse_yanked(version, release)
    return release


def _refuse_yanked(version: str, release: PypiRelease | None) -> None:
    if release is not None and release.yanked:
        raise RefusedRelease(
            f"refusing to install LiteLLM {version}: PyPI marks it yanked "
            f"({release.yanked_reason or 'no reason given'}). Nothing was installed; pick "
            "another release (`compat resolve litellm --source pypi` names the newest "
            "installable one)",
            version=version,
        )


def _install(version: str, release: PypiRelease | None, progress: Callable[[str], None]) -> Path:
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
        uploaded = release.uploaded_at if release is not None else None
        constraint = _install_packages(uv, python, version, log_path, progress, uploaded=uploaded)
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


def _cutoff(uploaded: datetime | None) -> str | None:
    if uploaded is None:
        return None
    return (uploaded + EXCLUDE_NEWER_AFTER_RELEASE).strftime("%Y-%m-%dT%H:%M:%SZ")


def _compile_argv(uv: str, cutoff: str | None) -> list[str]:
    """`uv pip compile` of the requirement on stdin, hash-pinned, as of `cutoff`."""
    argv = [uv, "pip", "compile", "-", "--python-version", PYTHON_VERSION]
    argv += ["--generate-hashes", "--no-header", "--quiet"]
    return argv + (["--exclude-newer", cutoff] if cutoff else [])


def _install_packages(
    uv: str,
    python: str,
    version: str,
    log_path: Path,
    progress: Callable[[str], None],
    *,
    uploaded: datetime | None,
) -> str:
    """Install LiteLLM as reproducibly as its release allows; returns how it was constrained."""
    lock, constraint = lock_for(
        version, venv_dir(version), log_path, progress, uploaded=uploaded, uv=uv
    )
    _sync(uv, python, lock, log_path, progress)
    return constraint


def lock_for(
    version: str,
    directory: Path,
    log_path: Path,
    progress: Callable[[str], None],
    *,
    uploaded: datetime | None,
    uv: str | None = None,
) -> tuple[Path, str]:
    """The hash-pinned lock LiteLLM `version` installs from, and how it was constrained.

    Shared by the venvs and the images, so both hold the same packages.
    """
    # A release with a lock shipped in compat installs exactly that lock, hashes checked. Any
    # other is first compiled into a hash-pinned lock (in `directory`) as of a day after PyPI
    # received it: the same dependencies on every machine, close to what its users
    # installed. That lock stays beside the install as the record of what it holds.
    lock = bundled_lock(version)
    if lock is not None:
        return lock, f"lock {lock.name}"
    uv = uv or uv_binary()
    cutoff = _cutoff(uploaded)
    if cutoff is None:
        progress(f"no PyPI release date for litellm {version}; resolving with today's index")
    pinned = f"exclude-newer {cutoff}" if cutoff else "today's index"
    lock_path = directory / LOCK_NAME
    progress(f"uv pip compile {requirement(version)} ({pinned}) into {LOCK_NAME}")
    code, output = _stream(
        [*_compile_argv(uv, cutoff), "-o", str(lock_path)],
        log_path,
        progress,
        input_text=requirement(version) + "\n",
    )
    if code != 0:
        reason = resolver_reason(output)
        if reason is not None:
            raise InstallFailed(
                f"cannot install {requirement(version)}: its dependencies do not resolve on "
                f"this index ({pinned}): {reason} Nothing was installed; uv's output is in "
                f"{log_path}",
                reason=reason,
            )
        raise _step_error(_compile_argv(uv, cutoff), code, output, log_path)
    return lock_path, f"lock {LOCK_NAME} ({pinned})"


def _sync(
    uv: str, python: str, lock: Path, log_path: Path, progress: Callable[[str], None]
) -> None:
    """Make the venv hold exactly `lock`, every file's hash checked."""
    progress(f"uv pip sync {lock.name} (hashes checked)")
    _run(
        [uv, "pip", "sync", "--python", python, "--require-hashes", str(lock)],
        log_path,
        progress,
    )


def resolver_reason(output: str) -> str | None:
    """uv's "No solution found" explanation as one paragraph from its first "Because"."""
    start = output.find(NO_SOLUTION)
    if start < 0:
        return None
    kept = []
    for line in output[start + len(NO_SOLUTION) :].splitlines():
        text = line.strip().lstrip(":×╰─▶ ").removeprefix("cause:").strip()
        if text.startswith("hint:"):
            break
        if text:
            kept.append(text)
    reason = " ".join(kept)
    because = reason.find("Because")
    return (reason[because:] if because >= 0 else reason) or None


_MISSING = (
    re.compile(r"there is no version of (?P<spec>[^\s,]+)"),
    re.compile(
        r"(?P<name>[A-Za-z0-9._-]+) was not found in the (?:package registry|provided|cache)"
    ),
)


def short_reason(reason: str) -> str:
    """The gist of a resolver explanation: which requirement the index cannot serve."""
    missing_version = _MISSING[0].search(reason)
    if missing_version is not None:
        spec = missing_version["spec"]
        if re.split(r"[\[=<>!~]", spec, maxsplit=1)[0].lower() == PACKAGE:
            return "the index does not serve this release"
        return f"needs {spec}, which the index does not serve"
    # A package the index lacks altogether: its name alone, so releases group under it.
    missing_package = _MISSING[1].search(reason)
    if missing_package is not None:
        return f"needs {missing_package['name']}, which the index does not serve"
    first = reason.split(", we can conclude")[0]
    return first.removeprefix("Because ").strip()


def bundled_lock(version: str) -> Path | None:
    """The hash-pinned requirements shipped for `version`, if compat carries one."""
    path = LOCKS_DIR / f"litellm-{version}.txt"
    return path if path.is_file() else None


def release_uploaded_at(version: str) -> datetime | None:
    """When PyPI received `litellm==version` (its first file), or None when unknown."""
    release = lookup_release(version)
    return release.uploaded_at if release is not None else None


# --- installability: resolve only ----------------------------------------------------------


def index_key() -> str:
    """Which index uv resolves against (and for which Python), as a cache key."""
    index = os.environ.get("UV_DEFAULT_INDEX") or os.environ.get("UV_INDEX_URL")
    parts = [index or DEFAULT_UV_INDEX]
    for name in ("UV_INDEX", "UV_EXTRA_INDEX_URL", "UV_FIND_LINKS"):
        if os.environ.get(name):
            parts.append(f"{name}={os.environ[name]}")
    if os.environ.get("UV_OFFLINE", "").lower() in {"1", "true", "yes"}:
        parts.append("offline")
    # The key is written to disk: credentials in an index URL stay out of it.
    return strip_url_credentials(" ".join(parts)) + f" (python {PYTHON_VERSION})"


def _checks_path() -> Path:
    return pypi_cache_dir() / INSTALLABLE_NAME


def _read_checks() -> InstallChecks:
    try:
        return InstallChecks.model_validate_json(_checks_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return InstallChecks()


def _store_check(key: str, check: InstallCheck) -> None:
    checks = _read_checks()
    checks.checks.setdefault(key, {})[check.version] = check
    write_atomic(_checks_path(), checks.model_dump_json(indent=1) + "\n")


def installable(
    version: str,
    *,
    release: PypiRelease | None = None,
    max_age: timedelta = INSTALLABLE_MAX_AGE,
) -> InstallCheck:
    """Whether `version` resolves here as an install would resolve it, without installing."""
    # Verdicts are cached per index and release for `max_age` only: a mirror that lacks a
    # package today may serve it tomorrow. Refused releases are never resolved.
    version = validate_version(version)
    key = index_key()
    now = datetime.now(UTC)
    cached = _read_checks().checks.get(key, {}).get(version)
    if cached is not None and now - cached.checked_at < max_age:
        return cached
    if release is None:
        release = lookup_release(version)
    try:
        _refuse_advised(version)
        _refuse_yanked(version, release)
    except RefusedRelease as exc:
        return InstallCheck(version=version, installable=False, reason=str(exc), checked_at=now)
    cutoff = _cutoff(release.uploaded_at if release is not None else None)
    done = subprocess.run(
        _compile_argv(uv_binary(), cutoff),
        input=requirement(version) + "\n",
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
        preexec_fn=die_with_parent(),
    )
    if done.returncode == 0:
        check = InstallCheck(version=version, installable=True, checked_at=now)
    else:
        reason = resolver_reason(done.stdout + done.stderr)
        if reason is None:
            # Not a verdict on the release (the index did not answer, say): nothing to cache.
            tail = " ".join(done.stderr.split())[-400:]
            raise CompatError(
                f"`uv pip compile {requirement(version)}` failed (exit {done.returncode}) "
                f"without resolving: {tail}"
            )
        check = InstallCheck(version=version, installable=False, reason=reason, checked_at=now)
    _store_check(key, check)
    return check


def _skipped_text(skipped: list[tuple[str, str]]) -> list[str]:
    """Runs of releases skipped for one reason: `1.110.2 … 1.110.0 (3): needs …`."""
    lines: list[str] = []
    run: list[str] = []
    for index, (version, why) in enumerate(skipped):
        run.append(version)
        if index + 1 < len(skipped) and skipped[index + 1][1] == why:
            continue
        span = run[0] if len(run) == 1 else f"{run[0]} … {run[-1]} ({len(run)})"
        lines.append(f"{span}: {why}")
        run = []
    return lines


def newest_installable(
    project: PypiProject,
    note: Callable[[str], None],
    *,
    include_prereleases: bool = False,
    progress: Callable[[str], None] | None = None,
) -> str:
    """The newest release that resolves here, newest first; `note` hears what was skipped."""
    # Prereleases (unless asked for), yanked and advisory-listed releases are skipped without
    # resolving; the first release that resolves ends the search.
    skipped: list[tuple[str, str]] = []
    releases = project.releases_in_order(include_prereleases=True)
    for release in reversed(releases):
        if release.prerelease and not include_prereleases:
            skipped.append((release.version, "prerelease"))
            continue
        if release.yanked:
            skipped.append((release.version, f"yanked ({release.yanked_reason or 'no reason'})"))
            continue
        advisory = advisory_for(PACKAGE, release.version)
        if advisory is not None:
            skipped.append((release.version, f"{advisory.id}: {advisory.summary}"))
            continue
        if progress is not None:
            progress(f"resolving litellm {release.version}")
        check = installable(release.version, release=release)
        if check.installable:
            newer = f"; {len(skipped)} newer release(s) skipped:" if skipped else ""
            note(f"{release.version} is the newest release that resolves on {index_key()}{newer}")
            for line in _skipped_text(skipped):
                note(f"  {line}")
            return release.version
        skipped.append((release.version, short_reason(check.reason or "does not resolve")))
    raise CompatError(
        f"none of the {len(releases)} releases of litellm on PyPI resolves on {index_key()}; "
        + "; ".join(_skipped_text(skipped)[:5])
    )


# --- the cache as a whole ------------------------------------------------------------------


def _last_used(target: Path) -> datetime | None:
    """When the venv was last used; venvs older than that record count from their marker."""
    for name in (LAST_USED_NAME, MARKER_NAME):
        try:
            return datetime.fromtimestamp((target / name).stat().st_mtime, UTC)
        except OSError:
            continue
    return None


def cached_venvs() -> list[CachedVenv]:
    """Every version directory of the cache, complete or not, in release order."""
    root = cache_root()
    if not root.is_dir():
        return []
    found = []
    for path in root.iterdir():
        if not (path.is_dir() and _VERSION.match(path.name)):
            continue
        marker = _read_marker(path)
        complete = marker is not None and marker.requirement == requirement(path.name)
        found.append(CachedVenv(path.name, path, marker if complete else None, _last_used(path)))
    return sorted(found, key=lambda v: [int(p) for p in re.findall(r"[0-9]+", v.version)])


def prune_plan(keep: int) -> list[CachedVenv]:
    """What `cache prune --keep N` removes: all but the N most recently used complete venvs."""
    # Incomplete directories go too (an install that died); one being installed is spared
    # by `remove_venv`, which takes its install lock.
    if keep < 0:
        raise InputError(f"--keep: expected 0 or more venvs to keep, found {keep}")
    venvs = cached_venvs()
    oldest = datetime.min.replace(tzinfo=UTC)
    complete = sorted(
        (v for v in venvs if v.marker is not None),
        key=lambda v: v.last_used or oldest,
        reverse=True,
    )
    kept = {v.version for v in complete[:keep]}
    return [v for v in venvs if v.version not in kept]


def remove_venv(version: str) -> bool:
    """Delete the venv of `version` unless an install holds its lock; whether it was removed."""
    target = venv_dir(version)
    with _try_exclusive(_lock_path(version)) as acquired:
        if not acquired:
            return False
        shutil.rmtree(target, ignore_errors=True)
        return not target.exists()


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


def _stream(
    argv: list[str],
    log_path: Path,
    progress: Callable[[str], None],
    *,
    input_text: str | None = None,
) -> tuple[int, str]:
    """Run an install step, streaming its output to `progress` and a log kept on failure."""
    lines: list[str] = []
    with log_path.open("a", encoding="utf-8") as log:
        try:
            process = subprocess.Popen(
                argv,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL if input_text is None else subprocess.PIPE,
                text=True,
                env={**os.environ, "NO_COLOR": "1"},
                preexec_fn=die_with_parent(),
            )
        except OSError as exc:
            raise CompatError(f"cannot run {argv[0]}: {exc.strerror or exc}") from None
        assert process.stdout is not None
        with process:
            if input_text is not None:
                assert process.stdin is not None
                # A requirement line: far below the pipe's buffer, so this cannot block.
                process.stdin.write(input_text)
                process.stdin.close()
            for line in process.stdout:
                log.write(line)
                lines.append(line.rstrip())
                if line.strip():
                    progress(line.strip())
    return process.returncode, "\n".join(lines)


def _step_error(argv: list[str], code: int, output: str, log_path: Path) -> CompatError:
    tail = "\n".join(f"  | {line}" for line in output.splitlines()[-PIP_TAIL_LINES:])
    return CompatError(
        f"`{' '.join(argv[1:])}` failed (exit {code}); full output in {log_path}; "
        f"last lines:\n{tail}"
    )


def _run(
    argv: list[str],
    log_path: Path,
    progress: Callable[[str], None],
    *,
    input_text: str | None = None,
) -> None:
    """Run an install step; a failure is a CompatError quoting its last lines."""
    code, output = _stream(argv, log_path, progress, input_text=input_text)
    if code != 0:
        raise _step_error(argv, code, output, log_path)


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """Serialize installs of one version across processes (parallel test workers, runners)."""
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _try_exclusive(lock_path: Path) -> Iterator[bool]:
    """`_exclusive` without waiting: yields whether the lock was free (and is now held)."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_marker(target: Path) -> InstallMarker | None:
    try:
        return InstallMarker.model_validate_json((target / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValidationError):
        return None
