"""Which platforms Truto serves interviews for, and which interview fields it maps for each.

Truto's docs (unified ATS API, interviews): the list for Ashby, Ceipal, Fountain, Greenhouse and
Pinpoint; the get for Ceipal and Pinpoint, with "Supported in" per field. Truto connects many more
platforms; for those its interview endpoints answer 404 in its error shape (INFERRED: Truto does
not document the answer to a method the integration does not map).
"""

from __future__ import annotations

from sandbox.http import errors
from sandbox.http.endpoints import Coverage
from sandbox.vendors.truto.errors import MissingParameters

LISTED = frozenset({"ashby", "ceipal", "fountain", "greenhouse", "pinpoint"})
FETCHED = frozenset({"ceipal", "pinpoint"})
COVERAGE = Coverage(
    served={("interview", "list"): LISTED, ("interview", "get"): FETCHED},
    # its docs: `candidate_id` is required for Fountain (whose API lists booked slots per applicant)
    required={("interview", "list"): {"fountain": ("candidate_id",)}}, missing=lambda names: MissingParameters(*names),
    refused=lambda kind, operation, platform: errors.NotFound(
        f"The {operation} method of the unified interviews resource is not supported for the {platform.name} "
        "integration."))

# "Supported in" per field of the get page; `id` and `remote_data` are everywhere.
_CEIPAL = {"application", "candidate", "job_interview_stage", "organizer", "interviewers", "location", "created_at",
           "updated_at"}
_PINPOINT = {"application", "job_interview_stage", "start_at", "end_at", "status", "created_at", "updated_at"}
# The list-only platforms have no per-field table: Truto is taken to map the fields Merge fills for
# them, and the application and candidate always (INFERRED).
_UNIFIED = {"application", "candidate", "job_interview_stage", "interviewers", "start_at", "end_at"}
ALWAYS = frozenset({"id", "remote_data"})
MAPS = {
    "ceipal": ALWAYS | _CEIPAL,
    "pinpoint": ALWAYS | _PINPOINT,
    "ashby": ALWAYS | _UNIFIED | {"status", "created_at"},
    "fountain": ALWAYS | _UNIFIED | {"location", "status"},
    "greenhouse": ALWAYS | _UNIFIED | {"organizer", "location", "status", "created_at", "updated_at"},
}
