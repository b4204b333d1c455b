"""Round eighteen of issue 10 (hunt18in): data from outside — proxies the environment names,
show files, CSV imports, feeds, the report (R18hunt18in.md)."""

from __future__ import annotations

import os

import pytest

from anchordesk.feeds.hub import feed_setup_problem
from anchordesk.feeds.spec import FeedSpec


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("All_Proxy", "socks5://127.0.0.1:1080", "the proxy All_Proxy names"),
        ("HTTPS_proxy", "http://proxy:8o80", "the proxy HTTPS_proxy names"),
        ("No_Proxy", "[::1]", "No_Proxy holds an entry that is no host name or address ([::1])"),
    ],
    ids=["socks-mixed-case", "bad-port-mixed-case", "no-proxy-mixed-case"],
)
def test_a_proxy_variable_written_in_mixed_case_is_named(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, said: str
) -> None:
    """F1: httpx reads the proxy variables in any case (urllib's ``getproxies``), and so does
    ``anchordesk live --feed``'s check; the variable it could not use was looked up in upper and
    lower case only, and ``All_Proxy=socks5://…`` was said as httpx's own "pip install
    httpx[socks] (ImportError)", naming nothing to fix."""
    for variable in [n for n in os.environ if n.lower().endswith("_proxy")]:
        monkeypatch.delenv(variable)
    monkeypatch.setenv(name, value)
    problem = feed_setup_problem([FeedSpec("json", "http://192.0.2.9/feed")], show=None)
    assert problem is not None and said in problem, problem
    assert "pip install" not in problem and "(InvalidURL)" not in problem
