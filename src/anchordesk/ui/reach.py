"""Whether a destination's server answers, and why not: the go-live pre-flight's network check.

Kept apart from the dialog (no Qt here): it runs on a worker thread. The reason is a kind, not
the OS's English text, so the window can say it in the user's language; the OS's words go to
the log for whoever reads it.
"""

from __future__ import annotations

import errno
import logging
import socket
import ssl
from dataclasses import dataclass
from enum import StrEnum

from anchordesk.core.net import connect_first

log = logging.getLogger(__name__)


class Unreachable(StrEnum):
    """Why a destination's server could not be reached, as the window words it."""

    NAME_NOT_FOUND = "name-not-found"  # no such host name
    NAME_LOOKUP_FAILED = "name-lookup-failed"  # the name server did not answer (offline?)
    REFUSED = "refused"  # the host answered: nothing listens on that port
    TIMEOUT = "timeout"  # no answer within the time allowed
    NO_ROUTE = "no-route"  # no network path to the host
    TLS_FAILED = "tls-failed"  # connected, but the TLS handshake of rtmps:// failed
    TLS_TIMEOUT = "tls-timeout"  # connected, but no answer to the TLS handshake of rtmps://
    OTHER = "other"


@dataclass(frozen=True)
class ReachProblem:
    kind: Unreachable
    host: str
    port: int
    timeout_s: float


def _problem_kind(error: OSError) -> Unreachable:
    if isinstance(error, socket.gaierror):
        if error.errno == socket.EAI_AGAIN:
            return Unreachable.NAME_LOOKUP_FAILED
        return Unreachable.NAME_NOT_FOUND
    if isinstance(error, ssl.SSLError):
        return Unreachable.TLS_FAILED
    if isinstance(error, TimeoutError):
        return Unreachable.TIMEOUT
    if isinstance(error, ConnectionRefusedError):
        return Unreachable.REFUSED
    if error.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN):
        return Unreachable.NO_ROUTE
    return Unreachable.OTHER


def tcp_reachable(
    host: str, port: int, timeout_s: float = 3.0, *, tls: bool = False
) -> ReachProblem | None:
    """None when a TCP connection opens within ``timeout_s`` (and, with ``tls``, its TLS
    handshake completes), else why not. The OS's own words go to the log only: the window
    says it in the user's language (:meth:`GoLiveDialog.reach_problem_text`).

    Blocks up to ``timeout_s`` (DNS included): call it from a worker, never the Qt thread.
    """
    stage = "connect"
    try:
        with connect_first(host, port, timeout_s) as connection:
            if tls:
                stage = "TLS handshake"
                # As FFmpeg pushes rtmps:// by default: the handshake must work; the
                # certificate is not judged here (a studio's own relay may be self-signed).
                context = ssl.create_default_context()
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
                with context.wrap_socket(connection, server_hostname=host):
                    pass
            return None
    except UnicodeError as error:
        # A name no resolver takes (an empty part between dots): raised by the name's IDNA
        # encoding, before any lookup. Not caught, the pre-flight never came back.
        log.info("pre-flight: %s is not a name that can be looked up: %s", host, error)
        return ReachProblem(Unreachable.NAME_NOT_FOUND, host, port, timeout_s)
    except OSError as error:
        kind = _problem_kind(error)
        if tls and stage == "TLS handshake" and kind in (Unreachable.OTHER, Unreachable.REFUSED):
            kind = Unreachable.TLS_FAILED  # the peer closed or reset during the handshake
        elif tls and stage == "TLS handshake" and kind is Unreachable.TIMEOUT:
            # The port took the connection and waits: a plain rtmp:// server waiting for its
            # own handshake. "No answer from HOST" sent the user after a server that is up.
            kind = Unreachable.TLS_TIMEOUT
        log.info(
            "pre-flight: %s:%d not reachable at %s (%s): %s",
            host, port, stage, kind, getattr(error, "strerror", None) or error,
        )  # fmt: skip
        return ReachProblem(kind, host, port, timeout_s)
