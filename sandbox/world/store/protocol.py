"""The Store protocol, and the vendor-neutral values callers speak to a store in: a `Query` of
`Filter`s, and the `Row`s and `Change`s it answers with (re-exported by `sandbox.world.store`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterable, NamedTuple, Protocol, Sequence

from sandbox.world.kinds import KINDS
from sandbox.world.model import World

@dataclass(frozen=True)
class Filter:
    """One condition. `field` is a column of the kind (`kinds.KINDS[...].columns`), `id`,
    `remote_id`, `created` or `modified`, or one of the kind's `via` filters. `in` takes a tuple
    (an empty one matches nothing); the comparisons take an instant; `contains` a substring
    (any case)."""

    field: str
    op: str
    value: object


@dataclass(frozen=True)
class Query:
    """A vendor-neutral list query: every filter must hold (AND); `in` matches any value (OR)."""

    kind: str
    where: tuple[Filter, ...] = ()
    include_deleted: bool = False
    include_shell: bool = False

    @classmethod
    def of(cls, kind: str, *where: Filter | None, include_deleted: bool = False,
           include_shell: bool = False) -> "Query":
        """A query from filters, leaving out the ones that are None (not asked for)."""
        return cls(kind, tuple(f for f in where if f is not None), include_deleted, include_shell)


def compare(field: str, op: str, value) -> Filter | None:
    return None if value is None else Filter(field, op, value)


class Row(NamedTuple):
    """One stored record before decoding: enough to find a rendered copy in a cache. (A named
    tuple: a page makes a hundred of them per request.)"""

    id: str
    version: int
    created_us: int
    data: bytes | None  # None when read without it (a page whose records are rendered already)

    def record(self, kind: str):
        if self.data is None:
            raise ValueError("this row was read without its data")
        return KINDS[kind].decode(self.data)


class Change(NamedTuple):
    """One write in the store's changes log, in order (`seq`): what webhooks are made from."""

    seq: int
    world: str
    kind: str
    id: str
    action: str  # added, changed, removed
    upstream_us: int | None  # the instant of a change made upstream (simulated); None: through a vendor


