"""Plain records of one fake company's ATS. Times are aware UTC datetimes; ids are 32-hex strings.

Every vendor renders these in its own shape and id style; nothing here knows about a vendor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

STATUSES = ("scheduled", "awaiting_feedback", "complete", "cancelled")


@dataclass(frozen=True)
class Location:
    name: str | None = None
    street_1: str | None = None
    street_2: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2

    def text(self) -> str:
        """The one-line form a platform shows: "Room, street, city, state zip"."""
        region = " ".join(p for p in (self.state, self.zip_code) if p)
        parts = (self.name, self.street_1, self.street_2, self.city, region)
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True)
class User:
    id: str
    remote_id: str
    first_name: str
    last_name: str
    email: str
    access_role: str  # SUPER_ADMIN | ADMIN | TEAM_MEMBER | LIMITED_TEAM_MEMBER | INTERVIEWER
    disabled: bool
    remote_created_at: datetime
    created_at: datetime
    modified_at: datetime


@dataclass(frozen=True)
class Job:
    id: str
    remote_id: str
    title: str
    department: str
    office: Location
    remote_created_at: datetime
    created_at: datetime
    modified_at: datetime
    status: str = "open"  # open | closed | draft | archived | pending


@dataclass(frozen=True)
class Stage:
    id: str
    remote_id: str
    job_id: str
    name: str
    order: int
    created_at: datetime
    modified_at: datetime


@dataclass(frozen=True)
class Candidate:
    id: str
    remote_id: str
    first_name: str
    last_name: str
    email: str
    phone: str
    company: str
    title: str
    remote_created_at: datetime
    created_at: datetime
    modified_at: datetime
    deleted_at: datetime | None = None  # deleted in the remote system


@dataclass(frozen=True)
class Application:
    id: str
    remote_id: str
    candidate_id: str
    job_id: str
    stage_id: str  # the current stage
    source: str
    credited_to: str | None  # a user id
    applied_at: datetime
    rejected_at: datetime | None
    created_at: datetime
    modified_at: datetime
    rejection_reason: str | None = None
    deleted_at: datetime | None = None  # deleted in the remote system


@dataclass(frozen=True)
class Interview:
    id: str
    remote_id: str
    application_id: str
    stage_id: str | None
    organizer_id: str | None
    interviewer_ids: tuple[str, ...]
    title: str
    start_at: datetime | None
    end_at: datetime | None
    status: str | None  # one of STATUSES
    location: Location | None
    video_url: str | None
    remote_created_at: datetime
    remote_updated_at: datetime
    created_at: datetime  # when the unified API first saw it
    modified_at: datetime  # when the unified API last saw a change
    deleted_at: datetime | None = None  # deleted in the remote system
    shell: bool = False  # a record the platform returned with only its id and times

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


RECOMMENDATIONS = ("definitely_no", "no", "yes", "strong_yes", "no_decision")


@dataclass(frozen=True)
class Scorecard:
    """One interviewer's feedback on one interview."""

    id: str
    remote_id: str
    application_id: str
    interview_id: str
    interviewer_id: str
    overall_recommendation: str | None  # one of RECOMMENDATIONS
    remote_created_at: datetime
    submitted_at: datetime | None
    created_at: datetime
    modified_at: datetime


@dataclass
class World:
    """One fake company on one ATS platform, with everything its ATS holds. A world read from the
    store holds the kinds every process keeps in memory (see `kinds.RESIDENT`); interviews and
    scorecards are read page by page instead."""

    key: str
    company: str
    platform: str
    seed: str
    # what the store has seen of each kind since install: (generation, version of each kind)
    versions: dict[str, tuple[int, int]] = field(default_factory=dict)
    stamp: tuple = ()  # all of `versions`, as one key
    # set by the store: (kind, id) -> the record; (kind, field, value) -> the records whose field holds it
    fetch: Callable[[str, str], object] | None = field(default=None, repr=False, compare=False)
    find: Callable[[str, str, str], tuple] | None = field(default=None, repr=False, compare=False)
    users: dict[str, User] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    stages: dict[str, Stage] = field(default_factory=dict)
    candidates: dict[str, Candidate] = field(default_factory=dict)
    applications: dict[str, Application] = field(default_factory=dict)
    interviews: dict[str, Interview] = field(default_factory=dict)
    scorecards: dict[str, Scorecard] = field(default_factory=dict)

    def record(self, kind: str, record_id: str):
        """Any record of this world, by kind and id."""
        return self.fetch(kind, record_id)

    def related(self, kind: str, field: str, record_id: str) -> tuple:
        """The live records of a kind whose `field` names `record_id` (an application's interviews),
        in created order."""
        return self.find(kind, field, record_id)

    def version(self, *kinds: str) -> tuple:
        """What a rendering that reads these kinds depends on: it is stale once any of them moves."""
        return tuple(self.versions.get(k) for k in kinds)


_INDEXES: dict[tuple[int, str], tuple[dict, dict]] = {}


def index(records: dict, field: str) -> dict:
    """`records` grouped by `field`, built once per dict of records (a world's resident kind is one
    dict until it is reloaded). The dict is kept with its index, so that its id is not reused."""
    hit = _INDEXES.get((id(records), field))
    if hit is None or hit[0] is not records:
        groups: dict[str, list] = {}
        for record in sorted(records.values(), key=lambda r: r.created_at):
            groups.setdefault(getattr(record, field), []).append(record)
        if len(_INDEXES) > 64:
            _INDEXES.clear()
        hit = _INDEXES[(id(records), field)] = (records, {k: tuple(v) for k, v in groups.items()})
    return hit[1]


# ---- instants -------------------------------------------------------------------------------


def iso_z(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with `Z`, microseconds only when there are any (how Django REST Framework and
    pydantic write times)."""
    if value is None:
        return None
    text = value.astimezone(timezone.utc).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def utc(text: str) -> datetime:
    """Parse an ISO 8601 instant; a naive one is taken as UTC. One that is not there in UTC (the first
    hour of year 1 east of Greenwich, the last of 9999 west of it) is a ValueError like any bad time."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError(f"{text!r} is out of the range of times") from None


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)


def micros(value: datetime) -> int:
    """Microseconds since 1970 of an aware datetime (timedelta floor division: exact, and done in C)."""
    return (value - _EPOCH) // _MICROSECOND


def from_micros(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)
