"""Which platforms Kombo serves interviews for, and which interview fields it fills for each.

Kombo's interviews page lists Workday, SAP SuccessFactors, SmartRecruiters, Lever, Recruitee,
Greenhouse, Ashby, Pinpoint, Zoho Recruit, Gem, Breezy HR and its own Kombo Sandbox. Kombo connects
Oracle Taleo, Fountain and Ceipal too (INFERRED); for them it answers
`INTEGRATION.MODEL_NOT_AVAILABLE` (its docs' code and wording; the 403 is INFERRED, as for its other
integration errors), and to an interview write `INTEGRATION.ACTION_NOT_AVAILABLE` (INFERRED).
"""

from __future__ import annotations

from sandbox.http import errors
from sandbox.http.endpoints import Coverage
from sandbox.vendors.kombo.errors import MODEL_NOT_AVAILABLE

INTERVIEWS = frozenset({"workday", "successfactors", "smartrecruiters", "lever", "recruitee", "greenhouse", "ashby",
                        "pinpoint", "zoho_recruit", "gem", "breezy_hr", "kombo_sandbox"})
COVERAGE = Coverage(
    served={("interview", "list"): INTERVIEWS},
    refused=lambda kind, operation, platform: errors.Forbidden(
        f'The "{kind}s" model is not yet available for {platform.name}. Please reach out to Kombo if you need this '
        "functionality.", code=MODEL_NOT_AVAILABLE))

# The interview fields Kombo leaves empty per platform (null; `users` []). Its Pinpoint connector
# page names the ones it fills: title, start, end and application. Elsewhere every field is filled
# (INFERRED: Kombo publishes no other table), but `canceled` is null where the platform's records
# do not say (the platform's `records_cancellation`).
UNFILLED = {"pinpoint": ("location", "video_conferencing_url", "stage_id", "canceled", "users"),
            "successfactors": ("location",)}  # (its interview record has no place: INFERRED that Kombo fills none)
