"""Round twenty-six of issue 10, the remote control (hunt26remote): a real server over a real
rehearsing LiveShow on loopback, and the real ``anchordesk control`` against it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from anchordesk.cli.main import main

from .remote_parts import TOKEN, rehearsing, serving
from .test_round_nineteen_remote import SMALL_SHOW

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
