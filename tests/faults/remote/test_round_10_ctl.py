"""Round ten of issue 10, the remote control: what a phone is told when the window has no show,
a WebSocket handshake the server cannot take, and a token typed on a Chinese or Japanese
keyboard, with real servers on loopback and the page in Debian's chromium."""

from __future__ import annotations

import asyncio
import json
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import test_control_browser as browser_tools

from anchordesk.cli.main import main
from anchordesk.control.server import ControlServer
from anchordesk.live.show import LiveShow
from anchordesk.show.model import Product, Segment, Show

from ..remote_parts import TOKEN, rehearsing, serving

AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def _asked_without_a_show() -> list[tuple[int, dict[str, str]]]:
    # The window's provider between two shows, or when its picture could not start.
    server = ControlServer(lambda: None, TOKEN, port=0)
    await server.start()
    try:
        answers = []
        async with httpx.AsyncClient(base_url=server.url) as phone:
            for language in ("zh-CN", "ja", "en"):
                headers = {**AUTH, "Accept-Language": language}
                answer = await phone.post(
                    "/api/v1/commands", json={"command": "next_segment"}, headers=headers
                )
                answers.append((answer.status_code, answer.json()))
            answer = await phone.get("/api/v1/state", headers={**AUTH, "Accept-Language": "ja"})
            answers.append((answer.status_code, answer.json()))
        return answers
    finally:
        await server.stop()


def test_a_phone_told_there_is_no_show_is_told_in_its_own_language() -> None:
    """Before: between two shows of the window (a show opened, its settings changed) or when
    its picture could not start, a tap on a Chinese or Japanese phone read '未执行：no show is
    running yet' — the one refusal the API gave without ``message``, so the page showed the
    English ``error`` inside its own sentence."""
    answers = asyncio.run(_asked_without_a_show())
    english = "no show is running yet"
    assert answers == [
        (409, {"ok": False, "error": english, "message": "还没有正在运行的节目"}),
        (409, {"ok": False, "error": english, "message": "実行中の番組はまだありません"}),
        (409, {"ok": False, "error": english, "message": english}),
        (409, {"ok": False, "error": english, "message": "実行中の番組はまだありません"}),
    ]


async def _handshakes(requests: list[bytes]) -> list[bytes]:
    server = ControlServer(lambda: None, TOKEN, port=0)
    await server.start()
    answers = []
    try:
        for request in requests:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(request)
            await writer.drain()
            answers.append(await reader.read())
            writer.close()
        return answers
    finally:
        await server.stop()


def test_a_websocket_handshake_the_server_cannot_take_is_refused_in_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Before: the event stream's address opened in a browser's tab, or a client's broken
    handshake, got aiohttp's plain text, two lines naming its internals ('No WebSocket UPGRADE
    hdr: None\\n Can "Upgrade" only to "WebSocket".', "Handshake error: 'abc'"), not the API's
    one-line JSON."""
    head = f"GET /api/v1/events?token={TOKEN} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    upgrade = "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
    with caplog.at_level(logging.DEBUG):
        answers = asyncio.run(
            _handshakes(
                [
                    (head + "\r\n").encode(),  # a browser's tab
                    (head + upgrade + "\r\n").encode(),  # no Sec-WebSocket-Key
                    (head + upgrade + "Sec-WebSocket-Key: abc\r\n\r\n").encode(),
                ]
            )
        )
    for answer in answers:
        status, _, body = answer.partition(b"\r\n\r\n")
        assert status.startswith(b"HTTP/1.1 400 Bad Request"), answer
        assert b"application/json" in status
        assert json.loads(body) == {
            "ok": False,
            "error": "this is the event stream: connect with a WebSocket client (RFC 6455)",
        }
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


_CONNECTED = "document.getElementById('connection').classList.contains('on')"
_LOGIN_SAYS = (
    "!document.getElementById('login').hidden && document.getElementById('error').textContent"
)


def _full_width(text: str) -> str:
    """``text`` as a Chinese or Japanese keyboard in full-width mode types it."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


async def _typed_on_a_cjk_keyboard(chromium: str, folder: Path) -> dict[str, Any]:
    server = ControlServer(lambda: None, TOKEN, port=0)
    await server.start()
    said: dict[str, Any] = {}
    try:
        for case, typed in (("full-width", _full_width(TOKEN)), ("stray mark", TOKEN + "。")):
            async with browser_tools.chromium_page(chromium, folder / case) as page:
                await page.send("Network.setUserAgentOverride", userAgent="x", acceptLanguage="ja")
                await page.send("Page.enable")
                await page.send("Page.navigate", url=server.url)
                await page.wait_for(f"document.getElementById('login') && {_LOGIN_SAYS} === ''")
                await page.evaluate(
                    f"document.getElementById('token-input').value = {json.dumps(typed)};"
                    "document.getElementById('login').requestSubmit(); true"
                )
                said[case] = await page.wait_for(f"({_CONNECTED}) || ({_LOGIN_SAYS})")
        said["wrong tokens counted"] = len(server.limiter._failures.get("127.0.0.1", ()))
        return said
    finally:
        await server.stop()


