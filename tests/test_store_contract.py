"""The store contract: what every backend of `sandbox.world.store.Store` must do, run against each
one (SQLite, and PostgreSQL in a throwaway cluster). Two small generated worlds are the data; the
generator is the truth."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from sandbox.world.generate import WorldSpec, generate
from sandbox.world.kinds import KINDS, RESIDENT
from sandbox.world.model import micros
from sandbox.world.store import Filter, Query, Store, open_store
from tests.helpers import wait_for

EPOCH = datetime(2026, 11, 1, 9, tzinfo=timezone.utc)
SPECS = (WorldSpec("north", "North Co", "greenhouse", 1, 40), WorldSpec("south", "South Co", "lever", 2, 30))
BACKENDS = ["sqlite", "postgresql"]
_DATABASES = itertools.count(1)


def truth() -> dict:
    return {spec.key: generate(spec, "contract", EPOCH) for spec in SPECS}


TRUTH = truth()


def build():
    return truth().values()


def url(request, tmp_path) -> str:
    """A new store's URL: a file, or a database of its own in the session's cluster."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    return request.getfixturevalue("postgres").database(f"contract_{next(_DATABASES)}")


def ids(rows) -> list[str]:
    return [r.id for r in rows]


def in_order(records, keep=lambda r: True) -> list[str]:
    return [r.id for r in sorted(records, key=lambda r: r.created_at) if keep(r)]


def live(r) -> bool:
    return getattr(r, "deleted_at", None) is None and not getattr(r, "shell", False)


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path) -> Store:
    s = open_store(url(request, tmp_path))
    assert s.install("fp-1", build) is True
    yield s
    getattr(s, "close", lambda: None)()


