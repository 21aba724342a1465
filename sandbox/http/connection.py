"""Breaking a client's connection on purpose (faults `reset`, `empty`, `truncate`), under gunicorn
or Werkzeug's server. In-process, through Flask's test client, there is no connection: a reset or
an empty reply raises `ConnectionResetError` / `ConnectionAbortedError` in the caller instead."""

from __future__ import annotations

import os
import socket
import struct


def _socket(environ) -> socket.socket | None:
    return environ.get("gunicorn.socket") or environ.get("werkzeug.socket")


def reset(environ) -> None:
    """A TCP reset before any answer. The server keeps writing to a descriptor that now points at an
    unconnected socket (dup2 closes the connection's own at once), and ignores the error it gets."""
    sock = _socket(environ)
    if sock is None:
        raise ConnectionResetError("X-Sandbox-Fault: the connection was reset")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close sends RST
    with socket.socket(sock.family, socket.SOCK_STREAM) as unconnected:
        os.dup2(unconnected.fileno(), sock.fileno())


def close(environ) -> None:
    """The connection closed without (more of) an answer: what the client read so far is all it gets."""
    sock = _socket(environ)
    if sock is None:
        raise ConnectionAbortedError("X-Sandbox-Fault: the connection closed without an answer")
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # the client left already


def truncated(environ, body: bytes):
    """The first half of `body`, then the connection closed: the declared length is never reached."""
    yield body[:len(body) // 2]
    if _socket(environ) is not None:
        close(environ)
