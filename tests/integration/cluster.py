"""Several real processes on one store: ``carepassport serve --workers N`` and ``carepassport
worker`` processes, sharing a simulated clock that runs (``--now`` with ``--now-since``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO

from tests.integration.live_server import GENEROUS, free_port, wait_until_up

CARE_PASSPORT = str(Path(sys.executable).parent / "carepassport")


class Cluster:
    """API processes (one uvicorn master with ``api_workers`` children) and ``workers`` worker
    processes on ``store``, all showing ``now`` from the moment they were started, mail to
    ``mail``. Claims last ``lease`` seconds."""

    def __init__(
        self,
        store: str,
        mail: str,
        now: datetime,
        *,
        api_workers: int = 4,
        workers: int = 2,
        lease: float = 3.0,
        cwd: Path,
    ) -> None:
        self.store = store
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._now = now
        self._since = time.time()
        self._mail = mail
        self._env = {**os.environ, "CAREPASSPORT_LEASE_SECONDS": str(lease)}
        self._cwd = cwd
        self._logs: list[tuple[str, IO[str]]] = []
        self.api = self._start(
            "api", "serve", "--port", str(self.port), "--workers", str(api_workers)
        )
        _, api_log = self._logs[0]
        wait_until_up(self.base_url, self.api, api_log)
        # Workers start once the API answers, so a test sees their first claims being taken.
        self.workers = [
            self._start(f"worker{n}", "worker", "--tick-every", "0.3", "--poll", "0.2")
            for n in range(workers)
        ]

    def now(self) -> datetime:
        """The simulated time the processes show."""
        from datetime import timedelta

        return self._now + timedelta(seconds=time.time() - self._since)

    def _start(self, name: str, *command: str) -> subprocess.Popen[str]:
        log = tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed by close())
        self._logs.append((name, log))
        return subprocess.Popen(
            [
                CARE_PASSPORT,
                "--store",
                self.store,
                "--now",
                self._now.isoformat(),
                "--now-since",
                repr(self._since),
                "--mail",
                self._mail,
                *command,
            ],
            cwd=self._cwd,
            env=self._env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def kill_worker(self, n: int) -> None:
        """``kill -9`` one worker: no clean-up, its claims stay until their lease runs out."""
        self.workers[n].send_signal(signal.SIGKILL)
        self.workers[n].wait(timeout=GENEROUS)

    def stop(self) -> None:
        """SIGTERM every process still running and wait for it."""
        for process in [self.api, *self.workers]:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [self.api, *self.workers]:
            try:
                process.wait(timeout=GENEROUS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def logs(self) -> str:
        """What every process wrote, for a failing test's report."""
        parts = []
        for name, log in self._logs:
            log.seek(0)
            parts.append(f"--- {name} ---\n{log.read()[-4000:]}")
        return "\n".join(parts)

    def close(self) -> None:
        self.stop()
        for _, log in self._logs:
            log.close()


def wait_for(condition: Callable[[], bool], what: str, timeout: float = GENEROUS) -> None:
    """Poll ``condition`` until it holds, or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
