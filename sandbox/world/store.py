"""The shared store: every world's records in one SQLite file (WAL), read and written by every
gunicorn worker and thread.

The SQL is plain so that another backend (PostgreSQL, for replicas) can stand behind the same
methods. Interviews are kept in a table of their own, with the columns that filters and keyset
paging need, and the whole record as JSON. The other records of a world change rarely; each
process keeps them in memory and reloads them when the world's version moves.
"""

from __future__ import annotations

import functools
import gc
import os
import sqlite3
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterable, NamedTuple

import orjson

from sandbox.world.model import Application, Candidate, Interview, Job, Stage, User, World, from_dict

KINDS = {"user": User, "job": Job, "stage": Stage, "candidate": Candidate, "application": Application}
_MAPS = {"user": "users", "job": "jobs", "stage": "stages", "candidate": "candidates",
         "application": "applications"}

SCHEMA_VERSION = 5  # part of the fingerprint: a store of another layout is rebuilt
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS worlds (
    key TEXT PRIMARY KEY, company TEXT NOT NULL, platform TEXT NOT NULL, seed TEXT NOT NULL,
    version INTEGER NOT NULL,  -- moves when a record other than an interview changes
    changes INTEGER NOT NULL DEFAULT 0);  -- moves with every interview written
CREATE TABLE IF NOT EXISTS records (
    world TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (world, kind, id));
