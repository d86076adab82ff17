"""`compat boot-proxy` with the real LiteLLM: no secret in any output, bad configs end cleanly."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import pytest

from compat.proxy.venv import DEFAULT_LITELLM_VERSION
from proxy.foreground import ForegroundProxy
from support.cli import compat_command
from support.proc import children_of, environment_of, pids_with_argument

pytestmark = pytest.mark.integration

SECRET_VARIABLES = (
    "LITELLM_MASTER_KEY",
    "ANTHROPIC_API_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AZURE_FOUNDRY_API_KEY",
)
HAIKU_ALIASES = (
    "claude-haiku-4-5",
    "claude-haiku-4-5-bedrock-invoke",
    "claude-haiku-4-5-bedrock-converse",
    "claude-haiku-4-5-vertex",
    "claude-haiku-4-5-azure",
)


def test_no_secret_in_stdout_stderr_or_the_log(repo_root: Path, tmp_path: Path) -> None:
    config = tmp_path / "proxy_config.yaml"
    config.write_text((repo_root / "proxy_config.yaml").read_text())
    log_file = tmp_path / "logs" / "litellm.log"
    proxy = ForegroundProxy(
        "--config", str(config), "--log-file", str(log_file), "--timeout", "180", cwd=repo_root
    )
    try:
        base_url = proxy.wait_ready(timeout=240)
        [litellm] = children_of(proxy.process.pid)
        seen = environment_of(litellm)
        secrets = {name: seen[name] for name in SECRET_VARIABLES}
        key = secrets["LITELLM_MASTER_KEY"]
        # Traffic on every provider, so the log has every upstream's chance to leak a key.
        for alias in HAIKU_ALIASES:
            response = httpx.post(
                base_url + "/v1/messages",
                headers={"authorization": f"Bearer {key}"},
                json={
                    "model": alias,
                    "max_tokens": 16,
                    "messages": [{"role": "user", "content": "hi"}],
                },
                timeout=60,
            )
            assert response.status_code == 200, f"{alias}: {response.text[:300]}"
        assert proxy.interrupt() == 0
    finally:
        proxy.close()
    assert pids_with_argument(str(config)) == []
    outputs = {"stdout": proxy.stdout, "stderr": proxy.stderr, "log": log_file.read_text()}
    assert "POST /v1/messages" in outputs["log"]
    for where, text in outputs.items():
        for name, secret in secrets.items():
            assert secret not in text, f"{name} appears in {where}"


def test_a_config_litellm_cannot_start_with_exits_1_quoting_the_log(
    repo_root: Path, tmp_path: Path
) -> None:
    config = tmp_path / "bad_proxy_config.yaml"
    config.write_text(
        "model_list:\n"
        "- model_name: claude-haiku-4-5\n"
        "  litellm_params: {model: anthropic/claude-haiku-4-5-20251001}\n"
        "litellm_settings:\n"
        "  callbacks: [no_such_module.handler_instance]\n"
    )
    timeout = 120
    started = time.monotonic()
    done = subprocess.run(
        compat_command("boot-proxy", "--config", config, "--timeout", str(timeout)),
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=timeout + 60,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 1, done.stderr
    assert elapsed < timeout
    assert (
        f"error: local litellm {DEFAULT_LITELLM_VERSION}: the proxy's startup failed" in done.stderr
    )
    assert "  | ImportError: Could not import handler_instance from no_such_module" in done.stderr
    assert "Traceback (most recent call last)" not in done.stderr.split("Last lines of its log")[0]
    assert pids_with_argument(str(config)) == []
