"""Counters shared by every worker: requests per rate window, exact tallies (requests in flight, a
fault rule's matches and hits), and the store's
commits (which tell a reader, for the price of reading a word, whether what it kept still holds).

They live in a memory-mapped file beside the SQLite store. Each worker process counts in a region of
its own, so that no request waits on another process: a lock held across processes stalls them
all whenever its holder waits for its own interpreter lock. A count is the sum of one key's count
over the regions of the live workers. Nothing here needs to survive a crash.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import mmap
import os
import struct
import threading
import time
from pathlib import Path

REGIONS = 32  # worker processes that count at once; more share the last region
SLOTS = 1024  # distinct keys per region and window; a slot is (key hash, window, count)
_SLOT = struct.Struct("<QQq")
_U64 = struct.Struct("<Q")
_OWNERS_ALL = struct.Struct(f"<{REGIONS}Q")
_OWNERS = 0  # REGIONS pids, the processes that own the regions
_CHANGES = REGIONS * 8  # the store's commits so far: a reader asks here whether anything changed
_REGIONS = _CHANGES + 8
SIZE = _REGIONS + REGIONS * SLOTS * _SLOT.size
GAUGE = 2 ** 63  # the window end of a tally (a count not per window): never reused


class Counters:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._mapping = threading.Lock()  # a new worker's threads map the file once between them
        self._pid = None
        self._regions: tuple[list[int], bytes] = ([], b"")  # the regions to sum, and the owners they come from

    def count(self, key: str, window_end: int, n: int = 1) -> int:
        """`n` more for `key` in the window that ends at `window_end` (unix seconds; `n` 0 reads it);
        the count across every worker so far. A window's slot is reused once it has ended."""
        return self._add(key, window_end, n)

    def tally(self, key: str, delta: int) -> int:
        """`key`'s count, not per window (requests in flight, a fault rule's matches), moved by
        `delta`; the count across every worker after. Exact: each change and its sum are made under
        a lock across processes (these change far less often than requests come)."""
        return self._add(key, GAUGE, delta, exact=True)

    def changes(self) -> int:
        """How many commits the store has seen (read without a lock: one aligned word)."""
        return _U64.unpack_from(self._map(), _CHANGES)[0]

    def changed(self) -> None:
        """One more commit (after it is made, so that a reader who sees the count sees the commit)."""
        with self._lock:
            counters = self._map()
            with _exclusive(self._fd):
                _U64.pack_into(counters, _CHANGES, _U64.unpack_from(counters, _CHANGES)[0] + 1)

    def clear_windows(self) -> None:
        """Every window's count back to zero (the regions stay with their workers, the tallies as
        they are: requests in flight are still in flight)."""
        with self._lock:
            counters = self._map()
            with _exclusive(self._fd):
                for region in range(REGIONS):
                    base = _REGIONS + region * SLOTS * _SLOT.size
                    for slot in range(SLOTS):
                        offset = base + slot * _SLOT.size
                        tag, end, _ = _SLOT.unpack_from(counters, offset)
                        if tag and end != GAUGE:
                            _SLOT.pack_into(counters, offset, tag, 0, 0)

    def _add(self, key: str, window: int, delta: int, exact: bool = False) -> int:
        """Without `exact`, two processes that count at the same instant may each see the other's
        count: a request at a limit's edge can be refused when its pair was let through."""
        tag = _tag(key)
        with self._lock:
            counters = self._map()
            with _exclusive(self._fd) if exact else _unlocked:
                _bump(counters, self._region, tag, window, delta)
                return sum(_count(counters, r, tag, window) for r in self._live(counters))

    def _live(self, counters: mmap.mmap) -> list[int]:
        """The regions some process owns (worked out again only when an owner changed)."""
        owners = counters[_OWNERS:_OWNERS + REGIONS * 8]
        regions, seen = self._regions
        if owners != seen:
            regions = [r for r, owner in enumerate(_OWNERS_ALL.unpack(owners))
                       if owner or r == self._region or r == REGIONS - 1]
            self._regions = (regions, owners)
        return regions

    def _map(self) -> mmap.mmap:
        """This process's mapping of the counters, and its region (claimed on first use)."""
        if self._pid != os.getpid():  # a forked worker maps the file and claims a region for itself
            with self._mapping:
                if self._pid != os.getpid():
                    self._remap()
        return self._counters

    def _remap(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        if os.fstat(fd).st_size < SIZE:
            os.ftruncate(fd, SIZE)
        counters = mmap.mmap(fd, SIZE)
        with _exclusive(fd):
            self._region = _claim(counters)
        self._fd, self._counters, self._regions = fd, counters, ([], b"")
        self._pid = os.getpid()  # last: another thread that sees it finds the mapping made


_unlocked = contextlib.nullcontext()


class _exclusive:
    def __init__(self, fd: int):
        self.fd = fd

    def __enter__(self):
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *exc):
        fcntl.flock(self.fd, fcntl.LOCK_UN)


def _claim(counters: mmap.mmap) -> int:
    """A region for this process. The regions of processes that are gone are emptied on the way (a
    worker killed with writes in flight, a server before a restart): their counts stop counting."""
    pid, mine = os.getpid(), None
    for region in range(REGIONS - 1):
        owner = _U64.unpack_from(counters, _OWNERS + region * 8)[0]
        if owner and owner != pid and _alive(owner):
            continue
        if owner:
            _U64.pack_into(counters, _OWNERS + region * 8, 0)
            base = _REGIONS + region * SLOTS * _SLOT.size
            counters[base:base + SLOTS * _SLOT.size] = bytes(SLOTS * _SLOT.size)
        if mine is None:
            mine = region
            _U64.pack_into(counters, _OWNERS + region * 8, pid)
    return mine if mine is not None else REGIONS - 1  # the last is shared by whoever comes after the others


@functools.lru_cache(maxsize=4096)
def _tag(key: str) -> int:
    """A key as a slot tag (never 0, which marks a free slot)."""
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
    """`tag`'s count in the window ending at `window` in one region (read without a lock: a count
    is one aligned write)."""
    base = _REGIONS + region * SLOTS * _SLOT.size
    start = tag % SLOTS
    for probe in range(SLOTS):
        slot_tag, slot_window, count = _SLOT.unpack_from(counters, base + ((start + probe) % SLOTS) * _SLOT.size)
        if slot_tag == tag and (slot_window == GAUGE) == (window == GAUGE):
            return count if slot_window == window else 0
        if slot_tag == 0:
            return 0
    return 0


def _bump(counters: mmap.mmap, region: int, tag: int, window: int, delta: int) -> None:
    """Open addressing over a region's slots: this key's slot (a window's, or its gauge) if it has
    one, else the first slot that is free or whose window has ended."""
    base = _REGIONS + region * SLOTS * _SLOT.size
    start, reuse, now = tag % SLOTS, None, time.time()
    for probe in range(SLOTS):
        offset = base + ((start + probe) % SLOTS) * _SLOT.size
        slot_tag, slot_window, count = _SLOT.unpack_from(counters, offset)
        if slot_tag == tag and (slot_window == GAUGE) == (window == GAUGE):
            _SLOT.pack_into(counters, offset, tag, window, count + delta if slot_window == window else delta)
            return
        if reuse is None and (slot_tag == 0 or slot_window < now):
            reuse = offset
        if slot_tag == 0:
            break
    if reuse is not None:  # (with every slot taken by a live window, nothing is counted rather than refused)
        _SLOT.pack_into(counters, reuse, tag, window, delta)
