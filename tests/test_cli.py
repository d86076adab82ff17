"""The CLI shell: user mistakes are one message and exit 2, never a traceback."""

from __future__ import annotations

import pytest

from compat.cli import COMMAND_MODULES, main
from support.cli import CompatCli


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("nosuch",), "No such command 'nosuch'"),
        (("build", "--bogus"), "No such option: --bogus"),
        (("run", "--shard", "x"), "--shard: expected K/N such as 2/4, got 'x'"),
        (("run", "--feature", "visoin"), "did you mean 'vision'?"),
        (("run", "--provider", "bedrock"), "--provider: unknown value 'bedrock'"),
    ],
)
def test_misuse_is_one_clear_message_and_exit_2(args, fragment, repo_root, compat_cli):
    proc = compat_cli(*args, cwd=repo_root)
    assert proc.returncode == 2, proc.stderr
    assert fragment in proc.stderr
    assert "Traceback" not in proc.stderr


def test_help_lists_every_command_and_nothing_else(compat_cli):
    proc = compat_cli("--help")
    assert proc.returncode == 0
    expected = {
        "build", "proxy-config", "boot-proxy", "doctor", "emulate", "diff", "run", "render",
        "install", "resolve", "publish", "oracle", "history", "bisect", "advisories", "cache",
    }  # fmt: skip
    listed = {
        line.split("│")[1].split()[0]
        for line in proc.stdout.splitlines()
        if line.startswith("│ ")
        and line.split("│")[1].strip()[:1].isalpha()
        and not line.split("│")[1].startswith("  ")
    }
    assert expected <= listed
    assert len(COMMAND_MODULES) == len(expected)


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("compat ")


@pytest.mark.parametrize("command", ["run", "boot-proxy", "emulate"])
def test_long_running_commands_say_how_they_stop(command: str, compat_cli: CompatCli) -> None:
    done = compat_cli(command, "--help", env={"COLUMNS": "200"}, timeout=None)
    assert done.returncode == 0, done.stderr
    assert "Ctrl-C" in done.stdout and "SIGTERM (exit 143)" in done.stdout
