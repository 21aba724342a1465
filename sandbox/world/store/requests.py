"""The request journal and coverage counts of the SQLite backend, in a file of their own beside the
store: every answered request is a write, and in the store's file each would move its data_version
and so drop what every worker keeps between requests. Written without fsync: a journal need not
survive a crash."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

import orjson

SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY, at REAL NOT NULL, vendor TEXT, credential TEXT,
                                    status INTEGER, entry BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS endpoint_hits (vendor TEXT, method TEXT, endpoint TEXT, status INTEGER, n INTEGER,
                                          PRIMARY KEY (vendor, method, endpoint, status));
CREATE TABLE IF NOT EXISTS parameter_hits (vendor TEXT, method TEXT, endpoint TEXT, parameter TEXT, n INTEGER,
                                           PRIMARY KEY (vendor, method, endpoint, parameter));
"""


class RequestLog:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._local = threading.local()
        self._db().executescript(SCHEMA)

    def _db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=OFF")
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def add(self, entries: list[dict], cap: int) -> None:
        """Append `entries` (each with `at`, `vendor`, `credential_key`, `status`, and for coverage
        `method`, `endpoint`, `parameters`), keep the newest `cap`, count them into coverage."""
        endpoints: dict[tuple, int] = {}
        parameters: dict[tuple, int] = {}
        for e in entries:
            if e["vendor"] is not None and e["endpoint"] is not None:
                head = (e["vendor"], e["method"], e["endpoint"])
                endpoints[(*head, e["status"])] = endpoints.get((*head, e["status"]), 0) + 1
                for p in e["parameters"]:
                    parameters[(*head, p)] = parameters.get((*head, p), 0) + 1
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany("INSERT INTO journal (at, vendor, credential, status, entry) VALUES (?, ?, ?, ?, ?)",
                           [(e["at"], e["vendor"], e["credential_key"], e["status"], orjson.dumps(e["entry"]))
                            for e in entries])
            db.execute("DELETE FROM journal WHERE seq <= (SELECT MAX(seq) FROM journal) - ?", (cap,))
            db.executemany("INSERT INTO endpoint_hits VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n",
                           [(*k, n) for k, n in endpoints.items()])
            db.executemany("INSERT INTO parameter_hits VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n",
                           [(*k, n) for k, n in parameters.items()])
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def entries(self, *, vendor: str | None = None, credential_key: str | None = None, status: int | None = None,
                since: float | None = None, limit: int | None = None) -> list[dict]:
        """Newest first."""
        where, args = [], []
        for column, value in (("vendor", vendor), ("credential", credential_key), ("status", status)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if since is not None:
            where.append("at >= ?")
            args.append(since)
        sql = "SELECT seq, entry FROM journal" + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY seq DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [{"id": seq, **orjson.loads(entry)} for seq, entry in self._db().execute(sql, args)]

    def coverage(self) -> tuple[list[tuple], list[tuple]]:
        """(vendor, method, endpoint, status, count) and (vendor, method, endpoint, parameter, count)."""
        db = self._db()
        return (db.execute("SELECT * FROM endpoint_hits ORDER BY 1, 2, 3, 4").fetchall(),
                db.execute("SELECT * FROM parameter_hits ORDER BY 1, 2, 3, 4").fetchall())

    def clear(self) -> None:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        for table in ("journal", "endpoint_hits", "parameter_hits"):
            db.execute(f"DELETE FROM {table}")
        db.execute("COMMIT")