def test_a_token_typed_on_a_chinese_or_japanese_keyboard_is_not_taken_for_a_lost_connection(
    tmp_path: Path, chromium: str
) -> None:
    """Before: a token typed with the phone's keyboard in full-width mode ("ａ－ｔｏｋｅｎ…"),
    or with the "。" an IME adds, could not be sent in a header at all: the page said
    "AnchorDesk cannot be reached" and tried again every two seconds, to an operator whose
    token was right (the field is a password field: nothing to see)."""
    said = asyncio.run(_typed_on_a_cjk_keyboard(chromium, tmp_path))
    assert said == {
        "full-width": True,  # connected: read as the letters it stands for
        "stray mark": "トークンは半角の英数字と記号だけです。キーボードを半角英数に切り替えて"
        "入力し直してください。",
        "wrong tokens counted": 0,  # never sent
    }


@pytest.mark.parametrize(
    "token",
    ["口令口令口令口令口令口令口令口令", "pässwörd-of-the-night", "sixteen-chars\u200b-long"],
)
def test_a_token_no_browser_can_send_is_refused_before_the_run_starts(
    token: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: ``anchordesk live --control`` took a token with Chinese characters, an accent
    or an invisible character, and the run started; its phone page could never send it (a
    header carries printable ASCII only: the page said "AnchorDesk cannot be reached"), while
    ``anchordesk control`` refused the same token in one line."""
    monkeypatch.setenv("ANCHORDESK_CONTROL_TOKEN", token)
    recording = tmp_path / "night.mkv"
    argv = ["live", "--camera", "test", "--mic", "none", "--seconds", "1"]
    code = main([*argv, "--record", str(recording), "--control", "127.0.0.1:8750"])
    error = capsys.readouterr().err.strip()
    assert code == 2
    assert error.startswith(
        "error: --control: ANCHORDESK_CONTROL_TOKEN holds a character HTTP cannot carry"
    )
    assert "\n" not in error and token not in error
    assert not recording.exists()


SHOW = Show(
    title="Night",
    currency="USD",
    language="en",
    products=(Product("SERUM", "Serum", Decimal("39.00"), 50),),
    rundown=(Segment("Opening", 60), Segment("Serum", 120, "SERUM")),
)
_SEEN = (
    "JSON.stringify([document.getElementById('mode').textContent,"
    " document.querySelectorAll('#products li').length,"
    " document.getElementById('segment-time').textContent])"
)


async def _the_window_between_two_shows(chromium: str, folder: Path) -> list[str]:
    window: dict[str, LiveShow | None] = {}
    seen = []
    async with rehearsing(SHOW, folder) as live, serving(lambda: window.get("live")) as server:
        window["live"] = live
        async with browser_tools.chromium_page(chromium, folder / "profile") as page:
            await page.send("Network.setUserAgentOverride", userAgent="x", acceptLanguage="zh-CN")
            await page.send("Page.enable")
            await page.send("Page.navigate", url=f"{server.url}?token={TOKEN}")
            await page.wait_for("document.querySelectorAll('[data-sku]').length === 1")
            await page.wait_for(_CONNECTED)
            seen.append(await page.evaluate(_SEEN))
            # The window lets its show go (another show opened, the camera changed) and its
            # new picture does not start: it has no show.
            window["live"] = None
            await page.wait_for("document.querySelectorAll('[data-sku]').length === 0")
            seen.append(await page.evaluate(_SEEN))
            # The page's own clock (a tick every half second) has nothing to count on.
            ticks = await page.evaluate("performance.now()")
            await page.wait_for(f"performance.now() > {ticks + 1200}")
            seen.append(await page.evaluate(_SEEN))
            window["live"] = live  # the picture starts: the same remote goes on
            await page.wait_for("document.querySelectorAll('[data-sku]').length === 1")
            return [*seen, await page.evaluate("document.getElementById('mode').textContent")]


def test_the_phone_says_there_is_no_show_when_the_window_has_none(
    tmp_path: Path, chromium: str
) -> None:
    """Before: when the window let its show go (between two shows, or for good when its new
    picture could not start), the phone went on showing the last show, "connected", its
    segment clock and deals counting down as if it were on air; a tap said it was refused."""
    seen = asyncio.run(_the_window_between_two_shows(chromium, tmp_path))
    assert json.loads(seen[0])[:2] == ["彩排", 1]
    assert json.loads(seen[1]) == ["没有正在运行的节目", 0, ""]
    assert json.loads(seen[2]) == ["没有正在运行的节目", 0, ""]
    assert seen[3] == "彩排"
