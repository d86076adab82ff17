"""`compat doctor`: credentials by name only, and the tools it finds."""

from __future__ import annotations

import subprocess
from pathlib import Path

from support.cli import run_compat

CREDENTIAL_NAMES = (
    "ANTHROPIC_API_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_BEARER_TOKEN_BEDROCK",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "VERTEXAI_PROJECT",
    "VERTEXAI_LOCATION",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "AZURE_FOUNDRY_API_BASE",
    "AZURE_FOUNDRY_API_KEY",
)


def doctor(cwd: Path, tmp_path: Path, **credentials: str) -> subprocess.CompletedProcess[str]:
    env = {"COLUMNS": "200", **credentials, "XDG_CACHE_HOME": str(tmp_path / "empty-cache")}
    return run_compat("doctor", cwd=cwd, env=env, without=CREDENTIAL_NAMES)


def _row(output: str, label: str) -> list[str]:
    """The cells of the table row whose first cell is `label`."""
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip("│ ").split("│")]
        if cells[0] == label:
            return cells
    raise AssertionError(f"no row {label!r} in:\n{output}")


def test_reports_presence_per_provider_and_never_a_value(repo_root: Path, tmp_path: Path) -> None:
    secret = "sk-ant-doctor-test-value-98765"
    done = doctor(
        repo_root,
        tmp_path,
        ANTHROPIC_API_KEY=secret,
        AWS_BEARER_TOKEN_BEDROCK="bedrock-token-value-12345",
        AWS_REGION="eu-central-1",
        AZURE_FOUNDRY_API_KEY="azure-key-value-12345",
        OPENAI_API_KEY="sk-proj-doctor-value-24680",
        AZURE_OPENAI_API_KEY="azure-openai-value-13579",
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert _row(out, "Anthropic") == ["Anthropic", "yes", "ANTHROPIC_API_KEY", "-"]
    assert _row(out, "Bedrock (Invoke)")[1:3] == ["yes", "AWS_REGION, AWS_BEARER_TOKEN_BEDROCK"]
    assert _row(out, "Bedrock (Converse)")[1] == "yes"
    vertex = _row(out, "Vertex AI")
    assert vertex[1] == "no" and vertex[3].startswith("VERTEXAI_PROJECT, VERTEXAI_LOCATION")
    assert _row(out, "Azure (Foundry)")[1:] == [
        "no",
        "AZURE_FOUNDRY_API_KEY",
        "AZURE_FOUNDRY_API_BASE",
    ]
    assert _row(out, "OpenAI") == ["OpenAI", "yes", "OPENAI_API_KEY", "-"]
    assert _row(out, "Azure OpenAI")[1:] == ["no", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_API_BASE"]
    assert _row(out, "Bedrock (Mantle)")[1] == "yes"  # Bedrock's own credentials
    # Vertex AI offers no GPT-5.6 model: no deployment, no credentials to list.
    assert "Vertex AI (GPT)" not in out
    for value in (
        secret,
        "bedrock-token-value-12345",
        "azure-key-value-12345",
        "eu-central-1",
        "sk-proj-doctor-value-24680",
        "azure-openai-value-13579",
    ):
        assert value not in out + done.stderr


def test_lists_tool_versions(repo_root: Path, tmp_path: Path, litellm_image: str) -> None:
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True)
    done = doctor(repo_root, tmp_path)
    assert done.returncode == 0, done.stderr
    assert _row(done.stdout, "node")[1] == node.stdout.strip()
    assert _row(done.stdout, "LiteLLM")[1] == "not found"
    assert "compat install litellm" in done.stdout
    for tool in ("Claude Code", "uv", "docker (client)", "docker (daemon)", "LiteLLM images"):
        assert len(_row(done.stdout, tool)) == 3
    # The image the docker runtime would run, found on the daemon.
    assert litellm_image in _row(done.stdout, "LiteLLM images")[1]


def _cache_claude_code(cache: Path, version: str) -> Path:
    """A finished cached install as `compat install claude-code` leaves it."""
    install = cache / "compat" / "claude-code" / version
    binary = install / "node_modules" / ".bin" / "claude"
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\necho " + version + " '(Claude Code)'\n")
    binary.chmod(0o755)
    (install / ".compat-install.json").write_text('{"version": "' + version + '"}\n')
    return binary


def test_lists_cached_claude_code_releases_newest_first(repo_root: Path, tmp_path: Path) -> None:
    cache = tmp_path / "empty-cache"
    binaries = {v: _cache_claude_code(cache, v) for v in ("2.1.228", "2.1.329", "2.1.126")}
    (cache / "compat" / "claude-code" / "2.1.400").mkdir()  # half-made: no marker
    done = doctor(repo_root, tmp_path, COMPAT_CLAUDE_BIN="", COLUMNS="500")
    assert done.returncode == 0, done.stderr
    row = _row(done.stdout, "Claude Code")
    assert row[1] == "2.1.329, 2.1.228, 2.1.126", row
    assert f"`compat run` uses {binaries['2.1.329']}" in row[2]
    assert "2.1.400" not in done.stdout


def test_works_outside_a_checkout(tmp_path: Path) -> None:
    done = doctor(tmp_path, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "bedrock_converse" in done.stdout
