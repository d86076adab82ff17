"""The same grid subset through the docker runtime and the local one, compared cell by cell.

Runs `compat run --runtime docker` (the release's image: compat-litellm:<V> when no
registry image is on this machine) and then `compat run --runtime local` (the cached venv
of the same release), with the same claude binary and the same selection. Prints the wall
time of each run, the number of cells, every cell whose status differs (both statuses, and
each side's error or reason, cause and failed upstream requests), and how the image's
packages differ from the venv's (`versions.litellm_packages` of each run, plus the Python
each one runs on). Exits 1 when any cell differs, so it can gate.

Default subset: a spread of features across every provider, one tier per column family:

    nice .venv/bin/python benchmarks/docker_vs_local.py [-f FEATURE]... [-p PROVIDER]...
        [--litellm-version 1.106.12] [--claude-code-version 2.1.329] [--out DIR]

Needs `compat install litellm` (the venv) and `compat install litellm --runtime docker`.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from compat.images.debian_base import images_cache
from compat.paths import cache_home
from compat.proxy.venv import DEFAULT_LITELLM_VERSION

REPO = Path(__file__).resolve().parent.parent
COMPAT = REPO / ".venv/bin/compat"
FEATURES = [
    "basic_messaging_streaming",
    "basic_messaging_non_streaming",
    "tool_use",
    "vision",
    "thinking",
    "pdf_input",
    "prompt_caching_5m",
    "count_tokens",
]
TIERS = ["haiku-4-5", "gpt-5-6-luna"]
RUNTIMES = ("docker", "local")
PINNED = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(==|@)\s*(.+?)\s*$")


def claude_binary(version: str) -> str:
    return subprocess.run(
        [str(COMPAT), "install", "claude-code", "--version", version],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def one_run(runtime: str, out: Path, argv: list[str]) -> tuple[float, dict[str, Any]]:
    """Seconds `compat run --runtime <runtime>` took, and its results file."""
    out.mkdir(parents=True, exist_ok=True)
    command = [str(COMPAT), "run", "--runtime", runtime, "--out", str(out), *argv]
    print(f"$ {' '.join(command)}", flush=True)
    started = time.perf_counter()
    with open(out / "compat-run.log", "w") as log:
        done = subprocess.run(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        tail = (out / "compat-run.log").read_text(errors="replace")[-2000:]
        sys.exit(f"compat run --runtime {runtime} exited {done.returncode}:\n{tail}")
    return seconds, json.loads((out / "compat-results.json").read_text())


def cells(results: dict[str, Any]) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {(r["feature_id"], r["provider"], r["tier"]): r for r in results["results"]}


def why(result: dict[str, Any] | None) -> list[str]:
    """The outcome's own words and the evidence that explains it, a line each."""
    if result is None:
        return ["(no such cell in this run)"]
    outcome = result["outcome"]
    evidence = result.get("evidence") or {}
    lines = []
    for key in ("error", "reason"):
        if outcome.get(key):
            lines.append(f"{key}: {' '.join(str(outcome[key]).split())[:600]}")
    if evidence.get("cause"):
        lines.append(f"cause: {evidence['cause']}")
    for warning in evidence.get("warnings") or []:
        lines.append(f"warning: {' '.join(warning.split())[:300]}")
    for request in evidence.get("upstream_requests") or []:
        if (request.get("status") or 0) >= 400 or request.get("summary"):
            lines.append(
                f"upstream {request['method']} {request['path']} → {request.get('status')}"
                f" {request.get('summary') or ''}".rstrip()
            )
    if not evidence.get("upstream_requests"):
        lines.append("upstream: no request reached the emulator")
    return lines or ["(nothing recorded)"]


def packages(results: dict[str, Any]) -> dict[str, str]:
    """{normalised name: version or URL} of a run's `versions.litellm_packages`."""
    found: dict[str, str] = {}
    for line in results["versions"].get("litellm_packages") or []:
        match = PINNED.match(line)
        if match is None:
            found[line.strip()] = "?"
            continue
        name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
        found[name] = match.group(3) if match.group(2) == "==" else f"@ {match.group(3)}"
    return found


