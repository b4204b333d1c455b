"""Who may drive the show: the token, the failure limit and the browser origin.

- The token is compared in constant time (``hmac.compare_digest`` on bytes).
- An address that fails ``limit`` times within ``window_s`` is refused for ``block_s``, with
  or without a right token: guessing costs a minute per twenty tries. An IPv6 address counts
  as its /64: one machine holds a whole /64 (privacy addresses, RFC 8981) and may take a new
  address for each try.
- A browser tells where a request comes from (``Origin``, ``Sec-Fetch-Site``); only the
  remote's own page may use the API, so no other web page open in the operator's browser can
  drive the show, or lock its address out by sending wrong tokens (refused before the token
  is looked at, never counted). Requests with neither header (curl, a stream deck,
  ``anchordesk control``) carry the token in a header a page cannot set across origins.
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from collections import deque
from collections.abc import Callable


def token_matches(given: str | None, expected: str) -> bool:
    if not given or not expected:
        return False
    # aiohttp reads header bytes that are not UTF-8 as lone surrogates (as the environment
    # does): compare the bytes as they came, so such a token is a wrong one, never an error.
    return hmac.compare_digest(
        given.encode("utf-8", "surrogateescape"), expected.encode("utf-8", "surrogateescape")
    )


def token_of(authorization: str | None, query_token: str | None) -> str | None:
    """``Authorization: Bearer TOKEN``, else ``?token=TOKEN`` (the page's links, WebSocket)."""
    if authorization:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        return None
    return query_token or None


class FailureLimiter:
    """Failed tokens per address; an address past the limit is refused for a while."""

    def __init__(
        self,
        limit: int = 20,
        window_s: float = 60.0,
        block_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        max_addresses: int = 10_000,
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.block_s = block_s
        self._clock = clock
        self._max_addresses = max_addresses
        self._failures: dict[str, deque[float]] = {}
        self._blocked_until: dict[str, float] = {}

    def refused_for_s(self, address: str) -> float:
        """Seconds this address is still refused (0: it may try)."""
        address = counted_as(address)
        until = self._blocked_until.get(address)
        if until is None:
            return 0.0
        left = until - self._clock()
        if left <= 0:
            del self._blocked_until[address]
            return 0.0
        return left

    def failed(self, address: str) -> None:
        address = counted_as(address)
        now = self._clock()
        failures = self._failures.get(address)
        if failures is None:
            if len(self._failures) >= self._max_addresses:
                self._forget_old(now)
            failures = self._failures[address] = deque()
        failures.append(now)
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        if len(failures) >= self.limit:
            self._blocked_until[address] = now + self.block_s
            failures.clear()

    def _forget_old(self, now: float) -> None:
        for address, failures in list(self._failures.items()):
            if not failures or failures[-1] <= now - self.window_s:
                del self._failures[address]
        if len(self._failures) >= self._max_addresses:  # a flood of addresses: start afresh
            self._failures.clear()


def counted_as(address: str) -> str:
    """The failures of ``address`` are counted under: an IPv4 address itself (also written
    as IPv6, ``::ffff:10.0.0.7``), an IPv6 address's /64, anything else as it is."""
    try:
        parsed = ipaddress.ip_address(address.partition("%")[0])
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        if not parsed.is_loopback:
            return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


def from_another_site(origin: str | None, fetch_site: str | None, host: str) -> bool:
    """A request a web page of another site made in a browser: its ``Origin`` is not the
    remote's own, or the browser says so (``Sec-Fetch-Site``, which it sends also where it
    sends no ``Origin``: an ``<img>``, a link). A typed address says ``none``; no header at all
    is no browser (curl, a stream deck)."""
    if (fetch_site or "").strip().lower() in ("cross-site", "same-site"):
        return True
    return origin is not None and not origin_allowed(origin, host)


def origin_allowed(origin: str | None, host: str) -> bool:
    """No ``Origin`` (not a browser page), or the remote's own page: the same host and port as
    the request's ``Host`` (http or https: a TLS terminator in front serves the same page)."""
    if origin is None:
        return True
    scheme, separator, rest = origin.strip().rstrip("/").partition("://")
    if not separator or scheme.lower() not in ("http", "https"):
        return False
    return rest.lower() == host.lower()
