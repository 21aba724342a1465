"""A request's body, read whole before the app handles it, within a time: a client that stalls its
body holds a thread that long at most, not for ever (gunicorn's threaded worker reads it in the thread
that serves the request, and has no timeout of its own for it)."""

from __future__ import annotations

import io
import threading

from sandbox.http import connection


def read_whole(environ, seconds: float, limit: int) -> bool:
    """The body read now, up to a byte past `limit`, in place of the stream it came on; False when it
    had not all arrived `seconds` after this began (the connection is then read no more). A body whose
    declared length is over `limit` is left unread: the app refuses it (413)."""
    length = environ.get("CONTENT_LENGTH") or ""
    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    if not chunked and not (length.isascii() and length.isdigit() and 0 < int(length) <= limit):
        return True
    wanted, stream = limit + 1 if chunked else int(length), environ["wsgi.input"]
    late = threading.Event()

    def too_late():
        late.set()
        connection.stop_reading(environ)  # the read waiting for more returns now

    timer = threading.Timer(seconds, too_late) if connection.served(environ) else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    data = bytearray()
    try:
        while len(data) < wanted and not late.is_set():
            chunk = stream.read(min(64 * 1024, wanted - len(data)))
            if not chunk:
                break
            data += chunk
    except (OSError, ValueError):  # (the connection went, or gunicorn gave up on what it read)
        late.set()
    finally:
        if timer is not None:
            timer.cancel()
    if late.is_set() or (not chunked and len(data) < wanted):
        return False
    environ["wsgi.input"] = io.BytesIO(bytes(data))
    return True
