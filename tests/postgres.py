"""A throwaway PostgreSQL cluster for the tests: Debian's server binaries, a temporary directory, a free
loopback port, an unprivileged user (initdb refuses root), trust authentication on loopback only. The
server is a child of the test run and stops with it, however the run ends."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.helpers import PATIENCE, _die_with_parent, free_port

UNPRIVILEGED = 65534  # nobody


def binaries() -> Path:
    """The newest installed server's bin directory (`make test` installs Debian's `postgresql`)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise RuntimeError("PostgreSQL's server is not installed: apt-get install postgresql (make test does)")
    return Path(found[-1]).parent


def _as_unprivileged():
    _die_with_parent()
    if os.getuid() == 0:
        os.setgid(UNPRIVILEGED)
        os.setuid(UNPRIVILEGED)


class Postgres:
    def __init__(self):
        self.bin, self.port = binaries(), free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="ats-sandbox-pg-"))
        if os.getuid() == 0:
            os.chown(self.dir, UNPRIVILEGED, UNPRIVILEGED)
        data = self.dir / "data"
        subprocess.run([str(self.bin / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                        "--no-sync"], check=True, capture_output=True, preexec_fn=_as_unprivileged, cwd=self.dir)
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._start()

    def _start(self) -> None:
        with open(self.dir / "server.log", "ab") as log:
            self.proc = subprocess.Popen(
                [str(self.bin / "postgres"), "-D", str(self.dir / "data"), "-p", str(self.port), "-k", str(self.dir),
                 "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200"],
                stdout=subprocess.DEVNULL, stderr=log, preexec_fn=_as_unprivileged, cwd=self.dir)
        self._wait()

    def restart(self) -> None:
        """Stopped (every session dropped) and started again on the same port and data."""
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(15)
        self._start()

    def _wait(self, timeout: float = PATIENCE) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"postgres exited: {(self.dir / 'server.log').read_text()[-2000:]}")
            if subprocess.run([str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                              capture_output=True).returncode == 0:
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("postgres did not start")

    def database(self, name: str) -> str:
        """A fresh database of its own: its URL."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # postgres's fast shutdown
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


BACKENDS = ("sqlite", "postgresql")


def store_settings(request, name: str) -> dict:
    """The server settings for the backend a test is parametrized with (`request.param`): nothing for
    SQLite (the server's default), a database of its own in the session's cluster for PostgreSQL."""
    if request.param == "sqlite":
        return {}
    return {"store": request.getfixturevalue("postgres").database(name)}
