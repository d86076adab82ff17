"""Time `compat build` on a synthetic 10,000-cell results set (in-process, best of N).

Usage: python benchmarks/build_matrix.py [--cells 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from compat.files import write_atomic
from compat.manifest import load_manifest
from compat.matrix import build_matrix, canonical_json, load_results


def synthetic_manifest(cells: int) -> dict:
    """A manifest with 3 tiers × 5 providers and enough features for `cells` tier results."""
    providers = ["anthropic", "bedrock_invoke", "bedrock_converse", "vertex_ai", "azure"]
    tiers = ["haiku-4-5", "sonnet-4-6", "opus-4-7"]
    features = -(-cells // (len(providers) * len(tiers)))
    return {
        "schema_version": "1",
        "providers": [{"id": p, "name": p.title(), "alias_suffix": f"-{p}"} for p in providers],
        "tiers": [
            {"id": t, "name": t, "models": {p: f"{p}-{t}" for p in providers}} for t in tiers
        ],
        "features": [
            {"id": f"feature_{i:05d}", "name": f"Feature {i}", "description": "synthetic"}
            for i in range(features)
        ],
        "not_applicable": [],
    }


def synthetic_results(manifest: dict, cells: int) -> dict:
    results = []
    for feature in manifest["features"]:
        for provider in manifest["providers"]:
            for tier in manifest["tiers"]:
                if len(results) == cells:
                    break
                index = len(results)
                outcome = (
                    {"status": "fail", "error": f"synthetic failure {index} " * 8}
                    if index % 17 == 0
                    else {"status": "pass"}
                )
                results.append(
                    {
                        "feature_id": feature["id"],
                        "provider": provider["id"],
                        "tier": tier["id"],
                        "outcome": outcome,
                        "duration_ms": index % 5000,
                        "evidence": {"usage": {"input_tokens": index, "output_tokens": 7}},
                    }
                )
    return {
        "schema_version": "1",
        "versions": {"litellm": "1.106.2", "claude_code": "2.1.329"},
        "upstream": "emulated",
        "results": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cells", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        manifest_doc = synthetic_manifest(args.cells)
        (root / "manifest.yaml").write_text(yaml.safe_dump(manifest_doc))
        (root / "results.json").write_text(json.dumps(synthetic_results(manifest_doc, args.cells)))
        timings = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            manifest = load_manifest(root / "manifest.yaml")
            matrix = build_matrix(manifest, load_results([root / "results.json"]))
            write_atomic(root / "compatibility-matrix.json", canonical_json(matrix))
            timings.append(time.perf_counter() - start)
        cli = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "compat.cli",
                    "build",
                    "-m",
                    str(root / "manifest.yaml"),
                    "-r",
                    str(root / "results.json"),
                    "-o",
                    str(root / "cli.json"),
                ],
                check=True,
                capture_output=True,
            )
            cli.append(time.perf_counter() - start)
    print(f"cells: {args.cells} tier results → {len(matrix.features)} rows × 5 providers")
    print(
        f"build (load manifest + results, aggregate, write): best {min(timings) * 1000:.0f} ms, "
        f"median {statistics.median(timings) * 1000:.0f} ms over {args.repeat} runs"
    )
    print(
        f"`compat build` as a process (incl. interpreter start): best {min(cli) * 1000:.0f} ms, "
        f"median {statistics.median(cli) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
