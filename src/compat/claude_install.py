"""Claude Code under test: npm installs into a per-version cache, and which binary a run uses."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from packaging.version import InvalidVersion, Version

from compat.errors import CompatError, InputError
from compat.paths import cache_home

CLAUDE_CODE_PACKAGE = "@anthropic-ai/claude-code"
BINARY_ENV = "COMPAT_CLAUDE_BIN"
MARKER_NAME = ".compat-install.json"
_VERSION = re.compile(r"^\d+\.\d+\.\d+$")


def cache_root() -> Path:
    """`${XDG_CACHE_HOME:-~/.cache}/compat/claude-code`."""
    return cache_home() / "claude-code"


def binary_in(install_dir: Path) -> Path:
    return install_dir / "node_modules" / ".bin" / "claude"


def validate_version(version: str) -> str:
    if not _VERSION.match(version):
        raise InputError(f"--version: {version!r} is not a Claude Code release (e.g. 2.1.329)")
    return version


def installed_versions() -> list[str]:
    """Cached versions with a finished install, newest first."""
    root = cache_root()
    found = []
    if root.is_dir():
        for child in root.iterdir():
            if (child / MARKER_NAME).exists() and binary_in(child).exists():
                try:
                    found.append((Version(child.name), child.name))
                except InvalidVersion:
                    continue
    return [name for _, name in sorted(found, reverse=True)]


def install_claude_code(version: str) -> Path:
    """`npm install @anthropic-ai/claude-code@VERSION` into the cache; returns the binary."""
    target = cache_root() / validate_version(version)
    if (target / MARKER_NAME).exists() and binary_in(target).exists():
        return binary_in(target)
    npm = shutil.which("npm")
    if npm is None:
        raise CompatError(
            "npm not found on PATH: install Node.js 20 (with npm) to install Claude Code"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{version}.", dir=target.parent))
    try:
        process = subprocess.run(
            [
                npm,
                "install",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(staging),
                f"{CLAUDE_CODE_PACKAGE}@{version}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if process.returncode != 0:
            tail = "\n".join(f"  | {line}" for line in process.stderr.strip().splitlines()[-15:])
            raise CompatError(
                f"npm install {CLAUDE_CODE_PACKAGE}@{version} failed (exit "
                f"{process.returncode}); last lines:\n{tail}"
            )
        if not binary_in(staging).exists():
            raise CompatError(
                f"npm installed {CLAUDE_CODE_PACKAGE}@{version} but no `claude` binary"
            )
        (staging / MARKER_NAME).write_text(json.dumps({"version": version}) + "\n")
        shutil.rmtree(target, ignore_errors=True)
        # npm's .bin entries are relative symlinks, so the directory can move as a whole.
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return binary_in(target)


def find_claude(explicit: Path | None = None) -> Path:
    """`--claude PATH`, else $COMPAT_CLAUDE_BIN, else the newest cached install, else PATH."""
    if explicit is not None:
        if not explicit.exists():
            raise InputError(f"--claude: {explicit} does not exist")
        return explicit
    from_env = os.environ.get(BINARY_ENV)
    if from_env:
        if not Path(from_env).exists():
            raise InputError(f"${BINARY_ENV}: {from_env} does not exist")
        return Path(from_env)
    cached = installed_versions()
    if cached:
        return binary_in(cache_root() / cached[0])
    on_path = shutil.which("claude")
    if on_path:
        return Path(on_path)
    raise InputError(
        "no Claude Code found: run `compat install claude-code` (or pass --claude PATH, or set "
        f"${BINARY_ENV})"
    )
