"""Round twenty-six of issue 10, the remote control (hunt26remote): a real server over a real
rehearsing LiveShow on loopback, and the real ``anchordesk control`` against it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from anchordesk.cli.main import main

from ..remote_parts import TOKEN, rehearsing, serving
from .test_round_19_remote import SMALL_SHOW

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _kept_commands(path: Path) -> list[tuple[str, dict[str, Any]]]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        rows = db.execute("SELECT data FROM show_events WHERE kind = 'command' ORDER BY seq")
        entries = [json.loads(data) for (data,) in rows]
    return [(entry["command"], entry["arguments"]) for entry in entries]


async def _commands_with_nothing_to_act_on(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[tuple[str, int, str]], list[tuple[str, dict[str, Any]]], int]:
    said: list[tuple[str, int, str]] = []
    async with (
        rehearsing(SMALL_SHOW, folder) as live,
        serving(lambda: live) as server,
        aiohttp.ClientSession(headers=AUTH) as deck,
    ):
        for body in (
            {"command": "show_product", "sku": "MUG"},
            {"command": "hide_product"},
            {"command": "hide_product"},  # no card on air any more
            {"command": "unpin"},  # none pinned
            {"command": "studio_mode", "on": True},
            {"command": "take"},  # nothing staged, nothing on air
            {"command": "stage_product", "sku": "LAMP"},
            {"command": "take"},
            {"command": "take"},  # the lamp is on air already
        ):
            async with deck.post(f"{server.url}api/v1/commands", json=body) as answer:
                error = (await answer.json()).get("error", "")
                said.append((body["command"], answer.status, error))
        # The script's and the stream deck's `anchordesk control unpin`: exit 2, the reason.
        monkeypatch.setenv("ANCHORDESK_CONTROL_TOKEN", TOKEN)
        code = await asyncio.to_thread(main, ["control", "--url", server.url, "unpin"])
        assert live.session is not None
        path = live.session.path
    return said, _kept_commands(path), code


def test_a_command_with_nothing_to_act_on_is_refused_and_not_kept_as_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: `hide_product` with no card on air, `unpin` with nothing pinned and `take` with
    nothing new staged answered 200 (the phone said nothing, `anchordesk control` exit 0) and
    the session kept each as a command given, though none changed anything."""
    said, kept, code = asyncio.run(_commands_with_nothing_to_act_on(tmp_path, monkeypatch))
    assert said == [
        ("show_product", 200, ""),
        ("hide_product", 200, ""),
        ("hide_product", 409, "no product card is on air: there is nothing to take off"),
        ("unpin", 409, "no comment is pinned"),
        ("studio_mode", 200, ""),
        ("take", 409, "nothing is staged that is not on air already"),
        ("stage_product", 200, ""),
        ("take", 200, ""),
        ("take", 409, "nothing is staged that is not on air already"),
    ]
    assert kept == [
        ("show_product", {"sku": "MUG"}),
        ("hide_product", {}),
        ("studio_mode", {"on": True}),
        ("stage_product", {"sku": "LAMP"}),
        ("take", {"sku": "LAMP"}),
    ]
    assert code == 2
    # (main set up the log on standard error: the show's own lines follow)
    assert capsys.readouterr().err.splitlines()[0] == (
        "error: anchordesk control unpin: 409: no comment is pinned"
    )


class _Clock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


async def _phones_connecting_one_after_another(folder: Path) -> dict[str, Any]:
    from anchordesk.control import server as server_module

    clock = _Clock()
    made: list[int] = []
    real_state_json = server_module.state_json

    def counted(snapshot: Any) -> Any:
        made.append(1)
        return real_state_json(snapshot)

    seen: dict[str, Any] = {}
    events = "api/v1/events?token=" + TOKEN
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(server_module, "state_json", counted)
        async with (
            rehearsing(SMALL_SHOW, folder) as live,
            serving(lambda: live, clock=clock) as server,
            aiohttp.ClientSession() as phones,
        ):
            assert server._ticker is not None
            server._ticker.cancel()  # no state is made but for the phones
            live.start_deal("MUG")

            async def first_of(url: str) -> dict[str, Any]:
                async with phones.ws_connect(server.url + url) as phone:
                    message: dict[str, Any] = json.loads((await phone.receive()).data)
                    return message

            seen["plain"] = await first_of(events)
            clock.now += 1.5
            seen["changes"] = await first_of(events + "&changes=1")
            clock.now += 1.5
            seen["changes_again"] = await first_of(events + "&changes=1")
            seen["made"] = len(made)
            await live.rehearse_again()  # another session
            seen["new_session"] = await first_of(events + "&changes=1")
            seen["new_plain"] = await first_of(events)
            seen["made_after"] = len(made)
    return seen


