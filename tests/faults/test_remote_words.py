"""Round eight's leftovers L1 and L2 (/work/hunt/R8ctl.md): the remote control speaks the
phone's language when it refuses something.

- L1: a refused command's reason reached a Chinese page in English ("未执行：no live deal on
  MUG-350"): the API sent the English of the refusal only. Now the page sends its language
  (``Accept-Language``) and the API adds ``message``, the reason said from the window's own
  translations; ``error`` stays English (the log, scripts, ``anchordesk control``).

A real ``anchordesk live --control``; the page in
Debian's chromium (headless, over the DevTools protocol).
"""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import control_show
import httpx
import pytest
import test_control_browser as browser_tools
from feed_servers import JsonFeedServer

pytestmark = pytest.mark.integration

STOP = {"command": "stop_deal", "sku": "SERUM-30"}  # no deal is live on it


@pytest.fixture
def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


@pytest.fixture
def feed() -> Iterator[JsonFeedServer]:
    with JsonFeedServer(poll_ms=100) as server:
        assert isinstance(server, JsonFeedServer)
        yield server


def _refusals(show: control_show.RunningShow) -> dict[str, dict[str, Any]]:
    answers: dict[str, dict[str, Any]] = {}
    for asked in ("zh-CN", "ja", "en", "fr-FR,fr;q=0.9", "ja-JP;q=0.5, zh-TW", ""):
        with show.client(**({"Accept-Language": asked} if asked else {})) as client:
            answer = client.post("/api/v1/commands", json=STOP)
            assert answer.status_code == 409, answer.text
            answers[asked] = answer.json()
    with show.client(**{"Accept-Language": "ja"}) as client:
        sold_out = client.post("/api/v1/commands", json={"command": "start_deal", "sku": "MASK-10"})
        answers["sold out"] = {"status": sold_out.status_code, **sold_out.json()}
    return answers


def test_a_refused_command_is_said_in_the_language_the_client_asks_for(
    tmp_path: Path, feed: JsonFeedServer
) -> None:
    """Before: every client got "no live deal on SERUM-30", a Chinese page included."""
    with control_show.running_show(tmp_path / "run", "--feed", f"json={feed.url}") as show:
        answers = _refusals(show)
    english = "no live deal on SERUM-30"
    # The log's and the scripts' English, whatever is asked.
    assert {answer["error"] for asked, answer in answers.items() if asked != "sold out"} == {
        english
    }
    chinese, japanese = answers["zh-CN"]["message"], answers["ja"]["message"]
    # No English word left but the SKU, which is the show's and never translated.
    for said in (chinese, japanese):
        assert "SERUM-30" in said
        assert not re.search(r"[A-Za-z]", said.replace("SERUM-30", "")), said
    assert chinese == "SERUM-30 没有进行中的秒杀"  # the window's translation (anchordesk_zh_CN.ts)
    assert japanese == "SERUM-30 に実施中のタイムセールはありません"
    assert answers["en"]["message"] == english
    assert answers["fr-FR,fr;q=0.9"]["message"] == english  # any other language: English
    assert answers[""]["message"] == english  # a script that asks for nothing
    assert answers["ja-JP;q=0.5, zh-TW"]["message"] == chinese  # the better weight wins
    assert answers["sold out"] == {
        "status": 409,
        "ok": False,
        "error": "MASK-10 is sold out: no deal can start on it",
        "message": "MASK-10 は完売しています。タイムセールを開始できません",
    }


async def _refusal_on_a_stale_phone(url: str, chromium: str, profile: Path) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    async with browser_tools.chromium_page(chromium, profile) as page:  # zh-CN, as a phone
        await page.send("Page.enable")
        await page.send(
            "Page.addScriptToEvaluateOnNewDocument",
            source="window.__sockets = []; const Native = window.WebSocket;"
            "window.WebSocket = function (url, protocols) { const socket = new Native(url,"
            " protocols); window.__sockets.push(socket); return socket; };"
            "window.WebSocket.prototype = Native.prototype;",
        )
        await page.send("Page.navigate", url=f"{url}/?token={control_show.TOKEN}")
        await page.wait_for("document.querySelectorAll('[data-sku]').length === 3")
        await page.wait_for("document.getElementById('connection').classList.contains('on')")
        deal = "document.querySelector('[data-sku=\"SERUM-30\"] + button')"
        await browser_tools._tap(page, '[data-sku="SERUM-30"] + button')  # 秒杀: the deal starts
        await page.wait_for(f"{deal}.textContent === '停止'")
        # The deal is stopped elsewhere (the window, a stream deck) the moment the operator
        # taps Stop on the phone: the page's state has not caught up yet.
        await page.evaluate("window.__sockets.forEach((socket) => { socket.onmessage = null; })")
        async with httpx.AsyncClient(
            headers={"Authorization": f"Bearer {control_show.TOKEN}"}
        ) as client:
            stopped = await client.post(f"{url}/api/v1/commands", json=STOP)
        facts["stopped"] = stopped.status_code
        await browser_tools._tap(page, '[data-sku="SERUM-30"] + button')
        await page.wait_for("!document.getElementById('error').hidden")
        facts["error"] = await page.evaluate("document.getElementById('error').textContent")
    return facts


def test_a_chinese_phone_shows_a_refusal_in_chinese(
    tmp_path: Path, chromium: str, feed: JsonFeedServer
) -> None:
    """Before: "未执行：no live deal on SERUM-30"."""
    with control_show.running_show(tmp_path / "run", "--feed", f"json={feed.url}") as show:
        facts = asyncio.run(_refusal_on_a_stale_phone(show.url, chromium, tmp_path / "profile"))
    assert facts["stopped"] == 200
    assert facts["error"] == "未执行：SERUM-30 没有进行中的秒杀"
