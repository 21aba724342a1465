"""The sandbox under gunicorn: gunicorn's own threaded worker (`gthread`), configured in cli.py, with
one documented hook overridden — the error page gunicorn writes for a request it refuses before the
app sees it (a malformed request line, a bad or oversized header), which here is JSON in the vendor's
envelope, never HTML. Reading a request's body whole, in time, is the app's (app.py: `read_body`)."""

from __future__ import annotations

import html

import orjson
from gunicorn import util
from gunicorn.http.message import Request
from gunicorn.workers.gthread import ThreadWorker

LIMIT_REQUEST_LINE = 0  # gunicorn's "unlimited" (1 MiB): a longer request target reaches the app, which decides
# A header up to this reaches the app, which refuses one over 8 KiB in the vendor's envelope (431); past it
# gunicorn refuses it, and this hook answers.
LIMIT_REQUEST_FIELD_SIZE = 128 * 1024


class Worker(ThreadWorker):
    def handle_error(self, req, client, addr, exc):
        """gunicorn's answer (its status and message) in the envelope of the vendor whose path it is."""
        page = _Page(client)
        super().handle_error(req, page, addr, exc)  # gunicorn logs it and writes its HTML page, kept here
        if not page.written:
            return
        path = _path(req) or _path(getattr(exc, "req", None)) or _path_being_parsed(exc) or _path_quoted(exc)
        try:
            status, reason, message = page.parts()
        except ValueError:  # (not the page gunicorn writes: its own words are lost, not its refusal)
            status, reason, message = 400, "Bad Request", "Bad request."
        try:
            with self.app.flask_app.test_request_context(path or "/"):  # (some envelopes read the request)
                body = self.app.flask_app.extensions["sandbox"].error_answer(path, status, message)
        except Exception:  # noqa: BLE001 - the worker must not fall over an error's body
            self.log.exception("no envelope for gunicorn's %s on %r", status, path)
            body = orjson.dumps({"detail": message})
        util.write_nonblock(client, (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
                                     f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
                            + body)


class _Page:
    """A client socket whose writes are kept instead of sent (gunicorn's error page)."""

    def __init__(self, client):
        self._client, self.written = client, b""

    def sendall(self, data: bytes) -> None:
        self.written += data

    def __getattr__(self, name):
        return getattr(self._client, name)

    def parts(self) -> tuple[int, str, str]:
        head, _, page = self.written.decode("latin-1").partition("\r\n\r\n")
        _, status, reason = head.split("\r\n", 1)[0].split(" ", 2)
        message = page.split("</h1>", 1)[-1].split("</body>", 1)[0].strip()
        return int(status), reason, html.unescape(message) or reason


def _path(req) -> str | None:
    return getattr(req, "path", None) or None


def _path_quoted(exc: BaseException) -> str | None:
    """The path of a request line gunicorn refused, as its message quotes the line."""
    line = str(exc.args[0]) if exc.args else ""
    start = line.find(" /")
    return line[start + 1:].split(" ", 1)[0].split("?", 1)[0] if start >= 0 else None


def _path_being_parsed(exc: BaseException) -> str | None:
    """The path of the request gunicorn was reading when it refused a header: gunicorn's exception for a
    bad header does not carry its request, but the request line was read by then (and the request is the
    `self` of the frame that raised). None when it cannot be told: the answer is then `{"detail": ...}`."""
    tb = exc.__traceback__
    while tb is not None:
        reading = tb.tb_frame.f_locals.get("self")
        if isinstance(reading, Request) and getattr(reading, "path", None):
            return reading.path
        tb = tb.tb_next
    return None