def test_phones_connecting_one_after_another_share_the_newest_state_clocks_of_their_own(
    tmp_path: Path,
) -> None:
    """The state a connecting phone gets (whole, or as the version changes are sent from) is
    the newest made, not one made again for each phone; its clocks moved on to the moment of
    each connection; a new session's phones get the new session's. (The newest state and the
    one the changes are of were held as two near copies, a tuple and a class: one now.)"""
    seen = asyncio.run(_phones_connecting_one_after_another(tmp_path))
    plain, changes, again = seen["plain"], seen["changes"], seen["changes_again"]
    assert seen["made"] == 1  # one state for the three phones
    assert "version" not in plain and changes["version"] == again["version"]
    for later, seconds in ((changes, 1.5), (again, 3.0)):
        passed = later["segment"]["elapsed_s"] - plain["segment"]["elapsed_s"]
        assert abs(passed - seconds) < 0.002
        left = plain["deals"][0]["remaining_s"] - later["deals"][0]["remaining_s"]
        assert abs(left - seconds) < 0.002
        assert abs(later["clocks_at_s"] - plain["clocks_at_s"] - seconds) < 0.002
    running = ("segment", "deals", "clocks_at_s", "version")
    assert {k: v for k, v in plain.items() if k not in running} == {
        k: v for k, v in again.items() if k not in running
    }
    assert plain["deals"][0]["price_text"] == again["deals"][0]["price_text"] == "$9.00"
    new, new_plain = seen["new_session"], seen["new_plain"]
    assert new["session"]["id"] != plain["session"]["id"]
    assert new["version"] > again["version"]
    assert new_plain["session"]["id"] == new["session"]["id"] and new["deals"] == []
    assert seen["made_after"] == 2  # one for the new session's phones


def _a_port_nothing_listens_on() -> int:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        return int(listener.getsockname()[1])


SECRET = "SeCrEtToKeN-0123456789"


