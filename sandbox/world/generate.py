"""Seeded generation of a world.

Faker builds pools of names (seeded, so the pools are the same everywhere); each world then draws
from them with its own `random.Random`, seeded from the sandbox seed, the world's key and the
world's seed. The pools of the pinned Faker release ship in `pools.json`, so that a start does not
wait for Faker (a test checks the file against Faker; another release builds them afresh). Nothing here reads the wall clock: every time is an offset from the
sandbox's `epoch`. Same inputs and the same Faker release give the same world, byte for byte.
"""

from __future__ import annotations

import functools
import json
import random
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from importlib.metadata import version
from pathlib import Path

from sandbox.world.model import (RECOMMENDATIONS, Application, Candidate, Interview, Job, Location, Scorecard,
                                 Stage, User, World, utc)
from sandbox.world.platforms import derived_id, platform


@dataclass(frozen=True)
class WorldSpec:
    """What the fixtures say about one world."""

    key: str
    company: str
    platform: str
    seed: int | str
    interviews: int
    pinned: dict = field(default_factory=dict)
    activity: float = 24.0  # upstream changes a day when the clock runs with simulation (not generation)


OFFICES = (
    Location(None, "2 Embarcadero Center", "Suite 800", "San Francisco", "CA", "94111", "US"),
    Location(None, "85 Broad Street", "Floor 17", "New York", "NY", "10004", "US"),
    Location(None, "500 W 2nd Street", None, "Austin", "TX", "78701", "US"),
    Location(None, "100 King Street West", "Suite 5700", "Toronto", "ON", "M5X 1A9", "CA"),
    Location(None, "1 Finsbury Avenue", None, "London", None, "EC2M 2PF", "GB"),
    Location(None, "Friedrichstraße 68", None, "Berlin", None, "10117", "DE"),
)
ROOMS = ("Ada", "Turing", "Hopper", "Curie", "Tesla", "Fuji", "Everest", "Denali", "Kilimanjaro", "Matterhorn")
DEPARTMENTS = {
    "Engineering": ("Software Engineer", "Senior Software Engineer", "Staff Software Engineer",
                    "Backend Engineer", "Frontend Engineer", "Site Reliability Engineer",
                    "Data Engineer", "Engineering Manager", "Machine Learning Engineer"),
    "Product": ("Product Manager", "Senior Product Designer", "UX Researcher"),
    "Sales": ("Account Executive", "Sales Development Representative", "Solutions Engineer"),
    "Operations": ("Recruiting Coordinator", "People Partner", "Financial Analyst", "Office Manager"),
    "Customer Success": ("Customer Success Manager", "Support Engineer"),
}
STAGES = {
    "Engineering": ("Application Review", "Recruiter Screen", "Technical Phone Screen", "Take-Home Exercise",
                    "Onsite Interview", "Hiring Manager Interview", "Reference Check", "Offer"),
    "Sales": ("Application Review", "Recruiter Screen", "Hiring Manager Interview", "Sales Pitch Presentation",
              "Final Interview", "Offer"),
    None: ("Application Review", "Recruiter Screen", "Phone Interview", "Onsite Interview", "Final Interview",
           "Offer"),
}
NOT_INTERVIEWS = {"Application Review", "Take-Home Exercise", "Reference Check", "Offer"}
SOURCES = ("LinkedIn", "Referral", "Company Website", "Indeed", "Campus Recruiting Event", "Agency", "AngelList")
CANDIDATE_DOMAINS = ("example.com", "example.net", "example.org", "mail.example")
DURATIONS = (30, 30, 45, 45, 60, 60, 60, 90)
REJECTION_REASONS = ("Not a fit for the role", "Candidate withdrew", "Position filled", "Compensation mismatch",
                     "Insufficient experience")


POOLS = Path(__file__).with_name("pools.json")
_V4_KEEP, _V4_SET = ~((0xF000 << 64) | (0xC000 << 48)), (0x4000 << 64) | (0x8000 << 48)


def v4_hex(n: int) -> str:
    """`uuid.UUID(int=n, version=4).hex` at a quarter of its cost (the version and variant bits set)."""
    return "%032x" % ((n & _V4_KEEP) | _V4_SET)


@functools.lru_cache(maxsize=1)
def pools() -> dict[str, tuple[str, ...]]:
    shipped = json.loads(POOLS.read_text())
    if shipped["faker"] == version("faker"):
        return {name: tuple(values) for name, values in shipped["pools"].items()}
    return faker_pools()


