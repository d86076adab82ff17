"""Misusing the CLI: every mistake is one short message on stderr and exit 2, never a traceback.

Each case runs `python -m compat.cli …` as its own process, all of them at once (each
pays ~1 s of interpreter start-up). tests/test_cli.py covers unknown commands and options.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from support.cli import CompatCli

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_MATRIX = str(ROOT / "tests" / "fixtures" / "sample-matrix.json")
SAMPLE_RESULTS = str(ROOT / "tests" / "fixtures" / "sample-results.json")
# Placeholders replaced by paths in a temp directory.
MISSING = "{missing}"
OUT = "{out}"
DEEP_YAML = "{deep_yaml}"
DEEP_JSON = "{deep_json}"
# A cell is the smallest selection `compat run` accepts.
ONE_CELL = ("-f", "vision", "-p", "azure", "-t", "haiku-4-5", "-o", OUT)

CASES: dict[str, tuple[tuple[str, ...], str]] = {
    # unknown axis values, with the closest valid one suggested
    "feature typo": (("run", "-f", "tool_uze"), "did you mean 'tool_use'?"),
    "provider typo": (("run", "--provider", "azur"), "did you mean 'azure'?"),
    "tier typo": (("run", "--tier", "opus"), "did you mean 'opus-4-7'?"),
    "publish feature typo": (
        ("publish", "-f", "visoin", "--litellm-version", "1.106.2"),
        "--feature: unknown value 'visoin' (did you mean 'vision'?)",
    ),
    # shard specs
    "shard past the end": (("run", "--shard", "5/4"), "--shard: expected 1 ≤ K ≤ N"),
    "shard zero": (("run", "--shard", "0/4"), "--shard: expected 1 ≤ K ≤ N"),
    "shard of nothing": (("run", "--shard", "1/0"), "--shard: expected 1 ≤ K ≤ N"),
    "shard not numbers": (("run", "--shard", "a/b"), "--shard: expected K/N such as 2/4"),
    # durations
    "resolve min-age": (("resolve", "claude-code", "--min-age", "3x"), "--min-age: expected"),
    "install min-age": (("install", "claude-code", "--min-age", "3x"), "--min-age: expected"),
    "publish min-age": (("publish", "--min-age", "3x"), "--min-age: expected a duration"),
    # missing files
    "run manifest": (("run", "-m", MISSING), f"{MISSING}: manifest not found"),
    "build results": (("build", "-r", MISSING), f"{MISSING}: results file not found"),
    "build manifest": (
        ("build", "-r", SAMPLE_RESULTS, "-m", MISSING),
        f"{MISSING}: manifest not found",
    ),
    "render matrix": (("render", MISSING, "-o", OUT), f"{MISSING}: matrix not found"),
    "render results": (
        ("render", SAMPLE_MATRIX, "-r", MISSING, "-o", OUT),
        f"{MISSING}: results file not found",
    ),
    "render known issues": (
        ("render", SAMPLE_MATRIX, "-k", MISSING, "-o", OUT),
        f"{MISSING}: known issues file not found",
    ),
    "diff old": (("diff", MISSING, SAMPLE_MATRIX), f"{MISSING}: matrix not found"),
    "proxy config": (("run", "--config", MISSING, *ONE_CELL), f"{MISSING}: proxy config not found"),
    "claude binary": (("run", "--claude", MISSING, *ONE_CELL), f"--claude: {MISSING} does not"),
    # values outside a fixed set
    "runtime": (("boot-proxy", "--runtime", "podman"), "'podman' is not one of 'local', 'docker'"),
    "upstream": (("run", "--upstream", "mock"), "'mock' is not one of 'emulated', 'live'"),
    "render format": (("render", SAMPLE_MATRIX, "--format", "pdf"), "'pdf' is not one of"),
    "diff format": (("diff", SAMPLE_MATRIX, SAMPLE_MATRIX, "--format", "pdf"), "'pdf' is not"),
    "channel": (("resolve", "litellm", "--channel", "beta"), "'beta' is not one of"),
    "fail-on": (("run", "--fail-on", "maybe"), "--fail-on: expected one of never, fail"),
    "proxy port": (("boot-proxy", "--port", "70000"), "--port: Input should be less than"),
    "litellm version": (("run", "--litellm-version", "1.x"), "--litellm-version: '1.x' is not"),
    # input built to crash a parser: libyaml overflows the C stack (a segfault), json recurses
    "deep manifest": (
        ("build", "-r", SAMPLE_RESULTS, "-m", DEEP_YAML),
        "manifest is nested more than 100 levels deep",
    ),
    "deep results": (("build", "-r", DEEP_JSON), "results file is nested too deeply to read"),
}


def _fill(text: str, paths: dict[str, str]) -> str:
    for placeholder, path in paths.items():
        text = text.replace(placeholder, path)
    return text


@pytest.fixture(scope="module")
def outcomes(
    tmp_path_factory: pytest.TempPathFactory, compat_cli: CompatCli
) -> Iterator[tuple[dict[str, str], dict[str, subprocess.CompletedProcess[str]]]]:
    """Every case's finished process, keyed by case name, and the paths filled in."""
    tmp = tmp_path_factory.mktemp("misuse")
    paths = {
        MISSING: str(tmp / "missing.file"),
        OUT: str(tmp / "out"),
        DEEP_YAML: str(tmp / "deep.yaml"),
        DEEP_JSON: str(tmp / "deep-results.json"),
    }
    Path(paths[DEEP_YAML]).write_text("[" * 100_000 + "]" * 100_000)
    Path(paths[DEEP_JSON]).write_text("[" * 100_000 + "]" * 100_000)
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = {
            name: pool.submit(
                compat_cli, *(_fill(arg, paths) for arg in args), cwd=ROOT, timeout=120
            )
            for name, (args, _) in CASES.items()
        }
        yield paths, {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("case", list(CASES))
def test_misuse_is_one_short_message_and_exit_2(case, outcomes):
    paths, done = outcomes
    proc = done[case]
    fragment = _fill(CASES[case][1], paths)
    message = proc.stderr.strip()
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert fragment in message
    # One paragraph that ends with the error itself (a status line may come first).
    assert "\n\n" not in message
    assert message.splitlines()[-1].startswith("error: ")
    assert len(message.splitlines()) <= 2, message


def test_a_typo_is_caught_before_anything_is_resolved_or_installed(outcomes):
    _, done = outcomes
    # Resolving Claude Code would print its choice; a typo must cost no network.
    assert "Claude Code:" not in done["publish feature typo"].stderr
