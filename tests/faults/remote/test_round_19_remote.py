"""Round nineteen of issue 10, the remote control: bodies with a list of codings, the event
stream's changes on the largest show, with real servers on loopback."""

from __future__ import annotations

import asyncio
import gzip
import json
import zlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp

from anchordesk.control.state import RUNNING, settled, state_changes
from anchordesk.show.model import DealPlan, Product, Segment, Show

from ..remote_parts import TOKEN, rehearsing, serving

AUTH = {"Authorization": f"Bearer {TOKEN}"}

SMALL_SHOW = Show(
    "Small",
    "USD",
    "en",
    (
        Product("MUG", "Mug", Decimal("12.00"), 50),
        Product("LAMP", "Lamp", Decimal("30.00"), 20),
    ),
    (
        Segment("Hello", 60, None),
        Segment("Mug", 120, "MUG", deal=DealPlan(Decimal("9.00"), 60, 10)),
        Segment("Lamp", 120, "LAMP"),
    ),
)


async def _encoded(folder: Path, bodies: list[tuple[str, bytes]]) -> list[tuple[int, Any]]:
    said: list[tuple[int, Any]] = []
    async with (
        rehearsing(SMALL_SHOW, folder) as live,
        serving(lambda: live) as server,
        aiohttp.ClientSession(headers=AUTH) as deck,
    ):
        for encoding, body in bodies:
            async with deck.post(
                f"{server.url}api/v1/commands",
                data=body,
                headers={"Content-Encoding": encoding},
            ) as answer:
                said.append((answer.status, json.loads(await answer.text())))
    return said


def test_a_body_with_a_list_of_known_codings_is_read_and_an_unknown_one_named(
    tmp_path: Path,
) -> None:
    """Before: `Content-Encoding: identity, gzip` (a list, RFC 9110 8.4, the codings in the
    order they were applied) was refused 415 as one unknown coding, though each is one the
    API reads; and the refusal named the whole list, not the coding it could not read."""
    goto = b'{"command":"goto_segment","index":2}'
    said = asyncio.run(
        _encoded(
            tmp_path,
            [
                ("identity, gzip", gzip.compress(goto)),
                ("gzip, deflate", zlib.compress(gzip.compress(b'{"command":"previous_segment"}'))),
                ("deflate,gzip", gzip.compress(zlib.compress(b'{"command":"next_segment"}'))),
                ("identity, br", goto),
                ("gzip, zstd", goto),
            ],
        )
    )
    assert said[0][0] == 200 and said[0][1]["state"]["segment"]["index"] == 2
    # Applied gzip then deflate: undone the other way round (the last coding first).
    assert said[1][0] == 200 and said[1][1]["state"]["segment"]["index"] == 1
    assert said[2][0] == 200 and said[2][1]["state"]["segment"]["index"] == 2
    assert said[3] == (
        415,
        {
            "ok": False,
            "error": "a body sent as 'br' (its Content-Encoding) is not read: send it as it "
            "is, or as gzip or deflate",
        },
    )
    assert said[4][0] == 415 and "'zstd'" in said[4][1]["error"]


def _show_of(products: int, segments: int) -> Show:
    return Show(
        "Many",
        "USD",
        "en",
        tuple(
            Product(f"P-{number:05d}", f"Product {number}", Decimal("19.99"), 1000)
            for number in range(products)
        ),
        tuple(
            Segment(
                f"Segment {number}",
                60,
                f"P-{number % products:05d}",
                deal=DealPlan(Decimal("9.99"), 120, 50),
            )
            for number in range(segments)
        ),
    )


