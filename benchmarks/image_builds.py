"""Cold and warm build times of the docker runtime's images, on isolated references only.

Every image this creates is named with a per-run nonce (`compat-bench-debian:<nonce>`,
`compat-bench-litellm:<nonce>`, `compat-bench:<nonce>`) and removed at the end; the shared
`compat-debian:bookworm`, `compat-litellm:<V>` and `compat:local` are only read.

- cold: debootstrap + `docker import` of a fresh base, then the LiteLLM image on it (its
  base id is new, so no layer can come from the cache); the two are timed separately.
- warm: `ensure_base_image` / `ensure_litellm_image` on the existing shared references (they
  only look the image up), and a rebuild of the LiteLLM image from the layer cache (the
  bench tag removed, the same reference rebuilt on the same base: the cold run's base, or
  with --skip-cold `compat-debian:bookworm`), N times → median.
- project: `build_project_image` as `compat-bench:<nonce>` on `compat-debian:bookworm`,
  from the layer cache `compat:local` left (unless --skip-project), N times → median.

Needs root, debootstrap and Debian's archive (cold), and the daemon's cached layers (warm).

    nice .venv/bin/python benchmarks/image_builds.py [--repeat 3] [--skip-cold] [--skip-project]
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import docker
import docker.errors

from compat.images.debian_base import BASE_REFERENCE, ensure_base_image
from compat.images.docker_build import image_exists
from compat.images.litellm_image import (
    build_litellm_image,
    ensure_litellm_image,
    local_reference,
)
from compat.images.project_image import DEFAULT_TAG, build_project_image
from compat.proxy.venv import DEFAULT_LITELLM_VERSION

REPO = Path(__file__).resolve().parent.parent
CLAUDE_CODE_VERSION = "2.1.329"
"""What `compat install image` bakes in by default (and what compat:local was built with)."""
SHARED = (BASE_REFERENCE, DEFAULT_TAG)


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def image_id(client: docker.DockerClient, reference: str) -> str | None:
    try:
        return client.images.get(reference).id
    except docker.errors.ImageNotFound:
        return None


LEFTOVERS: list[str] = []
"""Parents of the bench images removed with their layers kept: the cache of the next build."""


def untag(client: docker.DockerClient, reference: str, *, keep_layers: bool) -> None:
    """Remove `reference` (never by id, never forced). keep_layers: its parents stay cached."""
    if image_exists(client, reference):
        if keep_layers:
            LEFTOVERS.append(client.images.get(reference).attrs["Parent"])
        client.images.remove(reference, force=False, noprune=keep_layers)


def all_ids(client: docker.DockerClient) -> set[str]:
    return {image.id for image in client.images.list(all=True)}


def remove_leftovers(client: docker.DockerClient, since: str) -> None:
    """The kept parents no later build reused (a cache miss branched off): untagged, childless
    and created during this run, so this run's own; removed with their own untagged parents."""
    for parent in dict.fromkeys(LEFTOVERS):
        try:
            image = client.images.get(parent)
        except docker.errors.ImageNotFound:
            continue
        children = [i for i in client.images.list(all=True) if i.attrs.get("Parent") == parent]
        if image.tags or children or image.attrs["Created"] < since:
            continue
        client.images.remove(parent, force=False)
        print(f"removed this run's unused cache branch {parent[:19]}", file=sys.stderr)


def note(line: str) -> None:
    print(f"    {line}", file=sys.stderr, flush=True)


def describe(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:8.2f} s"
    return (
        f"{statistics.median(values):8.2f} s  (median of {len(values)}; "
        f"min {min(values):.2f}, max {max(values):.2f})"
    )


