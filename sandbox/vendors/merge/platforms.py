"""Which platforms Merge serves interviews for, and which interview fields it fills for each
(Merge's field-support page; ../shared/platforms.md). Merge lets an integrator link Pinpoint,
Ceipal, Zoho Recruit, Gem and Breezy HR accounts as well (its ATS integrations), but serves no
ScheduledInterview for them: their interview endpoints answer 404 `{"detail": "Not found."}`, as
Merge answers a model the integration does not support (INFERRED: DRF's default body)."""

from __future__ import annotations

from sandbox.http import errors
from sandbox.http.endpoints import Coverage

INTERVIEWS = frozenset({"ashby", "fountain", "greenhouse", "lever", "taleo", "recruitee", "successfactors",
                        "smartrecruiters", "workday"})
COVERAGE = Coverage(served={("interview", "list"): INTERVIEWS, ("interview", "get"): INTERVIEWS},
                    refused=lambda kind, operation, platform: errors.NotFound("Not found."))

# A field not named for a platform comes back null (`interviewers` as []); `application`, the ids,
# `remote_was_deleted` and the sandbox's own times are always there.
ALL_FIELDS = frozenset({"start_at", "end_at", "interviewers", "job_interview_stage", "location", "organizer",
                        "status", "remote_created_at", "remote_updated_at", "remote_data"})
_EVERYWHERE = frozenset({"start_at", "end_at", "interviewers"})
FILLS = {
    "ashby": _EVERYWHERE | {"job_interview_stage", "status", "remote_created_at", "remote_data"},
    "fountain": _EVERYWHERE | {"job_interview_stage", "location", "status", "remote_data"},
    "greenhouse": ALL_FIELDS,
    "lever": _EVERYWHERE | {"job_interview_stage", "location", "organizer", "remote_created_at", "remote_data"},
    "taleo": ALL_FIELDS - {"status"},
    "recruitee": _EVERYWHERE | {"job_interview_stage", "organizer", "remote_created_at", "remote_updated_at",
                                "remote_data"},
    "successfactors": _EVERYWHERE | {"job_interview_stage", "status", "remote_data"},
    # No `remote_data`: Merge's field-support page lists it among SmartRecruiters' Application fields
    # but not among its ScheduledInterview fields (platforms.md, seed 001), so Merge leaves it null there
    # even with include_remote_data=true, though the world holds SmartRecruiters' raw records.
    "smartrecruiters": _EVERYWHERE | {"job_interview_stage", "location", "organizer", "remote_created_at"},
    "workday": _EVERYWHERE | {"remote_data"},
}
