"""``carepassport serve`` as a real process on a free loopback port, stopped with SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx

GENEROUS = 60.0
"""Seconds to wait for a server to start, to stop, or for the scheduler loop to act."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Stopped:
    """How a server ended: its exit code and what it wrote on stderr."""

    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""


@contextmanager
def live_server(
    store: str,
    *options: str,
    now: str | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[tuple[str, Stopped]]:
    """Run ``carepassport --store STORE [--now NOW] serve --port P OPTIONS…`` until the block
    ends, then SIGTERM it (``env``: extra environment); yields its base URL and, once stopped,
    how it ended."""
    port = free_port()
    command = [str(Path(sys.executable).parent / "carepassport"), "--store", store]
    command += ["--now", now] if now else []
    command += ["serve", "--port", str(port), *options]
    # Files, not pipes: a pipe nobody reads fills up with access logs and blocks the server.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        server = subprocess.Popen(
            command, cwd=cwd, env={**os.environ, **(env or {})}, stdout=out, stderr=err, text=True
        )
        base_url = f"http://127.0.0.1:{port}"
        stopped = Stopped()
        try:
            wait_until_up(base_url, server, err)
            yield base_url, stopped
        finally:
            if server.poll() is None:
                server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=GENEROUS)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            stopped.returncode = server.returncode
            stopped.stdout, stopped.stderr = _read(out), _read(err)


def _read(file: IO[str]) -> str:
    file.seek(0)
    return file.read()


def wait_until_up(base_url: str, server: subprocess.Popen[str], err: IO[str]) -> None:
    deadline = time.monotonic() + GENEROUS
    while True:
        try:
            httpx.get(f"{base_url}/healthz", timeout=2)
            return
        except httpx.TransportError:
            if server.poll() is not None:
                raise AssertionError(f"the server ended: {_read(err)}") from None
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)


def assert_clean_exit(stopped: Stopped) -> None:
    """The server stopped on SIGTERM with exit code 0 and no traceback."""
    assert stopped.returncode == 0, stopped.stderr
    assert "Traceback" not in stopped.stderr, stopped.stderr
    assert "Application shutdown complete" in stopped.stderr


def eventually(check: Callable[[], bool], what: str) -> None:
    """Poll ``check()`` until it is true (the scheduler loop acts on its own)."""
    deadline = time.monotonic() + GENEROUS
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
