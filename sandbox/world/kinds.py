"""The kinds of record a world holds, declared once: what the store keeps of each beside the record
itself, so that filters and keyset paging read columns, not JSON.

A column is one of the record's attributes (named by a string), or computed from the record and
`get(kind, id)`, which looks up the records it refers to.
Derived columns (an interview's job and candidate, the instant it or its application last changed)
are computed here and nowhere else: whenever a record is written, the store recomputes the derived
columns of the records that read it (`Kind.reads`).
"""

from __future__ import annotations

import dataclasses
import operator
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

import orjson

from sandbox.world.model import Application, Candidate, Interview, Job, Location, Scorecard, Stage, User


@dataclass(frozen=True)
class Via:
    """A filter answered through another kind: records whose id is `select` of the `kind` records
    matching `field`. (A candidate "for job J" is one with an application to J.)"""

    kind: str
    field: str
    select: str


@dataclass(frozen=True)
class Kind:
    name: str
    record: type
    attr: str  # the World attribute that holds them
    # filterable columns beyond id, remote_id, created, modified, deleted and shell: name -> the
    # record's attribute of that name (a string), or how to compute the value
    columns: dict[str, str | Callable[[object, Lookup], object]]
    times: frozenset[str] = frozenset()  # columns that hold instants (stored as microseconds)
    numbers: frozenset[str] = frozenset()  # other columns that hold integers (the rest hold text)
    indexed: tuple[str, ...] = ()  # columns a filter often names
    # kinds the derived columns are computed from, and the column that names the record read
    reads: dict[str, str] = dataclasses.field(default_factory=dict)
    via: dict[str, Via] = dataclasses.field(default_factory=dict)
    resident: bool = True  # kept whole in each process's memory (renderers look them up)

    def __post_init__(self):
        # Attributes first, read in one C call per record: a 100,000-interview world is millions of values.
        plain = [n for n, c in self.columns.items() if isinstance(c, str)]
        derived = [(n, c) for n, c in self.columns.items() if not isinstance(c, str)]
        object.__setattr__(self, "order", (*plain, *(n for n, _ in derived)))  # the columns' order in a row
        object.__setattr__(self, "time_positions", frozenset(i for i, n in enumerate(self.order) if n in self.times))
        getter = operator.attrgetter(*(self.columns[n] for n in plain)) if plain else (lambda r: ())
        single = len(plain) == 1
        compute = tuple(c for _, c in derived)

        def values(record, get: Lookup) -> tuple:
            attrs = getter(record)
            return ((attrs,) if single else attrs) + tuple(c(record, get) for c in compute)

        object.__setattr__(self, "values", values)

    def decode(self, data: bytes):
        return from_dict(self.record, orjson.loads(data))


Lookup = Callable[[str, str], object]  # (kind, id) -> the record


def _interview_updated(i: Interview, get: Lookup) -> datetime:
    """Kombo's "updated": the interview or its application changed."""
    return max(i.modified_at, get("application", i.application_id).modified_at)


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("user", User, "users", {"email": "email", "remote_created_at": "remote_created_at"},
         times=frozenset({"remote_created_at"})),
    Kind("job", Job, "jobs", {"title": "title", "status": "status",
                              "remote_created_at": "remote_created_at"}, times=frozenset({"remote_created_at"})),
    Kind("stage", Stage, "stages", {"job_id": "job_id"}, indexed=("job_id",)),
    Kind("candidate", Candidate, "candidates",
         {"email": "email", "first_name": "first_name", "last_name": "last_name",
          "remote_created_at": "remote_created_at"},
         times=frozenset({"remote_created_at"}), via={"job_id": Via("application", "job_id", "candidate_id")}),
    Kind("application", Application, "applications",
         {"candidate_id": "candidate_id", "job_id": "job_id", "stage_id": "stage_id",
          "credited_to": "credited_to", "source": "source",
          "rejected": lambda a, get: int(a.rejected_at is not None), "applied_at": "applied_at",
          "job_remote_id": lambda a, get: get("job", a.job_id).remote_id},
         times=frozenset({"applied_at"}), numbers=frozenset({"rejected"}), indexed=("candidate_id", "job_id"),
         reads={"job": "job_id"}),
    Kind("interview", Interview, "interviews",
         {"application_id": "application_id",
          "job_id": lambda i, get: get("application", i.application_id).job_id,
          "candidate_id": lambda i, get: get("application", i.application_id).candidate_id,
          "stage_id": "stage_id", "organizer_id": "organizer_id",
          "updated": _interview_updated, "start_at": "start_at", "end_at": "end_at",
          "remote_created_at": "remote_created_at", "remote_updated_at": "remote_updated_at"},
         times=frozenset({"updated", "start_at", "end_at", "remote_created_at", "remote_updated_at"}),
         indexed=("application_id",), reads={"application": "application_id"}, resident=False),
    Kind("scorecard", Scorecard, "scorecards",
         {"application_id": "application_id", "interview_id": "interview_id",
          "interviewer_id": "interviewer_id", "recommendation": "overall_recommendation"},
         indexed=("interview_id",), resident=False),
)}
RESIDENT = tuple(k for k, kind in KINDS.items() if kind.resident)


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