def python_of(path: Path) -> str:
    try:
        return str(json.loads(path.read_text())["python"])
    except (OSError, KeyError, ValueError):
        return f"unknown ({path} unreadable)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feature", "-f", action="append", help="repeatable")
    parser.add_argument("--provider", "-p", action="append", help="repeatable (default: all)")
    parser.add_argument("--tier", "-t", action="append", help=f"repeatable (default: {TIERS})")
    parser.add_argument("--litellm-version", default=DEFAULT_LITELLM_VERSION)
    parser.add_argument("--claude-code-version", default="2.1.329")
    parser.add_argument("--out", type=Path, help="where both runs' results go (kept)")
    args = parser.parse_args()
    version = args.litellm_version
    selection = [arg for feature in args.feature or FEATURES for arg in ("-f", feature)]
    selection += [arg for provider in args.provider or [] for arg in ("-p", provider)]
    selection += [arg for tier in args.tier or TIERS for arg in ("-t", tier)]
    argv = [
        "--litellm-version",
        version,
        "--claude",
        claude_binary(args.claude_code_version),
        *selection,
    ]
    root = args.out or Path(tempfile.mkdtemp(prefix="docker-vs-local-"))
    print(f"LiteLLM {version}, Claude Code {args.claude_code_version}; results under {root}")

    walls: dict[str, float] = {}
    runs: dict[str, dict[str, Any]] = {}
    for runtime in RUNTIMES:
        walls[runtime], runs[runtime] = one_run(runtime, root / runtime, argv)
        runtime_line = runs[runtime]["versions"].get("litellm_runtime")
        print(
            f"  {runtime}: {walls[runtime]:.1f} s wall, {len(runs[runtime]['results'])} cells"
            f" ({runtime_line})",
            flush=True,
        )

    docker, local = cells(runs["docker"]), cells(runs["local"])
    keys = sorted(docker.keys() | local.keys())
    differing = [
        key
        for key in keys
        if (docker.get(key) or {}).get("outcome", {}).get("status")
        != (local.get(key) or {}).get("outcome", {}).get("status")
    ]
    print(
        f"\nwall time: docker {walls['docker']:.1f} s, local {walls['local']:.1f} s "
        f"(docker/local {walls['docker'] / walls['local']:.2f})"
    )
    print(f"cells: {len(keys)} (docker {len(docker)}, local {len(local)})")
    for runtime, table in (("docker", docker), ("local", local)):
        counts: dict[str, int] = {}
        for result in table.values():
            status = result["outcome"]["status"]
            counts[status] = counts.get(status, 0) + 1
        print(f"  {runtime}: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    print(f"cells whose status differs: {len(differing)}")
    for key in differing:
        sides = {"docker": docker.get(key), "local": local.get(key)}
        statuses = {
            name: (r or {}).get("outcome", {}).get("status", "absent") for name, r in sides.items()
        }
        print(f"  {'/'.join(key)}: docker {statuses['docker']}, local {statuses['local']}")
        for name, result in sides.items():
            for line in why(result):
                print(f"      {name}: {line}")

    image_packages, venv_packages = packages(runs["docker"]), packages(runs["local"])
    print("\npackaging: image (docker run's versions.litellm_packages) vs venv (local run's)")
    print(f"  packages: image {len(image_packages)}, venv {len(venv_packages)}")
    print(
        f"  python: image {python_of(images_cache() / f'compat-litellm-{version}.json')}, "
        f"venv {python_of(cache_home() / 'litellm' / version / '.compat-install.json')}"
    )
    only_image = sorted(image_packages.keys() - venv_packages.keys())
    only_venv = sorted(venv_packages.keys() - image_packages.keys())
    changed = sorted(
        name
        for name in image_packages.keys() & venv_packages.keys()
        if image_packages[name] != venv_packages[name]
    )
    print(
        f"  only in the image: {len(only_image)}"
        + "".join(f"\n    {n}=={image_packages[n]}" for n in only_image)
    )
    print(
        f"  only in the venv: {len(only_venv)}"
        + "".join(f"\n    {n}=={venv_packages[n]}" for n in only_venv)
    )
    print(
        f"  version differences: {len(changed)}"
        + "".join(f"\n    {n}: image {image_packages[n]}, venv {venv_packages[n]}" for n in changed)
    )
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
