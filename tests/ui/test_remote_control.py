"""Settings → Remote control in the window: the page turns the API on (on qasync's loop, next
to the picture), the API's state is the window's panels, a command from either side shows on
the other, the token stays in the keyring (or for this run only without one) and off means
nothing listens."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import keyring
import keyring.backends.fail
from pytestqt.qtbot import QtBot
from servers import free_port

from anchordesk.core import secrets
from anchordesk.live.settings import Settings
from anchordesk.ui.main_window import MainWindow
from anchordesk.ui.remote import TOKEN_NAME, RemoteControl
from anchordesk.ui.settings.dialog import SettingsDialog
from anchordesk.ui.settings.remote_page import RemotePage


def _call(qtbot: QtBot, pool: ThreadPoolExecutor, method: str, url: str, **kwargs: Any) -> Any:
    """An HTTP call from another thread: the server answers on this thread's (qasync) loop."""
    future: Future[httpx.Response] = pool.submit(httpx.request, method, url, timeout=10, **kwargs)
    qtbot.waitUntil(future.done, timeout=10000)
    return future.result()


def _commands(path: Path) -> list[tuple[str, str]]:
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        rows = db.execute("SELECT data FROM show_events WHERE kind = 'command' ORDER BY seq")
        return [(json.loads(data)["command"], json.loads(data)["origin"]) for (data,) in rows]


def _turn_on(qtbot: QtBot, window: MainWindow, tmp_path: Path, on: bool, port: int) -> None:
    dialog = SettingsDialog(
        window.controller.settings, window, settings_file=tmp_path / "s.json", remote=window.remote
    )
    qtbot.addWidget(dialog)
    page = dialog.page(RemotePage)
    dialog.tabs.setCurrentWidget(page)
    assert dialog.tabs.tabText(dialog.tabs.indexOf(page)) == "Remote control"
    page.enabled_check.setChecked(on)
    page.port_spin.setValue(port)
    if on:
        assert not page.qr_label.pixmap().isNull()  # the phone scans the address
        assert page.token_field.text() == window.remote.token()
        assert not page.token_field.is_revealed()
        assert window.remote.token() not in page.address_value.text()
    with qtbot.waitSignal(dialog.settings_saved, timeout=10000):
        dialog.accept()  # the keyring and the file are written in a worker
    saved = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert saved["remote"] == {"enabled": on, "port": port, "allow_lan": False}
    assert window.remote.token() not in (tmp_path / "s.json").read_text(encoding="utf-8")
    qtbot.waitUntil(lambda: window.remote.running == on, timeout=10000)


