"""Keyset paging over `created_at` (DESIGN principle 7): the cost does not grow with depth, and no
record repeats or is skipped while records are added at the end."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from sandbox.world.store import Row


@dataclass(frozen=True)
class Page:
    rows: Sequence[Row]
    next: int | None  # the position to read forward from, or None on the last page
    previous: int | None  # the position to read backward from, or None on the first page


def keyset_page(fetch: Callable[..., list[Row]], size: int | None, position: int | None = None,
                reverse: bool = False) -> Page:
    """One page of `size` rows (None: every row). `fetch(after=…|before=…, limit=…)` reads the store.

    Forward from `position` (exclusive), or backward before it when `reverse`: the semantics of
    Django REST Framework's CursorPagination, keyed on a `created_at` unique within the kind."""
    if size is None:
        return Page(fetch(after=position, limit=None), None, None)
    if not reverse:
        rows = fetch(after=position, limit=size + 1)
        more, rows = len(rows) > size, rows[:size]
        nxt = rows[-1].created_us if more else None
        prev = None if position is None else (rows[0].created_us if rows else position + 1)
        return Page(rows, nxt, prev)
    rows = fetch(before=position, limit=size + 1)
    more, rows = len(rows) > size, rows[:size][::-1]
    prev = rows[0].created_us if more else None
    nxt = rows[-1].created_us if rows else position - 1
    return Page(rows, nxt, prev)
