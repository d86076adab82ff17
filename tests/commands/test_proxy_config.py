"""`compat proxy-config`: generation from the manifest and the freshness check."""

from __future__ import annotations

from pathlib import Path

from compat.manifest import load_manifest
from compat.proxy.config import build_proxy_config, render_proxy_config
from support.cli import CompatCli


def test_prints_the_config_generated_from_the_manifest(
    repo_root: Path, compat_cli: CompatCli
) -> None:
    done = compat_cli("proxy-config", cwd=repo_root)
    assert done.returncode == 0, done.stderr
    expected = render_proxy_config(build_proxy_config(load_manifest(repo_root / "manifest.yaml")))
    assert done.stdout == expected


def test_writes_the_file_and_checks_it(
    repo_root: Path, tmp_path: Path, compat_cli: CompatCli
) -> None:
    target = tmp_path / "proxy_config.yaml"
    manifest = str(repo_root / "manifest.yaml")
    assert (
        compat_cli("proxy-config", "-m", manifest, "-o", str(target), cwd=tmp_path).returncode == 0
    )
    assert target.read_text() == (repo_root / "proxy_config.yaml").read_text()
    check = compat_cli("proxy-config", "-m", manifest, "-o", str(target), "--check", cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    target.write_text(target.read_text().replace("claude-opus-4-7-azure", "claude-opus-4-7-az"))
    stale = compat_cli("proxy-config", "-m", manifest, "-o", str(target), "--check", cwd=tmp_path)
    assert stale.returncode == 1
    assert "is out of date with" in stale.stderr
    assert f"compat proxy-config -o {target}" in stale.stderr


def test_check_needs_a_file_to_compare(repo_root: Path, compat_cli: CompatCli) -> None:
    done = compat_cli("proxy-config", "--check", cwd=repo_root)
    assert done.returncode == 2
    assert "--check needs --output" in done.stderr
