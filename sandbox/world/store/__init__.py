"""The store: every world's records, shared by every worker (and, later, every replica).

`Store` is the interface; a backend implements it (`sqlite`, `postgres`; both on `sql`) and is
chosen by a store URL (`sqlite:///path/to/file`, `postgresql://user@host/db`). Nothing outside a backend speaks SQL: callers ask with a `Query`
(a kind and filters, all vendor-neutral) and get `Row`s back, in `created_at` order.
"""

from __future__ import annotations

from pathlib import Path

from sandbox.world.store.protocol import Change, Filter, Query, Row, Store, compare
from sandbox.world.store.sqlite import SqliteStore

__all__ = ["Change", "Filter", "Query", "Row", "Store", "compare", "open_store"]


def open_store(url: str, threads: int = 4) -> Store:
    """The backend a store URL names: `sqlite:///relative/path` or `sqlite:////absolute/path`
    (SQLAlchemy's spelling), or `postgresql://user:password@host:port/database` (libpq's, with its
    query parameters), whose pool holds a connection for each of a process's `threads`."""
    scheme, sep, rest = url.partition("://")
    if scheme == "sqlite" and sep and rest.startswith("/") and len(rest) > 1:
        return SqliteStore(Path(rest[1:]))
    if scheme in ("postgresql", "postgres") and sep and rest:
        try:  # (psycopg is an optional dependency: imported only for a store that needs it)
            from sandbox.world.store.postgres import PostgresStore
        except ImportError:
            raise ValueError("a postgresql:// store needs psycopg: pip install 'ats-sandbox[postgresql]'") from None
        return PostgresStore(url, threads)
    raise ValueError(f"unsupported store URL {url!r}: use sqlite:///PATH or postgresql://USER@HOST/DATABASE")
