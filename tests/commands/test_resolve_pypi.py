"""`compat resolve litellm --source pypi`: the newest release that installs here, and why."""

from __future__ import annotations

from pathlib import Path

from proxy.fake_index import fake_litellm, offline_env
from support.cli import run_compat
from support.local_http import LocalServer
from support.pypi_index import pypi_file, serve_pypi

UPLOADED = "2026-08-22T22:19:06Z"


def test_prints_the_newest_installable_release_and_why_newer_ones_were_skipped(
    tmp_path: Path,
) -> None:
    wheels = tmp_path / "wheels"
    fake_litellm(wheels, "1.106.12")
    fake_litellm(wheels, "1.108.0", requires=("litellm-proxy-extras==0.4.110; extra == 'proxy'",))
    with LocalServer() as pypi:
        serve_pypi(
            pypi,
            {v: [pypi_file(v, UPLOADED)] for v in ("1.106.12", "1.107.0rc2", "1.108.0")},
        )
        env = {
            "XDG_CACHE_HOME": str(tmp_path / "cache"),
            "COMPAT_PYPI_URL": pypi.url,
            **offline_env(wheels, tmp_path / "uv-cache"),
        }
        done = run_compat("resolve", "litellm", "--source", "pypi", env=env, timeout=120)
        with_pre = run_compat(
            "resolve", "litellm", "--source", "pypi", "--include-prereleases", env=env, timeout=120
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "1.106.12\n"
    assert "1.106.12 is the newest release that resolves on" in done.stderr
    assert "2 newer release(s) skipped" in done.stderr
    assert "1.108.0: needs litellm-proxy-extras, which the index does not serve" in done.stderr
    assert "1.107.0rc2: prerelease" in done.stderr
    # 1.107.0rc2 has no wheel here either, so asking for prereleases resolves and skips it.
    assert with_pre.returncode == 0, with_pre.stderr
    assert with_pre.stdout == "1.106.12\n"
    assert "1.107.0rc2: the index does not serve this release" in with_pre.stderr


def test_github_options_do_not_mix_with_pypi(tmp_path: Path) -> None:
    done = run_compat("resolve", "litellm", "--source", "pypi", "--channel", "latest")
    assert done.returncode == 2
    assert "--channel applies to --source github only" in done.stderr
