"""The request journal and coverage counts of the SQLite backend, in a file of their own beside the
store: every answered request is a write, and in the store's file it would wait on the store's
writes, and they on it. Written without fsync: a journal need not survive a crash."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

import orjson

SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (batch INTEGER PRIMARY KEY, first INTEGER NOT NULL, n INTEGER NOT NULL,
                                    entries BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS journal_seq (one INTEGER PRIMARY KEY CHECK (one = 1), last INTEGER NOT NULL);
INSERT OR IGNORE INTO journal_seq VALUES (1, 0);
CREATE TABLE IF NOT EXISTS endpoint_hits (vendor TEXT, method TEXT, endpoint TEXT, status INTEGER, n INTEGER,
                                          PRIMARY KEY (vendor, method, endpoint, status));
CREATE TABLE IF NOT EXISTS parameter_hits (vendor TEXT, method TEXT, endpoint TEXT, parameter TEXT, n INTEGER,
                                           PRIMARY KEY (vendor, method, endpoint, parameter));
"""


class RequestLog:
    """Entries are written a batch to a row (a row per request costs several times more), numbered
    in the order their batches commit, and filtered when read: reads are rare, writes are not."""

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
        """Append `entries` (each with `entry`, what is kept, and for filters and coverage `at`, `vendor`,
        `credential_key`, `status`, `method`, `endpoint`, `parameters`); keep at least the newest `cap`."""
        endpoints: dict[tuple, int] = {}
        parameters: dict[tuple, int] = {}
        for e in entries:
            if e["vendor"] is not None and e["endpoint"] is not None:
                head = (e["vendor"], e["method"], e["endpoint"])
                endpoints[(*head, e["status"])] = endpoints.get((*head, e["status"]), 0) + 1
                for p in e["parameters"]:
                    parameters[(*head, p)] = parameters.get((*head, p), 0) + 1
        blob = orjson.dumps([(e["at"], e["vendor"], e["credential_key"], e["status"], e["entry"]) for e in entries])
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            last = db.execute("UPDATE journal_seq SET last = last + ? RETURNING last", (len(entries),)).fetchone()[0]
            db.execute("INSERT INTO journal (first, n, entries) VALUES (?, ?, ?)", (last - len(entries) + 1, len(entries), blob))
            # whole batches older than the newest `cap` entries go
            db.execute("DELETE FROM journal WHERE first + n <= ? - ?", (last + 1, cap))
            db.executemany("INSERT INTO endpoint_hits VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n",
                           [(*k, n) for k, n in endpoints.items()])
            db.executemany("INSERT INTO parameter_hits VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n",
                           [(*k, n) for k, n in parameters.items()])
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def entries(self, *, cap: int | None = None, vendor: str | None = None, credential_key: str | None = None,
                status: int | None = None, since: float | None = None, limit: int | None = None) -> list[dict]:
        """The newest `cap` entries, newest first, those that match."""
        rows = []
        for first, blob in self._db().execute("SELECT first, entries FROM journal ORDER BY batch DESC"):
            rows += ((first + i, *item) for i, item in enumerate(orjson.loads(blob)))
        rows.sort(key=lambda r: (r[1], r[0]), reverse=True)
        out = []
        for seq, at, v, c, s, entry in rows[:cap]:
            if (vendor is None or v == vendor) and (credential_key is None or c == credential_key) \
                    and (status is None or s == status) and (since is None or at >= since):
                out.append({"id": seq, **entry})
                if limit is not None and len(out) >= limit:
                    break
        return out

    def coverage(self) -> tuple[list[tuple], list[tuple]]:
        """(vendor, method, endpoint, status, count) and (vendor, method, endpoint, parameter, count)."""
        db = self._db()
        return (db.execute("SELECT * FROM endpoint_hits ORDER BY 1, 2, 3, 4").fetchall(),
                db.execute("SELECT * FROM parameter_hits ORDER BY 1, 2, 3, 4").fetchall())

    def clear(self) -> None:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        for table in ("journal", "endpoint_hits", "parameter_hits"):  # (the numbering goes on)
            db.execute(f"DELETE FROM {table}")
        db.execute("COMMIT")
