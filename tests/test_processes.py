"""A child started with `die_with_parent` dies when compat is SIGKILLed, which nothing can catch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

from support.proc import running_pids
from support.processes import Children

PARENT = textwrap.dedent(
    """
    import subprocess, sys, time
    from compat.processes import die_with_parent
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(600)"],
        preexec_fn=die_with_parent() if sys.argv[1] == "yes" else None,
        start_new_session=True,
    )
    print(child.pid, flush=True)
    time.sleep(600)
    """
)


def _orphan_after_parent_is_killed(
    children: Children, *, die_with_parent: bool, settle_s: float
) -> bool:
    """Start parent → child, SIGKILL the parent; whether the child is alive `settle_s` on."""
    parent = children.spawn(
        [sys.executable, "-c", PARENT, "yes" if die_with_parent else "no"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    try:
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + settle_s
        while child in running_pids() and time.monotonic() < deadline:
            time.sleep(0.05)
        return child in running_pids()
    finally:
        if child in running_pids():
            os.kill(child, signal.SIGKILL)


def test_the_child_dies_with_its_killed_parent(children: Children) -> None:
    assert not _orphan_after_parent_is_killed(children, die_with_parent=True, settle_s=10)


def test_without_it_the_child_would_outlive_the_parent(children: Children) -> None:
    # The control: the same tree without the parent-death signal leaves an orphan running.
    assert _orphan_after_parent_is_killed(children, die_with_parent=False, settle_s=2)
