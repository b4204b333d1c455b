"""The guard's rules with an injected clock: tokens, the failure limit, the browser origin."""

from __future__ import annotations

from anchordesk.control.security import FailureLimiter, origin_allowed, token_matches, token_of


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_twenty_failures_in_a_minute_refuse_the_address_for_a_minute() -> None:
    clock = Clock()
    limiter = FailureLimiter(clock=clock)
    for _ in range(19):
        limiter.failed("10.0.0.7")
        clock.now += 1
    assert limiter.refused_for_s("10.0.0.7") == 0
    limiter.failed("10.0.0.7")
    assert limiter.refused_for_s("10.0.0.7") == 60
    assert limiter.refused_for_s("10.0.0.8") == 0  # another address is not concerned
    clock.now += 59.5
    assert limiter.refused_for_s("10.0.0.7") == 0.5
    clock.now += 0.5
    assert limiter.refused_for_s("10.0.0.7") == 0  # a minute later it may try again


def test_failures_spread_over_more_than_a_minute_never_lock_out() -> None:
    clock = Clock()
    limiter = FailureLimiter(clock=clock)
    for _ in range(100):
        limiter.failed("10.0.0.7")
        clock.now += 3.5  # 17 failures a minute
        assert limiter.refused_for_s("10.0.0.7") == 0


def test_a_flood_of_addresses_does_not_grow_without_bound() -> None:
    clock = Clock()
    limiter = FailureLimiter(clock=clock, max_addresses=100)
    for number in range(1000):
        limiter.failed(f"10.0.{number // 256}.{number % 256}")
        clock.now += 61
    assert len(limiter._failures) <= 100


def test_tokens_from_the_header_or_the_address() -> None:
    assert token_of("Bearer abc", None) == "abc"
    assert token_of("bearer  abc ", None) == "abc"
    assert token_of("Basic abc", "abc") is None  # a wrong scheme is not a token
    assert token_of(None, "abc") == "abc"
    assert token_of(None, "") is None
    assert token_matches("s3cret-token", "s3cret-token")
    assert not token_matches("s3cret-tokeN", "s3cret-token")
    assert not token_matches(None, "s3cret-token")
    assert not token_matches("", "")
    assert not token_matches("令牌", "s3cret-token")  # any text compares, none matches


def test_only_the_remotes_own_page_or_no_browser_may_post() -> None:
    assert origin_allowed(None, "127.0.0.1:8750")
    assert origin_allowed("http://127.0.0.1:8750", "127.0.0.1:8750")
    assert origin_allowed("http://192.168.1.5:8750/", "192.168.1.5:8750")
    assert origin_allowed("https://studio.example:8443", "studio.example:8443")  # behind TLS
    assert not origin_allowed("http://evil.example", "127.0.0.1:8750")
    assert not origin_allowed("http://127.0.0.1:9999", "127.0.0.1:8750")
    assert not origin_allowed("http://127.0.0.1:8750.evil.example", "127.0.0.1:8750")
    assert not origin_allowed("null", "127.0.0.1:8750")  # a sandboxed frame, a file
    assert not origin_allowed("chrome-extension://127.0.0.1:8750", "127.0.0.1:8750")


def test_an_ipv6_machine_cannot_dodge_the_limit_by_changing_its_address() -> None:
    """Before: each IPv6 address was counted apart, and a phone on the LAN holds a whole /64
    (privacy addresses): a new address for every try guessed without end, and 10,000 of them
    emptied the count of every other address too."""
    clock = Clock()
    limiter = FailureLimiter(clock=clock)
    for number in range(100):  # five devices' worth of mistakes (20 each)
        limiter.failed(f"2001:db8:1:2::{number + 1:x}")
    assert limiter.refused_for_s("2001:db8:1:2:ffff::9") == 60  # the same /64
    assert limiter.refused_for_s("2001:db8:1:3::1") == 0  # another network
    assert limiter.refused_for_s("fe80::1%eth0") == 0


def test_an_ipv4_address_written_as_ipv6_is_the_same_address() -> None:
    clock = Clock()
    limiter = FailureLimiter(clock=clock)
    for _ in range(20):
        limiter.failed("::ffff:10.0.0.7")
    assert limiter.refused_for_s("10.0.0.7") == 60
    assert limiter.refused_for_s("10.0.0.8") == 0
    assert limiter.refused_for_s("::1") == 0
