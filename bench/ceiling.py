"""The ceiling: a bare Flask app that answers `GET /bytes/<n>` with a precomputed JSON body of n
bytes. Served by gunicorn with the sandbox's own settings, it is the fastest a Flask route could
be on this machine and server."""

from __future__ import annotations

import functools

from flask import Flask, Response

app = Flask(__name__)


@functools.lru_cache(maxsize=64)
def body(size: int) -> bytes:
    filler = max(size - len(b'{"x":""}'), 0)
    return b'{"x":"' + b"a" * filler + b'"}'


@app.get("/bytes/<int:size>")
def bytes_(size: int):
    return Response(body(size), content_type="application/json")


@app.get("/_sandbox/health")
def health():
    return Response(b'{"status":"ok"}', content_type="application/json")
