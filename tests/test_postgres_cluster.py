"""The throwaway PostgreSQL cluster the PostgreSQL tests run on (issue 15): started by the test run as an
unprivileged user on a loopback port, and gone when it stops."""

from __future__ import annotations

import os
import socket

import psycopg

from tests.postgres import Postgres


def test_the_session_cluster_takes_connections_on_loopback_as_an_unprivileged_server(postgres):
    url = postgres.database("cluster_smoke")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id bigint PRIMARY KEY, body bytea NOT NULL)")
        conn.execute("INSERT INTO t VALUES (1, %s)", (b'{"a": 1}',))
        assert conn.execute("SELECT id, body FROM t").fetchall() == [(1, b'{"a": 1}')]
        assert conn.execute("SHOW listen_addresses").fetchone() == ("127.0.0.1",)
        assert int(conn.execute("SHOW server_version_num").fetchone()[0]) >= 150000
    assert os.stat(postgres.dir).st_uid != 0


def test_a_cluster_stopped_frees_its_port_and_its_directory():
    cluster = Postgres()
    with psycopg.connect(cluster.url) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    cluster.stop()
    assert cluster.proc.returncode is not None and not cluster.dir.exists()
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", cluster.port)) != 0
