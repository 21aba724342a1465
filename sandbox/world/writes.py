"""Records written through a vendor, built the same way whichever vendor wrote them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sandbox.world.model import Interview, Location, World
from sandbox.world.platforms import derived_id, platform
from sandbox.world.model import micros


def new_interview(world: World, created: datetime, *, application_id: str, stage_id: str | None,
                  organizer_id: str | None, interviewer_ids: tuple[str, ...], start_at: datetime,
                  end_at: datetime, status: str, location: Location | None, video_url: str | None,
                  title: str | None = None) -> Interview:
    """A new interview as the platform would hold it once created at `created`. Its ids derive
    from the world's seed and that instant, never from a random source."""
    style = platform(world.platform).id_style
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
