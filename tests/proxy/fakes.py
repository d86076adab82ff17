"""Stand-ins for LiteLLM: installed into a private cache, steered by the config they read."""

from __future__ import annotations

import sys
from pathlib import Path

from compat.proxy import env_names as env
from compat.proxy.venv import MARKER_NAME, InstallMarker, requirement

FAKE_VERSION = "0.0.1"
FAKE_SCRIPT = Path(__file__).with_name("fake_litellm.py")


def install_fake_litellm(cache_home: Path) -> str:
    """Put the stand-in where compat looks for LiteLLM FAKE_VERSION under `cache_home`."""
    venv = cache_home / "compat" / "litellm" / FAKE_VERSION
    (venv / "bin").mkdir(parents=True)
    binary = venv / "bin" / "litellm"
    binary.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE_SCRIPT}" "$@"\n')
    binary.chmod(0o755)
    marker = InstallMarker(requirement=requirement(FAKE_VERSION), python="3", installed_at="-")
    (venv / MARKER_NAME).write_text(marker.model_dump_json())
    return FAKE_VERSION


def write_fake_config(directory: Path, behaviour: str) -> Path:
    """A one-alias proxy config whose `fake_litellm` key picks the stand-in's behaviour."""
    path = directory / f"proxy_config.{behaviour}.yaml"
    path.write_text(
        f"fake_litellm: {behaviour}\n"
        "model_list:\n"
        "- model_name: claude-haiku-4-5\n"
        "  litellm_params:\n"
        "    model: anthropic/claude-haiku-4-5-20251001\n"
        f"    api_key: os.environ/{env.ANTHROPIC_API_KEY}\n"
    )
    return path
