"""Settings come from SANDBOX_* variables and CLI flags; flags win."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox import cli
from sandbox.settings import Settings
from sandbox.world.model import utc


def test_environment_then_flags(monkeypatch):
    env = {"SANDBOX_HOST": "0.0.0.0", "SANDBOX_PORT": "9000", "SANDBOX_WORKERS": "3", "SANDBOX_SEED": "s1",
           "SANDBOX_FIXTURES": "/fx", "SANDBOX_DATA_DIR": "/d", "SANDBOX_NOW": "2026-01-02T03:04:05Z",
           "SANDBOX_VENDORS": "merge"}
    s = Settings.from_env(env)
    assert (s.host, s.port, s.workers, s.seed, s.fixtures, s.data_dir, s.now, s.vendors) == (
        "0.0.0.0", 9000, 3, "s1", Path("/fx"), Path("/d"), utc("2026-01-02T03:04:05Z"), ("merge",))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    served = []
    monkeypatch.setattr(cli, "serve", lambda settings: served.append(settings) or 0)
    assert cli.main(["serve", "--host", "127.0.0.2", "--port", "9100", "--workers", "1", "--seed", "s2",
                     "--fixtures", "/other", "--data-dir", "/d2"]) == 0
    s = served[0]
    assert (s.host, s.port, s.workers, s.seed, s.fixtures, s.data_dir) == (
        "127.0.0.2", 9100, 1, "s2", Path("/other"), Path("/d2"))
    assert s.now == utc("2026-01-02T03:04:05Z")  # not given as a flag: the variable holds


def test_defaults():
    s = Settings.from_env({})
    assert (s.host, s.port, s.workers, s.seed, s.data_dir) == ("127.0.0.1", 8080, 2, None, Path(".sandbox-data"))
    assert (s.fixtures / "sandbox.toml").is_file()


def test_unknown_vendor_is_refused(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["accounts", "--vendors", "greenhouse"])
    assert exit_.value.code == 2 and "unknown vendor(s): greenhouse" in capsys.readouterr().err


def test_the_store_url_defaults_inside_the_data_dir_and_a_flag_or_variable_names_another(monkeypatch, tmp_path):
    assert Settings.from_env({"SANDBOX_DATA_DIR": "/d"}).store_url == "sqlite:////d/sandbox.sqlite3"
    assert Settings.from_env({"SANDBOX_STORE": "sqlite:///x.db"}).store_url == "sqlite:///x.db"
    served = []
    monkeypatch.setattr(cli, "serve", lambda settings: served.append(settings) or 0)
    assert cli.main(["serve", "--store", f"sqlite:///{tmp_path}/s.db"]) == 0
    assert served[0].store_url == f"sqlite:///{tmp_path}/s.db"
    assert cli.main(["serve", "--store", "postgresql://sandbox@db:5432/sandbox"]) == 0
    assert served[1].store_url == "postgresql://sandbox@db:5432/sandbox"


def test_a_postgresql_url_opens_the_postgresql_store_without_connecting_and_never_shows_a_password():
    from sandbox.world.store import open_store
    from sandbox.world.store.postgres import PostgresStore

    store = open_store("postgresql://sandbox:s3cret@db.invalid:5432/sandbox")
    assert isinstance(store, PostgresStore) and "s3cret" not in repr(store)
    assert repr(store) == "PostgresStore('postgresql://sandbox:****@db.invalid:5432/sandbox')"


@pytest.mark.parametrize("url", ["mysql://u@h/db", "postgresql://", "sqlite://", "sqlite:///", "file.db"])
def test_a_store_url_of_no_known_backend_is_refused(url):
    from sandbox.world.store import open_store

    with pytest.raises(ValueError, match="unsupported store URL"):
        open_store(url)