def faker_pools() -> dict[str, tuple[str, ...]]:
    from faker import Faker  # only when the shipped pools are another release's: Faker takes a while to load

    fake = Faker("en_US")
    fake.seed_instance(20240601)
    unique = fake.unique
    return {
        "first": tuple(unique.first_name() for _ in range(400)),
        "last": tuple(unique.last_name() for _ in range(400)),
        "company": tuple(unique.company() for _ in range(200)),
        "job": tuple(unique.job() for _ in range(200)),
        "phone": tuple(fake.numerify("+1-###-###-####") for _ in range(400)),
        "words": tuple(unique.word() for _ in range(300)),
    }


class _Builder:
    def __init__(self, spec: WorldSpec, sandbox_seed: int | str, epoch: datetime):
        self.spec = spec
        self.epoch = epoch
        self.platform = platform(spec.platform)
        seed = f"{sandbox_seed}/{spec.key}/{spec.seed}"
        self.rng = random.Random(seed)
        self._random = self.rng.random
        self.world = World(key=spec.key, company=spec.company, platform=spec.platform, seed=seed)
        self.domain = "".join(c for c in spec.company.lower().replace(" ", "-") if c.isalnum() or c == "-") + ".example"
        self.pools = pools()
        self._remote = {}
        self._created: set[datetime] = set()
        self._stages: dict[str, list[Stage]] = {}
        self.organisation = 473_737 + sum(map(ord, seed)) % 500_000  # draws no random number

    # -- ids and times --

    def int_between(self, lo: int, hi: int) -> int:
        """A whole number in [lo, hi]: random.randint's job at a third of its cost, which counts at
        100,000 interviews."""
        return lo + int(self._random() * (hi - lo + 1))

    def pick(self, seq):
        return seq[int(self._random() * len(seq))]

    def new_id(self) -> str:
        return v4_hex(self.rng.getrandbits(128))

    def remote_id(self, kind: str) -> str:
        style = self.platform.id_style_of(kind)
        if style == "uuid":
            h = v4_hex(self.rng.getrandbits(128))
            return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
        if style == "wid":
            return "%032x" % self.rng.getrandbits(128)
        if style == "hex24":
            return "%024x" % self.rng.getrandbits(96)
        if style == "hex12":
            return "%012x" % self.rng.getrandbits(48)
        bases = {"user": 4_000_000, "job": 1_200_000, "stage": 5_400_000, "candidate": 31_000_000,
                 "application": 46_000_000, "interview": 9_100_000}
        last = self._remote.get(kind, bases[kind])
        self._remote[kind] = last + self.int_between(1, 37)
        if style == "zoho":  # 18 digits: the organisation's number, then the running one
            return f"{self.organisation}{self._remote[kind]:012d}"
        return str(self._remote[kind])

    def unique_created(self, when: datetime) -> datetime:
        """A unified-API `created_at` no other interview has: keyset paging relies on it."""
        when = when.replace(microsecond=self.int_between(0, 999_999))
        while when in self._created:
            when += timedelta(microseconds=1)
        self._created.add(when)
        return when

    def days(self, lo: float, hi: float) -> timedelta:
        lo, hi = int(lo * 86400), int(hi * 86400)
        return timedelta(seconds=lo + int(self._random() * (hi - lo + 1)))

    def minutes(self, lo: int, hi: int) -> timedelta:
        return timedelta(minutes=lo + int(self._random() * (hi - lo + 1)))

    def synced(self, remote: datetime) -> tuple[datetime, datetime]:
        created = min(remote + self.minutes(3, 90), self.epoch)
        return created, created

    # -- people, jobs --

    def user(self, first: str, last: str, role: str, disabled: bool = False, email: str | None = None) -> User:
        remote_created = self.epoch - self.days(200, 1400)
        created, modified = self.synced(remote_created)
        user = User(
            id=self.new_id(), remote_id=self.remote_id("user"), first_name=first, last_name=last,
            email=email or f"{first}.{last}@{self.domain}".lower().replace("'", "").replace(" ", ""),
            access_role=role, disabled=disabled, remote_created_at=remote_created,
            created_at=created, modified_at=modified)
        self.world.users[user.id] = user
        return user

    def job(self, title: str, department: str) -> Job:
        remote_created = self.epoch - self.days(120, 420)
        created, modified = self.synced(remote_created)
        job = Job(id=self.new_id(), remote_id=self.remote_id("job"), title=title, department=department,
                  office=self.pick(OFFICES), remote_created_at=remote_created,
                  created_at=created, modified_at=modified)
        self.world.jobs[job.id] = job
        self._stages[job.id] = []
        for order, name in enumerate(STAGES.get(department, STAGES[None])):
            stage = Stage(id=self.new_id(), remote_id=self.remote_id("stage"), job_id=job.id, name=name,
                          order=order, created_at=created, modified_at=modified)
            self.world.stages[stage.id] = stage
            self._stages[job.id].append(stage)
        return job

    def stages_of(self, job: Job) -> list[Stage]:
        return self._stages[job.id]

    def candidate(self, first: str, last: str, email: str | None = None) -> Candidate:
        remote_created = self.epoch - self.days(2, 100)
        created, modified = self.synced(remote_created)
        handle = f"{first}.{last}{self.int_between(1, 99)}".lower().replace("'", "").replace(" ", "")
        candidate = Candidate(
            id=self.new_id(), remote_id=self.remote_id("candidate"), first_name=first, last_name=last,
            email=email or f"{handle}@{self.pick(CANDIDATE_DOMAINS)}",
            phone=self.pick(self.pools["phone"]), company=self.pick(self.pools["company"]),
            title=self.pick(self.pools["job"]), remote_created_at=remote_created,
            created_at=created, modified_at=modified)
        self.world.candidates[candidate.id] = candidate
        return candidate

    def application(self, candidate: Candidate, job: Job, recruiters: list[User]) -> Application:
        applied = max(candidate.remote_created_at, job.remote_created_at) + self.minutes(1, 600)
        created, modified = self.synced(applied)
        stages = self.stages_of(job)
        app = Application(
            id=self.new_id(), remote_id=self.remote_id("application"), candidate_id=candidate.id,
            job_id=job.id, stage_id=stages[0].id, source=self.pick(SOURCES),
            credited_to=self.pick(recruiters).id if recruiters and self.rng.random() < 0.7 else None,
            applied_at=applied, rejected_at=None, created_at=created, modified_at=modified)
        self.world.applications[app.id] = app
        return app

    # -- interviews --

    def location(self, job: Job) -> tuple[Location | None, str | None]:
        if self.rng.random() < 0.35:
            return replace(job.office, name=f"{self.pick(ROOMS)} Conference Room"), None
        kind = self.rng.random()
        if kind < 0.5:
            return None, f"https://zoom.us/j/{self.int_between(8_000_000_000, 9_999_999_999)}"
        if kind < 0.85:
            letters = "abcdefghijklmnopqrstuvwxyz"
            code = "-".join("".join(self.pick(letters) for _ in range(n)) for n in (3, 4, 3))
            return None, f"https://meet.google.com/{code}"
        return None, f"https://teams.microsoft.com/l/meetup-join/19%3ameeting_{self.new_id()[:24]}%40thread.v2/0"

    def status(self, start: datetime, end: datetime) -> str:
        roll = self.rng.random()
        if start > self.epoch:
            return "cancelled" if roll < 0.08 else "scheduled"
        if self.epoch - end < timedelta(days=4):
            return "awaiting_feedback" if roll < 0.6 else "complete" if roll < 0.9 else "cancelled"
        return "complete" if roll < 0.8 else "awaiting_feedback" if roll < 0.88 else "cancelled"

    def interview(self, app: Application, stage: Stage, start: datetime, organizer: User,
                  interviewers: list[User], **fixed) -> Interview:
        end = fixed.pop("end_at", None) or start + timedelta(minutes=self.pick(DURATIONS))
        status = fixed.pop("status", None) or self.status(start, end)
        job = self.world.jobs[app.job_id]
        if "location" in fixed:
            location, video = fixed.pop("location"), fixed.pop("video_url", None)
        else:
            location, video = self.location(job)
        candidate = self.world.candidates[app.candidate_id]
        remote_created = min(start - self.days(1, 10), self.epoch - self.minutes(30, 3000))
        remote_created = max(remote_created, app.applied_at + self.minutes(10, 120))
        if status in ("complete", "awaiting_feedback"):
            remote_updated = min(end + self.minutes(5, 2880), self.epoch)
        else:
            remote_updated = min(remote_created + self.minutes(0, 1440), self.epoch)
        remote_updated = max(remote_updated, remote_created)
        created = self.unique_created(min(remote_created + self.minutes(3, 90), self.epoch))
        modified = max(created, min(remote_updated + self.minutes(3, 90), self.epoch))
        interview = Interview(
            id=fixed.pop("id", None) or self.new_id(),
            remote_id=fixed.pop("remote_id", None) or self.remote_id("interview"),
            application_id=app.id, stage_id=stage.id, organizer_id=organizer.id,
            interviewer_ids=tuple(u.id for u in interviewers),
            title=f"{stage.name} - {candidate.first_name} {candidate.last_name}",
            start_at=start, end_at=end, status=status, location=location, video_url=video,
            remote_created_at=remote_created, remote_updated_at=remote_updated,
            created_at=created, modified_at=modified)
        self.world.interviews[interview.id] = interview
        return interview

    def slot(self, after: datetime) -> datetime:
        """A working-hours start (16:00-23:30 UTC, the US business day) some days after `after`."""
        day = (after + self.days(1, 9)).replace(hour=0, minute=0, second=0, microsecond=0)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        return day + timedelta(hours=16, minutes=30 * self.int_between(0, 15))

    # -- the whole world --

    def build(self) -> World:
        rng, n = self.rng, self.spec.interviews
        first, last = self.pools["first"], self.pools["last"]
        people = [(self.pick(first), self.pick(last)) for _ in range(max(12, n // 8))]
        people = list(dict.fromkeys(people))
        roles = ["SUPER_ADMIN"] + ["ADMIN"] * 3 + ["TEAM_MEMBER"] * 6
        users = [self.user(f, l, roles[i] if i < len(roles) else "INTERVIEWER", disabled=i > 10 and rng.random() < 0.06)
                 for i, (f, l) in enumerate(people)]
        recruiters = [u for u in users if u.access_role in ("ADMIN", "TEAM_MEMBER") and not u.disabled]
        panel = [u for u in users if u.access_role != "SUPER_ADMIN" and not u.disabled]

        titles = [(d, t) for d, ts in DEPARTMENTS.items() for t in ts]
        rng.shuffle(titles)
        jobs = [self.job(t, d) for d, t in titles[: max(4, min(len(titles), n // 30))]]

        made = 0
        while made < n:
            candidate = self.candidate(self.pick(first), self.pick(last))
            job = self.pick(jobs)
            app = self.application(candidate, job, recruiters)
            stages = [s for s in self.stages_of(job) if s.name not in NOT_INTERVIEWS]
            when, reached = app.applied_at, None
            for stage in stages[: min(n - made, self.pick((1, 1, 2, 2, 3, 4)))]:
                when = self.slot(when)
                if when > self.epoch + timedelta(days=30):
                    break
                self.interview(app, stage, when, self.pick(recruiters), rng.sample(panel, self.pick((1, 1, 2, 2, 3))))
                reached = stage
                made += 1
            if reached is not None:
                app = self.world.applications[app.id] = replace(app, stage_id=reached.id)
            if rng.random() < 0.15 and app.applied_at < self.epoch - timedelta(days=20):
                reason = REJECTION_REASONS[int(app.id[:8], 16) % len(REJECTION_REASONS)]  # draws no random number
                self.world.applications[app.id] = replace(app, rejected_at=min(when + self.days(1, 5), self.epoch),
                                                          rejection_reason=reason)

        self.mark_deleted_and_shells()
        self.pin()
        self.scorecards()
        self.unique_created_per_kind()
        return self.world

    def scorecards(self) -> None:
        """One scorecard per interviewer of each completed interview. Drawn from a random source of
        their own, after everything else, so that adding them changed no other record."""
        rng = random.Random(f"{self.world.seed}/scorecards")
        draw, bits = rng.random, rng.getrandbits
        # definitely_no, no, yes, strong_yes, no_decision: mostly yes, sometimes no
        weighted = tuple(r for r, w in zip(RECOMMENDATIONS, (1, 3, 5, 2, 1)) for _ in range(w))
        style, seed, epoch = self.platform.id_style, self.world.seed, self.epoch
        for i in sorted(self.world.interviews.values(), key=lambda i: i.created_at):
            if i.status != "complete" or i.shell or i.end_at is None:
                continue
            for uid in i.interviewer_ids:
                submitted = min(i.end_at + timedelta(minutes=10 + int(draw() * 2870)), epoch)
                created = min(submitted + timedelta(minutes=3 + int(draw() * 87)), epoch)
                card = Scorecard(
                    id=v4_hex(bits(128)),
                    # Greenhouse's raw interview names this scorecard's id: the same derivation
                    remote_id=derived_id(style, seed, i.id, uid),
                    application_id=i.application_id, interview_id=i.id, interviewer_id=uid,
                    overall_recommendation=weighted[int(draw() * len(weighted))],
                    remote_created_at=i.end_at, submitted_at=max(submitted, i.end_at),
                    created_at=created, modified_at=created)
                self.world.scorecards[card.id] = card

    def unique_created_per_kind(self) -> None:
        """Keyset paging orders every kind by `created_at`, which must then be unique within the
        kind: a record that shares its instant with an earlier one moves a microsecond on. Draws no
        random number."""
        for records in (self.world.users, self.world.jobs, self.world.stages, self.world.candidates,
                        self.world.applications, self.world.scorecards):
            if len({r.created_at for r in records.values()}) == len(records):
                continue
            taken: set[datetime] = set()
            for record in sorted(records.values(), key=lambda r: r.created_at):  # stable: ties keep their order
                created = record.created_at
                while created in taken:
                    created += timedelta(microseconds=1)
                taken.add(created)
                if created != record.created_at:
                    records[record.id] = replace(record, created_at=created, modified_at=max(record.modified_at, created))

    def mark_deleted_and_shells(self) -> None:
        ids = sorted(self.world.interviews)  # (a tiny world keeps one whole at least)
        for iid in self.rng.sample(ids, min(max(2, len(ids) // 25), len(ids) // 2)):
            i = self.world.interviews[iid]
            gone = min(i.remote_updated_at + self.days(1, 20), self.epoch)
            self.world.interviews[iid] = replace(i, deleted_at=gone, modified_at=max(i.modified_at, gone))
        live = [iid for iid in ids if not self.world.interviews[iid].deleted]
        for iid in self.rng.sample(live, min(max(2, len(ids) // 100), len(live) // 2)):
            i = self.world.interviews[iid]
            self.world.interviews[iid] = replace(
                i, shell=True, stage_id=None, organizer_id=None, interviewer_ids=(), start_at=None, end_at=None,
                status=None, location=None, video_url=None)

    # -- records pinned by hand in the fixtures --

    def pin(self) -> None:
        pinned = self.spec.pinned or {}
        by_email = {u.email.lower(): u for u in self.world.users.values()}
        for p in pinned.get("users", ()):
            email = p["email"].lower()
            if email not in by_email:
                by_email[email] = self.user(p["first_name"], p["last_name"], p.get("access_role", "TEAM_MEMBER"),
                                            p.get("disabled", False), email=p["email"])
        jobs = {j.title: j for j in self.world.jobs.values()}
        people = {c.email.lower(): c for c in self.world.candidates.values()}
        recruiters = [u for u in self.world.users.values() if u.access_role in ("ADMIN", "TEAM_MEMBER")]
        for p in pinned.get("interviews", ()):
            job = jobs.get(p["job"]) or self.job(p["job"], p.get("department", "Engineering"))
            jobs[job.title] = job
            c = p["candidate"]
            candidate = people.get(c["email"].lower()) or self.candidate(c["first_name"], c["last_name"], c["email"])
            people[candidate.email.lower()] = candidate
            app = next((a for a in self.world.applications.values()
                        if a.candidate_id == candidate.id and a.job_id == job.id), None)
            app = app or self.application(candidate, job, recruiters)
            stage = next((s for s in self.stages_of(job) if s.name == p["stage"]), None)
            if stage is None:
                raise ValueError(f"pinned interview: job {job.title!r} has no stage {p['stage']!r}")
            if "id" in p and uuid.UUID(p["id"]).version != 4:
                raise ValueError(f"pinned interview {p['id']}: ids are version-4 UUIDs (every vendor's id derives from it)")
            fixed = {"id": uuid.UUID(p["id"]).hex if "id" in p else None, "remote_id": p.get("remote_id"),
                     "end_at": utc(p["end_at"]), "status": p.get("status"),
                     "location": Location(**p["location"]) if "location" in p else None,
                     "video_url": p.get("video_url")}
            self.interview(app, stage, utc(p["start_at"]), by_email[p["organizer"].lower()],
                           [by_email[e.lower()] for e in p["interviewers"]], **fixed)


def generate(spec: WorldSpec, sandbox_seed: int | str, epoch: datetime) -> World:
    return _Builder(spec, sandbox_seed, epoch).build()
