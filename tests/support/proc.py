"""Which processes exist, read from /proc: proof that nothing was left running."""

from __future__ import annotations

from pathlib import Path


def _stat_fields(pid_dir: Path) -> list[str] | None:
    try:
        stat = (pid_dir / "stat").read_text()
    except OSError:
        return None
    # The command name may contain spaces and parentheses; fields resume after the last ')'.
    return stat[stat.rindex(")") + 2 :].split()


def running_pids() -> list[int]:
    """Every process that is not a zombie."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(entry)
            if fields is not None and fields[0] != "Z":
                pids.append(int(entry.name))
    return pids


def pids_in_group(pgid: int) -> list[int]:
    """Live processes whose process group is `pgid`."""
    found = []
    for pid in running_pids():
        fields = _stat_fields(Path("/proc") / str(pid))
        if fields is not None and int(fields[2]) == pgid:
            found.append(pid)
    return found


def pids_with_argument(text: str) -> list[int]:
    """Live processes with `text` somewhere in their command line."""
    found = []
    for pid in running_pids():
        try:
            cmdline = (Path("/proc") / str(pid) / "cmdline").read_bytes()
        except OSError:
            continue
        if text.encode() in cmdline:
            found.append(pid)
    return found


def environment_of(pid: int) -> dict[str, str]:
    """A process's environment, as it was started."""
    raw = (Path("/proc") / str(pid) / "environ").read_bytes()
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {k.decode(): v.decode(errors="replace") for k, v in pairs}


def children_of(pid: int) -> list[int]:
    """Live processes whose parent is `pid`."""
    found = []
    for child in running_pids():
        fields = _stat_fields(Path("/proc") / str(child))
        if fields is not None and int(fields[1]) == pid:
            found.append(child)
    return found


def descendants_of(pid: int) -> list[int]:
    """Every live process below `pid` in the parent tree (children in other sessions too)."""
    parents: dict[int, int] = {}
    for child in running_pids():
        fields = _stat_fields(Path("/proc") / str(child))
        if fields is not None:
            parents[child] = int(fields[1])
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        below = [child for child, ppid in parents.items() if ppid == parent]
        found.extend(below)
        frontier.extend(below)
    return found


def command_line(pid: int) -> str:
    """`argv` joined by spaces, or '' once the process is gone."""
    try:
        raw = (Path("/proc") / str(pid) / "cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()