def test_the_settings_page_turns_the_api_on_and_its_state_is_the_windows(
    qtbot: QtBot, control_room: MainWindow, tmp_path: Path
) -> None:
    window = control_room
    controller = window.controller
    assert not window.remote.running  # off by default
    port = free_port()
    _turn_on(qtbot, window, tmp_path, True, port)
    token = secrets.get_secret(TOKEN_NAME)
    assert token and token == window.remote.token() and len(token) >= 32
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"}
    with ThreadPoolExecutor(1) as pool:
        assert _call(qtbot, pool, "GET", f"{base}/api/v1/state").status_code == 401

        # A command from the window: the API follows.
        controller.next_segment()
        qtbot.waitUntil(lambda: controller.show_state.current_index == 1, timeout=5000)
        # A command from the remote: the window's panels follow.
        answer = _call(
            qtbot, pool, "POST", f"{base}/api/v1/commands", headers=headers,
            json={"command": "show_product", "sku": "CREAM"},
        )  # fmt: skip
        assert answer.status_code == 200
        qtbot.waitUntil(lambda: controller.show_state.on_screen_sku == "CREAM", timeout=5000)
        state = _call(qtbot, pool, "GET", f"{base}/api/v1/state", headers=headers).json()
        controller.poll_show()  # the window's panels as of now

        shown = controller.show_state
        assert state["on_screen"] == shown.on_screen_sku == "CREAM"
        assert state["segment"]["index"] == shown.current_index == 1
        assert state["segment"]["title"] == shown.current.title if shown.current else None
        api_rows = [
            (p["sku"], p["title"], p["stock_left"], p["units_sold"]) for p in state["products"]
        ]
        window_rows = [(p.sku, p.title, p.stock_left, p.units_sold) for p in shown.products]
        assert api_rows == window_rows
        assert [p["price"] for p in state["products"]] == [str(p.price) for p in shown.products]
        sales = controller.sales
        assert (
            state["sales"]["gmv"] == f"{sales.gmv:.2f}" and state["sales"]["orders"] == sales.orders
        )
        assert state["session"]["mode"] == shown.mode

        # Studio mode in the window: the remote stages, the window shows it staged, Take airs it.
        window.studio_action.setChecked(True)
        answer = _call(
            qtbot, pool, "POST", f"{base}/api/v1/commands", headers=headers,
            json={"command": "stage_product", "sku": "MASK"},
        )  # fmt: skip
        assert answer.json()["state"]["staged"] == "MASK"
        assert answer.json()["state"]["on_screen"] == "CREAM"  # on air stays until Take
        answer = _call(
            qtbot, pool, "POST", f"{base}/api/v1/commands", headers=headers,
            json={"command": "take"},
        )  # fmt: skip
        assert answer.json()["state"]["on_screen"] == "MASK"
        qtbot.waitUntil(lambda: controller.show_state.on_screen_sku == "MASK", timeout=5000)
        # The remote switches studio mode off: the window's switch, staged preview and Take follow.
        answer = _call(
            qtbot, pool, "POST", f"{base}/api/v1/commands", headers=headers,
            json={"command": "studio_mode", "on": False},
        )  # fmt: skip
        assert answer.json()["state"]["studio_mode"] is False
        qtbot.waitUntil(lambda: not window.studio_action.isChecked(), timeout=5000)
        assert not controller.studio_mode
        assert not window.staged.isVisibleTo(window)
        assert not window.hotkeys.actions["take"].isEnabled()

        # The session keeps the commands, each with who gave it.
        session_file = (
            controller.live.session.path if controller.live and controller.live.session else None
        )
        assert session_file is not None
        qtbot.waitUntil(lambda: len(_commands(session_file)) >= 6, timeout=10000)
        assert _commands(session_file) == [
            ("next_segment", "window"),
            ("show_product", "remote"),
            ("studio_mode", "window"),
            ("stage_product", "remote"),
            ("take", "remote"),
            ("studio_mode", "remote"),
        ]

        _turn_on(qtbot, window, tmp_path, False, port)
        refused = pool.submit(httpx.get, f"{base}/api/v1/state", timeout=5)
        qtbot.waitUntil(refused.done, timeout=10000)
        assert isinstance(refused.exception(), httpx.ConnectError)


def test_without_a_keyring_the_token_is_for_this_run_only(qtbot: QtBot) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    store = secrets.SecretStore()
    try:
        remote = RemoteControl(lambda: None, store)
        dialog = SettingsDialog(Settings(), secret_store=store, remote=remote)
        qtbot.addWidget(dialog)
        dialog.show()
        page = dialog.page(RemotePage)
        dialog.tabs.setCurrentWidget(page)
        assert not page.token_notice.isVisibleTo(dialog)
        page.enabled_check.setChecked(True)
        assert page.token_notice.isVisibleTo(dialog)
        assert "this run only" in page.token_notice.text()
        assert page.token_field.text() == remote.token()  # the same token for the whole run
    finally:
        keyring.set_keyring(previous)


def test_a_comment_hidden_from_the_phone_leaves_the_windows_list_too(
    qtbot: QtBot, control_room: MainWindow, tmp_path: Path
) -> None:
    """Round nine (R9ctl F5): the operator hid an abusive question from the phone; the phone
    and the picture dropped it, but the window's comment list kept it, with a Pin the show
    refused ("that comment is hidden"): the window dropped only what a platform took down."""
    from anchordesk.show.feed_items import Comment

    window = control_room
    controller = window.controller
    port = free_port()
    _turn_on(qtbot, window, tmp_path, True, port)
    headers = {"Authorization": f"Bearer {window.remote.token()}"}
    controller.add_comments(
        [
            Comment(source="json", id="c1", author="Troll", text="is this a scam?"),
            Comment(source="json", id="c2", author="Ann", text="Is it vegan?"),
        ]
    )
    qtbot.waitUntil(lambda: window.comments.model.rowCount() == 2, timeout=3000)
    with ThreadPoolExecutor(1) as pool:
        answer = _call(
            qtbot, pool, "POST", f"http://127.0.0.1:{port}/api/v1/commands", headers=headers,
            json={"command": "hide_comment", "id": "json:c1"},
        )  # fmt: skip
    assert answer.status_code == 200
    qtbot.waitUntil(lambda: window.comments.model.rowCount() == 1, timeout=5000)
    assert window.comments.model.row(0).key == "json:c2"
