from __future__ import annotations

from flask import Blueprint, request

from sandbox import __version__
from sandbox.http.vendor import json_response, sandbox

bp = Blueprint("admin", __name__)


@bp.get("/health")
def health():
    sb = sandbox()
    return json_response({"status": "ok", "version": __version__, "worlds": len(sb.fixtures.worlds),
                          "vendors": sorted(sb.accounts.vendors)})


@bp.get("/accounts")
def accounts():
    return json_response(sandbox().accounts.listing())


@bp.get("/journal")
def journal():
    limit = request.args.get("limit", "100")
    entries = list(sandbox().journal.entries)
    return json_response(entries[-int(limit):] if limit.isdigit() and int(limit) > 0 else entries)


@bp.post("/reset")
def reset():
    """Back to the generated worlds: every write since start is dropped."""
    sandbox().install(force=True)
    return json_response({"status": "reset"})
