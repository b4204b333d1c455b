"""The remote-control API against a real ``anchordesk live --control`` process.

Commands change the state and the picture (the card is read back from the recording), are
kept in the session file with their origin; the WebSocket streams state, stats, comments and
orders; the guard answers 401/403/413/400 in one line and a flood of wrong tokens locks the
address out; ``anchordesk control`` drives the same show from a shell.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import numpy as np
import pytest
from control_show import (
    BACKGROUND_BGR,
    CREAM_BGR,
    SERUM_BGR,
    TOKEN,
    RunningShow,
    colour_fraction,
    environment,
    recorded_frames,
    running_show,
)
from PySide6.QtGui import QImage
from servers import wait_until

pytestmark = pytest.mark.integration


def control(show: RunningShow, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "anchordesk", "control", "--url", show.url, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment(),
    )


def post(client: httpx.Client, body: object) -> httpx.Response:
    return client.post("/api/v1/commands", json=body)


def test_commands_drive_the_show_and_the_picture(tmp_path: Path) -> None:
    with running_show(tmp_path / "run") as show, show.client() as client:
        state = client.get("/api/v1/state").json()
        assert state["session"]["mode"] == "rehearsal"
        assert state["segment"] == {
            "index": 0,
            "title": "开场",
            "elapsed_s": state["segment"]["elapsed_s"],
            "planned_s": 60.0,
            "count": 3,
        }
        assert state["on_screen"] is None
        assert [p["title"] for p in state["products"]] == [
            "玻尿酸保湿精华液",
            "修护面霜",
            "补水面膜",
        ]
        assert state["products"][0]["price"] == "199.00"  # decimal text, the currency's digits
        assert TOKEN not in json.dumps(state)

        answer = post(client, {"command": "show_product", "sku": "SERUM-30"})
        assert answer.status_code == 200
        assert answer.json()["ok"] is True
        assert answer.json()["state"]["on_screen"] == "SERUM-30"

        # The shell's way: one command, the resulting state as JSON on stdout.
        done = control(show, "start_deal", "sku=SERUM-30", "seconds=90")
        assert done.returncode == 0, done.stderr
        deals = json.loads(done.stdout)["deals"]
        assert deals == [
            {"sku": "SERUM-30", "state": "live", "price": "129.00",
             "remaining_s": deals[0]["remaining_s"], "units_left": 100, "currency": "CNY",
             "price_text": "CN¥129.00"}
        ]  # fmt: skip
        assert 89 < deals[0]["remaining_s"] <= 90

        # Not possible now: 409 with one line, nothing changed.
        answer = post(client, {"command": "start_deal", "sku": "MASK-10"})
        assert answer.status_code == 409
        assert answer.json() == {
            "ok": False,
            "error": "MASK-10 is sold out: no deal can start on it",
            "message": "MASK-10 is sold out: no deal can start on it",  # none asked: English
        }
        answer = post(client, {"command": "pin_latest_question"})
        assert answer.status_code == 409
        assert post(client, {"command": "goto_segment", "index": 7}).status_code == 400

        assert post(client, {"command": "stop_deal", "sku": "SERUM-30"}).status_code == 200
        assert post(client, {"command": "goto_segment", "index": 2}).status_code == 200
        # Staging is studio mode's: refused until studio mode is on (test_studio_mode_...).
        answer = post(client, {"command": "stage_product", "sku": "CREAM-50"})
        assert answer.status_code == 409
        assert answer.json()["error"] == "staging needs studio mode: switch studio mode on first"
        state = post(client, {"command": "show_product", "sku": "CREAM-50"}).json()["state"]
        assert state["on_screen"] == "CREAM-50"
        assert state["segment"]["index"] == 2
        assert state["deals"][0]["state"] == "ended"
        done = control(show, "previous_segment")
        assert done.returncode == 0 and json.loads(done.stdout)["segment"]["title"] == "精华液"
        done = control(show, "goto_segment", "index=x")
        assert done.returncode == 2
        assert done.stderr.strip() == (
            "error: anchordesk control goto_segment: 400: "
            "goto_segment: index must be a whole number"
        )
        out, err = show.stop()
        assert TOKEN not in out + err

    # The picture: the serum's card (green) after the first command, the cream's after the last.
    frames = recorded_frames(show.recording)
    green = [time_s for time_s, frame in frames if colour_fraction(frame, SERUM_BGR) > 0.01]
    orange = [time_s for time_s, frame in frames if colour_fraction(frame, CREAM_BGR) > 0.01]
    assert green and orange
    assert colour_fraction(frames[0][1], SERUM_BGR) == 0
    assert min(green) < min(orange)

    # Every applied command is kept in the session's events with its origin.
    with sqlite3.connect(show.session) as db:
        rows = db.execute("SELECT data FROM show_events WHERE kind = 'command' ORDER BY seq")
        kept = [json.loads(data) for (data,) in rows]
    assert [(c["command"], c["origin"]) for c in kept] == [
        ("show_product", "remote"),
        ("start_deal", "remote"),
        ("stop_deal", "remote"),
        ("goto_segment", "remote"),
        ("show_product", "remote"),
        ("previous_segment", "remote"),
    ]
    assert kept[1]["arguments"] == {"sku": "SERUM-30", "seconds": 90}


async def _events(show: RunningShow) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{show.url}/api/v1/events?token={TOKEN}") as ws,
    ):
        first = await ws.receive_json(timeout=10)
        seen.append(first)
        # The serum's segment and its deal: the simulated audience orders the serum.
        for body in (
            {"command": "goto_segment", "index": 1},
            {"command": "start_deal", "sku": "SERUM-30"},
        ):
            async with session.post(
                f"{show.url}/api/v1/commands",
                json=body,
                headers={"Authorization": f"Bearer {TOKEN}"},
            ) as response:
                assert response.status == 200
        kinds: set[str] = set()
        on_screen = None
        fps = 0.0
        async with asyncio.timeout(90):
            while not ({"stats", "comment", "order"} <= kinds and on_screen == "SERUM-30" and fps):
                message = await ws.receive_json()
                seen.append(message)
                kinds.add(message["type"])
                if message["type"] == "state":
                    on_screen = message["on_screen"]
                if message["type"] == "stats":
                    fps = message["fps"]
            # The operator hides a comment: every remote hears it is gone.
            hidden = next(m["id"] for m in seen if m["type"] == "comment")
            async with session.post(
                f"{show.url}/api/v1/commands",
                json={"command": "hide_comment", "id": hidden},
                headers={"Authorization": f"Bearer {TOKEN}"},
            ) as response:
                assert response.status == 200
            while True:
                message = await ws.receive_json()
                seen.append(message)
                if message["type"] == "comment_hidden":
                    assert message == {"type": "comment_hidden", "id": hidden, "reason": ""}
                    break
    return seen


def test_events_stream_state_stats_comments_and_orders(tmp_path: Path) -> None:
    # The rehearsal audience comments and orders, fast.
    with running_show(tmp_path / "run", "--feed", "rehearsal") as show:
        seen = asyncio.run(_events(show))
    assert seen[0]["type"] == "state"
    assert seen[0]["on_screen"] is None
    states = [m for m in seen if m["type"] == "state"]
    assert states[-1]["on_screen"] == "SERUM-30"
    comment = next(m for m in seen if m["type"] == "comment")
    assert set(comment) == {"type", "id", "author", "text", "question", "flagged", "hidden"}
    assert isinstance(comment["text"], str) and comment["id"].startswith("rehearsal:")
    order = next(m for m in seen if m["type"] == "order")
    assert order["currency"] == "CNY" and isinstance(order["total"], str)
    stats = [m for m in seen if m["type"] == "stats"][-1]
    assert stats["fps"] > 0 and stats["recording_bytes"] > 0 and stats["dropped_frames"] >= 0
    # Coalesced: the clocks alone never make a state message; an order changes the figures,
    # and each of the three commands is heard of at once (round seventeen).
    assert len(states) <= 1 + 3 + sum(1 for m in seen if m["type"] == "order")


async def _websocket_status(url: str, **headers: str) -> int:
    async with aiohttp.ClientSession() as session:
        try:
            async with session.ws_connect(url, headers=headers):
                return 101
        except aiohttp.WSServerHandshakeError as error:
            return error.status


def test_bad_calls_get_one_line_and_a_flood_of_wrong_tokens_locks_the_address_out(
    tmp_path: Path,
) -> None:
    secret_url = "rtmp://127.0.0.1:9/live/stream_key_SECRET_42"  # nothing listens there
    with (
        running_show(tmp_path / "run", "--to", secret_url) as show,
        show.client() as client,
    ):
        anonymous = httpx.Client(base_url=show.url, timeout=10)
        # No token, a wrong one: 401 and nothing else.
        for response in (
            anonymous.get("/api/v1/state"),
            anonymous.get("/api/v1/state", headers={"Authorization": "Bearer wrong"}),
            anonymous.get("/api/v1/state?token=wrong"),
            anonymous.post("/api/v1/commands", json={"command": "next_segment"}),
        ):
            assert response.status_code == 401
            assert response.json() == {"ok": False, "error": "a valid token is required"}
        assert client.get(f"/api/v1/state?token={TOKEN}").status_code == 200

        # Another page in the operator's browser may not drive the show (nor count as a try).
        evil = {"Origin": "http://evil.example"}
        response = client.post("/api/v1/commands", json={"command": "next_segment"}, headers=evil)
        assert response.status_code == 403
        own = {"Origin": show.url}
        own_command = {"command": "show_product", "sku": "SERUM-30"}
        assert client.post("/api/v1/commands", json=own_command, headers=own).status_code == 200
        events = show.url.replace("http:", "ws:") + f"/api/v1/events?token={TOKEN}"
        assert asyncio.run(_websocket_status(events, Origin="http://evil.example")) == 403
        assert asyncio.run(_websocket_status(events, Origin=show.url)) == 101
        assert "Access-Control-Allow-Origin" not in response.headers

        # Bad input: a 4xx with one line naming what is wrong.
        bad: list[tuple[bytes | object, int, str]] = [
            (b'{"command": ', 400, "malformed JSON: "),
            (b"\xff\xfe", 400, "the body is not UTF-8 text"),
            (b'{"command": "next_segment", "x": NaN}', 400, "malformed JSON: NaN"),
            # Python's own words for it named sys.set_int_max_str_digits().
            (b'{"command": "goto_segment", "index": ' + b"9" * 5000 + b"}", 400,
             "malformed JSON: the number 99999999999999999999... has more than 18 digits"),
            ([1, 2], 400, "the body must be a JSON object"),
            ({"command": "launch_rocket"}, 400, "unknown command 'launch_rocket'"),
            ({"command": 7}, 400, '"command" is missing or not a string'),
            ({"command": "goto_segment", "index": "2"}, 400, "goto_segment: index must be"),
            ({"command": "goto_segment", "index": True}, 400, "goto_segment: index must be"),
            ({"command": "goto_segment"}, 400, "goto_segment: index is required"),
            ({"command": "show_product", "sku": "NOPE"}, 400, "no product with SKU 'NOPE'"),
            ({"command": "next_segment", "force": 1}, 400, "next_segment: unknown argument"),
            ({"command": "start_deal", "sku": "SERUM-30", "price": "x"}, 400, "start_deal: price"),
            ({"command": "start_deal", "sku": "SERUM-30", "price": "-5"}, 400,
             "the deal price must not be negative (got -5)"),
            ({"command": "start_deal", "sku": "SERUM-30", "seconds": 10**12}, 400,
             "deal seconds: 1000000000000 s is longer than a day"),
            (b"x" * 100_000, 413, "the body is larger than 16384 bytes"),
        ]  # fmt: skip
        for body, status, start in bad:
            if isinstance(body, bytes):
                response = client.post("/api/v1/commands", content=body)
            else:
                response = post(client, body)
            assert response.status_code == status, (body, response.text)
            answer = response.json()
            assert answer["ok"] is False and answer["error"].startswith(start), answer
            assert "\n" not in answer["error"]

        # The destination's URL is masked; no key, no token anywhere in the answers.
        state = wait_until(
            lambda: (s := client.get("/api/v1/state").json())["outputs"] and s, 20, 0.2, "outputs"
        )
        assert state["outputs"][0]["url"] == "rtmp://127.0.0.1:9/live/****"
        assert state["outputs"][0]["state"] in ("connecting", "reconnecting")
        assert "SECRET" not in json.dumps(state) and TOKEN not in json.dumps(state)

        # The preview, a few pictures a second per client.
        picture = client.get("/api/v1/program.jpg")
        assert picture.status_code == 200
        assert (
            picture.headers["content-type"] == "image/jpeg" and picture.content[:2] == b"\xff\xd8"
        )
        # Four at once from one address: all but the first within the quarter second are
        # refused. (Asked one after the other, a loaded machine spaced them past it: CI flake.)
        with ThreadPoolExecutor(4) as pool:
            codes = list(pool.map(lambda _: client.get("/api/v1/program.jpg").status_code, "abcd"))
        assert 429 in codes and set(codes) <= {200, 429}, codes

        # Twenty wrong tokens in a minute: the address is refused, even with the right token,
        # unless the client holds the pass of an earlier right token (its cookie).
        for _ in range(20):
            assert anonymous.get("/api/v1/state?token=guess").status_code in (401, 429)
        assert client.get("/api/v1/state").status_code == 200
        client.cookies.clear()
        refused = client.get("/api/v1/state")
        assert refused.status_code == 429
        assert refused.json()["error"].startswith("too many wrong tokens from this address")
        assert int(refused.headers["Retry-After"]) > 50
        anonymous.close()
        out, err = show.stop()
    assert "SECRET" not in out + err and TOKEN not in out + err


def test_control_refuses_to_start_without_a_token(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "anchordesk", "live", "--camera", "test", "--mic", "none",
         "--no-record", "--to", "rtmp://127.0.0.1:9/live/x", "--control", "127.0.0.1:8750"],
        capture_output=True, text=True, timeout=60, env=environment(token=None),
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: --control: set ANCHORDESK_CONTROL_TOKEN to the remote's token first (the API "
        "never runs without one)"
    ]


def program_picture(client: httpx.Client) -> np.ndarray:
    """The next program picture the API serves (it allows a few a second: ask until it does)."""

    def fetch() -> bytes | None:
        answer = client.get("/api/v1/program.jpg")
        return answer.content if answer.status_code == 200 else None

    data = wait_until(fetch, 20, 0.1, "a program picture")
    image = QImage.fromData(data, "JPEG").convertToFormat(QImage.Format.Format_BGR888)
    width, height = image.width(), image.height()
    return (
        np.frombuffer(image.constBits(), np.uint8, image.bytesPerLine() * height)
        .reshape(height, image.bytesPerLine())[:, : width * 3]
        .reshape(height, width, 3)
        .copy()
    )  # the QImage's memory goes with it


def test_studio_mode_from_the_remote_stages_and_only_take_puts_on_air(tmp_path: Path) -> None:
    with running_show(tmp_path / "run") as show, show.client() as client:
        assert client.get("/api/v1/state").json()["studio_mode"] is False
        answer = post(client, {"command": "studio_mode", "on": True})
        assert answer.status_code == 200
        assert answer.json()["state"]["studio_mode"] is True

        staged = post(client, {"command": "stage_product", "sku": "SERUM-30"}).json()["state"]
        assert (staged["staged"], staged["on_screen"]) == ("SERUM-30", None)
        # The program picture does not show the staged card: the API serves the copy made for
        # the previous request, so the second and third pictures were composited after staging.
        pictures = [program_picture(client) for _ in range(3)]
        # (a card covers well over 1 % of the picture; JPEG noise may tint a pixel or two)
        assert all(colour_fraction(p, SERUM_BGR) < 0.001 for p in pictures[1:])
        assert all(colour_fraction(p, BACKGROUND_BGR) > 0.3 for p in pictures)  # a real picture

        # A segment change in studio mode moves the run sheet and stages its card, no more.
        moved = post(client, {"command": "goto_segment", "index": 2}).json()["state"]
        assert (moved["segment"]["index"], moved["staged"], moved["on_screen"]) == (
            2, "CREAM-50", None,
        )  # fmt: skip
        post(client, {"command": "stage_product", "sku": "SERUM-30"})

        done = control(show, "take")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["on_screen"] == "SERUM-30"
        wait_until(
            lambda: colour_fraction(program_picture(client), SERUM_BGR) > 0.01,
            20,
            0,
            "the serum's card on the program picture after take",
        )

        done = control(show, "studio_mode", "on=false")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["studio_mode"] is False
        answer = post(client, {"command": "stage_product", "sku": "CREAM-50"})
        assert answer.status_code == 409
        show.stop()

    with sqlite3.connect(show.session) as db:
        rows = db.execute("SELECT data FROM show_events WHERE kind = 'command' ORDER BY seq")
        kept = [(c["command"], c["arguments"]) for c in (json.loads(d) for (d,) in rows)]
    assert kept[0] == ("studio_mode", {"on": True})
    assert kept[-1] == ("studio_mode", {"on": False})


def test_live_studio_starts_in_studio_mode(tmp_path: Path) -> None:
    with running_show(tmp_path / "run", "--studio") as show, show.client() as client:
        state = post(client, {"command": "next_segment"}).json()["state"]
        assert state["studio_mode"] is True
        assert (state["staged"], state["on_screen"]) == ("SERUM-30", None)
        state = post(client, {"command": "take"}).json()["state"]
        assert state["on_screen"] == "SERUM-30"
        assert [deal["sku"] for deal in state["deals"] if deal["state"] == "live"] == ["SERUM-30"]