class Store(Protocol):
    def install(self, fingerprint: str, build: Callable[[], Iterable[World]], *, force: bool = False,
                aside: Sequence[Callable[[], World]] = ()) -> bool:
        """Fill the store with the generated worlds unless it holds them already (and the writes made
        since); `force` starts again. `aside` makes more worlds, which the store may build in another
        process meanwhile. Returns whether it generated. Safe when processes start at once."""

    def worlds(self) -> list[str]:
        """The keys of the installed worlds."""

    def pin(self) -> None:
        """A request begins: until `unpin`, this thread may read the store as it is now (and sees
        its own writes), asking whether anything changed once instead of at every read."""

    def unpin(self) -> None:
        ...

    def snapshot(self, world: str) -> World | None:
        """The world as of now: its resident kinds and `versions` (per kind; they move with every
        write of that kind and rise across installs, so a copy made before is never taken for now)."""

    def get(self, world: str, kind: str, record_id: str, *, data: bool = True) -> Row | None:
        ...

    def page(self, world: str, query: Query, *, after: int | None = None, before: int | None = None,
             limit: int | None = 100, data: bool = True, as_of: int | None = None) -> list[Row]:
        """Keyset paging in `created_at` order: after the position `after` ascending, or before
        `before` descending (the caller turns it round); `limit` None reads to the end. `as_of`
        (µs): the records as a credential whose last sync was then sees them — a record changed
        upstream since is as it was before the first such change, one made upstream since is absent."""

    def add(self, world: str, kind: str, make: Callable[[datetime], object], now: datetime, *,
            upstream: bool = False):
        """Store `make(created_at)`. `created_at` is `now`, or just after the kind's newest record, so
        that a new record lands after every page a pager has read. Returns the stored record.
        `upstream`: a change made in the platform at `now` (simulated), not through a vendor."""

    def update(self, world: str, kind: str, record_id: str, change: Callable[[object, datetime], object],
               now: datetime, *, upstream: bool = False):
        """Store `change(current, modified_at)`; None if there is no such record."""

    def reset(self) -> None:
        """Every write since install undone, and the control plane's documents dropped."""

    def last_upstream_change(self, world: str) -> datetime | None:
        """The instant of the newest upstream change since install, if any."""

    # the control plane's documents (the clock, connection states): small JSON values by key

    def state(self, key: str):
        """The document stored under `key`, or None."""

    def set_state(self, key: str, value) -> None:
        ...

    def update_state(self, key: str, change: Callable[[object], object]):
        """Store `change(current or None)` under `key`, atomically; returns it."""

    # counters every worker shares: requests per rate window (reset sets them back to zero), and
    # exact tallies (requests in flight, a fault rule's matches; reset leaves them be)

    def count(self, key: str, window_end: int, n: int = 1) -> int:
        """`n` more requests for `key` in the window that ends at `window_end` (unix seconds; `n` 0
        reads the count); the count so far."""

    def tally(self, key: str, delta: int) -> int:
        """`key`'s tally moved by `delta` (0 reads it), exactly, whatever other workers do at once;
        the count after."""

    # the request journal: entries newest first, kept to a cap; coverage counts since the last clear

    def log_requests(self, entries: list[dict], cap: int) -> None:
        """Append entries (`entry`, what is kept, with `at`, `vendor`, `credential_key`, `status`,
        `method`, `endpoint`, `parameters`), keeping at least the newest `cap`."""

    def requests(self, *, cap: int | None = None, vendor: str | None = None, credential_key: str | None = None,
                 status: int | None = None, since: float | None = None, limit: int | None = None) -> list[dict]:
        """Of the newest `cap` entries, those that match, newest first, each with its `id`."""

    def request_coverage(self) -> tuple[list[tuple], list[tuple]]:
        """(vendor, method, endpoint, status, count) rows and (vendor, method, endpoint, parameter, count) rows."""

    def clear_requests(self) -> None:
        ...

    # the webhook outbox: deliveries made at least once, by one worker at a time (reset empties it)

    def emit(self, key: str, due: Callable[[object, object], bool],
             make: Callable[[object, object], tuple[object, list[dict]]]) -> int:
        """Deliveries made from the changes log, under one lock with the marks (`key`'s document) that
        say how far each receiver has been served. `due(marks, log)`, asked without the lock, says
        whether there is anything to do; if so `make(marks, log)` returns (new marks, deliveries) under
        it (`log.last()` is the newest change's seq, `log.after(seq, also=seqs)` the changes since and
        those named). Marks and deliveries are stored in one transaction, so each change becomes its
        deliveries once whichever worker runs it, and none is lost in a crash. Returns how many were queued."""

    def last_change(self) -> int:
        """The newest change's `seq` (0 for none): where a new receiver starts."""

    def enqueue(self, deliveries: list[dict]) -> list[int]:
        """Queue deliveries (`key`, `receiver`, `vendor`, `event`, `url`, `body`, `headers`, `due` and
        `created` in unix seconds); one whose `key` is queued already is left out. Their ids."""

    def claim(self, now: float, lease: float, limit: int, holder: str) -> list[dict]:
        """Pending deliveries due by `now`, at most one per receiver and none of a receiver that has one
        held, up to `limit`: each held by `holder` for `lease` seconds (another takes it again only
        after that: a worker that died while holding it)."""

    def attempted(self, delivery_id: int, holder: str, attempt: dict, status: str, due: float | None) -> bool:
        """An attempt made by the delivery's holder: its record appended, and the delivery `pending`
        again (due at `due`), `delivered` or `failed`. False, and nothing changed, when `holder` no
        longer holds it."""

    def deliveries(self, *, receiver: int | None = None, event: str | None = None, status: str | None = None,
                   limit: int | None = None) -> list[dict]:
        """Deliveries in the order they were queued, each with its `id`, `status` and `attempts`."""
