"""New records, built the same way whoever makes them: a vendor's write or a simulated upstream
change. Their ids derive from the world's seed and the instant they are made, never from a random
source."""

from __future__ import annotations

import uuid
from datetime import datetime

from sandbox.world.model import Application, Candidate, Interview, Location, Scorecard, World, micros
from sandbox.world.platforms import derived_id, platform
from sandbox.world.store import Query


def new_interview(world: World, created: datetime, *, application_id: str, stage_id: str | None,
                  organizer_id: str | None, interviewer_ids: tuple[str, ...], start_at: datetime,
                  end_at: datetime, status: str, location: Location | None, video_url: str | None,
                  title: str | None = None) -> Interview:
    """A new interview as the platform would hold it once created at `created`. Its ids derive
    from the world's seed and that instant, never from a random source."""
    style = platform(world.platform).id_style_of("interview")
    app = world.applications[application_id]
    candidate = world.candidates[app.candidate_id]
    stage = world.stages.get(stage_id) if stage_id else None
    key = f"{micros(created)}"
    return Interview(
        id=uuid.UUID(hex=derived_id("wid", world.seed, "interview", key), version=4).hex,
        remote_id=derived_id(style, world.seed, "interview-remote", key),
        application_id=application_id, stage_id=stage_id, organizer_id=organizer_id,
        interviewer_ids=interviewer_ids,
        title=title or f"{stage.name if stage else 'Interview'} - {candidate.first_name} {candidate.last_name}",
        start_at=start_at, end_at=end_at, status=status, location=location, video_url=video_url,
        remote_created_at=created.replace(microsecond=0), remote_updated_at=created.replace(microsecond=0),
        created_at=created, modified_at=created)


def _ids(world: World, kind: str, created: datetime) -> tuple[str, str]:
    key = f"{micros(created)}"
    return (uuid.UUID(hex=derived_id("wid", world.seed, kind, key), version=4).hex,
            derived_id(platform(world.platform).id_style_of(kind), world.seed, f"{kind}-remote", key))


def new_candidate(world: World, created: datetime, *, first_name: str, last_name: str, email: str, phone: str,
                  company: str, title: str) -> Candidate:
    record_id, remote_id = _ids(world, "candidate", created)
    return Candidate(id=record_id, remote_id=remote_id, first_name=first_name, last_name=last_name, email=email,
                     phone=phone, company=company, title=title, remote_created_at=created.replace(microsecond=0),
                     created_at=created, modified_at=created)


def new_application(world: World, created: datetime, *, candidate_id: str, job_id: str, stage_id: str,
                    source: str, credited_to: str | None) -> Application:
    record_id, remote_id = _ids(world, "application", created)
    return Application(id=record_id, remote_id=remote_id, candidate_id=candidate_id, job_id=job_id,
                       stage_id=stage_id, source=source, credited_to=credited_to,
                       applied_at=created.replace(microsecond=0), rejected_at=None, created_at=created,
                       modified_at=created)


def new_scorecard(world: World, created: datetime, *, interview: Interview, interviewer_id: str,
                  recommendation: str, submitted_at: datetime) -> Scorecard:
    record_id, remote_id = _ids(world, "scorecard", created)
    return Scorecard(id=record_id, remote_id=remote_id, application_id=interview.application_id,
                     interview_id=interview.id, interviewer_id=interviewer_id, overall_recommendation=recommendation,
                     remote_created_at=submitted_at.replace(microsecond=0), submitted_at=submitted_at.replace(microsecond=0),
                     created_at=created, modified_at=created)


def first_interview(sb, world_key: str) -> tuple[World, Interview]:
    """A world, and its first interview that is neither deleted nor a shell (a write's example uses its people)."""
    (row,) = sb.store.page(world_key, Query("interview"), limit=1)
    return sb.store.snapshot(world_key), row.record("interview")
