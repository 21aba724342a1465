"""What the SQL backends share: the tables, the queries and the store's logic, written once in the
SQL that SQLite and PostgreSQL both speak (placeholders are `?`; the PostgreSQL backend turns them
into psycopg's). A backend adds its connections, its write lock, how it loads rows in bulk, and the
counters and journal (`sqlite.py`, `postgres.py`).

One table per kind of record (`kinds.KINDS`), with the columns filters and keyset paging need and
the whole record as JSON. Each process keeps the resident kinds of a world in memory and reloads a
kind when its version moves; the other kinds are read page by page.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import itertools
import marshal
import os
import threading
from dataclasses import replace
from datetime import datetime
from typing import Callable, Iterable, Iterator, Sequence

import orjson

from sandbox.world.kinds import KINDS, RESIDENT, Kind
from sandbox.world.model import World, from_micros, index, micros
from sandbox.world.store.protocol import Change, Filter, Query, Row

SCHEMA_VERSION = 10  # part of the fingerprint: a store of another layout is rebuilt
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


def schema(types: dict[str, str]) -> list[str]:
    """Tables first, then indexes (built once after a bulk load: cheaper than row by row). `types`
    names the backend's types for `text`, `int`, `blob`, `real` and `serial` (an id never reused)."""
    text, int_, blob, real = types["text"], types["int"], types["blob"], types["real"]
    tables = [
        f"CREATE TABLE meta (key {text} PRIMARY KEY, value {text} NOT NULL)",
        # `generation` rises with every install, so that no process takes a copy made before for now
        f"CREATE TABLE worlds (key {text} PRIMARY KEY, company {text} NOT NULL, platform {text} NOT NULL, "
        f"seed {text} NOT NULL, generation {int_} NOT NULL)",
        f"CREATE TABLE versions (world {text} NOT NULL, kind {text} NOT NULL, version {int_} NOT NULL, "
        "PRIMARY KEY (world, kind))",
        f"CREATE TABLE control (key {text} PRIMARY KEY, value {blob} NOT NULL)",
        # Every write since install, in order: what `reset` undoes, and (with `upstream_us`, the instant
        # of a change made upstream rather than through a vendor) what a simulation starts from.
        # `action`: added, changed or removed (a deletion in the remote system), for webhooks.
        f"CREATE TABLE changes (seq {types['serial']}, world {text} NOT NULL, kind {text} NOT NULL, "
        f"id {text} NOT NULL, existed {int_} NOT NULL, upstream_us {int_}, action {text} NOT NULL)",
        "CREATE INDEX changes_by_record ON changes (world, kind, id, upstream_us)",
        # The webhook outbox: a delivery per receiver and event, made at least once (control/webhooks.py).
        # `key` names what it delivers, so that an event is queued once; `holder` took it and may keep it
        # until `leased_until`, when another may take it again. Ids are never reused, a reset or not.
        f"CREATE TABLE deliveries (id {types['serial']}, key {text} NOT NULL UNIQUE, "
        f"receiver {int_} NOT NULL, vendor {text} NOT NULL, event {text} NOT NULL, url {text} NOT NULL, "
        f"body {blob} NOT NULL, headers {blob} NOT NULL, status {text} NOT NULL, due {real} NOT NULL, holder {text}, "
        f"leased_until {real} NOT NULL DEFAULT 0, created {real} NOT NULL, attempts {blob} NOT NULL)",
        "CREATE INDEX deliveries_due ON deliveries (status, due)",
    ]
    indexes = []
    for kind in KINDS.values():
        t = _table(kind.name)
        columns = (f"world {text} NOT NULL, id {text} NOT NULL, remote_id {text} NOT NULL, created_us {int_} NOT NULL, "
                   f"modified_us {int_} NOT NULL, deleted {int_} NOT NULL, shell {int_} NOT NULL, "
                   f"version {int_} NOT NULL, data {blob} NOT NULL"
                   + "".join(f", {c} {int_ if c in kind.times | kind.numbers else text}" for c in kind.order))
        tables.append(f"CREATE TABLE {t} ({columns}, PRIMARY KEY (world, id))")
        # a record as it was before each change to it (the change's `seq`)
        tables.append(f"CREATE TABLE {kind.name}_history (seq {int_} PRIMARY KEY, {columns})")
        indexes += [
            f"CREATE UNIQUE INDEX {t}_by_created ON {t} (world, created_us)",
            # a default page (live records in created order) is read from this index alone
            f"CREATE INDEX {t}_live ON {t} (world, deleted, shell, created_us, id, version)",
            f"CREATE INDEX {t}_by_remote_id ON {t} (world, remote_id)",
            *(f"CREATE INDEX {t}_by_{c} ON {t} (world, {c})" for c in kind.indexed),
        ]
    return tables + indexes


