"""The remote control on the largest show the validator takes (10,000 products, 20,000
segments each with its deal), in process (a real LiveShow rehearsing it, a real ControlServer
on loopback), one phone reading the event stream in another process (as the web remote asks
for it, `&changes=1`): what the phone is sent and what it costs the show's event loop.

1. A command a second for 12 s (segment changes and products on air): the bytes of each state
   message the phone gets, messages and bytes a second, the loop's busy share.
2. A stream deck at ten commands a second for 6 s, with the default answer (the state) and
   with `Prefer: return=minimal`: the loop's busy share, the POST's time.

Figures are printed, not asserted (a loaded machine moves them). The loop's busy time is
measured by a watcher task that sleeps 5 ms at a time and adds up how late it wakes.

    PYTHONPATH=src .venv/bin/python benchmarks/remote_state_bytes.py
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
from tests.faults.remote.test_round_15_remote import _show_at_the_limits
from tests.faults.remote_parts import TOKEN, rehearsing, serving

PHONE = """
import asyncio, json, sys, aiohttp
async def main():
    sizes = {}
    async with aiohttp.ClientSession() as s, s.ws_connect(sys.argv[1], max_msg_size=0) as ws:
        print("ready", flush=True)
        stop = asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        while True:
            got = asyncio.ensure_future(ws.receive())
            await asyncio.wait({got, stop}, return_when=asyncio.FIRST_COMPLETED)
            if not got.done():
                got.cancel()
                break
            m = got.result()
            kind = json.loads(m.data)["type"]
            sizes.setdefault(kind, []).append(len(m.data.encode()))
    print(json.dumps(sizes), flush=True)
asyncio.run(main())
"""


async def _busy_watcher(busy: list[float]) -> None:
    while True:
        began = time.perf_counter()
        await asyncio.sleep(0.005)
        busy[0] += max(0.0, time.perf_counter() - began - 0.005)


async def _phone(url: str) -> asyncio.subprocess.Process:
    phone = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        PHONE,
        url,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert phone.stdout is not None
    await phone.stdout.readline()  # connected
    return phone


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        async with (
            rehearsing(_show_at_the_limits(), Path(folder)) as live,
            serving(lambda: live) as server,
            aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as deck,
        ):
            url = f"{server.url}api/v1/events?token={TOKEN}&changes=1"
            busy = [0.0]
            watcher = asyncio.ensure_future(_busy_watcher(busy))
            phone = await _phone(url)
            await asyncio.sleep(2)
            busy[0] = 0.0
            began = time.perf_counter()
            for number in range(12):
                body: dict[str, object] = (
                    {"command": "goto_segment", "index": 10 + number}
                    if number % 2 == 0
                    else {"command": "show_product", "sku": f"P-{number:05d}"}
                )
                async with deck.post(f"{server.url}api/v1/commands", json=body) as answer:
                    await answer.read()
                await asyncio.sleep(max(0.0, began + number + 1 - time.perf_counter()))
            spent = time.perf_counter() - began
            share = busy[0] / spent
            out, _ = await phone.communicate(b"stop\n")
            sizes: dict[str, list[int]] = json.loads(out.decode().splitlines()[-1])
            print(f"largest show, 12 commands a second apart ({spent:.1f} s), one phone")
            for kind, lengths in sorted(sizes.items()):
                print(
                    f"  {kind}: {len(lengths)} messages, median {statistics.median(lengths):,.0f}"
                    f" bytes, max {max(lengths):,} bytes"
                )
            later = [n for kind, ns in sizes.items() for n in ns][1:]  # after the opening
            print(f"  sent to the phone after its opening: {sum(later) / spent:,.0f} bytes/s")
            print(f"  event loop busy: {share:.0%}")
            for prefer in ("", "return=minimal"):
                headers = {"Prefer": prefer} if prefer else {}
                phone = await _phone(url)
                await asyncio.sleep(1)
                posts: list[float] = []
                busy[0] = 0.0
                began = time.perf_counter()
                for number in range(60):
                    body = {"command": "goto_segment", "index": 100 + number % 7}
                    sent = time.perf_counter()
                    async with deck.post(
                        f"{server.url}api/v1/commands", json=body, headers=headers
                    ) as answer:
                        await answer.read()
                    posts.append(time.perf_counter() - sent)
                    await asyncio.sleep(max(0.0, began + (number + 1) / 10 - time.perf_counter()))
                spent = time.perf_counter() - began
                share = busy[0] / spent
                await phone.communicate(b"stop\n")
                print(
                    f"stream deck, 60 commands at ten a second ({prefer or 'the state answered'})"
                    f": took {spent:.1f} s, event loop busy {share:.0%}, POST median "
                    f"{statistics.median(posts):.3f} s, max {max(posts):.3f} s"
                )
            watcher.cancel()


if __name__ == "__main__":
    asyncio.run(main())
