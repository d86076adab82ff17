"""The proxy log: secrets never reach the file; the tail quoted in errors is readable."""

from __future__ import annotations

import io
from pathlib import Path

from compat.proxy.logs import REDACTED, ProxyLog, Redactor

SECRET = "sk-" + "A1b2C3d4" * 6


def test_redactor_replaces_every_secret_longest_first() -> None:
    redact = Redactor([SECRET, SECRET[:20]])
    text = f"key={SECRET} prefix={SECRET[:20]}!"
    assert redact(text) == f"key={REDACTED} prefix={REDACTED}!"


def test_redactor_ignores_values_too_short_to_be_keys() -> None:
    redact = Redactor(["abc", ""])
    assert redact("abc def") == "abc def"


def test_log_file_receives_only_redacted_lines_without_colour(tmp_path: Path) -> None:
    log = ProxyLog(tmp_path / "proxy.log", Redactor([SECRET]))
    log.write(f"\x1b[32mstarting with {SECRET}\x1b[0m\n")
    log.write("no newline")
    text = log.path.read_text()
    assert SECRET not in text
    assert text == f"starting with {REDACTED}\nno newline\n"


def test_pump_joins_lines_split_across_chunks(tmp_path: Path) -> None:
    log = ProxyLog(tmp_path / "proxy.log", Redactor([SECRET]))
    half = len(SECRET) // 2
    # A docker log stream can cut a line (and a secret) anywhere.
    chunks = [b"one\ntw", b"o " + SECRET[:half].encode(), SECRET[half:].encode() + b"\nthree"]
    log.pump(iter(chunks)).join(timeout=5)
    assert log.path.read_text() == f"one\ntwo {REDACTED}\nthree\n"


def test_pump_reads_a_pipe_until_it_closes(tmp_path: Path) -> None:
    log = ProxyLog(tmp_path / "proxy.log", Redactor())
    thread = log.pump(io.BytesIO(b"a\nb\n"))
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert log.path.read_text() == "a\nb\n"


def test_tail_keeps_the_last_lines_and_redacts_again(tmp_path: Path) -> None:
    path = tmp_path / "proxy.log"
    log = ProxyLog(path, Redactor([SECRET]))
    # Appended by someone else (a process sharing the file): redacted on read too.
    with path.open("a") as handle:
        handle.write("".join(f"line {i}\n" for i in range(30)) + f"leak {SECRET}\n")
    tail = log.tail(3)
    assert tail.splitlines() == ["line 28", "line 29", f"leak {REDACTED}"]
    assert log.quoted_tail(2).splitlines() == ["  | line 29", f"  | leak {REDACTED}"]


def test_quoted_tail_of_an_empty_log_says_so(tmp_path: Path) -> None:
    log = ProxyLog(tmp_path / "proxy.log", Redactor())
    assert log.quoted_tail() == "  | (the log is empty)"


def test_the_log_notices_a_failed_startup(tmp_path: Path) -> None:
    log = ProxyLog(tmp_path / "proxy.log", Redactor())
    log.write("INFO:     Waiting for application startup.")
    assert log.startup_failure is None
    log.write("ERROR:    Application startup failed. Exiting.")
    log.write("ERROR:    Application startup failed again")
    assert log.startup_failure == "ERROR:    Application startup failed. Exiting."


def test_a_new_log_starts_empty(tmp_path: Path) -> None:
    path = tmp_path / "proxy.log"
    path.write_text("a previous boot\n")
    log = ProxyLog(path, Redactor())
    assert log.tail() == ""
