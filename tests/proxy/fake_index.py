"""Wheels built on disk for uv (network off), and the environment that installs only them."""

# A wheel here is a METADATA, an entry point and a RECORD, served to uv as `--find-links`:
# resolutions and installs are real uv runs that never leave the machine.

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

import pytest

EXTRAS = ("proxy", "google")
SCRIPT_MODULE = "fake_litellm_cli"


def _record_line(name: str, content: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(content)}"


def build_wheel(
    directory: Path,
    name: str,
    version: str,
    *,
    requires: tuple[str, ...] = (),
    extras: tuple[str, ...] = (),
    script: str | None = None,
) -> Path:
    """A minimal valid py3-none-any wheel; `script` names a console script it installs."""
    dist = f"{name.replace('-', '_')}-{version}"
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    meta += "".join(f"Provides-Extra: {extra}\n" for extra in extras)
    meta += "".join(f"Requires-Dist: {requirement}\n" for requirement in requires)
    files = {
        f"{dist}.dist-info/METADATA": meta,
        f"{dist}.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: compat-tests\nRoot-Is-Purelib: true\n"
            "Tag: py3-none-any\n"
        ),
    }
    if script is not None:
        files[f"{SCRIPT_MODULE}.py"] = f"def main():\n    print('fake {name} {version}')\n"
        files[f"{dist}.dist-info/entry_points.txt"] = (
            f"[console_scripts]\n{script} = {SCRIPT_MODULE}:main\n"
        )
    record = [_record_line(path, text.encode()) for path, text in files.items()]
    files[f"{dist}.dist-info/RECORD"] = "\n".join([*record, f"{dist}.dist-info/RECORD,,"]) + "\n"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for member, text in files.items():
            archive.writestr(member, text)
    return path


def fake_litellm(directory: Path, version: str, *, requires: tuple[str, ...] = ()) -> Path:
    """A LiteLLM stand-in with the extras compat asks for and a `litellm` script."""
    return build_wheel(
        directory, "litellm", version, requires=requires, extras=EXTRAS, script="litellm"
    )


def offline_env(wheels: Path, uv_cache: Path) -> dict[str, str]:
    """The variables that point uv at `wheels` alone: network off, a private cache."""
    return {"UV_FIND_LINKS": str(wheels), "UV_OFFLINE": "1", "UV_CACHE_DIR": str(uv_cache)}


def offline_index(monkeypatch: pytest.MonkeyPatch, wheels: Path, uv_cache: Path) -> None:
    """Point every uv that compat runs in this process at `wheels` alone (`offline_env`)."""
    for name, value in offline_env(wheels, uv_cache).items():
        monkeypatch.setenv(name, value)
    for name in ("UV_INDEX", "UV_INDEX_URL", "UV_DEFAULT_INDEX", "UV_EXTRA_INDEX_URL"):
        monkeypatch.delenv(name, raising=False)
