"""``--control HOST:PORT`` and ``anchordesk control``'s arguments: one line for each mistake, the
token only from the environment."""

from __future__ import annotations

import pytest

from anchordesk.cli.control import command_body, control_address
from anchordesk.cli.main import main
from anchordesk.core.errors import UserError

TOKEN = "a-token-of-24-characters"


def test_the_address_and_the_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANCHORDESK_CONTROL_TOKEN", TOKEN)
    address = control_address("127.0.0.1:8750")
    assert (address.host, address.port, address.token) == ("127.0.0.1", 8750, TOKEN)
    assert control_address("[::1]:9000").host == "::1"
    assert TOKEN not in repr(address)  # never in a traceback's locals
    for wrong in ("8750", "127.0.0.1", "host:0", "host:70000", "a b:1"):
        with pytest.raises(UserError, match="expected HOST:PORT"):
            control_address(wrong)
    monkeypatch.setenv("ANCHORDESK_CONTROL_TOKEN", "short")
    with pytest.raises(UserError, match="too short"):
        control_address("127.0.0.1:8750")


def test_command_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    assert command_body("start_deal", ["sku=SERUM-30", "seconds=90", "price=89.00"]) == {
        "command": "start_deal", "sku": "SERUM-30", "seconds": 90, "price": "89.00",
    }  # fmt: skip
    assert command_body("stage_product", ["sku=null"]) == {"command": "stage_product", "sku": None}
    assert command_body("goto_segment", ["index=two"]) == {
        "command": "goto_segment",
        "index": "two",
    }
    # A shell's words for a switch become JSON's true/false (the API refuses "true" as text).
    assert command_body("studio_mode", ["on=true"]) == {"command": "studio_mode", "on": True}
    assert command_body("studio_mode", ["on=off"]) == {"command": "studio_mode", "on": False}
    with pytest.raises(UserError, match="expected NAME=VALUE"):
        command_body("show_product", ["SERUM-30"])


def test_without_a_token_control_says_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ANCHORDESK_CONTROL_TOKEN", raising=False)
    assert main(["control", "next_segment"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: anchordesk control: set ANCHORDESK_CONTROL_TOKEN to the remote's token"
    ]


def test_nothing_listening_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from servers import free_port

    monkeypatch.setenv("ANCHORDESK_CONTROL_TOKEN", TOKEN)
    url = f"http://127.0.0.1:{free_port()}"
    assert main(["control", "--url", url, "next_segment"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"error: anchordesk control: {url}: nothing answers there (is AnchorDesk running with "
        "the remote control on, at this address and port?)"
    ]  # was "ConnectError: [Errno 111] Connection refused"


def test_state_takes_no_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    # Sent as a command, "state extra=1" came back from the server as "unknown command".
    assert main(["control", "state", "extra=1"]) == 2
    assert capsys.readouterr().err == (
        "error: anchordesk control state: takes no NAME=VALUE (got extra=1)\n"
    )
