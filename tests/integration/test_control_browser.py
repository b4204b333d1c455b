"""The web remote in a real browser: Debian's chromium, headless, driven over the DevTools
protocol (aiohttp's WebSocket client; no driver to install) at a phone's 360 px width with a
Chinese browser language, against a real ``anchordesk live --control``.

The operator loads the page with the token, sees the show's products in Chinese (drawn with a
CJK font, not as boxes), taps a product, and sees it on air in the API's state and in the
page's program preview (the serum's green picture in the JPEG).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
from control_show import SERUM_BGR, TOKEN, running_show

pytestmark = pytest.mark.integration

WIDTH = 360


class DevTools:
    """One page of a headless chromium, over the DevTools protocol."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._next_id = 0

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        wanted = self._next_id
        await self.ws.send_json({"id": wanted, "method": method, "params": params})
        while True:
            message = await self.ws.receive_json(timeout=30)
            if message.get("id") == wanted:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result

    async def evaluate(self, expression: str) -> Any:
        result = await self.send(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def centre_of(self, element: str, timeout_s: float = 30.0) -> tuple[float, float]:
        """The point a finger taps on the element the JavaScript ``element`` gives, scrolled to
        the middle of the screen: read once the page has drawn it twice at the same place and
        nothing lies over it. Read at once after the scroll, on a loaded machine the rows still
        moved (their height is only known once drawn, content-visibility), and a press sent
        there landed beside the button (stop 25's CI: the tap did nothing, 1 run in 8)."""
        script = f"""(async () => {{
  const target = {element};
  target.scrollIntoView({{block: 'center'}});
  const frame = () => new Promise((done) => requestAnimationFrame(done));
  const drawn = async () => {{ await frame(); await frame(); }};
  let last = null;
  for (;;) {{
    await drawn();
    const r = target.getBoundingClientRect();
    const point = [r.x + r.width / 2, r.y + r.height / 2];
    const hit = document.elementFromPoint(point[0], point[1]);
    if (last && last[0] === point[0] && last[1] === point[1] && hit && target.contains(hit))
      return point;
    last = point;
  }}
}})()"""
        async with asyncio.timeout(timeout_s):
            x, y = await self.evaluate(script)
        return float(x), float(y)

    async def wait_for(self, expression: str, timeout_s: float = 30.0) -> Any:
        async with asyncio.timeout(timeout_s):
            while True:
                value = await self.evaluate(expression)
                if value:
                    return value
                await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def chromium_page(browser: str, profile: Path) -> AsyncIterator[DevTools]:
    process = subprocess.Popen(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--remote-debugging-port=0", f"--user-data-dir={profile}", "--lang=zh-CN",
         f"--window-size={WIDTH},780", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        endpoint = None
        for _ in range(200):
            line = await asyncio.to_thread(process.stderr.readline)
            found = re.search(r"DevTools listening on (ws://\S+)", line)
            if found:
                endpoint = found.group(1)
                break
        assert endpoint, "chromium did not open its DevTools port"
        port = endpoint.split(":")[2].split("/")[0]
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/json/list") as response:
                targets = await response.json()
            page = next(t for t in targets if t["type"] == "page")
            async with session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                tools = DevTools(ws)
                # A phone: 360 CSS pixels wide, touch, a Chinese browser.
                await tools.send(
                    "Emulation.setDeviceMetricsOverride",
                    width=WIDTH, height=780, deviceScaleFactor=2, mobile=True,
                )  # fmt: skip
                await tools.send("Emulation.setTouchEmulationEnabled", enabled=True)
                await tools.send(
                    "Network.setUserAgentOverride",
                    userAgent="Mozilla/5.0 (Linux; Android 14) AnchorDeskTest",
                    acceptLanguage="zh-CN,zh",
                )
                await tools.send("Emulation.setLocaleOverride", locale="zh-CN")
                yield tools
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


_GREEN_SHARE = """(async () => {
  const img = document.getElementById('preview');
  if (!img.src || !img.complete || !img.naturalWidth) return 0;
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const context = canvas.getContext('2d');
  context.drawImage(img, 0, 0);
  const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
  let near = 0;
  for (let i = 0; i < data.length; i += 4) {
    const distance = Math.abs(data[i] - %d) + Math.abs(data[i + 1] - %d)
      + Math.abs(data[i + 2] - %d);
    if (distance < 40) near++;
  }
  return near / (data.length / 4);
})()"""
GREEN_SHARE = _GREEN_SHARE % (SERUM_BGR[2], SERUM_BGR[1], SERUM_BGR[0])


async def _title_fonts(page: Any) -> list[dict[str, Any]]:
    """The fonts of the first product's title as last drawn. A state push re-renders the list:
    a node asked for in between is detached and has no fonts (an empty answer once on a loaded
    machine), so ask again, after the next frame, until the drawn node answers."""
    fonts: list[dict[str, Any]] = []
    async with asyncio.timeout(30):
        while not fonts:
            await page.evaluate(
                "document.fonts.ready.then(() => new Promise("
                "(done) => requestAnimationFrame(() => requestAnimationFrame(done))))"
            )
            root = await page.send("DOM.getDocument")
            title = await page.send(
                "DOM.querySelector",
                nodeId=root["root"]["nodeId"],
                selector="[data-sku='SERUM-30'] span:first-child",
            )
            answer = await page.send("CSS.getPlatformFontsForNode", nodeId=title["nodeId"])
            fonts = answer["fonts"]
    return fonts


async def _operate(url: str, browser: str, profile: Path, screenshots: Path) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    async with chromium_page(browser, profile) as page:
        await page.send("Page.enable")
        await page.send("Page.navigate", url=f"{url}/?token={TOKEN}")
        await page.wait_for("document.querySelectorAll('[data-sku]').length === 3")
        await page.wait_for("document.getElementById('connection').classList.contains('on')")
        facts["lang"] = await page.evaluate("document.documentElement.lang")
        facts["visible_forms"] = await page.evaluate(
            "[...document.querySelectorAll('#login, #pinned, #error')]"
            ".filter((node) => node.getClientRects().length).map((node) => node.id)"
        )
        facts["address"] = await page.evaluate("location.href")
        facts["heading"] = await page.evaluate(
            "[...document.querySelectorAll('h2')].map((h) => h.textContent)"
        )
        facts["titles"] = await page.evaluate(
            "[...document.querySelectorAll('[data-sku] span:first-child')]"
            ".map((s) => s.textContent)"
        )
        facts["scroll_width"] = await page.evaluate("document.documentElement.scrollWidth")
        facts["smallest_button"] = await page.evaluate(
            "Math.min(...[...document.querySelectorAll('main button')]"
            ".filter((b) => b.offsetParent).map((b) => b.getBoundingClientRect().height))"
        )
        # The fonts chromium really drew the first product's title with.
        await page.send("DOM.enable")
        await page.send("CSS.enable")
        facts["fonts"] = await _title_fonts(page)

        assert await page.evaluate(GREEN_SHARE) < 0.001  # nothing on air yet
        # Tap the serum, as a finger does.
        box = await page.centre_of("document.querySelector(\"[data-sku='SERUM-30']\")")
        point = {"x": box[0], "y": box[1]}
        await page.send("Input.dispatchTouchEvent", type="touchStart", touchPoints=[point])
        await page.send("Input.dispatchTouchEvent", type="touchEnd", touchPoints=[])
        await page.wait_for(
            "document.querySelector(\"[data-sku='SERUM-30']\").classList.contains('on-screen')"
        )
        facts["green_share"] = await page.wait_for(
            f"(async () => {{ const s = await {GREEN_SHARE}; return s > 0.005 ? s : 0; }})()"
        )
        await page.evaluate("window.scrollTo(0, 0)")
        shot = await page.send("Page.captureScreenshot", format="png")
        (screenshots / "remote-360.png").write_bytes(base64.b64decode(shot["data"]))
        await page.evaluate("document.getElementById('products').scrollIntoView()")
        shot = await page.send("Page.captureScreenshot", format="png")
        (screenshots / "remote-360-products.png").write_bytes(base64.b64decode(shot["data"]))
        facts["product_button_width"] = await page.evaluate(
            "document.querySelector(\"[data-sku='SERUM-30']\").getBoundingClientRect().width"
        )
    return facts


def test_web_remote_on_a_phone_sized_chinese_browser(tmp_path: Path, chromium: str) -> None:
    browser = chromium
    with running_show(tmp_path / "run", canvas=(640, 360)) as show:
        facts = asyncio.run(_operate(show.url, browser, tmp_path / "profile", tmp_path))
        state = httpx.get(
            f"{show.url}/api/v1/state", headers={"Authorization": f"Bearer {TOKEN}"}
        ).json()
    assert state["on_screen"] == "SERUM-30"
    assert facts["lang"] == "zh-CN"
    assert facts["visible_forms"] == []  # no token form, nothing pinned, no error
    assert "token" not in facts["address"]  # taken out of the address bar
    assert "商品" in facts["heading"] and "流程单" in facts["heading"]
    assert facts["titles"] == ["玻尿酸保湿精华液", "修护面霜", "补水面膜"]
    assert facts["scroll_width"] <= WIDTH  # nothing wider than the phone
    assert facts["smallest_button"] >= 44  # thumb-sized
    assert facts["product_button_width"] > WIDTH / 2  # the product's name has the room
    # Every glyph of the Chinese title was drawn with a CJK font (no tofu boxes).
    cjk = [f for f in facts["fonts"] if "CJK" in f["familyName"] or "Han" in f["familyName"]]
    assert cjk and sum(f["glyphCount"] for f in cjk) >= len("玻尿酸保湿精华液")
    assert facts["green_share"] > 0.005


async def _tap(page: DevTools, selector: str) -> None:
    """A finger's tap on the element ``selector`` names (scrolled into view first)."""
    box = await page.centre_of(f"document.querySelector({selector!r})")
    point = {"x": box[0], "y": box[1]}
    await page.send("Input.dispatchTouchEvent", type="touchStart", touchPoints=[point])
    await page.send("Input.dispatchTouchEvent", type="touchEnd", touchPoints=[])


async def _studio(url: str, browser: str, profile: Path) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    async with chromium_page(browser, profile) as page:
        await page.send("Page.enable")
        await page.send("Page.navigate", url=f"{url}/?token={TOKEN}")
        await page.wait_for("document.querySelectorAll('[data-sku]').length === 3")
        facts["switch_off"] = await page.evaluate("document.getElementById('studio').textContent")
        facts["take_shown_off"] = await page.evaluate(
            "document.getElementById('take').getClientRects().length > 0"
        )
        await _tap(page, "#studio")
        await page.wait_for(
            "document.getElementById('studio').getAttribute('aria-pressed') === 'true'"
        )
        facts["switch_on"] = await page.evaluate("document.getElementById('studio').textContent")
        facts["switch_height"] = await page.evaluate(
            "document.getElementById('studio').getBoundingClientRect().height"
        )
        await _tap(page, "[data-sku='SERUM-30']")  # in studio mode a tap stages
        await page.wait_for(
            "document.querySelector(\"[data-sku='SERUM-30']\").classList.contains('staged')"
        )
        facts["staged_line"] = await page.evaluate("document.getElementById('staged').textContent")
        facts["on_screen_after_stage"] = await page.evaluate(
            "document.querySelectorAll('.on-screen').length"
        )
        facts["take_text"] = await page.evaluate("document.getElementById('take').textContent")
        await page.evaluate("window.scrollTo(0, 0)")
        shot = await page.send("Page.captureScreenshot", format="png")
        (profile.parent / "remote-360-studio.png").write_bytes(base64.b64decode(shot["data"]))
        await _tap(page, "#take")
        await page.wait_for(
            "document.querySelector(\"[data-sku='SERUM-30']\").classList.contains('on-screen')"
        )
        facts["green_share"] = await page.wait_for(
            f"(async () => {{ const s = await {GREEN_SHARE}; return s > 0.005 ? s : 0; }})()"
        )
    return facts


def test_web_remote_switches_studio_mode_stages_and_takes(tmp_path: Path, chromium: str) -> None:
    browser = chromium
    with running_show(tmp_path / "run", canvas=(640, 360)) as show:
        facts = asyncio.run(_studio(show.url, browser, tmp_path / "profile"))
        state = httpx.get(
            f"{show.url}/api/v1/state", headers={"Authorization": f"Bearer {TOKEN}"}
        ).json()
    assert (facts["switch_off"], facts["switch_on"]) == ("导播模式：关", "导播模式：开")
    assert facts["take_shown_off"] is False  # no Take button outside studio mode
    assert facts["switch_height"] >= 48  # a thumb's target
    assert facts["staged_line"] == "预备：\u2068玻尿酸保湿精华液\u2069"  # isolated
    assert facts["on_screen_after_stage"] == 0  # staged is not on air
    assert facts["take_text"] == "切上直播 ▶"
    assert facts["green_share"] > 0.005  # after Take the program preview shows the card
    assert state["studio_mode"] is True and state["on_screen"] == "SERUM-30"