def warm_rebuilds(
    client: docker.DockerClient,
    label: str,
    tag: str,
    shared_id: str | None,
    shared: str,
    build: Callable[[], object],
    repeat: int,
) -> tuple[str, str, str]:
    """`repeat` rebuilds of `tag` from the layer cache, its tag dropped before each: a row."""
    times: list[float] = []
    before = all_ids(client)
    for run in range(1, repeat + 1):
        untag(client, tag, keep_layers=True)
        print(f"{label} {run}/{repeat}: build {tag}", flush=True)
        times.append(timed(build))
    fresh = len(all_ids(client) - before)
    suffix = (
        f" (= {shared}'s id)" if image_id(client, tag) == shared_id else f" ({fresh} layers made)"
    )
    return ("warm", f"{label}{suffix}", describe(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="warm rebuilds (default 3)")
    parser.add_argument("--skip-cold", action="store_true", help="no fresh debootstrap")
    parser.add_argument("--skip-project", action="store_true", help="no project rebuild")
    parser.add_argument("--litellm-version", default=DEFAULT_LITELLM_VERSION)
    args = parser.parse_args()
    version = args.litellm_version
    nonce = secrets.token_hex(4)
    bench_base = f"compat-bench-debian:{nonce}"
    bench_litellm = f"compat-bench-litellm:{nonce}"
    bench_project = f"compat-bench:{nonce}"
    shared_litellm = local_reference(version)
    client = docker.from_env(timeout=1800)
    for reference in (*SHARED, shared_litellm):
        if not image_exists(client, reference):
            raise SystemExit(f"{reference} is not on this daemon; build it first")
    shared_ids = {ref: image_id(client, ref) for ref in (*SHARED, shared_litellm)}
    rows: list[tuple[str, str, str]] = []
    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    print(f"nonce {nonce}; LiteLLM {version}; repeat {args.repeat}", flush=True)
    try:
        if not args.skip_cold:
            print(f"cold: debootstrap + import {bench_base}", flush=True)
            base_s = timed(lambda: ensure_base_image(client, reference=bench_base, progress=note))
            print(f"cold: {bench_litellm} on {bench_base}", flush=True)
            litellm_s = timed(
                lambda: build_litellm_image(
                    client, version, reference=bench_litellm, base=bench_base, progress=note
                )
            )
            rows.append(("cold", "Debian base (debootstrap + import)", describe([base_s])))
            rows.append(("cold", f"LiteLLM {version} image on the new base", describe([litellm_s])))
            rows.append(("cold", "total", describe([base_s + litellm_s])))
            warm_base = bench_base
        else:
            warm_base = BASE_REFERENCE

        ensure_base = [timed(lambda: ensure_base_image(client)) for _ in range(max(args.repeat, 1))]
        ensure_litellm = [
            timed(lambda: ensure_litellm_image(client, version)) for _ in range(max(args.repeat, 1))
        ]
        rows.append(
            ("warm", f"ensure_base_image ({BASE_REFERENCE} present)", describe(ensure_base))
        )
        rows.append(
            ("warm", f"ensure_litellm_image ({shared_litellm} present)", describe(ensure_litellm))
        )

        rows.append(
            warm_rebuilds(
                client,
                "LiteLLM image rebuild, layer cache",
                bench_litellm,
                shared_ids[shared_litellm],
                shared_litellm,
                lambda: build_litellm_image(
                    client, version, reference=bench_litellm, base=warm_base, progress=note
                ),
                args.repeat,
            )
        )
        if not args.skip_project:
            rows.append(
                warm_rebuilds(
                    client,
                    "project image rebuild, layer cache",
                    bench_project,
                    shared_ids[DEFAULT_TAG],
                    DEFAULT_TAG,
                    lambda: build_project_image(
                        REPO,
                        tag=bench_project,
                        claude_code_version=CLAUDE_CODE_VERSION,
                        base=BASE_REFERENCE,
                        client=client,
                        progress=note,
                    ),
                    args.repeat,
                )
            )
    finally:
        # Newest first, so each image's untagged parents go with it and the base goes last.
        for reference in (bench_project, bench_litellm, bench_base):
            try:
                untag(client, reference, keep_layers=False)
            except docker.errors.APIError as exc:
                print(f"could not remove {reference}: {exc}", file=sys.stderr)
        try:
            remove_leftovers(client, since)
        except docker.errors.APIError as exc:
            print(f"could not remove a cache branch: {exc}", file=sys.stderr)
        for reference, known in shared_ids.items():
            if image_id(client, reference) != known:
                print(f"WARNING: {reference} changed during the run", file=sys.stderr)
        left = [r for r in (bench_project, bench_litellm, bench_base) if image_exists(client, r)]
        print(f"removed the bench images; left behind: {left or 'none'}")
        client.close()

    width = max(len(label) for _, label, _ in rows)
    print(f"\n{'phase':<6} {'what':<{width}} seconds")
    for phase, label, value in rows:
        print(f"{phase:<6} {label:<{width}} {value}")


if __name__ == "__main__":
    main()
