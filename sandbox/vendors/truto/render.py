"""World records in Truto's unified interview shape. Truto's ids are the platform's remote ids, and
references are `{"id": ...}` objects. Unified leaves out the fields the platform does not map;
normalized keeps every field, null where unmapped (INFERRED: Truto does not document the difference)."""

from __future__ import annotations

from sandbox.world.model import Interview, World
from sandbox.world.platforms import Platform, ms

STATUS = {"scheduled": "scheduled", "awaiting_feedback": "awaiting_feedback", "complete": "completed",
          "cancelled": "cancelled"}
# Truto's field -> the world field it maps (Merge's names, as in Platform.fills)
MAPPED = {"job_interview_stage": "job_interview_stage", "organizer": "organizer", "interviewers": "interviewers",
          "location": "location", "start_at": "start_at", "end_at": "end_at", "status": "status",
          "created_at": "remote_created_at", "updated_at": "remote_updated_at", "remote_data": "remote_data"}


def interview(world: World, platform: Platform, i: Interview, *, normalized: bool = False,
              remote_data: bool = True) -> dict:
    app = world.applications[i.application_id]
    ref = lambda record: {"id": record.remote_id}  # noqa: E731
    values = {
        "id": i.remote_id,
        "application": ref(app),
        "candidate": ref(world.candidates[app.candidate_id]),
        "job_interview_stage": ref(world.stages[i.stage_id]) if i.stage_id else None,
        "organizer": ref(world.users[i.organizer_id]) if i.organizer_id else None,
        "interviewers": [ref(world.users[u]) for u in i.interviewer_ids],
        "location": platform.location_text(i),
        "start_at": ms(i.start_at),
        "end_at": ms(i.end_at),
        "status": STATUS.get(i.status),
        "created_at": ms(i.remote_created_at),
        "updated_at": ms(i.remote_updated_at),
        "remote_data": platform.raw_interview(world, i),
    }
    fills = platform.fills["truto"]
    out = {}
    for key, value in values.items():
        mapped = key not in MAPPED or MAPPED[key] in fills
        if key == "remote_data" and not remote_data:
            continue
        if mapped:
            out[key] = value
        elif normalized:
            out[key] = [] if key == "interviewers" else None
    return out
