from __future__ import annotations

from flask import Blueprint, request

from sandbox.http.errors import BY_STATUS

from sandbox import __version__
from sandbox.http.context import json_response, sandbox

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


@bp.get("/faults")
def faults():
    return json_response(sandbox().limits.faults())


@bp.post("/faults")
def add_fault():
    """`{"vendor": "kombo", "status": 429, "count": 1, "world": null}`: the next `count` requests to
    that vendor (and world, if given) are answered with `status`, in the vendor's error shape."""
    body = request.get_json(silent=True)
    vendors = sandbox().accounts.vendors
    if (not isinstance(body, dict) or body.get("vendor") not in vendors or body.get("status") not in BY_STATUS
            or not isinstance(body.get("count", 1), int) or body.get("count", 1) < 1):
        return json_response({"error": f"expected {{vendor: one of {sorted(vendors)}, status: one of "
                                       f"{sorted(BY_STATUS)}, count: a positive integer, world: optional}}"}, 400)
    sandbox().limits.add_fault(body["vendor"], body["status"], body.get("count", 1), body.get("world"))
    return json_response({"status": "ok", "faults": sandbox().limits.faults()}, 201)


@bp.delete("/faults")
def clear_faults():
    sandbox().limits.clear()
    return json_response({"status": "ok"})
