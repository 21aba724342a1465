"""Seeded upstream changes over a window of time: what happens in a company's ATS between two syncs.

A simulation picks records and instants with one random source, seeded from the world's seed, the
world's write counts and the request itself: the same seed and the same calls give the same
changes, byte for byte. Changes are plausible: an interview completes after it ends, is
rescheduled or cancelled only before it starts, and new interviews are for live applications.
Each change is written through the store as an upstream change at its instant.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import orjson

from sandbox.world.generate import CANDIDATE_DOMAINS, DURATIONS, NOT_INTERVIEWS, REJECTION_REASONS, SOURCES, pools
from sandbox.world.model import RECOMMENDATIONS, World, micros
from sandbox.world.store import Query, Store
from sandbox.world.writes import new_application, new_candidate, new_interview, new_scorecard

# What can happen to each kind of record, in the order a request names them.
CHANGES = {
    "interviews": ("created", "rescheduled", "completed", "cancelled", "deleted"),
    "applications": ("created", "changed", "deleted"),
    "candidates": ("created", "changed", "deleted"),
}
MAX_CHANGES = 1000  # per request


@dataclass(frozen=True)
class Change:
    kind: str  # interview | application | candidate | scorecard
    id: str
    change: str
    at: datetime

    def json(self) -> dict:
        return {"kind": self.kind, "id": self.id, "change": self.change, "at": self.at}


def plan_counts(request: dict) -> dict[str, dict[str, int]]:
    """{"created": 2, ...} (interviews), or {"interviews": {...}, "applications": {...}, ...}: counts
    per kind and change. Raises ValueError with what is wrong."""
    flat = {k: v for k, v in request.items() if k in CHANGES["interviews"]}
    nested = {k: v for k, v in request.items() if k in CHANGES}
    unknown = set(request) - set(flat) - set(nested) - {"from", "to"}
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(sorted(unknown))}")
    counts = {"interviews": dict(flat)} if flat else {}
    for kind, asked in nested.items():
        if not isinstance(asked, dict) or set(asked) - set(CHANGES[kind]):
            raise ValueError(f"{kind}: counts of {', '.join(CHANGES[kind])}")
        counts[kind] = {**counts.get(kind, {}), **asked}
    for kind, asked in counts.items():
        for name, n in asked.items():
            if not isinstance(n, int) or isinstance(n, bool) or n < 0:
                raise ValueError(f"{kind}.{name} must be a whole number of changes")
    if sum(n for asked in counts.values() for n in asked.values()) > MAX_CHANGES:
        raise ValueError(f"at most {MAX_CHANGES} changes a request")
    return counts


# How a day's activity splits over the kinds of change (a deletion is rarer than a reschedule).
PACE = {("interviews", "created"): 30, ("interviews", "rescheduled"): 14, ("interviews", "completed"): 24,
        ("interviews", "cancelled"): 5, ("interviews", "deleted"): 2, ("applications", "created"): 9,
        ("applications", "changed"): 10, ("applications", "deleted"): 1, ("candidates", "created"): 3,
        ("candidates", "changed"): 2}


def paced_counts(activity: float, span: timedelta) -> dict[str, dict[str, int]]:
    """What happens in `span` at `activity` changes a day: the expected count of each kind of
    change, rounded so that the total is kept (largest remainders first)."""
    total = round(activity * span / timedelta(days=1))
    weight = sum(PACE.values())
    exact = {k: total * w / weight for k, w in PACE.items()}
    counts = {k: int(v) for k, v in exact.items()}
    for k in sorted(exact, key=lambda k: exact[k] - counts[k], reverse=True)[:total - sum(counts.values())]:
        counts[k] += 1
    out: dict[str, dict[str, int]] = {}
    for (kind, change), n in counts.items():
        if n:
            out.setdefault(kind, {})[change] = n
    return out


class Simulation:
    def __init__(self, store: Store, world: World, start: datetime, end: datetime, counts: dict):
        self.store, self.world, self.start, self.end, self.counts = store, world, start, end, counts
        state = [world.versions[k][1] for k in sorted(world.versions)]
        self.rng = random.Random(orjson.dumps([world.seed, state, micros(start), micros(end), counts],
                                              option=orjson.OPT_SORT_KEYS))
        self.changes: list[Change] = []

    # -- drawing --

    def instant(self) -> datetime:
        span = micros(self.end) - micros(self.start)
        return self.start + timedelta(microseconds=1 + int(self.rng.random() * (span - 1))) if span > 1 else self.end

    def pick(self, seq):
        return seq[int(self.rng.random() * len(seq))] if seq else None

    def live(self, kind: str) -> list:
        """The live records of a kind, in created order (read from the store: interviews are not kept in memory)."""
        return [row.record(kind) for row in self.store.page(self.world.key, Query(kind), limit=None)]

    # -- the run --

    def run(self) -> list[Change]:
        """Every change gets its instant first; then they happen in time order, each seeing the
        world as the ones before left it (so nothing is deleted before it was made)."""
        plan = sorted((self.instant(), kind, name) for kind, asked in self.counts.items()
                      for name in CHANGES[kind] for _ in range(asked.get(name, 0)))
        for at, kind, name in plan:
            getattr(self, f"{kind}_{name}")(at)
        return self.changes

    def records(self, attr: str, keep=lambda r: True) -> list:
        """A resident kind's records in created order (a store's dict has no order to rely on), those
        `keep` keeps, and never one deleted."""
        return sorted((r for r in getattr(self.world, attr).values() if getattr(r, "deleted_at", None) is None
                       and keep(r)), key=lambda r: (r.created_at, r.id))

    def write(self, kind: str, record_id: str | None, change: str, at: datetime, alter) -> None:
        """Apply one change at `at`: a new record (`record_id` None: `alter(created)` makes it) or
        `alter(current)` of an existing one."""
        if record_id is None:
            stored = self.store.add(self.world.key, kind, alter, at, upstream=True)
        else:
            stored = self.store.update(self.world.key, kind, record_id, lambda current, modified: alter(current), at,
                                       upstream=True)
        self.changes.append(Change(kind, stored.id, change, stored.modified_at))
        self.world = self.store.snapshot(self.world.key)  # what the next change sees

    # -- interviews --

    def scheduled(self, before: datetime | None = None, ends_by: datetime | None = None) -> list:
        return [i for i in self.live("interview") if i.status == "scheduled" and i.start_at is not None
                and (before is None or i.start_at > before) and (ends_by is None or i.end_at <= ends_by)]

    def interviews_created(self, at: datetime) -> None:
        w = self.world
        apps = self.records("applications", lambda a: a.rejected_at is None)
        app = self.pick(apps)
        if app is None:
            return
        stages = self.records("stages", lambda s: s.job_id == app.job_id and s.name not in NOT_INTERVIEWS)
        panel = self.records("users", lambda u: not u.disabled)
        stage, organizer = self.pick(stages), self.pick(panel)
        day = (at + timedelta(days=1 + int(self.rng.random() * 9))).replace(hour=16, minute=0, second=0, microsecond=0)
        start = day + timedelta(minutes=30 * int(self.rng.random() * 16))
        people = tuple(dict.fromkeys(self.pick(panel).id for _ in range(1 + int(self.rng.random() * 2))))
        video = f"https://zoom.us/j/{8_000_000_000 + int(self.rng.random() * 1_999_999_999)}"
        self.write("interview", None, "created", at, lambda created: new_interview(
            w, created, application_id=app.id, stage_id=stage.id if stage else None, organizer_id=organizer.id,
            interviewer_ids=people, start_at=start, end_at=start + timedelta(minutes=self.pick(DURATIONS)),
            status="scheduled", location=None, video_url=video))

    def interviews_rescheduled(self, at: datetime) -> None:
        interview = self.pick(self.scheduled(before=at))
        if interview is None:
            return
        shift = timedelta(days=self.pick((-2, -1, 1, 1, 2, 3, 7)), minutes=30 * int(self.rng.random() * 4))
        if interview.start_at + shift <= at:
            shift = -shift if interview.start_at - shift > at else timedelta(days=7)
        self.write("interview", interview.id, "rescheduled", at, lambda i: replace(
            i, start_at=i.start_at + shift, end_at=i.end_at + shift, remote_updated_at=at.replace(microsecond=0)))

    def interviews_completed(self, at: datetime) -> None:
        """An interview that ended at least five minutes before `at`, and each interviewer's scorecard."""
        ended = [i for i in self.scheduled(ends_by=at - timedelta(minutes=5)) if i.end_at >= at - timedelta(days=30)]
        interview = self.pick(ended)
        if interview is None:
            return
        self.write("interview", interview.id, "completed", at, lambda i: replace(
            i, status="complete", remote_updated_at=at.replace(microsecond=0)))
        for uid in interview.interviewer_ids:
            recommendation = self.pick(RECOMMENDATIONS)
            self.write("scorecard", None, "created", at, lambda created, uid=uid, r=recommendation: new_scorecard(
                self.world, created, interview=interview, interviewer_id=uid, recommendation=r, submitted_at=created))

    def interviews_cancelled(self, at: datetime) -> None:
        interview = self.pick(self.scheduled(before=at))
        if interview is not None:
            self.write("interview", interview.id, "cancelled", at, lambda i: replace(
                i, status="cancelled", remote_updated_at=at.replace(microsecond=0)))

    def interviews_deleted(self, at: datetime) -> None:
        interview = self.pick(self.live("interview"))
        if interview is not None:
            self.write("interview", interview.id, "deleted", at, lambda i: replace(i, deleted_at=at))

    # -- applications and candidates --

    def applications_created(self, at: datetime) -> None:
        w = self.world
        candidate = self.pick(self.records("candidates"))
        applied = {a.job_id for a in w.applications.values() if candidate and a.candidate_id == candidate.id}
        job = self.pick(self.records("jobs", lambda j: j.id not in applied))
        if candidate is None or job is None:
            return
        first = min((s for s in w.stages.values() if s.job_id == job.id), key=lambda s: s.order)
        recruiters = self.records("users", lambda u: u.access_role in ("ADMIN", "TEAM_MEMBER") and not u.disabled)
        self.write("application", None, "created", at, lambda created: new_application(
            w, created, candidate_id=candidate.id, job_id=job.id, stage_id=first.id, source=self.pick(SOURCES),
            credited_to=self.pick(recruiters).id if recruiters else None))

    def applications_changed(self, at: datetime) -> None:
        """The next stage of the application's job, or a rejection at its last."""
        w = self.world
        app = self.pick(self.records("applications", lambda a: a.rejected_at is None))
        if app is None:
            return
        stages = sorted((s for s in w.stages.values() if s.job_id == app.job_id), key=lambda s: s.order)
        later = [s for s in stages if s.order > w.stages[app.stage_id].order]
        if later and self.rng.random() < 0.75:
            self.write("application", app.id, "changed", at, lambda a: replace(a, stage_id=later[0].id))
        else:
            reason = self.pick(REJECTION_REASONS)
            self.write("application", app.id, "changed", at, lambda a: replace(
                a, rejected_at=at.replace(microsecond=0), rejection_reason=reason))

    def applications_deleted(self, at: datetime) -> None:
        app = self.pick(self.records("applications"))
        if app is not None:
            self.write("application", app.id, "deleted", at, lambda a: replace(a, deleted_at=at))

    def candidates_created(self, at: datetime) -> None:
        p = pools()
        first, last = self.pick(p["first"]), self.pick(p["last"])
        email = f"{first}.{last}{int(self.rng.random() * 100)}@{self.pick(CANDIDATE_DOMAINS)}".lower()
        self.write("candidate", None, "created", at, lambda created: new_candidate(
            self.world, created, first_name=first, last_name=last, email=email.replace(" ", "").replace("'", ""),
            phone=self.pick(p["phone"]), company=self.pick(p["company"]), title=self.pick(p["job"])))

    def candidates_changed(self, at: datetime) -> None:
        p = pools()
        candidate = self.pick(self.records("candidates"))
        if candidate is not None:
            company, title = self.pick(p["company"]), self.pick(p["job"])
            self.write("candidate", candidate.id, "changed", at, lambda c: replace(c, company=company, title=title))

    def candidates_deleted(self, at: datetime) -> None:
        candidate = self.pick(self.records("candidates"))
        if candidate is not None:
            self.write("candidate", candidate.id, "deleted", at, lambda c: replace(c, deleted_at=at))
