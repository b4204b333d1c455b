"""Round thirty of issue 10: the remote and its page (hunt30ui)."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

from ..remote_parts import TOKEN, phone_on
from .test_round_19_remote import SMALL_SHOW

# A command sent as the page sends one (its token, the API's JSON).
_COMMAND = """fetch('/api/v1/commands', {method: 'POST',
  headers: {'Authorization': 'Bearer TOKEN', 'Content-Type': 'application/json'},
  body: JSON.stringify(BODY)}).then((answer) => answer.status)"""


async def _the_phone_s_deal(folder: Path, chromium: str) -> str:
    async with phone_on(SMALL_SHOW, folder, chromium) as page:
        await page.wait_for("document.getElementById('deals') !== null")
        for body in (
            {"command": "show_product", "sku": "MUG"},
            {"command": "start_deal", "sku": "MUG", "price": "9.00", "seconds": 86400},
        ):
            sent = _COMMAND.replace("TOKEN", TOKEN).replace("BODY", json.dumps(body))
            assert await page.evaluate(sent) == 200, body
        await page.wait_for(r"/\d:\d\d/.test(document.getElementById('deals').textContent)")
        return str(await page.evaluate("document.getElementById('deals').textContent"))


def test_a_day_long_deal_reads_on_the_phone_as_on_the_picture(
    tmp_path: Path, chromium: str
) -> None:
    """Before (headless chromium, a deal of 86,400 s): "剩 1439:21" on the phone (and in the
    window) beside the picture's countdown 23:59:21."""
    text = asyncio.run(_the_phone_s_deal(tmp_path, chromium))
    assert re.search(r"剩 2[34]:[0-5]\d:[0-5]\d ", text), text  # a Chinese phone
