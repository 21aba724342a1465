"""Breaking a client's connection on purpose (faults `reset`, `empty`, `truncate`), under gunicorn
or Werkzeug's server. In-process, through Flask's test client, there is no connection: a reset or
an empty reply is marked in the environ, and the app raises `ConnectionResetError` /
`ConnectionAbortedError` to the caller once the request is done (see `app.py`)."""

from __future__ import annotations

import os
import socket
import struct


def _socket(environ) -> socket.socket | None:
    return environ.get("gunicorn.socket") or environ.get("werkzeug.socket")


def served(environ) -> bool:
    """Whether the request came over a server's connection (else: in-process, Flask's test client)."""
    return _socket(environ) is not None


DROPPED = "sandbox.dropped"  # the environ key an in-process drop is marked under


def drop(environ, how: str) -> None:
    """`reset` or `empty`, on the connection if there is one."""
    if not served(environ):
        environ[DROPPED] = how
    else:
        (reset if how == "reset" else close)(environ)


def raise_dropped(environ) -> None:
    how = environ.get(DROPPED)
    if how == "reset":
        raise ConnectionResetError("X-Sandbox-Fault: the connection was reset")
    if how is not None:
        raise ConnectionAbortedError("X-Sandbox-Fault: the connection closed without an answer")


def reset(environ) -> None:
    """A TCP reset before any answer. The server keeps writing to a descriptor that now points at an
    unconnected socket (dup2 closes the connection's own at once), and ignores the error it gets."""
    sock = _socket(environ)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close sends RST
    with socket.socket(sock.family, socket.SOCK_STREAM) as unconnected:
        os.dup2(unconnected.fileno(), sock.fileno())


def close(environ) -> None:
    """The connection closed without (more of) an answer: what the client read so far is all it gets."""
    try:
        _socket(environ).shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # the client left already


def truncated(environ, body: bytes):
    """The first half of `body`, then the connection closed: the declared length is never reached."""
    yield body[:len(body) // 2]
    if _socket(environ) is not None:
        close(environ)


def stop_reading(environ) -> None:
    """No more of the request is read: a read waiting for it returns at once, with what it had."""
    try:
        _socket(environ).shutdown(socket.SHUT_RD)
    except OSError:
        pass


class Closing:
    """An answer after which its connection is shut both ways: a request that did not arrive whole
    leaves nothing to read a next one from (the server may still announce keep-alive: it decides that
    header itself), and a shut socket spares the server lingering on it."""

    def __init__(self, body: list[bytes], environ):
        self.body, self.environ = body, environ

    def __iter__(self):
        return iter(self.body)

    def close(self) -> None:  # (the server calls it once the answer is written)
        if served(self.environ):
            close(self.environ)
