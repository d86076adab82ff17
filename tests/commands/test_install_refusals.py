"""`compat install litellm` refusing a malicious release and reporting one that cannot resolve."""

from __future__ import annotations

from pathlib import Path

from proxy.fake_index import fake_litellm, offline_env
from support.cli import run_compat
from support.local_http import LocalServer, closed_port_url
from support.pypi_index import pypi_file, serve_pypi


def test_a_malicious_release_is_refused_by_name_and_nothing_is_installed(tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "COMPAT_PYPI_URL": closed_port_url()}
    done = run_compat("install", "litellm", "--version", "1.82.7", env=env)
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    assert "error: refusing to install LiteLLM 1.82.7: MAL-2026-2144" in done.stderr
    assert "https://github.com/BerriAI/litellm/issues/24512" in done.stderr
    assert "installing LiteLLM" not in done.stderr, "refused before any install began"
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "cache" / "compat" / "litellm" / "1.82.7").exists()


def test_an_unresolvable_release_is_one_paragraph_with_the_resolvers_reason(
    tmp_path: Path,
) -> None:
    wheels = tmp_path / "wheels"
    fake_litellm(wheels, "1.108.0", requires=("litellm-proxy-extras==0.4.110; extra == 'proxy'",))
    with LocalServer() as pypi:
        serve_pypi(pypi, {"1.108.0": [pypi_file("1.108.0", "2026-11-04T03:31:18Z")]})
        env = {
            "XDG_CACHE_HOME": str(tmp_path / "cache"),
            "COMPAT_PYPI_URL": pypi.url,
            **offline_env(wheels, tmp_path / "uv-cache"),
            "COLUMNS": "4000",
        }
        done = run_compat("install", "litellm", "--version", "1.108.0", env=env, timeout=120)
    assert done.returncode == 1, done.stderr
    [error] = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert error.startswith("error: cannot install litellm[proxy,google]==1.108.0")
    assert "Because litellm-proxy-extras was not found" in error
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "cache" / "compat" / "litellm" / "1.108.0").exists()
