"""Time rendering a synthetic 10,000-cell matrix as the HTML page and the Markdown summary.

Usage: python benchmarks/render_matrix.py [--cells 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from compat.matrix import AnyOutcome, Matrix, MatrixRow
from compat.outcome import (
    Evidence,
    Fail,
    NotApplicable,
    NotTested,
    Pass,
    ResultsFile,
    TierResult,
    ToolVersions,
    UpstreamRequest,
)
from compat.render import render_markdown, write_page

PROVIDERS = ["anthropic", "bedrock_invoke", "bedrock_converse", "vertex_ai", "azure"]
TIERS = ["haiku-4-5", "sonnet-4-6", "opus-4-7"]


def outcome_for(index: int) -> AnyOutcome:
    """A realistic mix: mostly pass, some fails with long errors, a few n/a and not tested."""
    if index % 17 == 0:
        return Fail(error=f"[opus-4-7] upstream 400 ValidationException #{index}: " + "x" * 300)
    if index % 23 == 0:
        return NotApplicable(reason="The provider does not offer this feature.")
    if index % 97 == 0:
        return NotTested()
    return Pass()


def synthetic_matrix(cells: int) -> Matrix:
    rows = -(-cells // len(PROVIDERS))
    return Matrix(
        generated_at="2026-01-01T00:00:00Z",
        litellm_version="1.106.2",
        claude_code_version="2.1.329",
        upstream="emulated",
        providers=list(PROVIDERS),
        provider_names={p: p.replace("_", " ").title() for p in PROVIDERS},
        features=[
            MatrixRow(
                id=f"feature_{r:05d}",
                name=f"Feature {r}",
                providers={p: outcome_for(r * len(PROVIDERS) + c) for c, p in enumerate(PROVIDERS)},
            )
            for r in range(rows)
        ],
    )


def synthetic_results(matrix: Matrix) -> ResultsFile:
    """Three tier results per tested cell; failing tiers carry one recorded upstream request."""
    results = []
    for row in matrix.features:
        for provider, cell in row.providers.items():
            if isinstance(cell, NotTested):
                continue
            for tier in TIERS:
                failed = isinstance(cell, Fail) and tier == "opus-4-7"
                requests = (
                    [
                        UpstreamRequest(
                            provider=provider,
                            method="POST",
                            path=f"/model/{tier}/invoke",
                            status=400,
                            summary="ValidationException",
                            body_excerpt='{"messages": []}' + " " * 1500,
                        )
                    ]
                    if failed
                    else []
                )
                results.append(
                    TierResult(
                        feature_id=row.id,
                        provider=provider,
                        tier=tier,
                        outcome=cell if failed or not isinstance(cell, Fail) else Pass(),
                        duration_ms=1234,
                        evidence=Evidence(
                            usage={"input_tokens": 1200, "output_tokens": 40},
                            upstream_requests=requests,
                            exit_code=0,
                            attempts=1,
                        ),
                    )
                )
    return ResultsFile(
        versions=ToolVersions(litellm="1.106.2", claude_code="2.1.329"),
        upstream="emulated",
        results=results,
    )


def best_and_median(action: Callable[[], object], repeat: int) -> tuple[float, float]:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return min(timings), statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cells", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    matrix = synthetic_matrix(args.cells)
    results = synthetic_results(matrix)
    cells = len(matrix.features) * len(matrix.providers)
    print(
        f"matrix: {len(matrix.features)} rows × {len(matrix.providers)} providers = {cells} "
        f"cells; results: {len(results.results)} tier results"
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        runs = {
            "HTML page (write_page)": lambda: write_page(matrix, out / "plain"),
            "HTML page with per-cell drill-down (--results)": lambda: write_page(
                matrix, out / "evidence", results=[results]
            ),
            "Markdown summary (render_markdown)": lambda: render_markdown(matrix),
        }
        # The first render compiles the template; time it apart from the steady state.
        start = time.perf_counter()
        write_page(matrix, out / "warm")
        first = time.perf_counter() - start
        print(f"first render (includes template compile): {first * 1000:.0f} ms")
        for label, action in runs.items():
            best, median = best_and_median(action, args.repeat)
            print(
                f"{label}: best {best * 1000:.0f} ms, median {median * 1000:.0f} ms "
                f"over {args.repeat} runs"
            )
        sizes = {p.parent.name: p.stat().st_size for p in out.glob("*/index.html")}
        markdown = render_markdown(matrix)
    print(
        f"sizes: page {sizes['plain'] / 1e6:.1f} MB, with drill-down "
        f"{sizes['evidence'] / 1e6:.1f} MB, Markdown {len(markdown):,} chars (limit 65,536)"
    )


if __name__ == "__main__":
    main()
