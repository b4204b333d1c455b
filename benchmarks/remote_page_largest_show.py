"""The web remote on the largest show the validator takes (10,000 products, 20,000 segments),
in Debian's chromium headless as a phone (360 px, zh-CN): how long the page takes to show the
show first, and the page's long tasks (over 50 ms, the PerformanceObserver's) while five
states arrive, 4 s apart (a product put on air each time).

    PYTHONPATH=src .venv/bin/python benchmarks/remote_page_largest_show.py
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "integration")]

from test_control_browser import chromium_page  # noqa: E402
from tests.faults.remote.test_round_15_remote import _show_at_the_limits  # noqa: E402
from tests.faults.remote_parts import TOKEN, rehearsing, serving  # noqa: E402

_WATCH = """(() => { window.longs = []; new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.longs.push(Math.round(entry.duration)); })
  .observe({type: 'longtask', buffered: false}); return 1; })()"""


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        async with (
            rehearsing(_show_at_the_limits(), Path(folder)) as live,
            serving(lambda: live) as server,
            chromium_page("/usr/bin/chromium", Path(folder) / "profile") as page,
        ):
            began = time.monotonic()
            await page.send("Page.navigate", url=f"{server.url}?token={TOKEN}")
            await page.wait_for("document.querySelectorAll('#products li').length === 10000", 180)
            first = time.monotonic() - began
            await asyncio.sleep(3)
            await page.evaluate(_WATCH)
            for number in range(5):
                live.show_product(f"P-{number + 1:05d}", origin=None)
                await asyncio.sleep(4)
            longs = await page.evaluate("window.longs")
    print(f"first render: {first:.1f} s")
    print(f"long tasks over 5 states (ms): {longs}, {sum(longs)} ms in all")


if __name__ == "__main__":
    asyncio.run(main())