def tables(types: dict[str, str]) -> set[str]:
    """The names of the tables `schema` makes."""
    return {statement.split()[2] for statement in schema(types) if statement.startswith("CREATE TABLE")}


def columns(kind: Kind) -> tuple[str, ...]:
    return (*_BASE, *kind.order)


@functools.lru_cache(maxsize=None)
def _insert(kind: str) -> str:
    return f"INSERT INTO {_table(kind)} VALUES ({', '.join('?' * len(columns(KINDS[kind])))})"


@functools.lru_cache(maxsize=None)
def _upsert(kind: str) -> str:
    """The record stored whole, over what was there."""
    return (_insert(kind) + " ON CONFLICT (world, id) DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in columns(KINDS[kind])[2:]))


def row(world: str, kind: Kind, record, version: int, get) -> tuple:
    """A record as its table's row (`get(kind, id)` finds the records derived columns come from)."""
    deleted_at = getattr(record, "deleted_at", None)
    values = kind.values(record, get)
    if kind.time_positions:
        times = kind.time_positions
        values = [micros(v) if i in times and v is not None else v for i, v in enumerate(values)]
    return (world, record.id, record.remote_id, micros(record.created_at), micros(record.modified_at),
            int(deleted_at is not None), int(getattr(record, "shell", False)), version, orjson.dumps(record),
            *values)


def world_rows(world: World) -> Iterator[tuple[str, Iterator[tuple]]]:
    """Each kind's name and the rows of its table that a generated world fills, oldest first."""
    def get(kind: str, record_id: str):
        return getattr(world, KINDS[kind].attr)[record_id]

    def rows(kind: Kind) -> Iterator[tuple]:
        for record in sorted(getattr(world, kind.attr).values(), key=lambda r: r.created_at):
            yield row(world.key, kind, record, 1, get)

    for kind in KINDS.values():
        yield kind.name, rows(kind)


class Beside:
    """Worlds built in a forked process while this one builds the others: it sends back their
    rows (marshal: plain tuples, read back in a few milliseconds), not the records. Only where
    nothing else runs in this process (a fork copies no other thread); otherwise, or if the child
    fails, they are built here."""

    def __init__(self, makers: Sequence[Callable[[], World]]):
        self.makers, self.pid = makers, None
        if makers and hasattr(os, "fork") and threading.active_count() == 1 and (os.cpu_count() or 1) > 1:
            self.read_end, write_end = os.pipe()
            try:
                self.pid = os.fork()
            except OSError:  # no process to spare: they are built here
                os.close(self.read_end)
                os.close(write_end)
                return
            if self.pid == 0:  # the child: build, send, and leave without running the parent's exit hooks
                os.close(self.read_end)
                code = 1
                try:
                    with os.fdopen(write_end, "wb") as out:
                        out.write(marshal.dumps([
                            (w.key, w.company, w.platform, w.seed, [(name, list(rows)) for name, rows in world_rows(w)])
                            for w in (make() for make in makers)]))
                    code = 0
                finally:
                    os._exit(code)
            os.close(write_end)

    def worlds(self) -> list[tuple]:
        """(key, company, platform, seed, [(kind, rows)]) of each world set aside."""
        if self.pid is not None:
            pid, self.pid = self.pid, None  # (what follows closes the pipe and reaps the child, however it ends)
            try:
                with os.fdopen(self.read_end, "rb") as sent:
                    data = sent.read()
            finally:
                _, status = os.waitpid(pid, 0)
            if status == 0:
                return marshal.loads(data)
        return [(w.key, w.company, w.platform, w.seed, list(world_rows(w))) for w in (make() for make in self.makers)]

    def __enter__(self) -> Beside:
        return self

    def __exit__(self, *exc) -> None:
        if self.pid is not None:  # the install failed first: the child's write fails, and it is reaped
            os.close(self.read_end)
            os.waitpid(self.pid, 0)


def _text(value):
    """A NUL in a column's text stands as U+FFFD (PostgreSQL's text holds none; the record's JSON keeps it),
    and likewise in a filter's value, so that the two still match."""
    return value.replace("\x00", "\ufffd") if isinstance(value, str) and "\x00" in value else value


def _written(values: tuple) -> tuple:
    """A row a write made (generated rows hold no NUL)."""
    return tuple(map(_text, values))


def _as_of(kind: Kind) -> str:
    """The kind's records as a credential whose last sync was at the instant `?` sees them: a
    record changed upstream since then is as it was before the first such change (and a record
    made upstream since then is not there yet). Parameters: world, horizon, world, horizon."""
    listed = ", ".join(columns(kind))
    return (f"(SELECT {listed} FROM {_table(kind.name)} r WHERE r.world = ? AND NOT EXISTS (SELECT 1 FROM changes c "
            f"WHERE c.world = r.world AND c.kind = '{kind.name}' AND c.id = r.id AND c.upstream_us > ?) "
            f"UNION ALL SELECT {listed} FROM {kind.name}_history h WHERE h.world = ? AND h.seq = (SELECT MIN(c.seq) "
            f"FROM changes c WHERE c.world = h.world AND c.kind = '{kind.name}' AND c.id = h.id AND c.upstream_us > ?)) "
            "AS as_of")


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
    selected = "id, version, created_us, data" if data else "id, version, created_us, NULL"
    order = "DESC" if before else "ASC"
    source = _as_of(kind) if lagging else _table(query.kind)
    return (f"SELECT {selected} FROM {source} WHERE {' AND '.join(where)} "
            f"ORDER BY created_us {order} LIMIT ?", tuple(args))


def _condition(column: str, is_time: bool, f) -> tuple[str, list]:
    if f.op == "in":
        values = tuple(map(_text, f.value))
        return (f"{column} IN ({', '.join('?' * len(values))})" if values else "1 = 0"), list(values)
    if f.op == "contains":  # (LIKE's wildcards in the value are escaped: it is a substring)
        escaped = _text(str(f.value)).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return f"lower({column}) LIKE lower(?) ESCAPE '\\'", [f"%{escaped}%"]
    value = micros(f.value) if is_time else _text(f.value)
    return f"{column} {_COMPARE[f.op]} ?", [value]


class SqlStore:
    """The store over a SQL database; a backend subclasses it with the hooks at the top."""

    NO_LIMIT: object = None  # what `LIMIT ?` takes for no limit
    TYPES: dict[str, str] = {}  # see `schema`

    def __init__(self):
        self._local = threading.local()
        self._resident: dict[tuple[str, str], tuple[tuple[int, int], dict]] = {}
        self._lock = threading.Lock()

    # ---- what a backend provides ----

    def _connection(self) -> contextlib.AbstractContextManager:
        """A connection for this thread's next statements (autocommit; `db.transaction()` makes one)."""
        raise NotImplementedError

    def _stamp(self) -> int:
        """How many writes the store has committed: a reader asks whether what it kept still holds."""
        raise NotImplementedError

    def _writing(self, db) -> None:
        """First thing in a write's transaction: the lock every write takes, in commit order."""

    def _committed(self) -> None:
        """After a write committed."""

    def _tables(self, db) -> set[str]:
        """The tables an install replaces (every one `schema` makes, of any layout)."""
        raise NotImplementedError

    def _columns(self, db, table: str) -> set[str]:
        raise NotImplementedError

    def _load(self, db, kind: Kind, rows: Iterable[tuple]) -> None:
        """Rows into the kind's table, in bulk."""
        db.executemany(_insert(kind.name), rows)

    def _installing(self, work: Callable[[object], bool]) -> bool:
        """`work` in the install's transaction."""
        return self._write(work)

    def _clear_windows(self) -> None:
        """Every rate window's count back to zero."""
        raise NotImplementedError

    # ---- this thread's state: what it kept, whether it is pinned (a forked worker starts afresh) ----

    def _thread(self):
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            local.__dict__.clear()  # (a backend's connections too: a forked worker opens its own)
            local.pid, local.snapshots, local.pinned = os.getpid(), None, False
        return local

    def _write(self, work: Callable[[object], object]):
        self._thread().snapshots = None  # what this thread kept goes with its own write
        with self._connection() as db, db.transaction():
            self._writing(db)
            result = work(db)
        self._committed()
        return result

    # ---- set-up ----

    FORKS_ASIDE = False  # whether `install` may build the worlds set aside in a forked process

    def install(self, fingerprint: str, build: Callable[[], Iterable[World]], *, force: bool = False,
                aside: Sequence[Callable[[], World]] = ()) -> bool:
        fingerprint = f"{SCHEMA_VERSION}/{fingerprint}"

        def work(db):
            tables = self._tables(db)
            row = db.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone() if "meta" in tables else None
            if row and row[0] == fingerprint and not force:
                return False
            generation = 1
            if "worlds" in tables and "generation" in self._columns(db, "worlds"):
                generation += db.execute("SELECT COALESCE(MAX(generation), 0) FROM worlds").fetchone()[0]
            for table in tables:
                db.execute(f"DROP TABLE {table}")
            statements = schema(self.TYPES)
            for statement in statements:
                if " INDEX " not in statement:
                    db.execute(statement)
            forking = bool(aside) and self.FORKS_ASIDE
            with Beside(aside if forking else ()) as beside:
                for world in itertools.chain(build(), () if forking else (make() for make in aside)):
                    self._insert_world(db, world, generation)
                    world.versions = {k: (generation, 0) for k in KINDS}
                    world.stamp = tuple(sorted(world.versions.items()))
                    world.fetch, world.find = functools.partial(self._fetch, world), functools.partial(self._find, world)
                    built.append(world)
                for key, company, platform, seed, rows in beside.worlds():
                    self._insert_rows(db, (key, company, platform, seed, generation), rows)
            for statement in statements:
                if " INDEX " in statement:
                    db.execute(statement)
            db.execute("INSERT INTO meta VALUES ('fingerprint', ?)", (fingerprint,))
            return True

        built: list[World] = []
        collecting = gc.isenabled()
        gc.disable()  # a world is millions of young objects; the collector would walk them again and again
        try:
            generated = self._installing(work)
        finally:
            if collecting:
                gc.enable()
        with self._lock:
            self._resident.clear()
            for world in built:  # what was just written need not be read back
                for name in RESIDENT:
                    self._resident[(world.key, name)] = (world.versions[name], getattr(world, KINDS[name].attr))
        return generated

    def _insert_world(self, db, world: World, generation: int) -> None:
        # Rows are made as the database takes them: a list of a whole world's rows costs more in
        # memory traffic than the encoding itself.
        self._insert_rows(db, (world.key, world.company, world.platform, world.seed, generation), world_rows(world))

    def _insert_rows(self, db, head: tuple, tables: Iterable[tuple[str, Iterable[tuple]]]) -> None:
        db.execute("INSERT INTO worlds VALUES (?, ?, ?, ?, ?)", head)
        db.executemany("INSERT INTO versions VALUES (?, ?, 0)", [(head[0], k) for k in KINDS])
        for name, rows in tables:
            self._load(db, KINDS[name], rows)

    # ---- reads ----

    def worlds(self) -> list[str]:
        with self._connection() as db:
            return sorted(r[0] for r in db.execute("SELECT key FROM worlds"))  # (in code points, on every database)

    def snapshot(self, key: str) -> World | None:
        """Asked on every request, so the answer is kept per thread until the store changes (a
        reader asks `_stamp`, once a request when pinned; this thread's own writes drop what it kept)."""
        kept = self._kept()
        hit = kept.get(key)
        if hit is None and key not in kept:
            hit = kept[key] = self._snapshot(key)
        return hit

    def pin(self) -> None:
        local = self._thread()
        local.pinned = False
        self._kept()
        local.pinned = True

    def unpin(self) -> None:
        self._thread().pinned = False

    def _kept(self) -> dict:
        """What this thread read since the database last changed (see `snapshot`); while pinned,
        what it read since `pin` asked (its own writes drop what it kept)."""
        local = self._thread()
        kept = local.snapshots
        if kept is not None and local.pinned:
            return kept[1]
        stamp = self._stamp()
        if kept is None or kept[0] != stamp:
            kept = local.snapshots = (stamp, {})
        return kept[1]

    def _snapshot(self, key: str) -> World | None:
        with self._connection() as db:
            found = db.execute("SELECT company, platform, seed, generation FROM worlds WHERE key = ?", (key,)).fetchone()
            if found is None:
                return None
            company, platform, seed, generation = found
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
        found = self.get(world.key, kind, record_id)
        if found is None:
            raise LookupError(f"{kind} {record_id} does not exist in world {world.key}")
        return found.record(kind)

    def _find(self, world: World, kind: str, field: str, record_id: str) -> tuple:
        k = KINDS[kind]
        if k.resident:
            return tuple(r for r in index(getattr(world, k.attr), field).get(record_id, ())
                         if getattr(r, "deleted_at", None) is None)
        rows = self.page(world.key, Query(kind, (Filter(field, "in", (record_id,)),)), limit=None)
        return tuple(r.record(kind) for r in rows)

    def get(self, world: str, kind: str, record_id: str, *, data: bool = True) -> Row | None:
        selected = "id, version, created_us, data" if data else "id, version, created_us, NULL"
        with self._connection() as db:
            found = db.execute(f"SELECT {selected} FROM {_table(kind)} WHERE world = ? AND id = ?",
                               (world, record_id)).fetchone()
        return Row(*found) if found else None

    def page(self, world: str, query: Query, *, after: int | None = None, before: int | None = None,
             limit: int | None = 100, data: bool = True, as_of: int | None = None) -> list[Row]:
        sql, args = _compile(world, query, after is not None, before is not None, data, as_of is not None)
        position = (after,) if after is not None else (before,) if before is not None else ()
        horizon = () if as_of is None else (world, as_of, world, as_of)
        with self._connection() as db:
            return list(map(Row._make, db.execute(sql, (*horizon, *args, *position,
                                                        self.NO_LIMIT if limit is None else limit))))

    # ---- writes ----

    def add(self, world: str, kind: str, make: Callable[[datetime], object], now: datetime, *,
            upstream: bool = False):
        k = KINDS[kind]

        def work(db):
            newest = db.execute(f"SELECT MAX(created_us) FROM {_table(kind)} WHERE world = ?", (world,)).fetchone()[0]
            created = from_micros(max(micros(now), (newest or 0) + 1))
            stored = replace(make(created), created_at=created, modified_at=created)
            self._log(db, world, kind, stored.id, False, micros(now) if upstream else None, "added")
            db.execute(_insert(kind), _written(row(world, k, stored, 1, self._lookup(db, world))))
            self._wrote(db, world, kind, stored.id)
            return stored

        return self._write(work)

    def update(self, world: str, kind: str, record_id: str, change: Callable[[object, datetime], object],
               now: datetime, *, upstream: bool = False):
        k = KINDS[kind]

        def work(db):
            found = db.execute(f"SELECT data, version FROM {_table(kind)} WHERE world = ? AND id = ?",
                               (world, record_id)).fetchone()
            if found is None:
                return None
            current = k.decode(found[0])
            modified = from_micros(max(micros(now), micros(current.modified_at) + 1))
            stored = replace(change(current, modified), id=current.id, created_at=current.created_at,
                             modified_at=modified)
            removed = getattr(current, "deleted_at", None) is None and getattr(stored, "deleted_at", None) is not None
            self._log(db, world, kind, record_id, True, micros(now) if upstream else None,
                      "removed" if removed else "changed")
            db.execute(_upsert(kind), _written(row(world, k, stored, found[1] + 1, self._lookup(db, world))))
            self._wrote(db, world, kind, stored.id)
            return stored

        return self._write(work)

    @staticmethod
    def _lookup(db, world: str):
        """`get(kind, id)` for derived columns, read inside the writing transaction."""
        def get(kind: str, record_id: str):
            found = db.execute(f"SELECT data FROM {_table(kind)} WHERE world = ? AND id = ?", (world, record_id)).fetchone()
            if found is None:
                raise LookupError(f"{kind} {record_id} does not exist in world {world}")
            return KINDS[kind].decode(found[0])

        return get

    @staticmethod
    def _log(db, world: str, kind: str, record_id: str, existed: bool, upstream_us: int | None, action: str) -> None:
        """A change in the log, and the record as it was before it."""
        seq = db.execute("INSERT INTO changes (world, kind, id, existed, upstream_us, action) VALUES (?, ?, ?, ?, ?, ?) "
                         "RETURNING seq", (world, kind, record_id, int(existed), upstream_us, action)).fetchone()[0]
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
                    db.execute(f"INSERT INTO {_table(kind)} SELECT {', '.join(columns(KINDS[kind]))} "
                               f"FROM {kind}_history WHERE seq = ?", (seq,))
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
        self._clear_windows()

    def last_upstream_change(self, world: str) -> datetime | None:
        """The instant of the newest change made upstream in `world` since install."""
        with self._connection() as db:
            newest = db.execute("SELECT MAX(upstream_us) FROM changes WHERE world = ?", (world,)).fetchone()[0]
        return from_micros(newest) if newest is not None else None

    def _wrote(self, db, world: str, kind: str, record_id: str) -> None:
        """After a write: the kind's version moves, and the records that derive columns from this one
        get them again."""
        db.execute("UPDATE versions SET version = version + 1 WHERE world = ? AND kind = ?", (world, kind))
        self._derive(db, world, kind, record_id)

    def _derive(self, db, world: str, kind: str, record_id: str) -> None:
        """The derived columns of the records that read this one, computed again."""
        get = self._lookup(db, world)
        for reader in KINDS.values():
            column = reader.reads.get(kind)
            if column is None:
                continue
            table = _table(reader.name)
            for rid, data in db.execute(f"SELECT id, data FROM {table} WHERE world = ? AND {column} = ?",
                                        (world, record_id)).fetchall():
                values = _written(row(world, reader, reader.decode(data), 0, get)[len(_BASE):])
                assignments = ", ".join(f"{c} = ?" for c in reader.order)
                db.execute(f"UPDATE {table} SET {assignments} WHERE world = ? AND id = ?", (*values, world, rid))

    # ---- the control plane's documents ----

    def state(self, key: str):
        kept = self._kept()
        if ("state", key) not in kept:
            with self._connection() as db:
                found = db.execute("SELECT value FROM control WHERE key = ?", (key,)).fetchone()
            kept[("state", key)] = orjson.loads(found[0]) if found else None
        return kept[("state", key)]

    def set_state(self, key: str, value) -> None:
        self.update_state(key, lambda current: value)

    def update_state(self, key: str, change: Callable[[object], object]):
        def work(db):
            value = change(self._document(db, key))
            self._keep(db, key, value)
            return value

        return self._write(work)

    @staticmethod
    def _document(db, key: str):
        found = db.execute("SELECT value FROM control WHERE key = ?", (key,)).fetchone()
        return orjson.loads(found[0]) if found else None

    @staticmethod
    def _keep(db, key: str, value) -> None:
        db.execute("INSERT INTO control VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                   (key, orjson.dumps(value)))

    # ---- the webhook outbox ----

    def emit(self, key: str, due: Callable[[object, "_ChangeLog"], bool],
             make: Callable[[object, "_ChangeLog"], tuple[object, list[dict]]]) -> int:
        def work(db):
            marks, deliveries = make(self._document(db, key), _ChangeLog(db))
            self._keep(db, key, marks)
            return len(self._enqueue(db, deliveries))

        with self._connection() as db:
            if not due(self._document(db, key), _ChangeLog(db)):
                return 0  # (the usual answer, found without the write lock)
        return self._write(work)

    def last_change(self) -> int:
        with self._connection() as db:
            return _ChangeLog(db).last()

    def enqueue(self, deliveries: list[dict]) -> list[int]:
        return self._write(lambda db: self._enqueue(db, deliveries))

    @staticmethod
    def _enqueue(db, deliveries: list[dict]) -> list[int]:
        ids = []
        for d in deliveries:
            made = db.execute(
                "INSERT INTO deliveries (key, receiver, vendor, event, url, body, headers, status, due, created, attempts) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT (key) DO NOTHING RETURNING id",
                (d["key"], d["receiver"], d["vendor"], d["event"], d["url"], d["body"], orjson.dumps(d["headers"]),
                 d["due"], d["created"], b"[]")).fetchone()
            if made:
                ids.append(made[0])
        return ids

    def claim(self, now: float, lease: float, limit: int, holder: str) -> list[dict]:
        due = "status = 'pending' AND due <= ? AND leased_until <= ?"
        with self._connection() as db:
            if db.execute(f"SELECT 1 FROM deliveries WHERE {due} LIMIT 1", (now, now)).fetchone() is None:
                return []  # (the usual answer, found without the write lock)

        def work(db):
            # one delivery per receiver, and none of a receiver that has one held: a receiver's go one at a time
            held = {r[0] for r in db.execute("SELECT DISTINCT receiver FROM deliveries WHERE status = 'pending' "
                                              "AND leased_until > ?", (now,))}
            chosen = {}
            for delivery_id, receiver in db.execute(f"SELECT id, receiver FROM deliveries WHERE {due} ORDER BY due, id",
                                                    (now, now)).fetchall():
                if receiver not in held and receiver not in chosen:
                    chosen[receiver] = delivery_id
                    if len(chosen) == limit:
                        break
            ids = sorted(chosen.values())
            db.executemany("UPDATE deliveries SET leased_until = ?, holder = ? WHERE id = ?",
                           [(now + lease, holder, i) for i in ids])
            marks = ", ".join("?" * len(ids))
            return [_delivery(r) for r in db.execute(f"SELECT {_DELIVERY} FROM deliveries WHERE id IN ({marks}) "
                                                     "ORDER BY due, id", ids)] if ids else []

        return self._write(work)

    def attempted(self, delivery_id: int, holder: str, attempt: dict, status: str, due: float | None) -> bool:
        def work(db):
            found = db.execute("SELECT attempts FROM deliveries WHERE id = ? AND holder = ?",
                               (delivery_id, holder)).fetchone()
            if found is None:  # another took it since (this one's lease ran out), or a reset emptied the outbox
                return False
            db.execute("UPDATE deliveries SET attempts = ?, status = ?, due = COALESCE(?, due), leased_until = 0, "
                       "holder = NULL WHERE id = ?",
                       (orjson.dumps([*orjson.loads(found[0]), attempt]), status, due, delivery_id))
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
        with self._connection() as db:
            return [_delivery(r) for r in db.execute(sql, (*args, self.NO_LIMIT if limit is None else limit))]


_DELIVERY = "id, key, receiver, vendor, event, url, body, headers, status, due, created, attempts"


def _delivery(found: tuple) -> dict:
    out = dict(zip(_DELIVERY.split(", "), found))
    out["headers"], out["attempts"] = orjson.loads(out["headers"]), orjson.loads(out["attempts"])
    return out


class _ChangeLog:
    """The changes log as `emit`'s `make` reads it, inside its transaction."""

    def __init__(self, db):
        self._db = db

    def last(self) -> int:
        return self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0]

    def after(self, seq: int, also: Iterable[int] = ()) -> list[Change]:
        """The changes since `seq`, and the earlier ones named in `also`, in order."""
        also = tuple(also)
        sql = (f"SELECT {', '.join(Change._fields)} FROM changes WHERE seq > ?"
               + (f" OR seq IN ({', '.join('?' * len(also))})" if also else "") + " ORDER BY seq")
        return list(map(Change._make, self._db.execute(sql, (seq, *also))))
