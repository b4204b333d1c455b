"""The remote control on the largest show the validator takes (10,000 products, 20,000
segments each with its deal), in process (a real LiveShow rehearsing it, a real ControlServer
on loopback, one phone reading the event stream): how much of the event loop each command
costs, from the POST until the phone has the state it caused.

The loop's busy time is measured by a watcher task that sleeps 5 ms at a time and adds up how
late it wakes: the time the loop spent on other work (the handler, the ticker, the snapshot,
JSON) while the command was served and sent out. Commands alternate between a segment change
and a product on air, 10 of each.

    PYTHONPATH=src .venv/bin/python benchmarks/remote_largest_show.py
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
from tests.faults.remote.test_round_15_remote import _show_at_the_limits
from tests.faults.remote_parts import TOKEN, rehearsing, serving

COMMANDS = 20


async def _busy_watcher(busy: list[float]) -> None:
    while True:
        began = time.perf_counter()
        await asyncio.sleep(0.005)
        busy[0] += max(0.0, time.perf_counter() - began - 0.005)


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        async with (
            rehearsing(_show_at_the_limits(), Path(folder)) as live,
            serving(lambda: live) as server,
            aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as deck,
            deck.ws_connect(f"{server.url}api/v1/events?token={TOKEN}", max_msg_size=0) as phone,
        ):
            states: asyncio.Queue[str] = asyncio.Queue()

            async def read() -> None:
                # Not parsed: the phone shares the loop here, and parsing 4 MB is not the
                # server's cost.
                async for message in phone:
                    if message.data.startswith('{"type":"state"'):
                        await states.put(message.data)

            reader = asyncio.ensure_future(read())
            await states.get()  # the opening state
            await asyncio.sleep(2)
            busy = [0.0]
            watcher = asyncio.ensure_future(_busy_watcher(busy))
            costs, answers = [], []
            for number in range(COMMANDS):
                body: dict[str, object] = (
                    {"command": "goto_segment", "index": 10 + number}
                    if number % 2 == 0
                    else {"command": "show_product", "sku": f"P-{number:05d}"}
                )
                while not states.empty():
                    states.get_nowait()
                busy[0] = 0.0
                began = time.perf_counter()
                async with deck.post(f"{server.url}api/v1/commands", json=body) as answer:
                    await answer.read()
                answers.append(time.perf_counter() - began)
                await states.get()
                costs.append(busy[0])
                await asyncio.sleep(1.0)
            watcher.cancel()
            reader.cancel()
    print(f"largest show, {COMMANDS} commands (segment changes and products on air)")
    print(
        f"  event loop busy per command: median {statistics.median(costs):.2f} s, "
        f"max {max(costs):.2f} s"
    )
    print(
        f"  POST answered in: median {statistics.median(answers):.2f} s, max {max(answers):.2f} s"
    )


if __name__ == "__main__":
    asyncio.run(main())
