from __future__ import annotations

import contextlib
import glob
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from sandbox.app import create_app
from sandbox.settings import Settings
from tests.helpers import NO_LIMIT, ROOT, Server

TRUTO_SDK = "truto-python-sdk==0.1.6"
TRUTO_VENV = ROOT / ".venv-truto"


@pytest.fixture(scope="session")
def default_store(tmp_path_factory) -> Path:
    """The default fixtures' store, generated once for the session, its log checkpointed into the file."""
    data = tmp_path_factory.mktemp("default-store") / "data"
    create_app(Settings(data_dir=data))
    with contextlib.closing(sqlite3.connect(data / "sandbox.sqlite3")) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return data / "sandbox.sqlite3"


@pytest.fixture
def app(tmp_path, default_store):
    """A fresh in-process sandbox on the default fixtures: a copy of the session's store, reset as at a
    first start (the generation itself is tested where a server or an app starts on its own)."""
    (tmp_path / "data").mkdir()
    shutil.copy(default_store, tmp_path / "data" / default_store.name)
    app = create_app(Settings(data_dir=tmp_path / "data"))
    app.extensions["sandbox"].install(reset=True)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL cluster for the session (started on first use)."""
    from tests.postgres import Postgres

    cluster = Postgres()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """One gunicorn server (2 workers, default fixtures) for the whole session."""
    srv = Server(tmp_path_factory.mktemp("server") / "data", workers=2, rate_limit=NO_LIMIT)
    yield srv
    srv.stop()


def python312() -> str:
    """A Python 3.12 interpreter: on PATH, or where pyenv keeps it."""
    candidates = [shutil.which("python3.12"), *sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.12*/bin/python3.12"))),
                  *sorted(glob.glob("/usr/bin/python3.1[2-9]")), *sorted(glob.glob("/usr/local/bin/python3.1[2-9]"))]
    for candidate in filter(None, candidates):
        if subprocess.run([candidate, "-c", "import sys; assert sys.version_info >= (3, 12)"],
                          capture_output=True).returncode == 0:
            return candidate
    raise RuntimeError("no Python 3.12 or newer found; truto-python-sdk needs one")


@pytest.fixture(scope="session")
def truto_python() -> str:
    stamp = TRUTO_VENV / f".installed-{TRUTO_SDK}"
    if not stamp.exists():
        shutil.rmtree(TRUTO_VENV, ignore_errors=True)
        subprocess.run([python312(), "-m", "venv", str(TRUTO_VENV)], check=True)
        subprocess.run([str(TRUTO_VENV / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", TRUTO_SDK], check=True)
        stamp.touch()
    return str(TRUTO_VENV / "bin" / "python")
