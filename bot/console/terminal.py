"""Lines in from the keyboard or a script, text out; scripted runs echo each command as a transcript."""

from __future__ import annotations

import asyncio
import sys
import threading
from typing import TextIO

try:
    import termios
except ImportError:  # Windows: no terminal modes to give back
    termios = None

PROMPT = "zoomcal> "


class Terminal:
    def __init__(self, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout):
        self._stdin = stdin
        self._stdout = stdout
        if hasattr(stdout, "reconfigure"):  # a non-UTF-8 terminal gets "?" for ✅, not a crash
            stdout.reconfigure(errors="replace")
        self.interactive = stdin.isatty() and stdout.isatty()
        self._lines: asyncio.Queue[str | None] | None = None
        self._wanted = threading.Semaphore(0)
        self._mode: list | None = None  # the terminal's settings before readline changed them
        self._prompting = False

    def start(self) -> None:
        if self.interactive:
            if termios is not None:
                try:
                    self._mode = termios.tcgetattr(self._stdin.fileno())
                except (termios.error, OSError, ValueError):
                    self._mode = None
            try:
                import readline  # noqa: F401  (history and line editing for input())
            except ImportError:
                pass
        self._lines = asyncio.Queue()
        loop = asyncio.get_running_loop()
        # A daemon thread reads, one line per request, so the prompt never shows while output is printed
        # and a blocked read never keeps the process from exiting.
        threading.Thread(target=self._read, args=(loop,), name="console-stdin", daemon=True).start()

    def _read(self, loop: asyncio.AbstractEventLoop) -> None:
        while True:
            self._wanted.acquire()
            self._prompting = True
            try:
                line: str | None = input(PROMPT) if self.interactive else self._stdin.readline()
                if line == "":  # readline() returns "" only at EOF
                    line = None if not self.interactive else ""
            except (EOFError, ValueError):  # ValueError: stdin was closed
                line = None
            self._prompting = False
            loop.call_soon_threadsafe(self._lines.put_nowait, line)
            if line is None:
                return

    async def read(self) -> str | None:
        """The next command (stripped; blank and # comment lines skipped), or None at the end of input."""
        while True:
            self._wanted.release()
            line = await self._lines.get()
            if line is None:
                if self.interactive:
                    self.say("")
                return None
            line = line.strip()
            if line and not line.startswith("#"):
                if not self.interactive:
                    self.say(f"> {line}")
                return line

    def close(self) -> None:
        """Gives the terminal back as it was found.

        Ctrl-C at the prompt ends the console while this thread is inside readline, which had
        turned off echo and line editing: restored here, or the user's shell would echo nothing.
        """
        if self._mode is not None:
            try:
                termios.tcsetattr(self._stdin.fileno(), termios.TCSADRAIN, self._mode)
            except (termios.error, OSError, ValueError):
                pass
        if self.interactive and self._prompting:
            self.say("")  # the shell's prompt starts on a line of its own, not after ours

    def say(self, *lines: str) -> None:
        for line in lines:
            self._stdout.write(line + "\n")
        self._stdout.flush()
