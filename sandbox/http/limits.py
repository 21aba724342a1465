"""Rate-limit counters and injected faults, shared by every worker.

They live in a SQLite file of their own beside the store, written without fsync: a counter or a
fault lost in a crash costs nothing, and no write here waits for the store's durable commits.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS hits (key TEXT NOT NULL, window INTEGER NOT NULL, count INTEGER NOT NULL,
                                 PRIMARY KEY (key, window));
CREATE TABLE IF NOT EXISTS faults (id INTEGER PRIMARY KEY, vendor TEXT NOT NULL, world TEXT,
                                   status INTEGER NOT NULL, remaining INTEGER NOT NULL);
"""


@dataclass(frozen=True)
class Quota:
    limit: int
    remaining: int
    reset: int  # seconds until the window starts again
    window: int  # its length in seconds

    @property
    def exceeded(self) -> bool:
        return self.remaining < 0


class Limits:
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

    def hit(self, key: str, limit: int, seconds: int, now: float) -> Quota:
        """Count one request against `key`'s fixed window of `seconds`; `remaining` below 0 means
        refused."""
        window = int(now) // seconds
        (count,) = self._db().execute(
            "INSERT INTO hits VALUES (?, ?, 1) ON CONFLICT (key, window) DO UPDATE SET count = count + 1 "
            "RETURNING count", (key, window)).fetchone()
        if count == 1:  # the first hit of a window clears the ones before it
            self._db().execute("DELETE FROM hits WHERE key = ? AND window < ?", (key, window))
        return Quota(limit, limit - count, (window + 1) * seconds - int(now), seconds)

    # ---- faults: the next N requests to a vendor answer with a given status ----

    def add_fault(self, vendor: str, status: int, count: int, world: str | None = None) -> None:
        self._db().execute("INSERT INTO faults (vendor, world, status, remaining) VALUES (?, ?, ?, ?)",
                           (vendor, world, status, count))

    def take_fault(self, vendor: str, world: str | None) -> int | None:
        """The status of a fault due for this request, used up as it is taken; None if there is none."""
        db = self._db()
        if db.execute("SELECT 1 FROM faults WHERE remaining > 0 LIMIT 1").fetchone() is None:
            return None  # the common case reads, and so never waits for the write lock
        row = db.execute("UPDATE faults SET remaining = remaining - 1 WHERE id = (SELECT id FROM faults "
                         "WHERE vendor = ? AND (world IS NULL OR world = ?) AND remaining > 0 ORDER BY id LIMIT 1) "
                         "RETURNING status", (vendor, world)).fetchone()
        return row[0] if row else None

    def faults(self) -> list[dict]:
        rows = self._db().execute("SELECT vendor, world, status, remaining FROM faults WHERE remaining > 0")
        return [{"vendor": v, "world": w, "status": s, "remaining": r} for v, w, s, r in rows]

    def clear(self) -> None:
        self._db().execute("DELETE FROM faults")
        self._db().execute("DELETE FROM hits")
