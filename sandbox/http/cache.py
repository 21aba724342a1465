"""A bounded cache of rendered records, one per process (DESIGN principle 5: render once).

Keys carry the record's version, so a write never serves a stale copy: the old key just ages out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Hashable


class RenderCache:
    def __init__(self, maxsize: int = 50_000):
        self.maxsize = maxsize
        self._data: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, render: Callable[[], bytes]) -> bytes:
        value = self._data.get(key)
        if value is not None:
            return value
        value = render()
        with self._lock:
            self._data[key] = value
            if len(self._data) > self.maxsize:
                self._data.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
