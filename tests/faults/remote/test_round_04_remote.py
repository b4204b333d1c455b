"""Round four, `anchordesk control`'s own inputs (issue 10: "a new round of the same kinds of
input finds nothing new").

Found: an address httpx cannot parse (`http://[::1`, a control character, a 70 KB path, a port
that is not a number) and a token holding a letter outside ASCII (pasted with an accent or a
zero-width space) ended `anchordesk control` with a traceback (`httpx.InvalidURL` is not an
`httpx.HTTPError`; the header's encoding error was not caught). Now one line, exit 2, the token
never quoted. No server is needed: each fails before anything is sent.
"""

from __future__ import annotations

import pytest

from anchordesk.cli.main import main

TOKEN = "r4-token-0123456789abcdef"


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("http://[::1", "not a usable address"),
        ("http://127.0.0.1:1/\x1b[2J", "not a usable address (Invalid non-printable ASCII"),
        ("http://127.0.0.1:1/" + "a" * 70_000, "not a usable address (URL too long)"),
        ("http://127.0.0.1:abc", "the port is not a number from 1 to 65535"),
    ],
    ids=["bracket", "escape", "70 KB", "port"],
)
def test_an_address_httpx_cannot_read_is_one_line(
    url: str, said: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ANCHORDESK_CONTROL_TOKEN", TOKEN)
    assert main(["control", "--url", url, "state"]) == 2
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1 and said in lines[0], err[-500:]
    assert "Traceback" not in err and "\x1b" not in err and TOKEN not in err


@pytest.mark.parametrize("token", ["r4-tokén-0123456789abcdef", "r4-tok\u200b-0123456789abcdef"])
def test_a_token_http_cannot_carry_is_one_line_without_the_token(
    token: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ANCHORDESK_CONTROL_TOKEN", token)
    assert main(["control", "--url", "http://127.0.0.1:9", "next_segment"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "error: anchordesk control: ANCHORDESK_CONTROL_TOKEN holds a character HTTP cannot "
        "carry (a letter outside ASCII, an invisible character); copy the token again"
    ]
    assert "0123456789abcdef" not in err
