"""Wall time of installing a LiteLLM release into its venv, with and without uv's wheel cache.

Each round deletes the release's venv and runs the real install (`ensure_litellm`: PyPI
lookup, `uv venv`, `uv pip compile --generate-hashes`, `uv pip sync --require-hashes`).
"Cached" reuses uv's wheel cache, warmed by one untimed install first; "new" gives every
round an empty UV_CACHE_DIR, so each wheel is downloaded again. Venvs and PyPI's document
go to a temporary XDG_CACHE_HOME: the user's own venvs are not touched.

Usage: python benchmarks/install_litellm.py [--cached 1.90.7] [--new 1.91.5]
       [--rounds 3] [--new-rounds 1]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from compat.proxy import venv


def uv_cache_dir() -> str:
    """Where uv keeps its wheels now, before XDG_CACHE_HOME (which uv also reads) moves."""
    done = subprocess.run(
        [venv.uv_binary(), "cache", "dir"], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def one_install(version: str) -> float:
    """Seconds to install `version` into a venv deleted just before."""
    shutil.rmtree(venv.venv_dir(version), ignore_errors=True)
    started = time.monotonic()
    venv.ensure_litellm(version)
    return time.monotonic() - started


def describe(label: str, values: list[float]) -> str:
    return (
        f"{label:<34} median {statistics.median(values):6.1f} s   min {min(values):6.1f} s"
        f"   max {max(values):6.1f} s   ({len(values)} round(s))"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cached", default="1.90.7", help="release timed with a warm cache")
    parser.add_argument("--new", default="1.91.5", help="release timed with an empty cache")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--new-rounds", type=int, default=1)
    args = parser.parse_args()
    os.environ["UV_CACHE_DIR"] = uv_cache_dir()
    with tempfile.TemporaryDirectory(prefix="compat-bench-") as scratch:
        os.environ["XDG_CACHE_HOME"] = str(Path(scratch) / "xdg")
        warm = one_install(args.cached)
        print(f"warm-up install of {args.cached}: {warm:.1f} s (not counted)")
        cached = []
        for round_ in range(1, args.rounds + 1):
            cached.append(one_install(args.cached))
            print(f"cached round {round_}: {cached[-1]:.1f} s")
        new = []
        for round_ in range(1, args.new_rounds + 1):
            with tempfile.TemporaryDirectory(prefix="uv-cache-", dir=scratch) as empty:
                os.environ["UV_CACHE_DIR"] = empty
                new.append(one_install(args.new))
            print(f"new round {round_}: {new[-1]:.1f} s")
        marker = venv.venv_dir(args.new) / venv.MARKER_NAME
        print(f"\n{args.new} installed as: {marker.read_text().strip()}\n")
    print(describe(f"LiteLLM {args.cached}, wheels cached", cached))
    print(describe(f"LiteLLM {args.new}, empty wheel cache", new))


if __name__ == "__main__":
    main()
