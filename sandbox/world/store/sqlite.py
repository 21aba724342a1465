"""The embedded store: every world's records in one SQLite file (WAL), read and written by every
gunicorn worker and thread of one machine (`sql.py` holds what it shares with PostgreSQL).

A write takes SQLite's own lock (`BEGIN IMMEDIATE`) and then counts itself in the shared counters,
which a reader asks, for the price of reading a word, whether what it kept still holds.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from sandbox.world.store.counters import Counters
from sandbox.world.store import requests
from sandbox.world.store.sql import SqlStore


class _Connection(sqlite3.Connection):
    @contextlib.contextmanager
    def transaction(self):
        self.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.execute("ROLLBACK")
            raise
        self.execute("COMMIT")


class SqliteStore(SqlStore):
    NO_LIMIT = -1
    FORKS_ASIDE = True  # (PostgreSQL's pools close at a fork: it builds them in turn)
    TYPES = {"text": "TEXT", "int": "INTEGER", "blob": "BLOB", "real": "REAL",
             "serial": "INTEGER PRIMARY KEY AUTOINCREMENT"}

    def __init__(self, path: Path):
        super().__init__()
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # the shared counters and the request journal live in files of their own beside the database
        # (counters.py, requests.py): they change with every request, the database with every write
        self._counters = Counters(self.path.with_name(f"{self.path.stem}.counters"))
        self._requests = requests.RequestLog(self._journal_connection)
        self.count, self.tally = self._counters.count, self._counters.tally
        self.log_requests, self.requests = self._requests.add, self._requests.entries
        self.request_coverage, self.clear_requests = self._requests.coverage, self._requests.clear

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.path)!r})"

    # ---- connections: one per thread and process (a forked worker opens its own) ----

    def _db(self) -> _Connection:
        local = self._thread()
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, factory=_Connection)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")  # an acknowledged write is on disk
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA cache_size=-65536")  # 64 MiB: a 100,000-interview world's indexes stay in memory
            local.conn = conn
        return conn

    def _connection(self):
        return contextlib.nullcontext(self._db())

    @contextlib.contextmanager
    def _journal_connection(self):
        """The journal's own file: written without fsync (a journal need not survive a crash)."""
        local = self._thread()
        conn = getattr(local, "journal", None)
        if conn is None:
            conn = sqlite3.connect(self.path.with_name(f"{self.path.stem}.requests.sqlite3"), timeout=30,
                                   isolation_level=None, factory=_Connection)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=OFF")
            for statement in requests.schema(self.TYPES):
                conn.execute(statement)
            local.journal = conn
        yield conn

    def _stamp(self) -> int:
        return self._counters.changes()

    def _committed(self) -> None:
        self._counters.changed()

    def _clear_windows(self) -> None:
        self._counters.clear_windows()

    def _tables(self, db) -> set[str]:
        return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}

    def _columns(self, db, table: str) -> set[str]:
        return {c[1] for c in db.execute(f"PRAGMA table_info({table})")}

    def _installing(self, work) -> bool:
        # Generated data needs no fsync of its own: until the fingerprint is committed a crash just
        # means generating again. Writes through the API are FULL-synced as ever. Nor does the
        # commit copy the whole world from the log into the database file (a second write of it):
        # the first checkpoint after start-up does that, off the path to ready: this connection's
        # next writes as start-up ends (the clock's) leave it to its next request (`pin`); under
        # gunicorn, a worker's first write pays for it (reads meanwhile go through the log's index).
        db = self._db()
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA wal_autocheckpoint=0")
        try:
            return self._write(work)
        finally:
            db.execute("PRAGMA synchronous=FULL")
            self._thread().checkpoint_later = True

    def pin(self) -> None:
        local = self._thread()
        if getattr(local, "checkpoint_later", False):
            self._db().execute("PRAGMA wal_autocheckpoint=1000")
            local.checkpoint_later = False
        super().pin()