def _applied(held: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    """A state_changes message applied as docs/control-api.md says (and the page does)."""
    assert message["base"] == held["version"]
    held = json.loads(json.dumps(held))
    for path, value in message["set"].items():
        *parents, name = path.split(".")
        target = held
        for parent in parents:
            target = target[parent]
        target[name] = value
    for path, patch in message["rows"].items():
        *parents, name = path.split(".")
        target = held
        for parent in parents:
            target = target[parent]
        key, rows = patch["key"], list(target[name])
        at = {row[key]: i for i, row in enumerate(rows)}
        for row in patch["rows"]:
            if row[key] in at:
                rows[at[row[key]]] = row
            else:
                at[row[key]] = len(rows)
                rows.append(row)
        rows = [row for row in rows if row[key] not in set(patch["gone"])]
        if "order" in patch:
            by_key = {row[key]: row for row in rows}
            rows = [by_key[name] for name in patch["order"]]
        target[name] = rows
    held["version"] = message["version"]
    return held


async def _a_phone_asking_for_changes(folder: Path) -> dict[str, Any]:
    seen: dict[str, Any] = {"changes": []}
    async with (
        rehearsing(_show_of(2_000, 2_000), folder) as live,
        serving(lambda: live) as server,
        aiohttp.ClientSession(headers=AUTH) as deck,
        deck.ws_connect(
            f"{server.url}api/v1/events?token={TOKEN}&changes=1", max_msg_size=0
        ) as phone,
    ):
        opening = await phone.receive()
        seen["whole_bytes"] = len(opening.data.encode())
        held = json.loads(opening.data)
        for body in (
            {"command": "show_product", "sku": "P-00100"},
            {"command": "start_deal", "sku": "P-00100"},
            {"command": "goto_segment", "index": 1500},
        ):
            async with deck.post(f"{server.url}api/v1/commands", json=body) as answer:
                assert answer.status == 200
            while True:  # up to the change the command made (and the stats' on the way)
                message = json.loads((await phone.receive()).data)
                assert message["type"] == "state_changes"
                seen["changes"].append(len(json.dumps(message, ensure_ascii=False)))
                held = _applied(held, message)
                touched = [*message["set"], *message["rows"]]
                if not all(path.split(".")[0] in RUNNING for path in touched):
                    break  # (not only the figures sent once a second)
        async with deck.get(f"{server.url}api/v1/state") as answer:
            now = await answer.json()
        # Equal but for what runs by itself (the clocks, the stats) and the version.
        seen["held"] = settled({k: v for k, v in held.items() if k not in ("version", "type")})
        seen["now"] = settled(now)
        seen["deals"] = [deal["sku"] for deal in held["deals"]]
    return seen


def test_a_phone_is_sent_what_changed_not_the_whole_state_again(tmp_path: Path) -> None:
    """Before: each change of the state (a product on air, a deal, a segment) was sent to every
    phone whole: on a show at the limits 4 MB at each change, and the board's 1.4 MB with the
    stats every second. A phone that asks for changes (the web remote does) now gets the
    state whole once, then only what changed, which applied gives the state the API has."""
    seen = asyncio.run(_a_phone_asking_for_changes(tmp_path))
    assert seen["held"] == seen["now"]
    assert "P-00100" in seen["deals"] and seen["held"]["segment"]["index"] == 1500
    assert seen["whole_bytes"] > 500_000
    assert max(seen["changes"]) < seen["whole_bytes"] / 50


def test_changes_of_rows_moved_added_and_gone_apply_to_the_new_state() -> None:
    """The rows' patch keeps order: a deal started again moves to the end of the deals, a
    product gone from the list goes from the phone's."""
    old = {
        "version": 1,
        "deals": [{"sku": "A", "state": "ended"}, {"sku": "B", "state": "live"}],
        "products": [{"sku": "A", "stock_left": 3}, {"sku": "B", "stock_left": 2}],
        "board": {"products": [{"sku": "A", "units": 1}], "buyers": 1},
    }
    new = {
        "deals": [
            {"sku": "B", "state": "live"},
            {"sku": "C", "state": "live"},
            {"sku": "A", "state": "live"},
        ],
        "products": [{"sku": "B", "stock_left": 1}],
        "board": {"products": [{"sku": "A", "units": 2}], "buyers": 2},
    }
    replaced, rows = state_changes({k: v for k, v in old.items() if k != "version"}, new)
    message = {"version": 2, "base": 1, "set": replaced, "rows": rows}
    assert _applied(old, message) == {**new, "version": 2}
    assert replaced == {"board.buyers": 2}
    assert rows["deals"]["order"] == ["B", "C", "A"] and rows["products"]["gone"] == ["A"]


async def _a_stream_deck_at_ten_a_second(folder: Path) -> dict[str, Any]:
    seen: dict[str, Any] = {"answers": []}
    made = [0]
    async with (
        rehearsing(SMALL_SHOW, folder) as live,
        # Each state is said to cost a second of work (as on a show at the limits, loaded).
        serving(lambda: live, work_clock=_Steps(1.0)) as server,
        aiohttp.ClientSession(headers=AUTH) as deck,
        deck.ws_connect(f"{server.url}api/v1/events?token={TOKEN}&changes=1") as phone,
    ):
        await phone.receive()
        snapshot = live.snapshot

        def counted() -> Any:
            made[0] += 1
            return snapshot()

        live.snapshot = counted  # type: ignore[method-assign]
        for number in range(10):
            body = {"command": "goto_segment", "index": number % 3}
            minimal = {"Prefer": "return=minimal"}
            url = f"{server.url}api/v1/commands"
            async with deck.post(url, json=body, headers=minimal) as answer:
                seen["answers"].append((answer.status, await answer.json()))
        seen["made"] = made[0]
    return seen


class _Steps:
    """A work clock that moves on by ``step`` at each reading: everything timed by it took
    ``step`` seconds."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_a_stream_deck_pressing_fast_does_not_have_a_state_made_for_each_press(
    tmp_path: Path,
) -> None:
    """Before: every command had the show's whole state made (4 MB on a show at the limits,
    a quarter of a second), compared and written out, for its answer and for the phones: a
    stream deck at ten commands a second took the event loop whole. A client that wants no
    state (`Prefer: return=minimal`) gets `{"ok": true}`, and the phones hear of the change
    within the ticker's share of the loop, not once per press."""
    seen = asyncio.run(_a_stream_deck_at_ten_a_second(tmp_path))
    assert seen["answers"] == [(200, {"ok": True})] * 10
    assert seen["made"] <= 3


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _two_phones_a_moment_apart(folder: Path, changes: bool) -> list[dict[str, Any]]:
    clock = _Clock()
    states: list[dict[str, Any]] = []
    url = "api/v1/events?token=" + TOKEN + ("&changes=1" if changes else "")
    async with (
        rehearsing(SMALL_SHOW, folder) as live,
        serving(lambda: live, clock=clock) as server,
        aiohttp.ClientSession() as phones,
    ):
        assert server._ticker is not None
        server._ticker.cancel()  # no new state is made between the two phones
        live.start_deal("MUG")
        async with phones.ws_connect(server.url + url) as first:
            states.append(json.loads((await first.receive()).data))
            clock.now += 0.8
            async with phones.ws_connect(server.url + url) as second:
                states.append(json.loads((await second.receive()).data))
    return states


