"""The embedded store: every world's records in one SQLite file (WAL), read and written by every
gunicorn worker and thread.

One table per kind of record (`kinds.KINDS`), with the columns filters and keyset paging need and
the whole record as JSON. Each process keeps the resident kinds of a world in memory and reloads a
kind when its version moves; the other kinds are read page by page.
"""

from __future__ import annotations

import functools
import gc
import os
import sqlite3
import threading
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable

import orjson

from sandbox.world.kinds import KINDS, RESIDENT, Kind
from sandbox.world.model import World, from_micros, index, micros
from sandbox.world.store import Change, Filter, Query, Row
from sandbox.world.store.counters import Counters
from sandbox.world.store.requests import RequestLog

SCHEMA_VERSION = 9  # part of the fingerprint: a store of another layout is rebuilt
_BASE = ("world", "id", "remote_id", "created_us", "modified_us", "deleted", "shell", "version", "data")
_COMPARE = {"eq": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def _table(kind: str) -> str:
    return f"{kind}_records"


def _column(kind: Kind, field: str) -> str:
    if field in ("created", "modified"):
        return f"{field}_us"
    if field in ("id", "remote_id") or field in kind.columns:
        return field
    raise ValueError(f"{kind.name} has no column {field!r}")


def _schema() -> list[str]:
    """Tables first, then indexes (built once after a bulk load: cheaper than row by row)."""
    tables = [
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        # `generation` rises with every install, so that no process takes a copy made before for now
        "CREATE TABLE worlds (key TEXT PRIMARY KEY, company TEXT NOT NULL, platform TEXT NOT NULL, "
        "seed TEXT NOT NULL, generation INTEGER NOT NULL)",
        "CREATE TABLE versions (world TEXT NOT NULL, kind TEXT NOT NULL, version INTEGER NOT NULL, "
        "PRIMARY KEY (world, kind))",
        "CREATE TABLE control (key TEXT PRIMARY KEY, value BLOB NOT NULL)",
        # Every write since install, in order: what `reset` undoes, and (with `upstream_us`, the instant
        # of a change made upstream rather than through a vendor) what a simulation starts from.
        # `action`: added, changed or removed (a deletion in the remote system), for webhooks.
        "CREATE TABLE changes (seq INTEGER PRIMARY KEY, world TEXT NOT NULL, kind TEXT NOT NULL, "
        "id TEXT NOT NULL, existed INTEGER NOT NULL, upstream_us INTEGER, action TEXT NOT NULL)",
        "CREATE INDEX changes_by_record ON changes (world, kind, id, upstream_us)",
        # The webhook outbox: a delivery per receiver and event, made at least once (control/webhooks.py).
        # `key` names what it delivers, so that an event is queued once; `holder` took it and may keep it
        # until `leased_until`, when another may take it again. Ids are never reused, a reset or not.
        "CREATE TABLE deliveries (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, "
        "receiver INTEGER NOT NULL, vendor TEXT NOT NULL, event TEXT NOT NULL, url TEXT NOT NULL, body BLOB NOT NULL, "
        "headers BLOB NOT NULL, status TEXT NOT NULL, due REAL NOT NULL, holder TEXT, "
        "leased_until REAL NOT NULL DEFAULT 0, created REAL NOT NULL, attempts BLOB NOT NULL DEFAULT X'5B5D')",
        "CREATE INDEX deliveries_due ON deliveries (status, due)",
    ]
    indexes = []
    for kind in KINDS.values():
        t = _table(kind.name)
        extra = "".join(f", {c} {'INTEGER' if c in kind.times else 'TEXT'}" for c in kind.order)
        tables.append(f"CREATE TABLE {t} (world TEXT NOT NULL, id TEXT NOT NULL, remote_id TEXT NOT NULL, "
                      "created_us INTEGER NOT NULL, modified_us INTEGER NOT NULL, deleted INTEGER NOT NULL, "
                      f"shell INTEGER NOT NULL, version INTEGER NOT NULL, data BLOB NOT NULL{extra}, "
                      "PRIMARY KEY (world, id))")
        # a record as it was before each change to it (the change's `seq`)
        tables.append(f"CREATE TABLE {kind.name}_history (seq INTEGER PRIMARY KEY, "
                      f"world, id, remote_id, created_us, modified_us, deleted, shell, version, data{extra})")
        indexes += [
            f"CREATE UNIQUE INDEX {t}_by_created ON {t} (world, created_us)",
            # a default page (live records in created order) is read from this index alone
            f"CREATE INDEX {t}_live ON {t} (world, deleted, shell, created_us, id, version)",
            f"CREATE INDEX {t}_by_remote_id ON {t} (world, remote_id)",
            *(f"CREATE INDEX {t}_by_{c} ON {t} (world, {c})" for c in kind.indexed),
        ]
    return tables + indexes


def _insert(kind: Kind) -> str:
    return f"INSERT INTO {_table(kind.name)} VALUES ({', '.join('?' * (len(_BASE) + len(kind.columns)))})"


def _row(world: str, kind: Kind, record, version: int, get) -> tuple:
    deleted_at = getattr(record, "deleted_at", None)
    values = kind.values(record, get)
    if kind.time_positions:
        times = kind.time_positions
        values = [micros(v) if i in times and v is not None else v for i, v in enumerate(values)]
    return (world, record.id, record.remote_id, micros(record.created_at), micros(record.modified_at),
            int(deleted_at is not None), int(getattr(record, "shell", False)), version, orjson.dumps(record),
            *values)


def _as_of(kind: Kind) -> str:
    """The kind's records as a credential whose last sync was at the instant `?` sees them: a
    record changed upstream since then is as it was before the first such change (and a record
    made upstream since then is not there yet). Parameters: world, horizon, world, horizon."""
    columns = ", ".join((*_BASE, *kind.order))
    return (f"(SELECT {columns} FROM {_table(kind.name)} r WHERE r.world = ? AND NOT EXISTS (SELECT 1 FROM changes c "
            f"WHERE c.world = r.world AND c.kind = '{kind.name}' AND c.id = r.id AND c.upstream_us > ?) "
            f"UNION ALL SELECT {columns} FROM {kind.name}_history h WHERE h.world = ? AND h.seq = (SELECT MIN(c.seq) "
            f"FROM changes c WHERE c.world = h.world AND c.kind = '{kind.name}' AND c.id = h.id AND c.upstream_us > ?))")


@functools.lru_cache(maxsize=4096)
def _compile(world: str, query: Query, after: bool, before: bool, data: bool, lagging: bool) -> tuple[str, tuple]:
    """The SQL and parameters of a page query, built once per distinct query (`page` puts a
    horizon's parameters before these, when `lagging`)."""
    kind = KINDS[query.kind]
    where, args = ["world = ?"], [world]
    for f in query.where:
        if f.field in kind.via:
            via = kind.via[f.field]
            inner = KINDS[via.kind]
            sql, inner_args = _condition(_column(inner, via.field), via.field in inner.times, f)
            where.append(f"id IN (SELECT {via.select} FROM {_table(via.kind)} WHERE world = ? AND {sql})")
            args += [world, *inner_args]
            continue
        sql, values = _condition(_column(kind, f.field), f.field in kind.times or f.field in ("created", "modified"), f)
        where.append(sql)
        args += values
    if not query.include_deleted:
        where.append("deleted = 0")
    if not query.include_shell:
        where.append("shell = 0")
    if after:
        where.append("created_us > ?")
    if before:
        where.append("created_us < ?")
    columns = "id, version, created_us, data" if data else "id, version, created_us, NULL"
    order = "DESC" if before else "ASC"
    source = _as_of(kind) if lagging else _table(query.kind)
    return (f"SELECT {columns} FROM {source} WHERE {' AND '.join(where)} "
            f"ORDER BY created_us {order} LIMIT ?", tuple(args))


def _condition(column: str, is_time: bool, f) -> tuple[str, list]:
    if f.op == "in":
        values = tuple(f.value)
        return (f"{column} IN ({', '.join('?' * len(values))})" if values else "0"), list(values)
    if f.op == "contains":
        return f"instr(lower({column}), lower(?)) > 0", [str(f.value)]
    value = micros(f.value) if is_time else f.value
    return f"{column} {_COMPARE[f.op]} ?", [value]


class SqliteStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._resident: dict[tuple[str, str], tuple[tuple[int, int], dict]] = {}
        self._lock = threading.Lock()
        # the shared counters and the request journal live in files of their own beside the database
        # (counters.py, requests.py): they change with every request, the database with every write
        self._counters = Counters(self.path.with_name(f"{self.path.stem}.counters"))
        self._requests = RequestLog(self.path.with_name(f"{self.path.stem}.requests.sqlite3"))
        self.count, self.tally = self._counters.count, self._counters.tally
        self.log_requests, self.requests = self._requests.add, self._requests.entries
        self.request_coverage, self.clear_requests = self._requests.coverage, self._requests.clear

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.path)!r})"

    # ---- connections: one per thread and process (a forked worker opens its own) ----

    def _db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")  # an acknowledged write is on disk
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA cache_size=-65536")  # 64 MiB: a 100,000-interview world's indexes stay in memory
            self._local.conn, self._local.pid, self._local.snapshots, self._local.pinned = conn, os.getpid(), None, False
        return conn

    def _write(self, work: Callable[[sqlite3.Connection], object]):
        self._local.snapshots = None  # what this thread kept goes with its own write
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            result = work(db)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        self._counters.changed()
        return result

    # ---- set-up ----

    def install(self, fingerprint: str, build: Callable[[], Iterable[World]], *, force: bool = False) -> bool:
        fingerprint = f"{SCHEMA_VERSION}/{fingerprint}"

        def work(db):
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
            row = db.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone() if "meta" in tables else None
            if row and row[0] == fingerprint and not force:
                return False
            generation = 1
            if "worlds" in tables and "generation" in {c[1] for c in db.execute("PRAGMA table_info(worlds)")}:
                generation += db.execute("SELECT COALESCE(MAX(generation), 0) FROM worlds").fetchone()[0]
            for table in tables:
                db.execute(f"DROP TABLE {table}")
            statements = _schema()
            for statement in statements:
                if not statement.startswith("CREATE") or "INDEX" not in statement:
                    db.execute(statement)
            for world in build():
                self._insert_world(db, world, generation)
                world.versions = {k: (generation, 0) for k in KINDS}
                world.stamp = tuple(sorted(world.versions.items()))
                world.fetch, world.find = functools.partial(self._fetch, world), functools.partial(self._find, world)
                built.append(world)
            for statement in statements:
                if "INDEX" in statement:
                    db.execute(statement)
            db.execute("INSERT INTO meta VALUES ('fingerprint', ?)", (fingerprint,))
            return True

        built: list[World] = []
        collecting = gc.isenabled()
        gc.disable()  # a world is millions of young objects; the collector would walk them again and again
        # Generated data needs no fsync of its own: until the fingerprint is committed a crash just
        # means generating again. Writes through the API are FULL-synced as ever. Nor does the
        # commit copy the whole world from the log into the database file (a second write of it):
        # the first checkpoint after start-up does that, off the path to ready.
        db = self._db()
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA wal_autocheckpoint=0")
        try:
            generated = self._write(work)
        finally:
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA wal_autocheckpoint=1000")
            if collecting:
                gc.enable()
        with self._lock:
            self._resident.clear()
            for world in built:  # what was just written need not be read back
                for name in RESIDENT:
                    self._resident[(world.key, name)] = (world.versions[name], getattr(world, KINDS[name].attr))
        return generated

    def _insert_world(self, db: sqlite3.Connection, world: World, generation: int) -> None:
        db.execute("INSERT INTO worlds VALUES (?, ?, ?, ?, ?)",
                   (world.key, world.company, world.platform, world.seed, generation))
        db.executemany("INSERT INTO versions VALUES (?, ?, 0)", ((world.key, k) for k in KINDS))

        def get(kind: str, record_id: str):
            return getattr(world, KINDS[kind].attr)[record_id]

        # Rows are made as SQLite takes them: a list of a whole world's rows costs more in memory
        # traffic than the encoding itself.
        for kind in KINDS.values():
            records = sorted(getattr(world, kind.attr).values(), key=lambda r: r.created_at)
            db.executemany(_insert(kind), (_row(world.key, kind, r, 1, get) for r in records))

    # ---- reads ----

    def worlds(self) -> list[str]:
        return [r[0] for r in self._db().execute("SELECT key FROM worlds ORDER BY key")]

    def snapshot(self, key: str) -> World | None:
        """Asked on every request, so the answer is kept per thread until the store changes (every
        commit counts itself in the shared counters, which a reader asks without a call into SQLite;
        this thread's own writes drop what it kept)."""
        kept = self._kept()
        hit = kept.get(key)
        if hit is None and key not in kept:
            hit = kept[key] = self._snapshot(key)
        return hit

    def pin(self) -> None:
        self._local.pinned = False
        self._kept()
        self._local.pinned = True

    def unpin(self) -> None:
        self._local.pinned = False

    def _kept(self) -> dict:
        """What this thread read since the database last changed (see `snapshot`); while pinned,
        what it read since `pin` asked (its own writes drop what it kept)."""
        self._db()  # (a forked worker starts with nothing kept)
        kept = self._local.snapshots
        if kept is not None and self._local.pinned:
            return kept[1]
        stamp = self._counters.changes()
        if kept is None or kept[0] != stamp:
            kept = self._local.snapshots = (stamp, {})
        return kept[1]

    def _snapshot(self, key: str) -> World | None:
        db = self._db()
        row = db.execute("SELECT company, platform, seed, generation FROM worlds WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        company, platform, seed, generation = row
        versions = {k: (generation, v) for k, v in db.execute("SELECT kind, version FROM versions WHERE world = ?",
                                                                  (key,))}
        world = World(key=key, company=company, platform=platform, seed=seed, versions=versions,
                      stamp=tuple(sorted(versions.items())))
        for name in RESIDENT:
            kind = KINDS[name]
            cached = self._resident.get((key, name))
            if cached is None or cached[0] != versions[name]:
                records = {rid: kind.decode(data) for rid, data in
                           db.execute(f"SELECT id, data FROM {_table(name)} WHERE world = ?", (key,))}
                cached = (versions[name], records)
                with self._lock:
                    self._resident[(key, name)] = cached
            setattr(world, kind.attr, cached[1])
        world.fetch, world.find = functools.partial(self._fetch, world), functools.partial(self._find, world)
        return world

    def _fetch(self, world: World, kind: str, record_id: str):
        k = KINDS[kind]
        if k.resident:
            return getattr(world, k.attr)[record_id]
        row = self.get(world.key, kind, record_id)
        if row is None:
            raise LookupError(f"{kind} {record_id} does not exist in world {world.key}")
        return row.record(kind)

    def _find(self, world: World, kind: str, field: str, record_id: str) -> tuple:
        k = KINDS[kind]
        if k.resident:
            return tuple(r for r in index(getattr(world, k.attr), field).get(record_id, ())
                         if getattr(r, "deleted_at", None) is None)
        rows = self.page(world.key, Query(kind, (Filter(field, "in", (record_id,)),)), limit=None)
        return tuple(row.record(kind) for row in rows)

    def get(self, world: str, kind: str, record_id: str, *, data: bool = True) -> Row | None:
        columns = "id, version, created_us, data" if data else "id, version, created_us, NULL"
        row = self._db().execute(f"SELECT {columns} FROM {_table(kind)} WHERE world = ? AND id = ?",
                                 (world, record_id)).fetchone()
        return Row(*row) if row else None

    def page(self, world: str, query: Query, *, after: int | None = None, before: int | None = None,
             limit: int | None = 100, data: bool = True, as_of: int | None = None) -> list[Row]:
        sql, args = _compile(world, query, after is not None, before is not None, data, as_of is not None)
        position = (after,) if after is not None else (before,) if before is not None else ()
        horizon = () if as_of is None else (world, as_of, world, as_of)
        return list(map(Row._make, self._db().execute(sql, (*horizon, *args, *position, -1 if limit is None else limit))))

    # ---- writes ----

    def add(self, world: str, kind: str, make: Callable[[datetime], object], now: datetime, *,
            upstream: bool = False):
        k = KINDS[kind]

        def work(db):
            newest = db.execute(f"SELECT MAX(created_us) FROM {_table(kind)} WHERE world = ?", (world,)).fetchone()[0]
            created = from_micros(max(micros(now), (newest or 0) + 1))
            stored = replace(make(created), created_at=created, modified_at=created)
            self._log(db, world, kind, stored.id, False, micros(now) if upstream else None, "added")
            db.execute(_insert(k), _row(world, k, stored, 1, self._lookup(db, world)))
            self._wrote(db, world, kind, stored.id)
            return stored

        return self._write(work)

    def update(self, world: str, kind: str, record_id: str, change: Callable[[object, datetime], object],
               now: datetime, *, upstream: bool = False):
        k = KINDS[kind]

        def work(db):
            row = db.execute(f"SELECT data, version FROM {_table(kind)} WHERE world = ? AND id = ?",
                             (world, record_id)).fetchone()
            if row is None:
                return None
            current = k.decode(row[0])
            modified = from_micros(max(micros(now), micros(current.modified_at) + 1))
            stored = replace(change(current, modified), id=current.id, created_at=current.created_at,
                             modified_at=modified)
            removed = getattr(current, "deleted_at", None) is None and getattr(stored, "deleted_at", None) is not None
            self._log(db, world, kind, record_id, True, micros(now) if upstream else None,
                      "removed" if removed else "changed")
            db.execute(_insert(k).replace("INSERT", "REPLACE"),
                       _row(world, k, stored, row[1] + 1, self._lookup(db, world)))
            self._wrote(db, world, kind, stored.id)
            return stored

        return self._write(work)

    @staticmethod
    def _lookup(db: sqlite3.Connection, world: str):
        """`get(kind, id)` for derived columns, read inside the writing transaction."""
        def get(kind: str, record_id: str):
            row = db.execute(f"SELECT data FROM {_table(kind)} WHERE world = ? AND id = ?", (world, record_id)).fetchone()
            if row is None:
                raise LookupError(f"{kind} {record_id} does not exist in world {world}")
            return KINDS[kind].decode(row[0])

        return get

    @staticmethod
    def _log(db: sqlite3.Connection, world: str, kind: str, record_id: str, existed: bool,
             upstream_us: int | None, action: str) -> None:
        """A change in the log, and the record as it was before it."""
        seq = db.execute("INSERT INTO changes (world, kind, id, existed, upstream_us, action) VALUES (?, ?, ?, ?, ?, ?)",
                         (world, kind, record_id, int(existed), upstream_us, action)).lastrowid
        if existed:
            db.execute(f"INSERT INTO {kind}_history SELECT ?, * FROM {_table(kind)} WHERE world = ? AND id = ?",
                       (seq, world, record_id))

    def reset(self) -> None:
        """Every write since install undone, newest first; a new generation, so that nothing kept
        from before is taken for now. Costs what the writes did, not what the worlds hold."""
        def work(db):
            for seq, world, kind, record_id, existed in db.execute(
                    "SELECT seq, world, kind, id, existed FROM changes ORDER BY seq DESC").fetchall():
                db.execute(f"DELETE FROM {_table(kind)} WHERE world = ? AND id = ?", (world, record_id))
                if existed:
                    columns = ", ".join((*_BASE, *KINDS[kind].order))
                    db.execute(f"INSERT INTO {_table(kind)} SELECT {columns} FROM {kind}_history WHERE seq = ?", (seq,))
                self._derive(db, world, kind, record_id)
            db.execute("DELETE FROM changes")
            db.execute("DELETE FROM deliveries")
            for kind in KINDS:
                db.execute(f"DELETE FROM {kind}_history")
            db.execute("DELETE FROM control")
            db.execute("UPDATE versions SET version = 0")
            db.execute("UPDATE worlds SET generation = generation + 1")

        self._write(work)
        with self._lock:
            self._resident.clear()
        self._counters.clear_windows()

    def last_upstream_change(self, world: str) -> datetime | None:
        """The instant of the newest change made upstream in `world` since install."""
        row = self._db().execute("SELECT MAX(upstream_us) FROM changes WHERE world = ?", (world,)).fetchone()
        return from_micros(row[0]) if row[0] is not None else None

    def _wrote(self, db: sqlite3.Connection, world: str, kind: str, record_id: str) -> None:
        """After a write: the kind's version moves, and the records that derive columns from this one
        get them again."""
        db.execute("UPDATE versions SET version = version + 1 WHERE world = ? AND kind = ?", (world, kind))
        self._derive(db, world, kind, record_id)

    def _derive(self, db: sqlite3.Connection, world: str, kind: str, record_id: str) -> None:
        """The derived columns of the records that read this one, computed again."""
        get = self._lookup(db, world)
        for reader in KINDS.values():
            column = reader.reads.get(kind)
            if column is None:
                continue
            table = _table(reader.name)
            for rid, data in db.execute(f"SELECT id, data FROM {table} WHERE world = ? AND {column} = ?",
                                        (world, record_id)).fetchall():
                values = _row(world, reader, reader.decode(data), 0, get)[len(_BASE):]
                assignments = ", ".join(f"{c} = ?" for c in reader.order)
                db.execute(f"UPDATE {table} SET {assignments} WHERE world = ? AND id = ?", (*values, world, rid))

    # ---- the control plane's documents ----

    def state(self, key: str):
        kept = self._kept()
        if ("state", key) not in kept:
            row = self._db().execute("SELECT value FROM control WHERE key = ?", (key,)).fetchone()
            kept[("state", key)] = orjson.loads(row[0]) if row else None
        return kept[("state", key)]

    def set_state(self, key: str, value) -> None:
        self.update_state(key, lambda current: value)

    def update_state(self, key: str, change: Callable[[object], object]):
        def work(db):
            row = db.execute("SELECT value FROM control WHERE key = ?", (key,)).fetchone()
            value = change(orjson.loads(row[0]) if row else None)
            db.execute("REPLACE INTO control VALUES (?, ?)", (key, orjson.dumps(value)))
            return value

        return self._write(work)


    # ---- the webhook outbox ----

    def emit(self, key: str, due: Callable[[object, "_ChangeLog"], bool],
             make: Callable[[object, "_ChangeLog"], tuple[object, list[dict]]]) -> int:
        def work(db):
            row = db.execute("SELECT value FROM control WHERE key = ?", (key,)).fetchone()
            marks, deliveries = make(orjson.loads(row[0]) if row else None, _ChangeLog(db))
            db.execute("REPLACE INTO control VALUES (?, ?)", (key, orjson.dumps(marks)))
            return len(self._enqueue(db, deliveries))

        row = self._db().execute("SELECT value FROM control WHERE key = ?", (key,)).fetchone()
        if not due(orjson.loads(row[0]) if row else None, _ChangeLog(self._db())):
            return 0  # (the usual answer, found without the write lock)
        return self._write(work)

    def last_change(self) -> int:
        return self._db().execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0]

    def enqueue(self, deliveries: list[dict]) -> list[int]:
        return self._write(lambda db: self._enqueue(db, deliveries))

    @staticmethod
    def _enqueue(db: sqlite3.Connection, deliveries: list[dict]) -> list[int]:
        ids = []
        for d in deliveries:
            cursor = db.execute(
                "INSERT OR IGNORE INTO deliveries (key, receiver, vendor, event, url, body, headers, status, due, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
                (d["key"], d["receiver"], d["vendor"], d["event"], d["url"], d["body"], orjson.dumps(d["headers"]),
                 d["due"], d["created"]))
            if cursor.rowcount:
                ids.append(cursor.lastrowid)
        return ids

    def claim(self, now: float, lease: float, limit: int, holder: str) -> list[dict]:
        due = "status = 'pending' AND due <= ? AND leased_until <= ?"
        if self._db().execute(f"SELECT 1 FROM deliveries WHERE {due} LIMIT 1", (now, now)).fetchone() is None:
            return []  # (the usual answer, found without the write lock)

        def work(db):
            # one delivery per receiver, and none of a receiver that has one held: a receiver's go one at a time
            held = {r[0] for r in db.execute("SELECT DISTINCT receiver FROM deliveries WHERE status = 'pending' "
                                              "AND leased_until > ?", (now,))}
            chosen = {}
            for delivery_id, receiver in db.execute(f"SELECT id, receiver FROM deliveries WHERE {due} ORDER BY due, id",
                                                    (now, now)):
                if receiver not in held and receiver not in chosen:
                    chosen[receiver] = delivery_id
                    if len(chosen) == limit:
                        break
            ids = sorted(chosen.values())
            db.executemany("UPDATE deliveries SET leased_until = ?, holder = ? WHERE id = ?",
                           ((now + lease, holder, i) for i in ids))
            marks = ", ".join("?" * len(ids))
            return [_delivery(r) for r in db.execute(f"SELECT {_DELIVERY} FROM deliveries WHERE id IN ({marks}) "
                                                     "ORDER BY due, id", ids)] if ids else []

        return self._write(work)

    def attempted(self, delivery_id: int, holder: str, attempt: dict, status: str, due: float | None) -> bool:
        def work(db):
            row = db.execute("SELECT attempts FROM deliveries WHERE id = ? AND holder = ?", (delivery_id, holder)).fetchone()
            if row is None:  # another took it since (this one's lease ran out), or a reset emptied the outbox
                return False
            db.execute("UPDATE deliveries SET attempts = ?, status = ?, due = COALESCE(?, due), leased_until = 0, "
                       "holder = NULL WHERE id = ?",
                       (orjson.dumps([*orjson.loads(row[0]), attempt]), status, due, delivery_id))
            return True

        return self._write(work)

    def deliveries(self, *, receiver: int | None = None, event: str | None = None, status: str | None = None,
                   limit: int | None = None) -> list[dict]:
        where, args = [], []
        for column, value in (("receiver", receiver), ("event", event), ("status", status)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        sql = (f"SELECT {_DELIVERY} FROM deliveries {'WHERE ' + ' AND '.join(where) if where else ''} "
               "ORDER BY id LIMIT ?")
        return [_delivery(r) for r in self._db().execute(sql, (*args, -1 if limit is None else limit))]


_DELIVERY = "id, key, receiver, vendor, event, url, body, headers, status, due, created, attempts"


def _delivery(row: tuple) -> dict:
    out = dict(zip(_DELIVERY.split(", "), row))
    out["headers"], out["attempts"] = orjson.loads(out["headers"]), orjson.loads(out["attempts"])
    return out


class _ChangeLog:
    """The changes log as `emit`'s `make` reads it, inside its transaction."""

    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def last(self) -> int:
        return self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0]

    def after(self, seq: int, also: Iterable[int] = ()) -> list[Change]:
        """The changes since `seq`, and the earlier ones named in `also`, in order."""
        also = tuple(also)
        sql = (f"SELECT {', '.join(Change._fields)} FROM changes WHERE seq > ?"
               + (f" OR seq IN ({', '.join('?' * len(also))})" if also else "") + " ORDER BY seq")
        return list(map(Change._make, self._db.execute(sql, (seq, *also))))
