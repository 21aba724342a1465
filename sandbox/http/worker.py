"""The gunicorn worker the sandbox runs: gunicorn's `gthread` worker with three changes.

- **A request is read whole before a thread takes it.** The event loop reads each request (headers
  and body, to the body limit) as its bytes come, without blocking; only a complete request goes to
  the thread pool. A client that sends its headers and then stalls its body holds no thread: after
  `SANDBOX_BODY_TIMEOUT` seconds without finishing it gets 408 in the vendor's envelope and is closed.
- **Workers take new connections in turn.** A worker that holds more connections than another
  leaves a new one to it (`Loads`), so that a few long-lived connections (a test suite's, a load
  generator's) spread evenly instead of going to whichever worker wakes first.
- **gunicorn's own error pages are JSON.** What gunicorn refuses before the app sees it (a malformed
  request line or header, a request line over 1 MiB, a header over 64 KiB) is answered in the vendor's
  envelope when the path could be read, else as `{"detail": ...}`, never as an HTML page.
"""

from __future__ import annotations

import mmap
import select
import selectors
import struct
import threading
import time
from collections import deque
from functools import partial

import orjson
from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

from sandbox.app import MAX_BODY

LIMIT_REQUEST_LINE = 0  # gunicorn's "unlimited": a request line up to 1 MiB reaches the app, which decides
LIMIT_REQUEST_FIELD_SIZE = 64 * 1024  # likewise a header, up to this
HEADER_SPACE = 128 * 1024  # what a request may hold before its body, read ahead at most
_current = threading.local()  # the request gunicorn is refusing, for the error's envelope
TURN = 0.005  # seconds a worker leaves a new connection to a worker holding fewer, before it looks again
PATIENCE = 0.05  # seconds after which it takes the connection anyway (that worker may be stuck)


class Loads:
    """How many connections each worker holds, in memory the arbiter maps before it forks them, so
    that they share it. The arbiter gives each worker a slot (cli.py: `pre_fork`, `child_exit`)."""

    def __init__(self, slots: int = 64):
        self.slots = slots
        self._map = mmap.mmap(-1, 8 * slots)  # per slot: its worker's connections plus one; 0: no worker
        self._all = struct.Struct(f"<{slots}Q")

    def assign(self, worker, others) -> None:
        taken = {w.slot for w in others}
        worker.slot = next((s for s in range(self.slots) if s not in taken), None)
        if worker.slot is not None:
            self.hold(worker.slot, 0)

    def release(self, worker) -> None:
        if worker.slot is not None:
            struct.pack_into("<Q", self._map, 8 * worker.slot, 0)

    def hold(self, slot: int, connections: int) -> None:
        struct.pack_into("<Q", self._map, 8 * slot, connections + 1)

    def fewest(self, mine: int) -> int | None:
        """The fewest connections another worker holds (None: there is no other)."""
        return min((n - 1 for s, n in enumerate(self._all.unpack_from(self._map)) if n and s != mine), default=None)


LOADS = Loads()


