"""A TCP connection to a host name whose addresses may not all work ("happy eyeballs").

``socket.create_connection`` tries a name's addresses one after the other and gives each the
whole timeout: a server whose name has an IPv6 address that swallows packets (a broken IPv6
route, common on home and hotel networks) and a working IPv4 one was reached only after the
IPv6 attempt timed out, at every attempt. FFmpeg's own connections (``rtmp://``) start the
next address while the first is still pending; the TLS relay of ``rtmps://`` and the go-live
pre-flight connect through here to do the same (RFC 8305: a new address every 250 ms, the
families taken in turn, the first connection made wins, one deadline for all).
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import selectors
import socket
import time
from collections.abc import Callable
from typing import Any

#: How long an attempt is alone before the next address is tried beside it (RFC 8305 §5).
ATTEMPT_DELAY_S = 0.25

_Address = tuple[Any, ...]  # one getaddrinfo() entry: family, type, proto, name, sockaddr


def _in_turns(addresses: list[_Address]) -> list[_Address]:
    """The addresses with the families in turn, the first family first (RFC 8305 §4)."""
    first = addresses[0][0] if addresses else None
    mine = [address for address in addresses if address[0] == first]
    other = [address for address in addresses if address[0] != first]
    turns = itertools.zip_longest(mine, other)
    return [address for pair in turns for address in pair if address is not None]


def _error(code: int) -> OSError:
    if code == errno.ECONNREFUSED:
        return ConnectionRefusedError(code, os.strerror(code))
    return OSError(code, os.strerror(code))


def _start(address: _Address) -> socket.socket:
    family, kind, proto, _, target = address
    connection = socket.socket(family, kind, proto)
    try:
        connection.setblocking(False)
        code = connection.connect_ex(target)
        if code not in (0, errno.EINPROGRESS):
            raise _error(code)
    except BaseException:
        connection.close()
        raise
    return connection


def connect_first(
    host: str,
    port: int,
    timeout_s: float,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> socket.socket:
    """A connected socket to ``host:port`` (blocking, with ``timeout_s`` as its timeout, as
    ``socket.create_connection`` gives), from the first of its addresses to answer, all
    within ``timeout_s`` (the name lookup excluded). Raises ``socket.gaierror`` when the name
    is not found, ``TimeoutError`` when no address answered in time, else the last failed
    address's error (``ConnectionRefusedError``, ``OSError`` for no route...), as
    ``socket.create_connection`` does."""
    waiting = iter(_in_turns(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)))
    deadline_s = clock() + timeout_s
    pending: list[socket.socket] = []
    error: OSError | None = None
    more = True
    next_start_s = clock()
    with selectors.DefaultSelector() as selector:
        try:
            while True:
                now_s = clock()
                if more and (now_s >= next_start_s or not pending):
                    address = next(waiting, None)
                    if address is None:
                        more = False
                    else:
                        try:
                            started = _start(address)
                        except OSError as failure:
                            error = failure
                            continue  # failed at once (no route): the next one starts now
                        pending.append(started)
                        selector.register(started, selectors.EVENT_WRITE)
                        next_start_s = now_s + ATTEMPT_DELAY_S
                if not more and not pending:
                    raise error or OSError(errno.EADDRNOTAVAIL, f"no address for {host}")
                left_s = deadline_s - now_s
                if left_s <= 0:
                    raise TimeoutError(f"no answer from {host} within {timeout_s:g} s")
                wait_s = min(left_s, max(0.0, next_start_s - now_s)) if more else left_s
                for key, _ in selector.select(wait_s):
                    connection = key.fileobj
                    assert isinstance(connection, socket.socket)
                    selector.unregister(connection)
                    pending.remove(connection)
                    code = connection.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if code == 0:
                        connection.setblocking(True)
                        connection.settimeout(timeout_s)
                        return connection
                    connection.close()
                    error = _error(code)
                    next_start_s = clock()  # a failure starts the next address at once
        finally:
            for connection in pending:
                with contextlib.suppress(OSError):
                    connection.close()