def test_a_phone_connecting_after_another_gets_clocks_of_its_own_moment(tmp_path: Path) -> None:
    """Before: the state written out for the first phone to connect was kept for the next
    ones until a new state was made (up to a second on a show at the limits), clocks and all:
    a phone connecting 0.8 s after another got that one's segment time and deal countdowns,
    0.8 s behind, and counted on from there."""
    for changes in (False, True):
        first, second = asyncio.run(_two_phones_a_moment_apart(tmp_path / str(changes), changes))
        passed = second["segment"]["elapsed_s"] - first["segment"]["elapsed_s"]
        assert abs(passed - 0.8) < 0.002
        left = first["deals"][0]["remaining_s"] - second["deals"][0]["remaining_s"]
        assert abs(left - 0.8) < 0.002
        assert second["deals"][0]["price_text"] == "$9.00"
        # (clocks_at_s, R21: when the clocks were read, on the server's clock)
        assert abs(second["clocks_at_s"] - first["clocks_at_s"] - 0.8) < 0.002
        running = ("segment", "deals", "clocks_at_s")
        assert {k: v for k, v in first.items() if k not in running} == {
            k: v for k, v in second.items() if k not in running
        }


async def _a_free_deal_written_with_a_huge_exponent(folder: Path) -> list[tuple[int, Any]]:
    said: list[tuple[int, Any]] = []
    async with (
        rehearsing(SMALL_SHOW, folder) as live,
        serving(lambda: live) as server,
        aiohttp.ClientSession(headers=AUTH) as deck,
    ):
        for price in ("0e999999999999999999", '"0.0E+999999999999999999"'):
            body = '{"command":"start_deal","sku":"MUG","price":' + price + "}"
            async with deck.post(f"{server.url}api/v1/commands", data=body.encode()) as answer:
                said.append((answer.status, await answer.text()))
            async with deck.get(f"{server.url}api/v1/state") as answer:
                said.append((answer.status, await answer.text()))
    return said


def test_a_zero_price_with_a_huge_exponent_leaves_the_state_readable(tmp_path: Path) -> None:
    """Before: a deal started from the remote at `0e999999999999999999` (zero, which the rules
    allow, written with an exponent of 18 digits) was applied, then its answer was a 500 and
    every state after it too (the API's, each phone's tick: "a tick failed" ten times a
    second): writing the zero's text sized its precision by its exponent, past any a Decimal
    may have."""
    said = asyncio.run(_a_free_deal_written_with_a_huge_exponent(tmp_path))
    assert [status for status, _ in said] == [200, 200, 200, 200]
    for _, text in said:
        state = json.loads(text).get("state") or json.loads(text)
        assert [(deal["price"], deal["price_text"]) for deal in state["deals"]] == [
            ("0.00", "$0.00")
        ]