class TestStoreContract:
    def test_install_generates_once_per_fingerprint_and_force_starts_again(self, store, tmp_path):
        assert store.install("fp-1", build) is False
        assert store.worlds() == ["north", "south"]
        before = store.snapshot("north").versions
        store.add("north", "user", lambda created: replace(TRUTH["north"].users[next(iter(TRUTH["north"].users))],
                                                           id="f" * 32, remote_id="new"), EPOCH)
        assert store.install("fp-1", build, force=True) is True
        after = store.snapshot("north").versions
        assert store.get("north", "user", "f" * 32) is None
        assert all(after[k][0] > before[k][0] for k in KINDS)  # a new generation: no copy made before is taken for now
        assert store.install("fp-2", build) is True

    @pytest.mark.parametrize("threads", [1, 2])  # alone, SQLite forks; beside other threads, it may not
    def test_worlds_set_aside_fill_the_same_rows_whether_built_in_a_forked_process_or_not(self, store, monkeypatch,
                                                                                             threads):
        def everything():
            return {(key, kind): [(r.id, r.created_us, r.data) for r in
                                  store.page(key, Query(kind, (), True, True), limit=None)]
                    for key in TRUTH for kind in KINDS}

        installed = everything()
        forks = []
        real_fork = os.fork
        monkeypatch.setattr(os, "fork", lambda: forks.append(1) or real_fork())
        monkeypatch.setattr(threading, "active_count", lambda: threads)  # (pytest's threads stay out of the child)
        north, south = SPECS
        assert store.install("fp-aside", lambda: [generate(north, "contract", EPOCH)],
                             aside=[lambda: generate(south, "contract", EPOCH)]) is True
        assert len(forks) == (1 if store.FORKS_ASIDE and threads == 1 else 0)
        assert everything() == installed
        assert store.snapshot("south").users == TRUTH["south"].users  # read back, not kept from the build

    def test_snapshot_holds_the_resident_kinds_and_a_version_per_kind(self, store):
        for key, w in TRUTH.items():
            snap = store.snapshot(key)
            assert (snap.company, snap.platform) == (w.company, w.platform)
            for kind in RESIDENT:
                attr = KINDS[kind].attr
                assert getattr(snap, attr) == getattr(w, attr)
            assert set(snap.versions) == set(KINDS)
            assert snap.record("interview", next(iter(w.interviews))) == next(iter(w.interviews.values()))
        assert store.snapshot("nowhere") is None

    @pytest.mark.parametrize("kind", list(KINDS))
    def test_a_default_page_is_every_live_record_in_created_order(self, store, kind):
        for key, w in TRUTH.items():
            records = getattr(w, KINDS[kind].attr).values()
            assert ids(store.page(key, Query(kind), limit=None)) == in_order(records, live)
            assert ids(store.page(key, Query(kind, (), True, True), limit=None)) == in_order(records)

    @pytest.mark.parametrize("kind", list(KINDS))
    def test_each_column_filters_exactly_its_records(self, store, kind):
        k, w = KINDS[kind], TRUTH["north"]
        records = list(getattr(w, k.attr).values())

        def get(other: str, record_id: str):
            return getattr(w, KINDS[other].attr)[record_id]

        for column in ("id", "remote_id", *k.columns):
            value_of = (lambda r: getattr(r, column)) if column in ("id", "remote_id") else \
                (lambda r, at=k.order.index(column): k.values(r, get)[at])
            if column in k.times:
                pivot = sorted(value_of(r) for r in records if value_of(r) is not None)[len(records) // 2]
                for op, holds in (("gt", lambda v: v > pivot), ("lte", lambda v: v <= pivot), ("eq", lambda v: v == pivot)):
                    got = store.page("north", Query(kind, (Filter(column, op, pivot),), True, True), limit=None)
                    assert ids(got) == in_order(records, lambda r: value_of(r) is not None and holds(value_of(r)))
                continue
            values = sorted({value_of(r) for r in records if value_of(r) is not None}, key=str)[:3]
            got = store.page("north", Query(kind, (Filter(column, "in", tuple(values)),), True, True), limit=None)
            assert ids(got) == in_order(records, lambda r: value_of(r) in values), column
            assert store.page("north", Query(kind, (Filter(column, "in", ()),)), limit=None) == []

    def test_created_and_modified_compare_strictly(self, store):
        records = list(TRUTH["north"].applications.values())
        pivot = sorted(r.created_at for r in records)[10]
        got = store.page("north", Query("application", (Filter("created", "gt", pivot),
                                                        Filter("modified", "lt", EPOCH))), limit=None)
        assert ids(got) == in_order(records, lambda r: r.created_at > pivot and r.modified_at < EPOCH)

    def test_contains_ignores_case_and_via_filters_through_another_kind(self, store):
        w = TRUTH["north"]
        title = next(iter(w.jobs.values())).title
        got = store.page("north", Query("job", (Filter("title", "contains", title[2:8].upper()),)), limit=None)
        assert ids(got) == in_order(w.jobs.values(), lambda j: title[2:8].lower() in j.title.lower())
        job_id = next(iter(w.jobs))
        applied = {a.candidate_id for a in w.applications.values() if a.job_id == job_id}
        got = store.page("north", Query("candidate", (Filter("job_id", "in", (job_id,)),)), limit=None)
        assert ids(got) == in_order(w.candidates.values(), lambda c: c.id in applied) and applied

    def test_keyset_pages_forward_and_backward_without_gaps(self, store):
        everything = ids(store.page("north", Query("interview"), limit=None))
        forward, position = [], None
        while True:
            page = store.page("north", Query("interview"), after=position, limit=7)
            forward += ids(page)
            if len(page) < 7:
                break
            position = page[-1].created_us
        assert forward == everything
        last = store.get("north", "interview", everything[-1])
        back = store.page("north", Query("interview"), before=last.created_us, limit=5)
        assert ids(back) == everything[-2:-7:-1]

    def test_worlds_do_not_see_each_others_records(self, store):
        north_id = next(iter(TRUTH["north"].interviews))
        assert store.get("south", "interview", north_id) is None
        assert store.page("south", Query("interview", (Filter("id", "in", (north_id,)),))) == []

    def test_add_lands_after_the_newest_record_and_moves_only_its_kinds_version(self, store):
        before = store.snapshot("north").versions
        template = next(iter(TRUTH["north"].interviews.values()))
        early = EPOCH - timedelta(days=400)  # a clock behind the data: still lands last
        stored = store.add("north", "interview", lambda created: replace(template, id="a" * 32, remote_id="x1"), early)
        rows = store.page("north", Query("interview"), limit=None)
        assert rows[-1].id == "a" * 32 and rows[-1].version == 1
        assert rows[-1].created_us == micros(stored.created_at) > rows[-2].created_us
        after = store.snapshot("north").versions
        assert after["interview"] > before["interview"]
        assert {k: v for k, v in after.items() if k != "interview"} == {k: v for k, v in before.items() if k != "interview"}
        assert store.snapshot("south").versions["interview"] == before["interview"]

    def test_update_changes_the_record_its_version_and_modified_at(self, store):
        iid, current = next(iter(TRUTH["north"].interviews.items()))
        now = EPOCH + timedelta(days=1)
        stored = store.update("north", "interview", iid, lambda i, modified: replace(i, title="Moved"), now)
        row = store.get("north", "interview", iid)
        assert row.record("interview").title == "Moved" and row.version == 2
        assert stored.modified_at == now and stored.created_at == current.created_at
        assert store.update("north", "interview", "0" * 32, lambda i, m: i, now) is None

    def test_a_write_to_a_parent_recomputes_the_columns_derived_from_it(self, store):
        w = TRUTH["north"]
        interview = next(i for i in w.interviews.values() if live(i))
        other_job = next(j for j in w.jobs if j != w.applications[interview.application_id].job_id)
        later = EPOCH + timedelta(days=3)
        store.update("north", "application", interview.application_id, lambda a, m: replace(a, job_id=other_job), later)
        by_job = store.page("north", Query("interview", (Filter("job_id", "in", (other_job,)),)), limit=None)
        assert interview.id in ids(by_job)
        updated = store.page("north", Query("interview", (Filter("updated", "gte", later),)), limit=None)
        assert interview.id in ids(updated)
        assert store.snapshot("north").applications[interview.application_id].job_id == other_job

    def test_concurrent_writers_lose_nothing_and_never_share_an_instant(self, store, tmp_path):
        template = next(iter(TRUTH["north"].users.values()))

        def write(prefix: str, n: int) -> None:
            for i in range(n):
                store.add("north", "user", lambda created, i=i: replace(template, id=f"{prefix}{i:031x}"[:32],
                                                                        remote_id=f"{prefix}{i}"), EPOCH)

        # Processes fork first, as gunicorn's workers do: a process forked while one of its threads
        # is inside a transaction inherits SQLite's idea of that lock.
        procs = [multiprocessing.get_context("fork").Process(target=write, args=(p, 25)) for p in "ef"]
        threads = [threading.Thread(target=write, args=(p, 25)) for p in "bcd"]
        for t in (*procs, *threads):
            t.start()
        for t in threads:
            t.join()
        for p in procs:
            p.join()
            assert p.exitcode == 0
        rows = store.page("north", Query("user"), limit=None)
        mine = {f"{p}{i:031x}"[:32] for p in "bcdef" for i in range(25)}
        written = [r for r in rows if r.id in mine]
        assert len(written) == 125 and len({r.created_us for r in rows}) == len(rows)
        assert len(store.snapshot("north").users) == len(TRUTH["north"].users) + 125

    def test_reset_undoes_every_write_and_starts_a_new_generation(self, store):
        def everything():
            return {k: store.page(w, Query(k, (), True, True), limit=None) for w in TRUTH for k in KINDS}

        before, versions = everything(), store.snapshot("north").versions
        w = TRUTH["north"]
        interview = next(i for i in w.interviews.values() if live(i))
        other_job = next(j for j in w.jobs if j != w.applications[interview.application_id].job_id)
        store.update("north", "application", interview.application_id, lambda a, m: replace(a, job_id=other_job),
                     EPOCH + timedelta(days=1), upstream=True)
        store.update("north", "interview", interview.id, lambda i, m: replace(i, title="Moved"), EPOCH)
        store.update("north", "interview", interview.id, lambda i, m: replace(i, title="Moved again"), EPOCH)
        store.add("south", "interview", lambda created: replace(next(iter(TRUTH["south"].interviews.values())),
                                                                id="a" * 32, remote_id="x"), EPOCH)
        store.set_state("clock", {"frozen_us": 1})
        assert store.last_upstream_change("north") == EPOCH + timedelta(days=1)
        assert store.last_upstream_change("south") is None
        store.reset()
        assert everything() == before
        assert store.state("clock") is None and store.last_upstream_change("north") is None
        after = store.snapshot("north")
        assert all(after.versions[k][0] > versions[k][0] and after.versions[k][1] == 0 for k in KINDS)
        assert after.applications[interview.application_id] == w.applications[interview.application_id]
        assert interview.id not in ids(store.page("north", Query("interview", (Filter("job_id", "in", (other_job,)),)),
                                                 limit=None))

    def test_control_documents_are_kept_by_key_and_updated_atomically(self, store):
        assert store.state("x") is None
        store.set_state("x", {"n": 1})
        threads = [threading.Thread(target=lambda: [store.update_state("x", lambda v: {"n": v["n"] + 1})
                                                    for _ in range(20)]) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert store.state("x") == {"n": 81}

    def test_a_pinned_thread_reads_the_store_as_it_was_but_for_its_own_writes(self, store):
        store.set_state("x", 1)
        store.pin()
        try:
            assert store.state("x") == 1
            other = threading.Thread(target=lambda: store.set_state("x", 2))  # another connection writes
            other.start()
            other.join()
            assert store.state("x") == 1
            store.set_state("y", 3)  # this thread's own write is seen, and so is everything before it
            assert (store.state("y"), store.state("x")) == (3, 2)
        finally:
            store.unpin()
        other = threading.Thread(target=lambda: store.set_state("x", 4))
        other.start()
        other.join()
        assert store.state("x") == 4

    def test_counters_are_shared_by_processes_and_reset_clears_the_windows_only(self, store, tmp_path):
        end = int(time.time()) + 60
        assert [store.count("k", end) for _ in range(3)] == [1, 2, 3]
        assert store.count("other", end) == 1 and store.count("k", end, 0) == 3
        _FORKED[:] = [store, end]  # what the forked processes inherit
        with multiprocessing.get_context("fork").Pool(2) as pool:
            answers = pool.map(_count_in_another_process, range(4))
        # No count is lost; two processes counting at the same instant may each see the other's (documented).
        assert store.count("k", end, 0) == 7 and max(answers) == 7 and all(4 <= a <= 7 for a in answers)
        assert store.count("k", end + 60) == 1  # the next window starts from nothing
        assert store.tally("w", 1) == 1 and store.tally("w", 1) == 2 and store.tally("w", -1) == 1
        store.reset()
        assert store.count("k", end + 60, 0) == 0 and store.tally("w", 0) == 1

    def test_what_a_process_that_died_had_in_flight_stops_counting_once_another_starts(self, store):
        _FORKED[:] = [store, None]
        context = multiprocessing.get_context("fork")
        died = context.Process(target=_tally_and_die)
        died.start()
        died.join()
        assert died.exitcode == 0
        def count_afresh():
            with context.Pool(1) as pool:  # a process that starts after it
                return pool.apply(_tally_in_another_process)

        wait_for(count_afresh, lambda n: n == 1, "the new process's count alone", every=0.1)  # not the dead one's

    def test_a_nul_in_a_written_text_column_is_kept_in_the_record_and_found_by_a_filter(self, store):
        iid = next(iter(TRUTH["south"].interviews))
        store.update("south", "interview", iid, lambda i, m: replace(i, title="Odd\x00title"), EPOCH)
        cid = next(iter(TRUTH["south"].candidates))
        store.update("south", "candidate", cid, lambda c, m: replace(c, email="a\x00b@example.com"), EPOCH)
        assert store.get("south", "interview", iid).record("interview").title == "Odd\x00title"
        for f in (Filter("email", "eq", "a\x00b@example.com"), Filter("email", "in", ("a\x00b@example.com", "x\x00")),
                  Filter("email", "contains", "\x00B@")):
            assert ids(store.page("south", Query("candidate", (f,)), limit=None)) == [cid], f
        assert ids(store.page("south", Query("candidate", (Filter("email", "eq", "\x00"),)), limit=None)) == []

    def test_the_request_journal_keeps_its_cap_newest_first_and_counts_coverage(self, store):
        def entry(n, status=200, vendor="v"):
            return {"at": float(n), "vendor": vendor, "credential_key": "c1" if n % 2 else "c2", "status": status,
                    "method": "GET", "endpoint": "/things", "parameters": ["page_size"] if n % 3 == 0 else [],
                    "entry": {"n": n}}

        store.log_requests([entry(n) for n in range(1, 4)], cap=5)
        store.log_requests([entry(n) for n in range(4, 8)], cap=5)
        store.log_requests([entry(8, status=404, vendor="w")], cap=5)
        assert [(e["id"], e["n"]) for e in store.requests(cap=5)] == [(8, 8), (7, 7), (6, 6), (5, 5), (4, 4)]
        assert [e["n"] for e in store.requests(cap=5, vendor="v", credential_key="c1", limit=2)] == [7, 5]
        assert [e["n"] for e in store.requests(cap=5, status=404)] == [8]
        assert [e["n"] for e in store.requests(cap=5, since=7.0)] == [8, 7]
        assert store.request_coverage() == ([("v", "GET", "/things", 200, 7), ("w", "GET", "/things", 404, 1)],
                                            [("v", "GET", "/things", "page_size", 2)])
        store.clear_requests()
        assert store.requests() == [] and store.request_coverage() == ([], [])

    def test_the_changes_log_names_each_writes_action_and_emit_queues_what_make_returns_once(self, store):
        iid = next(iter(TRUTH["north"].interviews))
        first = store.last_change()
        store.update("north", "interview", iid, lambda i, m: replace(i, title="Moved"), EPOCH, upstream=True)
        store.update("north", "interview", iid, lambda i, m: replace(i, deleted_at=m), EPOCH)
        seen = []

        def due(marks, log):
            return log.last() > (marks or {}).get("seq", first)

        def make(marks, log):
            changes = log.after((marks or {}).get("seq", first))
            seen.append([(c.kind, c.id, c.action, c.upstream_us is not None) for c in changes])
            delivery = {"key": f"k{changes[-1].seq}", "receiver": 1, "vendor": "v", "event": "e", "url": "http://x",
                        "body": b"{}", "headers": {"A": "b"}, "due": 10.0, "created": 10.0}
            return {"seq": log.last()}, [delivery, dict(delivery)]  # the same key twice is queued once

        assert store.emit("marks", due, make) == 1
        assert seen == [[("interview", iid, "changed", True), ("interview", iid, "removed", False)]]
        assert store.emit("marks", due, make) == 0 and len(seen) == 1  # nothing due: make is not asked
        assert store.state("marks") == {"seq": store.last_change()}
        [queued] = store.deliveries()
        assert (queued["status"], queued["headers"], queued["body"], queued["attempts"]) == ("pending", {"A": "b"}, b"{}", [])

    def test_a_claimed_delivery_is_held_by_one_caller_and_a_receivers_go_in_order(self, store):
        def delivery(key, receiver, due):
            return {"key": key, "receiver": receiver, "vendor": "v", "event": "e", "url": "http://x", "body": b"{}",
                    "headers": {}, "due": due, "created": due}

        ids = store.enqueue([delivery("a", 1, 1.0), delivery("b", 1, 2.0), delivery("c", 2, 3.0), delivery("a", 1, 0.0)])
        assert len(ids) == 3
        assert [d["key"] for d in store.claim(now=5.0, lease=10.0, limit=1, holder="w1")] == ["a"]
        assert [d["key"] for d in store.claim(now=5.0, lease=10.0, limit=5, holder="w2")] == ["c"]  # 1 has one held
        assert store.claim(now=14.0, lease=10.0, limit=5, holder="w2") == []
        assert store.attempted(ids[0], "w1", {"n": 1, "status_code": 500}, "pending", 20.0) is True
        # "a" waits for its retry; w2 let c's lease pass (a worker that died), so c is taken again
        assert [d["key"] for d in store.claim(now=16.0, lease=10.0, limit=5, holder="w1")] == ["b", "c"]
        assert store.attempted(ids[2], "w2", {"n": 1, "status_code": 200}, "delivered", None) is False  # not w2's now
        assert store.attempted(ids[1], "w1", {"n": 1, "status_code": 200}, "delivered", None) is True
        assert [d["key"] for d in store.claim(now=21.0, lease=10.0, limit=5, holder="w2")] == ["a"]  # c: w1's till 26
        store.attempted(ids[0], "w2", {"n": 2, "status_code": 410}, "failed", None)
        assert [(d["key"], d["status"], len(d["attempts"])) for d in store.deliveries(receiver=1)] == \
            [("a", "failed", 2), ("b", "delivered", 1)]
        assert [d["key"] for d in store.claim(now=27.0, lease=10.0, limit=5, holder="w2")] == ["c"]
        assert [(d["key"], d["attempts"]) for d in store.deliveries(status="pending")] == [("c", [])]
        store.reset()
        assert store.deliveries() == [] and store.last_change() == 0
        [again] = store.enqueue([delivery("a", 1, 1.0)])
        assert again > max(ids)  # an id is never reused: a worker holding one from before the reset cannot touch it


_FORKED: list = [None, None]


def _count_in_another_process(_) -> int:
    store, end = _FORKED
    return store.count("k", end)


def _tally_and_die() -> None:
    store = _FORKED[0]
    store.tally("in-flight", 1)
    os._exit(0)  # killed mid-request: nothing takes its count back


def _tally_in_another_process() -> int:
    return _FORKED[0].tally("in-flight", 1)
