"""Keyset paging over `created_at`, and the cursor codecs vendors wrap around it."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Sequence
from urllib.parse import parse_qs, urlencode

from sandbox.world.store import Row, from_micros, micros


@dataclass(frozen=True)
class Page:
    rows: Sequence[Row]
    next: int | None  # the position to read forward from, or None on the last page
    previous: int | None  # the position to read backward from, or None on the first page


def keyset_page(fetch: Callable[..., list[Row]], size: int, position: int | None = None,
                reverse: bool = False) -> Page:
    """One page of `size` rows. `fetch(after_us=…|before_us=…, limit=…)` reads the store.

    Forward from `position` (exclusive), or backward before it when `reverse`: the DRF
    CursorPagination semantics, keyed on a unique `created_at` so that no row repeats or is
    skipped while rows are added at the end."""
    if not reverse:
        rows = fetch(after_us=position, limit=size + 1)
        more, rows = len(rows) > size, rows[:size]
        nxt = rows[-1].created_us if more else None
        prev = None if position is None else (rows[0].created_us if rows else position + 1)
        return Page(rows, nxt, prev)
    rows = fetch(before_us=position, limit=size + 1)
    more, rows = len(rows) > size, rows[:size][::-1]
    prev = rows[0].created_us if more else None
    nxt = rows[-1].created_us if rows else position - 1
    return Page(rows, nxt, prev)


class InvalidCursor(ValueError):
    pass


def drf_encode(position: int, reverse: bool = False) -> str:
    """Django REST Framework's cursor: base64 of `r=1&p=<str(created_at)>`."""
    pairs = ([("r", "1")] if reverse else []) + [("p", str(from_micros(position)))]
    return base64.b64encode(urlencode(pairs).encode()).decode()


def drf_decode(cursor: str) -> tuple[int, bool]:
    """(position, reverse) from a DRF cursor; InvalidCursor when it is not one of ours."""
    try:
        query = base64.b64decode(cursor.encode("ascii"), validate=True).decode("ascii")
        parts = parse_qs(query, keep_blank_values=True, strict_parsing=True)
        if set(parts) - {"p", "r", "o"} or any(len(v) != 1 for v in parts.values()):
            raise InvalidCursor(cursor)
        if parts.get("o", ["0"])[0] != "0" or parts.get("r", ["1"])[0] != "1":
            raise InvalidCursor(cursor)
        position = datetime.fromisoformat(parts["p"][0])
        if position.tzinfo is None:
            raise InvalidCursor(cursor)
        return micros(position), "r" in parts
    except (ValueError, KeyError, UnicodeError, binascii.Error):
        raise InvalidCursor(cursor) from None
