"""Who may drive the show: the token, the failure limit and the browser origin.

- The token is compared in constant time (``hmac.compare_digest`` on bytes).
- An address that fails ``limit`` times within ``window_s`` is refused for ``block_s``, with
  or without a right token: guessing costs a minute per twenty tries. An IPv6 /64 is refused
  as a whole after ``network_limit`` failures from its addresses: one machine may take a new
  address of its network for each try (privacy addresses, RFC 8981), but every device of a
  home or office network shares that /64 too (SLAAC, and fe80::/64 on every link), so one
  device's stale token must not lock the operator's phone out.
- A browser tells where a request comes from (``Origin``, ``Sec-Fetch-Site``); only the
  remote's own page may use the API, so no other web page open in the operator's browser can
  drive the show, or lock its address out by sending wrong tokens (refused before the token
  is looked at, never counted). Requests with neither header (curl, a stream deck,
  ``anchordesk control``) carry the token in a header a page cannot set across origins.
- A page of another site whose name was made to point at this machine (DNS rebinding) passes
  the origin check: its ``Host`` and ``Origin`` are its own name. Its wrong tokens are counted
  apart from those of requests naming the machine by one of its own names (an address, a name
  of the machine, ``localhost``), so it can lock out only requests by other names (a proxy's
  public name), never the operator's phone, stream deck or script.
- A client that has given the right token gets a pass (a cookie, random for each server): it
  gets through a lock-out of its address, still with its token. So another device of the same
  network (or a page of the operator's own browser) cannot lock the operator's open page out.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import socket
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
        network_limit: int | None = None,
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.block_s = block_s
        self._clock = clock
        self._max_addresses = max_addresses
        self._failures: dict[str, deque[float]] = {}
        self._blocked_until: dict[str, float] = {}
        # The /64s, counted apart: a flood of made-up addresses that empties the addresses'
        # counts leaves its network's count whole. Every device of a LAN shares its /64, so
        # its limit is a few devices' worth of mistakes.
        self._networks: FailureLimiter | None = None
        if network_limit != 0:
            self._networks = FailureLimiter(
                network_limit or 5 * limit, window_s, block_s, clock, max_addresses, 0
            )

    def refused_for_s(self, address: str) -> float:
        """Seconds this address is still refused (0: it may try)."""
        network = network_of(address)
        left = self._own_refused_for_s(counted_as(address))
        if network is not None and self._networks is not None:
            left = max(left, self._networks._own_refused_for_s(network))
        return left

    def _own_refused_for_s(self, key: str) -> float:
        until = self._blocked_until.get(key)
        if until is None:
            return 0.0
        left = until - self._clock()
        if left <= 0:
            del self._blocked_until[key]
            return 0.0
        return left

    def failed(self, address: str) -> None:
        network = network_of(address)
        if network is not None and self._networks is not None:
            self._networks._failed(network)
        self._failed(counted_as(address))

    def _failed(self, address: str) -> None:
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
    """The failures of ``address`` are counted under: the address itself, an IPv4 one also
    when written as IPv6 (``::ffff:10.0.0.7``), anything else as it is."""
    try:
        parsed = ipaddress.ip_address(address.partition("%")[0])
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(parsed)


def network_of(address: str) -> str | None:
    """An IPv6 address's /64, whose failures are also counted together (None for IPv4,
    loopback and anything else)."""
    try:
        parsed = ipaddress.ip_address(address.partition("%")[0])
    except ValueError:
        return None
    if (
        not isinstance(parsed, ipaddress.IPv6Address)
        or parsed.ipv4_mapped is not None
        or parsed.is_loopback
    ):
        return None
    return str(ipaddress.IPv6Network((parsed, 64), strict=False))


def own_host(host: str, names: frozenset[str]) -> bool:
    """``host`` (a request's ``Host``, its port aside) names this machine by one of its own
    names: an address (a page of another site needs a name it can make point here), a name of
    the machine in ``names``, or ``localhost``."""
    name = host.strip().lower()
    if name.startswith("["):  # [::1]:8750
        name = name[1:].partition("]")[0]
    elif name.count(":") == 1:
        name = name.partition(":")[0]
    name = name.rstrip(".")
    try:
        ipaddress.ip_address(name.partition("%")[0])
    except ValueError:
        return name == "localhost" or name.endswith(".localhost") or name in names
    return True


def machine_names() -> frozenset[str]:
    """The names this machine goes by on its network: its host name, as such, with ``.local``
    (mDNS) and fully qualified."""
    names: set[str] = set()
    with contextlib.suppress(OSError):
        host = socket.gethostname().lower().rstrip(".")
        if host:
            short = host.partition(".")[0]
            names.update({host, short, f"{short}.local"})
    return frozenset(names)


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
