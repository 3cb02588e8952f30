"""`zoomcal console` in a terminal: a real process on a pseudo-terminal, typed at as a person would.

The piped tests (test_console.py) never reach readline, the prompt or the terminal's modes; these do.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import shutil
import signal
import struct
import sys
import tempfile
import termios
import time

import pytest

from tests.test_console import CONSOLE, answer_to, console

PROMPT = "zoomcal> "
# What readline writes besides the text: mode switches (bracketed paste, keypad), and carriage returns.
_CONTROL = re.compile(r"\x1b\[\??[0-9;]*[A-Za-z]|\x1b[=>]|\r")


class Typist:
    """The console on a pseudo-terminal: type a line, read what the screen shows, press Ctrl-C."""

    def __init__(self) -> None:
        try:
            self.master, self.slave = os.openpty()
        except OSError as error:
            pytest.skip(f"no pseudo-terminal on this machine: {error}")
        # Wide enough that readline never wraps the line it echoes.
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
        self.mode_before = termios.tcgetattr(self.slave)
        # The console's folder goes in one of the test's own, which the fixture removes: SIGKILL leaves it behind.
        self.tmp = tempfile.mkdtemp(prefix="zoomcal-typist-")
        env = {**os.environ, "TERM": "xterm-256color", "TMPDIR": self.tmp}
        self.pid = os.fork()
        if self.pid == 0:  # the child: the pty is its controlling terminal and its stdin, stdout, stderr
            try:
                os.close(self.master)
                os.login_tty(self.slave)
                os.execve(sys.executable, CONSOLE, env)
            finally:
                os._exit(127)
        # The parent keeps the slave open too, so the terminal (and its modes) outlives the console.
        self.screen = ""
        self.status: int | None = None

    def _read(self, timeout: float) -> None:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if ready:
            data = os.read(self.master, 65536)
            self.screen += _CONTROL.sub("", data.decode("utf-8", errors="replace"))

    def wait_for(self, text: str, start: int, timeout: float = 30.0) -> int:
        """Reads until ``text`` shows at or after ``start``; returns where it ends."""
        deadline = time.monotonic() + timeout
        while (found := self.screen.find(text, start)) < 0:
            left = deadline - time.monotonic()
            assert left > 0, f"{text!r} not shown after position {start} within {timeout}s:\n{self.screen}"
            self._read(min(left, 0.2))
        return found + len(text)

    def type(self, line: str) -> str:
        """Types ``line`` and Enter at the prompt; returns what the console showed until its next prompt."""
        start = len(self.screen)
        os.write(self.master, line.encode() + b"\r")
        echoed = self.wait_for(f"{line}\n", start)
        end = self.wait_for(PROMPT, echoed) - len(PROMPT)
        return self.screen[echoed:end]

    def interrupt(self, timeout: float = 30.0) -> int:
        """Ctrl-C, as the terminal sends it; returns the exit status."""
        os.write(self.master, b"\x03")
        return self.wait_exit(timeout)

    def wait_exit(self, timeout: float = 30.0) -> int:
        """Waits for the console to end; returns the exit status."""
        deadline = time.monotonic() + timeout
        while True:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(status)
                self._read(0.2)
                return self.status
            assert time.monotonic() < deadline, f"the console did not stop:\n{self.screen}"
            self._read(0.05)

    def close(self) -> None:
        if self.status is None:  # still running: Ctrl-C lets it delete its folder; SIGKILL only if it hangs
            try:
                self.interrupt(timeout=15)
            except AssertionError:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def typist():
    running = Typist()
    try:
        yield running
        running.close()
        # The console's temporary folder (named in its greeting) is gone: tests leave nothing behind.
        folder = re.search(r"the bot logs to (\S+)/zoomcal\.log", running.screen)
        assert folder and not os.path.exists(folder[1]), f"left behind: {folder[1] if folder else running.screen}"
    finally:
        shutil.rmtree(running.tmp, ignore_errors=True)  # what a console that had to be killed left behind


def test_home_a_command_and_a_click_in_a_terminal_show_what_the_piped_console_shows(typist):
    typist.wait_for("Type `help` for the console's own commands", 0)
    typist.wait_for(PROMPT, 0)

    home = typist.type("home")
    status = typist.type("/zoomcal status")
    home_again = typist.type("home")
    dialog = typist.type("click 1")  # the Home tab's Enable button for the account
    closed = typist.type("cancel")

    assert home.startswith("App Home tab (zoomcal):\n"), typist.screen
    for text in ("Account: not configured", "[1] Enable  (type `click 1`)", "Sales: inherits account"):
        assert text in home
    assert "== Zoom calendar integration status ==" in status and "Account: not configured" in status
    assert home_again == home, "the Home tab shows again after other commands"
    assert "+-- dialog: Mail & Calendar" in dialog and "Scope: Account" in dialog
    assert "`submit` = Authorize and Save" in dialog
    assert closed == "(the dialog is closed)\n"
    assert "Traceback" not in typist.screen

    # Typed in a terminal or piped in, the same commands show the same answers.
    piped = console("home", "/zoomcal status", "home", "click 1", "cancel").stdout
    assert answer_to(piped, "home") == home.rstrip("\n")
    assert answer_to(piped, "/zoomcal status") == status.rstrip("\n")
    assert answer_to(piped, "click 1") == dialog.rstrip("\n")


def test_ctrl_c_at_the_prompt_leaves_and_gives_the_terminal_back_as_it_was(typist):
    typist.wait_for(PROMPT, 0)
    typist.type("/zoomcal help")
    start = len(typist.screen)
    os.write(typist.master, b"/zoomcal sta")  # half a line typed, then Ctrl-C
    typist.wait_for("/zoomcal sta", start)

    assert typist.interrupt() == 130
    assert "Traceback" not in typist.screen
    assert typist.screen.endswith(f"{PROMPT}/zoomcal sta\n"), "the shell's prompt gets a line of its own"
    mode = termios.tcgetattr(typist.slave)
    local_flags = mode[3]
    assert local_flags & termios.ECHO and local_flags & termios.ICANON, "typing shows again, line by line"
    assert mode == typist.mode_before, "readline's raw mode is undone"
    assert os.listdir(typist.tmp) == [], "the sandbox's folder is removed"


@pytest.mark.parametrize("stop", [signal.SIGHUP, signal.SIGTERM], ids=["terminal-closed", "kill"])
def test_a_closed_terminal_or_a_kill_ends_the_console_as_ctrl_c_does(typist, stop):
    typist.wait_for(PROMPT, 0)
    [folder] = os.listdir(typist.tmp)
    assert folder.startswith("zoomcal-console-"), "the sandbox's database and log, while the console runs"

    os.kill(typist.pid, stop)

    assert typist.wait_exit() == 130
    assert "Traceback" not in typist.screen
    assert os.listdir(typist.tmp) == [], "the sandbox's folder is removed (only SIGKILL leaves it behind)"
    assert termios.tcgetattr(typist.slave) == typist.mode_before, "the terminal is as it was"
