from __future__ import annotations

import pytest

from sandbox.app import create_app
from sandbox.settings import Settings
from tests.helpers import Server


@pytest.fixture
def app(tmp_path):
    """A fresh in-process sandbox on the default fixtures."""
    return create_app(Settings(data_dir=tmp_path / "data"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """One gunicorn server (2 workers, default fixtures) for the whole session."""
    srv = Server(tmp_path_factory.mktemp("server") / "data", workers=2)
    yield srv
    srv.stop()
