"""The request journal and coverage counts, in tables of their own (for SQLite, a file of its own
beside the store: every answered request is a write, and in the store's file it would wait on the
store's writes, and they on it). Nothing here need survive a crash."""

from __future__ import annotations

from typing import Callable

import orjson

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS journal (batch {serial}, first {int} NOT NULL, n {int} NOT NULL, entries {blob} NOT NULL)",
    "CREATE TABLE IF NOT EXISTS journal_seq (one {int} PRIMARY KEY CHECK (one = 1), last {int} NOT NULL)",
    "CREATE TABLE IF NOT EXISTS endpoint_hits (vendor {text}, method {text}, endpoint {text}, status {int}, n {int}, "
    "PRIMARY KEY (vendor, method, endpoint, status))",
    "CREATE TABLE IF NOT EXISTS parameter_hits (vendor {text}, method {text}, endpoint {text}, parameter {text}, "
    "n {int}, PRIMARY KEY (vendor, method, endpoint, parameter))",
)
TABLES = ("journal", "journal_seq", "endpoint_hits", "parameter_hits")


def schema(types: dict[str, str]) -> list[str]:
    return [s.format(**types) for s in SCHEMA]


class RequestLog:
    """Entries are written a batch to a row (a row per request costs several times more), numbered
    in the order their batches commit, and filtered when read: reads are rare, writes are not.
    `connection()` gives a connection of the store's backend (with `transaction()`), its tables made."""

    def __init__(self, connection: Callable):
        self._connection = connection

    def add(self, entries: list[dict], cap: int) -> None:
        """Append `entries` (each with `entry`, what is kept, and for filters and coverage `at`, `vendor`,
        `credential_key`, `status`, `method`, `endpoint`, `parameters`); keep at least the newest `cap`."""
        endpoints: dict[tuple, int] = {}
        parameters: dict[tuple, int] = {}
        for e in entries:
            if e["vendor"] is not None and e["endpoint"] is not None:
                head = (e["vendor"], e["method"], e["endpoint"])
                endpoints[(*head, e["status"])] = endpoints.get((*head, e["status"]), 0) + 1
                for p in e["parameters"]:
                    parameters[(*head, p)] = parameters.get((*head, p), 0) + 1
        blob = orjson.dumps([(e["at"], e["vendor"], e["credential_key"], e["status"], e["entry"]) for e in entries])
        with self._connection() as db, db.transaction():
            # (an upsert: on PostgreSQL the table is unlogged, and a crash of the database empties it)
            last = db.execute("INSERT INTO journal_seq VALUES (1, ?) ON CONFLICT (one) DO UPDATE "
                              "SET last = journal_seq.last + excluded.last RETURNING last", (len(entries),)).fetchone()[0]
            db.execute("INSERT INTO journal (first, n, entries) VALUES (?, ?, ?)", (last - len(entries) + 1, len(entries), blob))
            # whole batches older than the newest `cap` entries go
            db.execute("DELETE FROM journal WHERE first + n <= ?", (last + 1 - cap,))
            if endpoints:
                db.executemany("INSERT INTO endpoint_hits VALUES (?, ?, ?, ?, ?) ON CONFLICT (vendor, method, endpoint, "
                               "status) DO UPDATE SET n = endpoint_hits.n + excluded.n", [(*k, n) for k, n in endpoints.items()])
            if parameters:
                db.executemany("INSERT INTO parameter_hits VALUES (?, ?, ?, ?, ?) ON CONFLICT (vendor, method, endpoint, "
                               "parameter) DO UPDATE SET n = parameter_hits.n + excluded.n",
                               [(*k, n) for k, n in parameters.items()])

    def entries(self, *, cap: int | None = None, vendor: str | None = None, credential_key: str | None = None,
                status: int | None = None, since: float | None = None, limit: int | None = None) -> list[dict]:
        """The newest `cap` entries, newest first, those that match."""
        rows = []
        with self._connection() as db:
            for first, blob in db.execute("SELECT first, entries FROM journal ORDER BY batch DESC"):
                rows += ((first + i, *item) for i, item in enumerate(orjson.loads(blob)))
        rows.sort(key=lambda r: (r[1], r[0]), reverse=True)
        out = []
        for seq, at, v, c, s, entry in rows[:cap]:
            if (vendor is None or v == vendor) and (credential_key is None or c == credential_key) \
                    and (status is None or s == status) and (since is None or at >= since):
                out.append({"id": seq, **entry})
                if limit is not None and len(out) >= limit:
                    break
        return out

    def coverage(self) -> tuple[list[tuple], list[tuple]]:
        """(vendor, method, endpoint, status, count) and (vendor, method, endpoint, parameter, count)."""
        with self._connection() as db:  # (sorted here: databases' collations order text differently)
            return (sorted(map(tuple, db.execute("SELECT * FROM endpoint_hits"))),
                    sorted(map(tuple, db.execute("SELECT * FROM parameter_hits"))))

    def clear(self) -> None:
        with self._connection() as db, db.transaction():
            for table in ("journal", "endpoint_hits", "parameter_hits"):  # (the numbering goes on)
                db.execute(f"DELETE FROM {table}")
