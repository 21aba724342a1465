"""Rate-limit counters and injected faults, shared by every worker.

Counters live in a memory-mapped file beside the store. Each worker process counts in a region of
its own, so that no request waits on another process: a lock held across processes stalls them
all whenever its holder waits for its own interpreter lock. A quota is the sum of one key's count
over the regions of the live workers. Faults are rare and live in a SQLite file of their own,
written without fsync. Neither needs to survive a crash.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import mmap
import os
import sqlite3
import struct
import threading
from dataclasses import dataclass
from pathlib import Path

REGIONS = 32  # worker processes that count at once; more share the last region
SLOTS = 1024  # distinct credentials per region and window; a slot is (key hash, window, count)
_SLOT = struct.Struct("<QQQ")
_U64 = struct.Struct("<Q")
_OWNERS = 0  # REGIONS pids, the processes that own the regions
_FAULTS = REGIONS * 8  # faults ever added: a request asks the database only when there are any
_REGIONS = _FAULTS + 8
SIZE = _REGIONS + REGIONS * SLOTS * _SLOT.size

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

    # ---- the shared file ----

    def _map(self) -> mmap.mmap:
        """This process's mapping of the counters, and its region (claimed on first use)."""
        if self._pid != os.getpid():  # a forked worker maps the file and claims a region for itself
            fd = os.open(self._counters_path, os.O_RDWR | os.O_CREAT, 0o600)
            if os.fstat(fd).st_size < SIZE:
                os.ftruncate(fd, SIZE)
            counters = mmap.mmap(fd, SIZE)
            with self._exclusive(fd):
                self._region = self._claim(counters)
            self._fd, self._counters, self._pid = fd, counters, os.getpid()
        return self._counters

    class _exclusive:
        def __init__(self, fd: int):
            self.fd = fd

        def __enter__(self):
            fcntl.flock(self.fd, fcntl.LOCK_EX)

        def __exit__(self, *exc):
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    @staticmethod
    def _claim(counters: mmap.mmap) -> int:
        pid = os.getpid()
        for region in range(REGIONS - 1):
            owner = _U64.unpack_from(counters, _OWNERS + region * 8)[0]
            if owner == pid or owner == 0 or not _alive(owner):
                _U64.pack_into(counters, _OWNERS + region * 8, pid)
                base = _REGIONS + region * SLOTS * _SLOT.size
                counters[base:base + SLOTS * _SLOT.size] = bytes(SLOTS * _SLOT.size)
                return region
        return REGIONS - 1  # shared by whoever comes after the others

    # ---- rate limits ----

    def hit(self, key: str, limit: int, seconds: int, now: float) -> Quota:
        """Count one request against `key`'s fixed window of `seconds`; `remaining` below 0 means
        refused."""
        window = int(now) // seconds
        tag = _tag(key)
        with self._lock:
            counters = self._map()
            _bump(counters, self._region, tag, window)
            total = sum(_count(counters, region, tag, window) for region in self._live(counters))
        return Quota(limit, limit - total, (window + 1) * seconds - int(now), seconds)

    def _live(self, counters: mmap.mmap) -> list[int]:
        owners = struct.unpack_from(f"<{REGIONS}Q", counters, _OWNERS)
        return [r for r, owner in enumerate(owners) if owner or r == self._region or r == REGIONS - 1]

    # ---- faults: the next N requests to a vendor answer with a given status ----

    def add_fault(self, vendor: str, status: int, count: int, world: str | None = None) -> None:
        self._db().execute("INSERT INTO faults (vendor, world, status, remaining) VALUES (?, ?, ?, ?)",
                           (vendor, world, status, count))
        with self._lock:
            counters = self._map()
            with self._exclusive(self._fd):
                _U64.pack_into(counters, _FAULTS, _U64.unpack_from(counters, _FAULTS)[0] + 1)

    def take_fault(self, vendor: str, world: str | None) -> int | None:
        """The status of a fault due for this request, used up as it is taken; None if there is none."""
        if not _U64.unpack_from(self._map(), _FAULTS)[0]:
            return None  # no fault was ever added (or all were cleared): nothing to ask the database
        db = self._db()
        if db.execute("SELECT 1 FROM faults WHERE remaining > 0 LIMIT 1").fetchone() is None:
            return None
        row = db.execute("UPDATE faults SET remaining = remaining - 1 WHERE id = (SELECT id FROM faults "
                         "WHERE vendor = ? AND (world IS NULL OR world = ?) AND remaining > 0 ORDER BY id LIMIT 1) "
                         "RETURNING status", (vendor, world)).fetchone()
        return row[0] if row else None

    def faults(self) -> list[dict]:
        rows = self._db().execute("SELECT vendor, world, status, remaining FROM faults WHERE remaining > 0")
        return [{"vendor": v, "world": w, "status": s, "remaining": r} for v, w, s, r in rows]

    def clear(self) -> None:
        """No faults, and every count back to zero (the regions stay with their workers)."""
        self._db().execute("DELETE FROM faults")
        with self._lock:
            counters = self._map()
            with self._exclusive(self._fd):
                counters[_FAULTS:] = bytes(SIZE - _FAULTS)


@functools.lru_cache(maxsize=4096)
def _tag(key: str) -> int:
    """A credential's key as a slot tag (never 0, which marks a free slot)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little") or 1


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _count(counters: mmap.mmap, region: int, tag: int, window: int) -> int:
    """`tag`'s count in `window` in one region (read without a lock: a count is one aligned write)."""
    base = _REGIONS + region * SLOTS * _SLOT.size
    start = tag % SLOTS
    for probe in range(SLOTS):
        slot_tag, slot_window, count = _SLOT.unpack_from(counters, base + ((start + probe) % SLOTS) * _SLOT.size)
        if slot_tag == tag:
            return count if slot_window == window else 0
        if slot_tag == 0:
            return 0
    return 0


def _bump(counters: mmap.mmap, region: int, tag: int, window: int) -> int:
    """Open addressing over a region's slots: this key's slot if it has one, else the first slot
    that is free or left from an older window."""
    base = _REGIONS + region * SLOTS * _SLOT.size
    start, reuse = tag % SLOTS, None
    for probe in range(SLOTS):
        offset = base + ((start + probe) % SLOTS) * _SLOT.size
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
