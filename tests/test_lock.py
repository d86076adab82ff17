"""uv.lock is what pyproject.toml asks for: a lock that drifted from it fails here, offline."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from compat.proxy.venv import DEFAULT_LITELLM_VERSION, bundled_lock, requirement, uv_binary

ROOT = Path(__file__).resolve().parent.parent


def _lock_check(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [uv_binary(), "lock", "--check", "--offline", "--project", str(project)],
        capture_output=True,
        text=True,
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never", "NO_COLOR": "1"},
        timeout=120,
        check=False,
    )


def _copy_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "uv.lock", "README.md"):
        shutil.copy(ROOT / name, project / name)
    return project


def test_the_lock_matches_pyproject() -> None:
    done = _lock_check(ROOT)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("before", "after"),
    [('"typer>=0.12",', '"typer>=0.12",\n  "tabulate>=0.9",'), ('"rich>=13.7",', '"rich>=99",')],
    ids=["a dependency added", "a bound changed"],
)
def test_a_pyproject_change_without_a_new_lock_is_caught(
    tmp_path: Path, before: str, after: str
) -> None:
    project = _copy_project(tmp_path)
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    assert before in text
    pyproject.write_text(text.replace(before, after))
    done = _lock_check(project)
    assert done.returncode != 0, done.stdout + done.stderr


def test_the_default_litellm_release_installs_from_a_hashed_lock() -> None:
    lock = bundled_lock(DEFAULT_LITELLM_VERSION)
    assert lock is not None, f"no lock shipped for LiteLLM {DEFAULT_LITELLM_VERSION}"
    pins = [line for line in lock.read_text().splitlines() if "==" in line]
    name = requirement(DEFAULT_LITELLM_VERSION).partition("[")[0]
    assert f"{name}=={DEFAULT_LITELLM_VERSION} \\" in pins
    assert all(line.endswith("\\") for line in pins), "every pin is followed by its hashes"
    assert lock.read_text().count("--hash=sha256:") >= len(pins)