CREATE TABLE IF NOT EXISTS interviews (
    world TEXT NOT NULL, id TEXT NOT NULL, remote_id TEXT NOT NULL,
    application_id TEXT NOT NULL, job_id TEXT NOT NULL, candidate_id TEXT NOT NULL,
    stage_id TEXT, organizer_id TEXT,
    created_us INTEGER NOT NULL, modified_us INTEGER NOT NULL,
    updated_us INTEGER NOT NULL,  -- the interview or its application changed (Kombo's updated_after)
    start_us INTEGER, end_us INTEGER, remote_created_us INTEGER, remote_updated_us INTEGER,
    deleted INTEGER NOT NULL, shell INTEGER NOT NULL, version INTEGER NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (world, id));
CREATE UNIQUE INDEX IF NOT EXISTS interviews_by_created ON interviews (world, created_us);
-- a default page (live records in created order) is read from this index alone
CREATE INDEX IF NOT EXISTS interviews_live ON interviews (world, deleted, shell, created_us, id, version);
CREATE INDEX IF NOT EXISTS interviews_by_application ON interviews (world, application_id);
CREATE INDEX IF NOT EXISTS interviews_by_remote_id ON interviews (world, remote_id);
"""


def micros(value: datetime) -> int:
    """Microseconds since 1970 of an aware datetime, in exact integer arithmetic."""
    if value.utcoffset():
        value = value.astimezone(timezone.utc)
    days = value.toordinal() - _EPOCH_ORDINAL
    return ((days * 86400 + value.hour * 3600 + value.minute * 60 + value.second) * 1_000_000
            + value.microsecond)


def _us(value: datetime | None) -> int | None:
    return None if value is None else micros(value)


def from_micros(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_EPOCH_ORDINAL = _EPOCH.toordinal()
_INSERT_INTERVIEW = f"INSERT INTO interviews VALUES ({', '.join('?' * 19)})"
RANGE_COLUMNS = {"start_at": "start_us", "end_at": "end_us", "remote_created_at": "remote_created_us",
                 "remote_updated_at": "remote_updated_us"}
RANGE_OPERATORS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "eq": "="}


@dataclass(frozen=True)
class InterviewQuery:
    """A vendor-neutral list query: every given filter must hold (AND); within one, any value (OR)."""

    ids: tuple[str, ...] | None = None
    remote_ids: tuple[str, ...] | None = None
    application_ids: tuple[str, ...] | None = None
    job_ids: tuple[str, ...] | None = None
    stage_ids: tuple[str, ...] | None = None
    organizer_ids: tuple[str, ...] | None = None
    candidate_ids: tuple[str, ...] | None = None
    created_after: datetime | None = None  # strict bounds
    created_before: datetime | None = None
    modified_after: datetime | None = None
    modified_before: datetime | None = None
    updated_after: datetime | None = None  # the interview or its application changed after this
    ranges: tuple[tuple[str, str, datetime], ...] = ()  # (field of RANGE_COLUMNS, operator, instant)
    include_deleted: bool = False
    include_shell: bool = False


class Row(NamedTuple):
    """One stored interview, before decoding: enough to find a rendered copy in a cache. (A named
    tuple: a page makes a hundred of them per request.)"""

    id: str
    version: int
    created_us: int
    data: bytes | None  # None when read without it (a page whose records are rendered already)

    def interview(self) -> Interview:
        if self.data is None:
            raise ValueError("this row was read without its data")
        return from_dict(Interview, orjson.loads(self.data))


@functools.lru_cache(maxsize=2048)
def _compile(world: str, query: InterviewQuery, after: bool, before: bool, data: bool) -> tuple[str, tuple]:
    """The SQL and parameters of a list query, built once per distinct query."""
    where, args = ["world = ?"], [world]

    def any_of(column: str, values: tuple[str, ...] | None) -> None:
        if values is not None:
            where.append(f"{column} IN ({', '.join('?' * len(values))})" if values else "0")
            args.extend(values)

    any_of("id", query.ids)
    any_of("remote_id", query.remote_ids)
    any_of("application_id", query.application_ids)
    any_of("job_id", query.job_ids)
    any_of("stage_id", query.stage_ids)
    any_of("organizer_id", query.organizer_ids)
    any_of("candidate_id", query.candidate_ids)
    for name, op, value in query.ranges:
        where.append(f"{RANGE_COLUMNS[name]} {RANGE_OPERATORS[op]} ?")
        args.append(micros(value))
    for column, op, value in (("created_us", ">", query.created_after), ("created_us", "<", query.created_before),
                              ("modified_us", ">", query.modified_after), ("modified_us", "<", query.modified_before),
                              ("updated_us", ">", query.updated_after)):
        if value is not None:
            where.append(f"{column} {op} ?")
            args.append(micros(value))
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
    return (f"SELECT {columns} FROM interviews WHERE {' AND '.join(where)} ORDER BY created_us {order} LIMIT ?",
            tuple(args))


class Store:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._worlds: dict[str, tuple[int, World]] = {}
        self._lock = threading.Lock()

    # ---- connections: one per thread and process (a forked worker opens its own) ----

    def _db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")  # an acknowledged write is on disk
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA cache_size=-65536")  # 64 MiB: a 100,000-interview world's indexes stay in memory
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def _write(self, work: Callable[[sqlite3.Connection], object]):
        self._local.snapshots = None  # this connection's own commits do not move its data_version
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            result = work(db)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return result

    # ---- set-up ----

    def install(self, fingerprint: str, build: Callable[[], Iterable[World]], *, force: bool = False) -> bool:
        """Fill the store with the generated worlds unless it already holds them (and the writes
        made since). Returns whether it generated. Safe when several processes start at once."""
        fingerprint = f"{SCHEMA_VERSION}/{fingerprint}"

        def work(db):
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            row = db.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone() if "meta" in tables else None
            if row and row[0] == fingerprint and not force:
                return False
            # Versions keep rising across resets, so that no process serves a copy cached before.
            version = (db.execute("SELECT MAX(version) FROM worlds").fetchone()[0] or 0) + 1 if "worlds" in tables else 1
            for table in tables:
                db.execute(f"DROP TABLE {table}")
            statements = [st for st in SCHEMA.split(";") if st.strip()]
            indexes = [st for st in statements if "INDEX" in st]
            for statement in statements:
                if statement not in indexes:
                    db.execute(statement)
            for world in build():
                world.version = version
                self._insert_world(db, world, version)
                built.append(world)
            for statement in indexes:  # built once over the whole table: cheaper than row by row
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
            self._worlds.clear()
            for world in built:  # what was just written need not be read back
                world.interviews = {}
                self._worlds[world.key] = (world.version, world)
        return generated

    def _insert_world(self, db: sqlite3.Connection, world: World, version: int) -> None:
        db.execute("INSERT INTO worlds VALUES (?, ?, ?, ?, ?, 0)",
                   (world.key, world.company, world.platform, world.seed, version))
        # Rows are made as SQLite takes them: a list of a whole world's rows costs more in memory
        # traffic than the encoding itself.
        for kind, attr in _MAPS.items():
            db.executemany("INSERT INTO records VALUES (?, ?, ?, ?)",
                           ((world.key, kind, r.id, orjson.dumps(r)) for r in getattr(world, attr).values()))
        in_order = sorted(world.interviews.values(), key=lambda i: i.created_at)
        db.executemany(_INSERT_INTERVIEW, (self._interview_row(world, i) for i in in_order))

    @staticmethod
    def _interview_row(world: World, i: Interview) -> tuple:
        app = world.applications[i.application_id]
        return (world.key, i.id, i.remote_id, i.application_id, app.job_id, app.candidate_id, i.stage_id,
                i.organizer_id, micros(i.created_at), micros(i.modified_at),
                micros(max(i.modified_at, app.modified_at)), _us(i.start_at), _us(i.end_at),
                _us(i.remote_created_at), _us(i.remote_updated_at), int(i.deleted), int(i.shell), i.version,
                orjson.dumps(i))

    # ---- reads ----

    def world(self, key: str) -> World | None:
        """The world's records other than interviews, as of now."""
        return self.snapshot(key)[0]


    def snapshot(self, key: str) -> tuple[World | None, int]:
        """The world, and how many interview writes it has seen: together they say whether a page
        rendered before is still the page. Asked on every read, so the answer is kept per thread
        until the database changes (SQLite's `data_version` moves on another connection's commit;
        this connection's own writes drop what it kept)."""
        db = self._db()
        stamp = (os.getpid(), db.execute("PRAGMA data_version").fetchone()[0])
        kept = getattr(self._local, "snapshots", None)
        if kept is None or kept[0] != stamp:
            kept = self._local.snapshots = (stamp, {})
        hit = kept[1].get(key)
        if hit is None:
            hit = kept[1][key] = self._snapshot(key)
        return hit

    def _snapshot(self, key: str) -> tuple[World | None, int]:
        row = self._db().execute("SELECT version, company, platform, seed, changes FROM worlds WHERE key = ?",
                                 (key,)).fetchone()
        if row is None:
            return None, 0
        version, changes = row[0], row[4]
        cached = self._worlds.get(key)
        if cached and cached[0] == version:
            return cached[1], changes
        world = World(key=key, company=row[1], platform=row[2], seed=row[3], version=version)
        for kind, rid, data in self._db().execute("SELECT kind, id, data FROM records WHERE world = ?", (key,)):
            getattr(world, _MAPS[kind])[rid] = from_dict(KINDS[kind], orjson.loads(data))
        with self._lock:
            self._worlds[key] = (version, world)
        return world, changes

    def interview(self, world: str, interview_id: str, data: bool = True) -> Row | None:
        columns = "id, version, created_us, data" if data else "id, version, created_us, NULL"
        row = self._db().execute(f"SELECT {columns} FROM interviews WHERE world = ? AND id = ?",
                                 (world, interview_id)).fetchone()
        return Row(*row) if row else None

    def interviews(self, world: str, query: InterviewQuery, *, after_us: int | None = None,
                   before_us: int | None = None, limit: int = 100, data: bool = True) -> list[Row]:
        """A page in `created_at` order: after `after_us` ascending, or before `before_us`
        descending (the caller reverses it). Keyset paging: the cost does not grow with depth.
        Without `data`, only what finds a rendered copy is read (from the index alone)."""
        sql, args = _compile(world, query, after_us is not None, before_us is not None, data)
        position = (after_us,) if after_us is not None else (before_us,) if before_us is not None else ()
        return list(map(Row._make, self._db().execute(sql, (*args, *position, limit))))

    # ---- writes ----

    def add_interview(self, world_key: str, make: Callable[[datetime], Interview], now: datetime) -> Interview:
        """Store a new interview built by `make(created_at)`. `created_at` is `now`, moved past the
        newest interview if needed, so that a new record lands after every keyset page a pager has
        seen: paging while records are added misses none and repeats none."""
        world = self.world(world_key)

        def work(db):
            newest = db.execute("SELECT MAX(created_us) FROM interviews WHERE world = ?", (world_key,)).fetchone()[0]
            created = from_micros(max(micros(now), (newest or 0) + 1))
            stored = replace(make(created), created_at=created, modified_at=created, version=1)
            db.execute(_INSERT_INTERVIEW, self._interview_row(world, stored))
            db.execute("UPDATE worlds SET changes = changes + 1 WHERE key = ?", (world_key,))
            return stored

        return self._write(work)

    def update_interview(self, world_key: str, interview_id: str, change: Callable[[Interview, datetime], Interview],
                         now: datetime) -> Interview | None:
        """Apply `change(current, modified_at)` to a stored interview; None if there is none. The new
        `modified_at` is `now`, or just after the last one if the clock says otherwise."""
        world = self.world(world_key)

        def work(db):
            row = db.execute("SELECT data FROM interviews WHERE world = ? AND id = ?", (world_key, interview_id)).fetchone()
            if row is None:
                return None
            current = from_dict(Interview, orjson.loads(row[0]))
            modified = from_micros(max(micros(now), micros(current.modified_at) + 1))
            stored = replace(change(current, modified), id=current.id, created_at=current.created_at,
                             modified_at=modified, version=current.version + 1)
            db.execute(_INSERT_INTERVIEW.replace("INSERT", "REPLACE"), self._interview_row(world, stored))
            db.execute("UPDATE worlds SET changes = changes + 1 WHERE key = ?", (world_key,))
            return stored

        return self._write(work)
