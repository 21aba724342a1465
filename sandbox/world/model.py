"""Plain records of one fake company's ATS. Times are aware UTC datetimes; ids are 32-hex strings.

Every vendor renders these in its own shape and id style; nothing here knows about a vendor.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timezone

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
    version: int = 1

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


@dataclass
class World:
    """One fake company on one ATS platform, with everything its ATS holds."""

    key: str
    company: str
    platform: str
    seed: str
    version: int = 1  # moves when any record other than an interview changes
    users: dict[str, User] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    stages: dict[str, Stage] = field(default_factory=dict)
    candidates: dict[str, Candidate] = field(default_factory=dict)
    applications: dict[str, Application] = field(default_factory=dict)
    interviews: dict[str, Interview] = field(default_factory=dict)


# ---- decoding: the store keeps records as orjson writes dataclasses ---------------------------

_NESTED = {"location": Location, "office": Location}


def from_dict(cls, data: dict):
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        if value is not None:
            if f.name in _NESTED:
                value = Location(**value)
            elif "datetime" in str(f.type):
                value = datetime.fromisoformat(value)
            elif isinstance(value, list):
                value = tuple(value)
        kwargs[f.name] = value
    return cls(**kwargs)


def iso_z(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with `Z`, microseconds only when there are any (how Django REST Framework and
    pydantic write times)."""
    if value is None:
        return None
    text = value.astimezone(timezone.utc).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def utc(text: str) -> datetime:
    """Parse an ISO 8601 instant; a naive one is taken as UTC."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)
