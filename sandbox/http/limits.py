"""Rate-limit counters and injected faults, shared by every worker.

Counters are a small table of slots in a memory-mapped file beside the store, taken under a file
lock: a request costs two system calls, not a database write. Faults are rare and live in a
SQLite file of their own, written without fsync. Neither needs to survive a crash.
"""

from __future__ import annotations

import fcntl
import hashlib
import mmap
import os
import sqlite3
import struct
import threading
from dataclasses import dataclass
from pathlib import Path

SLOTS = 4096  # distinct credentials per window; a slot is (key hash, window, count)
_SLOT = struct.Struct("<QQQ")
_FAULTS = SLOTS * _SLOT.size  # then one counter: faults added, so that a request without any asks nothing
SIZE = _FAULTS + 8

SCHEMA = """
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
        self._counters_path = self.path.with_suffix(".counters")
        self._lock = threading.Lock()
        self._pid = None

    def _db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=OFF")
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def _counters(self) -> tuple[int, mmap.mmap]:
        if self._pid != os.getpid():  # a forked worker maps the file for itself
            fd = os.open(self._counters_path, os.O_RDWR | os.O_CREAT, 0o600)
            if os.fstat(fd).st_size < SIZE:
                os.ftruncate(fd, SIZE)
            self._fd, self._map, self._pid = fd, mmap.mmap(fd, SIZE), os.getpid()
        return self._fd, self._map

    def hit(self, key: str, limit: int, seconds: int, now: float) -> Quota:
        """Count one request against `key`'s fixed window of `seconds`; `remaining` below 0 means
        refused. The file lock orders the workers; the thread lock, the threads of one worker."""
        window = int(now) // seconds
        tag = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little") or 1
        with self._lock:
            fd, counters = self._counters()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                count = self._bump(counters, tag, window)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        return Quota(limit, limit - count, (window + 1) * seconds - int(now), seconds)

    @staticmethod
    def _bump(counters: mmap.mmap, tag: int, window: int) -> int:
        """Open addressing over the slots: this key's slot if it has one, else the first slot that is
        free or left from an older window."""
        start, reuse = tag % SLOTS, None
        for probe in range(SLOTS):
            offset = ((start + probe) % SLOTS) * _SLOT.size
            slot_tag, slot_window, count = _SLOT.unpack_from(counters, offset)
            if slot_tag == tag:
                count = count + 1 if slot_window == window else 1
                _SLOT.pack_into(counters, offset, tag, window, count)
                return count
            if reuse is None and slot_window < window - 1:
                reuse = offset
            if slot_tag == 0:
                break
        if reuse is None:
            return 1  # every slot busy in this window: count nothing rather than refuse
        _SLOT.pack_into(counters, reuse, tag, window, 1)
        return 1

    # ---- faults: the next N requests to a vendor answer with a given status ----

    def add_fault(self, vendor: str, status: int, count: int, world: str | None = None) -> None:
        self._db().execute("INSERT INTO faults (vendor, world, status, remaining) VALUES (?, ?, ?, ?)",
                           (vendor, world, status, count))
        with self._lock:
            fd, counters = self._counters()
            fcntl.flock(fd, fcntl.LOCK_EX)
            struct.pack_into("<Q", counters, _FAULTS, struct.unpack_from("<Q", counters, _FAULTS)[0] + 1)
            fcntl.flock(fd, fcntl.LOCK_UN)

    def take_fault(self, vendor: str, world: str | None) -> int | None:
        """The status of a fault due for this request, used up as it is taken; None if there is none."""
        if not struct.unpack_from("<Q", self._counters()[1], _FAULTS)[0]:
            return None  # no fault was ever added (or all were cleared): nothing to ask the database
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
        with self._lock:
            fd, counters = self._counters()
            fcntl.flock(fd, fcntl.LOCK_EX)
            counters[:] = bytes(len(counters))
            fcntl.flock(fd, fcntl.LOCK_UN)