@pytest.mark.parametrize(
    "address",
    [f"http://127.0.0.1:{{port}}/ {SECRET}", f"http://127.0.0.1:{{port}}/ ?token={SECRET}"],
    ids=["space-then-path", "space-then-query"],
)
def test_anchordesk_control_never_prints_a_token_the_address_holds_after_a_space(
    address: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: the lines saying nothing answers (or no answer in time, or no JSON) quoted the
    address as given and left its masking to the printer, whose URL ends at the first space:
    an address pasted with a stray space before its token printed the token whole."""
    monkeypatch.setenv("ANCHORDESK_CONTROL_TOKEN", TOKEN)
    code = main(["control", "--url", address.format(port=_a_port_nothing_listens_on()), "state"])
    err = capsys.readouterr().err
    assert code in (1, 2)
    assert SECRET not in err and "SeCrEt" not in err, err
    assert err.startswith("error: anchordesk control")


async def _the_web_remotes_address_given_to_anchordesk_control(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> int:
    async with rehearsing(SMALL_SHOW, folder) as live, serving(lambda: live) as server:
        monkeypatch.setenv("ANCHORDESK_CONTROL_TOKEN", TOKEN)
        page = f"{server.url}?token={TOKEN}"  # the QR code's, the settings page's
        return await asyncio.to_thread(main, ["control", "--url", page, "next_segment"])


def test_the_web_remotes_address_given_to_anchordesk_control_is_said_to_be_the_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: the API's path went after the address's query ("/?token=…/api/v1/commands"):
    the page came back, "answered 200 without JSON", exit 1, as if the remote were broken."""
    code = asyncio.run(_the_web_remotes_address_given_to_anchordesk_control(tmp_path, monkeypatch))
    first = capsys.readouterr().err.splitlines()[0]
    assert code == 2
    assert first.endswith(
        "/?token=****': that is the web remote's page; give http://HOST:PORT alone (the token "
        "goes in ANCHORDESK_CONTROL_TOKEN)"
    ), first


async def _an_order_of_many_lines(folder: Path, lines: int) -> tuple[Any, dict[str, int]]:
    from anchordesk.show.feed_items import Order, OrderLine

    async with rehearsing(SMALL_SHOW, folder) as live:
        assert live.session is not None
        # Lamps (20 in stock) and mugs (50) a unit a line, and a SKU the show does not sell.
        skus = ("LAMP", "MUG", "GONE")
        order_lines = tuple(OrderLine(skus[i % 3], 1, Decimal("30.00")) for i in range(lines))
        total = sum((line.amount for line in order_lines), Decimal(0))
        live.session.apply_orders([Order("json", "big-1", "USD", total, order_lines)], 0.0)
        stock = {product.sku: product.stock_left for product in live.snapshot().products}
        path = live.session.path
    with contextlib.closing(sqlite3.connect(path)) as db:
        (data,) = db.execute("SELECT data FROM show_events WHERE kind = 'order_applied'").fetchone()
    return json.loads(data), stock


def test_an_order_of_many_lines_is_logged_once_a_sku_and_kept_with_its_oversold_units(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Before: an order of 30,000 lines logged a warning for each line ("oversold by 1 units",
    "SKU 'GONE' is not in the show": 100,000 lines of log, 8 MB, for one order of a feed's
    page, the show's loop held meanwhile: the remote and the window froze 8 s), and the
    session kept each SKU's oversold units as its last line's (1) instead of their sum. (An
    order now has at most 10,000 lines: feed_rules.MAX_LINES.)"""
    with caplog.at_level(logging.WARNING, logger="anchordesk.live.show_session"):
        applied, stock = asyncio.run(_an_order_of_many_lines(tmp_path, 9_999))
    assert applied["accepted"] == {"LAMP": 20, "MUG": 50, "GONE": 0}
    assert applied["oversold"] == {"LAMP": 3_333 - 20, "MUG": 3_333 - 50}
    assert stock == {"MUG": 0, "LAMP": 0}
    said = [record.getMessage() for record in caplog.records if "big-1" in record.getMessage()]
    assert sorted(said) == [
        "order big-1: LAMP oversold by 3,313 units",  # grouped (round 31)
        "order big-1: MUG oversold by 3,283 units",
        "order big-1: SKU 'GONE' is not in the show (kept in the session)",
    ]


async def _an_expectation_not_understood(folder: Path) -> list[tuple[bytes, bytes, bool]]:
    said: list[tuple[bytes, bytes, bool]] = []
    async with rehearsing(SMALL_SHOW, folder) as live, serving(lambda: live) as server:
        for expect in ("200-ok", "100-continue, x"):
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(
                b"POST /api/v1/commands HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + f"Authorization: Bearer {TOKEN}\r\nExpect: {expect}\r\n".encode()
                + b"Content-Length: 26\r\n\r\n"  # (the body waits for a 100)
            )
            try:  # the whole answer, and the connection's end, long before its 15 s deadline
                answer = await asyncio.wait_for(reader.read(), 5)
                ended = True
            except TimeoutError:
                answer, ended = b"", False
            writer.close()
            head, _, body = answer.partition(b"\r\n\r\n")
            said.append((head.split(b"\r\n")[0], body, ended))
    return said


def test_an_expectation_the_remote_does_not_understand_is_refused_in_the_apis_line(
    tmp_path: Path,
) -> None:
    """Before: `Expect: 200-ok` (anything but 100-continue) was answered aiohttp's plain text
    "Unknown Expect: 200-ok", not the API's JSON line, and the connection was held open
    waiting for a body the client was never told to send."""
    said = asyncio.run(_an_expectation_not_understood(tmp_path))
    assert said == [
        (
            b"HTTP/1.1 417 Expectation Failed",
            b'{"ok": false, "error": "Expect \'200-ok\' is not understood: send 100-continue, '
            b'or no Expect"}',
            True,
        ),
        (
            b"HTTP/1.1 417 Expectation Failed",
            b'{"ok": false, "error": "Expect \'100-continue, x\' is not understood: send '
            b'100-continue, or no Expect"}',
            True,
        ),
    ]


async def _reconnect_in_a_rehearsal(folder: Path) -> tuple[int, str, list[Any]]:
    async with (
        rehearsing(SMALL_SHOW, folder) as live,
        serving(lambda: live) as server,
        aiohttp.ClientSession(headers=AUTH) as deck,
    ):
        body = {"command": "reconnect_now"}
        async with deck.post(f"{server.url}api/v1/commands", json=body) as answer:
            status, error = answer.status, (await answer.json()).get("error", "")
        assert live.session is not None
        path = live.session.path
    return status, error, _kept_commands(path)


def test_reconnect_with_nothing_streamed_is_refused_as_the_window_refuses_it(
    tmp_path: Path,
) -> None:
    """Before: the stream deck's "reconnect" in a rehearsal (nothing pushed) answered 200 and
    the session kept a reconnection, where the window says there is nothing to reconnect."""
    status, error, kept = asyncio.run(_reconnect_in_a_rehearsal(tmp_path))
    assert (status, error) == (409, "nothing is being streamed: there is nothing to reconnect")
    assert kept == []


async def _a_comment_hidden_twice(folder: Path) -> tuple[list[tuple[int, str]], list[Any], Any]:
    from anchordesk.show.feed_items import Comment

    said: list[tuple[int, str]] = []
    async with (
        rehearsing(SMALL_SHOW, folder) as live,
        serving(lambda: live) as server,
        aiohttp.ClientSession(headers=AUTH) as deck,
    ):
        assert live.session is not None
        live.session.ingest([Comment("json", "q1", "Ann", "Dishwasher safe?", is_question=True)])
        for body in (
            {"command": "pin_comment", "id": "json:q1"},
            {"command": "hide_comment", "id": "json:q1"},  # the pinned one: off the picture
            {"command": "hide_comment", "id": "json:q1"},
        ):
            async with deck.post(f"{server.url}api/v1/commands", json=body) as answer:
                said.append((answer.status, (await answer.json()).get("error", "")))
        pinned = live.snapshot().pinned
        path = live.session.path
    return said, _kept_commands(path), pinned


def test_a_comment_hidden_twice_is_refused_the_second_time_and_kept_once(
    tmp_path: Path,
) -> None:
    """Before: hiding a comment already hidden (a second phone's tap, a stream deck) answered
    200 and the session kept a second hide of it, though nothing changed."""
    said, kept, pinned = asyncio.run(_a_comment_hidden_twice(tmp_path))
    assert said == [(200, ""), (200, ""), (409, "that comment is hidden already")]
    assert [name for name, _ in kept] == ["pin_comment", "hide_comment"]
    assert pinned is None


async def _a_script_naming_a_session_named_in_latin1(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, int]:
    from anchordesk.live.factory import build_live_show
    from anchordesk.live.options import LiveOptions
    from anchordesk.live.show import LiveShowPlan
    from anchordesk.live.snapshot import SessionMode

    options = LiveOptions(camera="test", microphone="none", canvas_width=320, canvas_height=180)
    plan = LiveShowPlan(
        show=SMALL_SHOW, sessions_dir=folder, first_session_path=folder / "caf\udce9.sqlite"
    )
    live = build_live_show(options, plan, switched=True)
    try:
        live.begin_session(SessionMode.REHEARSAL)
        async with serving(lambda: live) as server:
            monkeypatch.setenv("ANCHORDESK_CONTROL_TOKEN", TOKEN)
            # A script passing the session's file name on (`session=$(basename "$f" .sqlite)`):
            # the shell gives Python the name's bytes, read as lone surrogates.
            command = ["control", "--url", server.url, "next_segment", "session=caf\udce9"]
            code = await asyncio.to_thread(main, command)
        return code, live.snapshot().current_index
    finally:
        await live.close()


def test_anchordesk_control_sends_an_argument_in_another_encoding_and_blames_no_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: an argument holding bytes of another encoding (the session of a file named in
    Latin-1, as the remote names it) could not be sent as UTF-8, and every such error was
    said to be the token's: "ANCHORDESK_CONTROL_TOKEN holds a character HTTP cannot carry
    ... copy the token again", exit 2, the right token in place."""
    code, segment = asyncio.run(_a_script_naming_a_session_named_in_latin1(tmp_path, monkeypatch))
    err = capsys.readouterr().err
    assert "ANCHORDESK_CONTROL_TOKEN" not in err, err
    assert (code, segment) == (0, 1)  # the session is the show's: applied