class SandboxWorker(ThreadWorker):
    slot: int | None = None  # its place in LOADS

    def __init__(self, *args, **kwargs):
        self._connections, self.paused_until = 0, 0.0
        self.waiting_since: float | None = None  # since when it has left a new connection to others
        super().__init__(*args, **kwargs)
        self.reading: deque = deque()  # connections whose request is still arriving, oldest first

    def init_process(self):
        util.write_error = self.write_error  # (this process only: gunicorn's pages, as JSON)
        self.body_timeout = self.app.flask_app.extensions["sandbox"].settings.body_timeout
        super().init_process()

    # ---- new connections in turn ----

    @property
    def nr_conns(self) -> int:
        return self._connections

    @nr_conns.setter
    def nr_conns(self, n: int) -> None:  # (gthread counts its connections here: each change is shared)
        self._connections = n
        if self.slot is not None:
            LOADS.hold(self.slot, n)

    def accept(self, listener):
        """A new connection: left to a worker that holds fewer, accepting paused for a turn; taken
        when none does, or when nobody has taken it for PATIENCE seconds."""
        fewest = LOADS.fewest(self.slot) if self.slot is not None else None
        if fewest is not None and self._connections > fewest:
            now = time.monotonic()
            self.waiting_since = self.waiting_since or now
            if now - self.waiting_since < PATIENCE:
                self.paused_until = now + TURN
                self.set_accept_enabled(False)
                return
        self.waiting_since = None
        super().accept(listener)

    def set_accept_enabled(self, enabled):
        if enabled and self.paused_until:
            if time.monotonic() < self.paused_until:
                return  # (gthread's loop asks again on its next turn, which comes by then)
            self.paused_until = 0.0
            if not select.select(self.sockets, [], [], 0)[0]:  # what it left was taken: the wait is over
                self.waiting_since = None
        super().set_accept_enabled(enabled)

    def wait_for_and_dispatch_events(self, timeout):
        if self.paused_until:  # wake when the pause ends, once (the loop then accepts if it can)
            left = self.paused_until - time.monotonic()
            if left > 0:
                timeout = min(timeout, left)
            else:
                self.paused_until = 0.0
        super().wait_for_and_dispatch_events(timeout)

    def error_body(self, path: str | None, status: int, message: str) -> bytes:
        """The error in the envelope of the vendor whose path it is (some envelopes read the request)."""
        app = self.app.flask_app
        try:
            with app.test_request_context(path or "/"):
                return app.extensions["sandbox"].error_answer(path, status, message)
        except Exception:  # noqa: BLE001 - the worker's own loop must not fall over an error's body
            self.log.exception("no envelope for a %s on %r", status, path)
            return orjson.dumps({"detail": message})

    # ---- a request read whole by the event loop ----

    def enqueue_req(self, conn):
        if conn.is_http2 or (conn.parser is not None and conn.parser.unreader.buf.getvalue()):
            return super().enqueue_req(conn)  # (bytes already read ahead: they are the request's start)
        conn.sock.setblocking(False)
        conn.early, conn.read_by = bytearray(), time.monotonic() + self.body_timeout
        # A kept-alive connection comes here because its next request arrived: usually all of it,
        # which goes to a thread at once, without another turn of the event loop.
        whole = self._receive(conn)
        if whole is None:
            self.reading.append(conn)
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))
        else:
            self._dispatch(conn, whole)

    def _on_readable(self, conn, sock):
        whole = self._receive(conn)
        if whole is not None:
            self._stop_reading(conn)
            self._dispatch(conn, whole)

    def _receive(self, conn) -> bool | None:
        """Read what has arrived: True once the request is whole, False when the client went away,
        None while more is to come."""
        try:
            data = conn.sock.recv(256 * 1024)
        except BlockingIOError:
            return None
        except OSError:
            data = b""
        if not data:
            return False
        conn.early += data
        return True if _complete(conn.early) else None

    def _dispatch(self, conn, whole: bool):
        if not whole:  # the client went away
            self.nr_conns -= 1
            conn.close()
            return
        conn.sock.setblocking(True)
        conn.data_ready = True
        super().enqueue_req(conn)

    def _stop_reading(self, conn):
        self.poller.unregister(conn.sock)
        self.reading.remove(conn)

    def handle(self, conn):
        early = getattr(conn, "early", None)
        if early:
            conn.early = None
            conn.sock.setblocking(True)
            conn.init()
            conn.parser.unreader.unread(bytes(early))
        return super().handle(conn)

    def murder_pending(self):
        """Also: a request that has not arrived whole in time is answered 408 and closed."""
        super().murder_pending()
        now = time.monotonic()
        while self.reading and self.reading[0].read_by <= now:
            conn = self.reading[0]
            self._stop_reading(conn)
            self.nr_conns -= 1
            body = self.error_body(_path(conn.early), 408, "The request was not received in time.")
            try:
                conn.sock.send(_response(408, "Request Timeout", body))
            except OSError:
                pass
            conn.close()

    # ---- gunicorn's error pages, in the vendor's envelope ----

    def handle_error(self, req, client, addr, exc):
        _current.req = req if req is not None else getattr(exc, "req", None)
        _current.line = str(exc.args[0]).encode("utf-8", "replace") if exc.args else b""  # a bad line's path
        try:
            super().handle_error(req, client, addr, exc)
        finally:
            _current.req = _current.line = None

    def write_error(self, sock, status_int, reason, mesg):
        req = getattr(_current, "req", None)
        path = getattr(req, "path", None) or _path(getattr(_current, "line", b""))
        body = self.error_body(path, status_int, mesg or reason)
        util.write_nonblock(sock, _response(status_int, reason, body))


def _complete(data: bytearray) -> bool:
    """Whether `data` holds a whole request: its headers, and its body by Content-Length or to the
    chunked body's end. A request too large to hold goes on as it is (the app refuses it)."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return len(data) > HEADER_SPACE
    head = bytes(data[:end]).lower()
    if b"\nexpect:" in head:
        return True  # (the client waits for gunicorn's "100 Continue" before it sends the body)
    if b"\ntransfer-encoding:" in head and b"chunked" in head.split(b"\ntransfer-encoding:", 1)[1].split(b"\n", 1)[0]:
        return data.endswith(b"0\r\n\r\n") or len(data) > end + MAX_BODY + HEADER_SPACE
    if b"\ncontent-length:" in head:
        try:
            length = int(head.split(b"\ncontent-length:", 1)[1].split(b"\n", 1)[0].strip())
        except ValueError:
            return True  # (gunicorn refuses it)
        return length > MAX_BODY or len(data) >= end + 4 + length  # (too large: the app refuses it at once)
    return True


def _path(data: bytes | bytearray | None) -> str | None:
    """The path of a request line (or of the start of a request, or of gunicorn's message quoting one)."""
    line = bytes(data or b"").split(b"\r\n", 1)[0]
    start = line.find(b" /")
    if start < 0:
        return None
    return line[start + 1:].split(b" ", 1)[0].split(b"?", 1)[0].decode("latin-1")


def _response(status: int, reason: str, body: bytes) -> bytes:
    return (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body
