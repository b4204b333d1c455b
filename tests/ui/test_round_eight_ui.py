"""Round eight of issue 10, met through the window: a hung server never freezes the app, the
window closes within 2 s with its files whole, and faults are said in the window's language.
Real parts: a TCP server that holds the RTMP connection (the black hole), the real pipeline,
recording and network child; ffprobe reads the recording back."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from servers import BlackHole, NginxRtmp, ffprobe_json
from tests.faults.disks import fill, tmpfs

from anchordesk.core import secrets
from anchordesk.live.options import FeedSpec
from anchordesk.live.settings import Destination, Settings
from anchordesk.ui import crash
from anchordesk.ui.main_window import MainWindow

from .conftest import going_live, open_control_room, open_embeddings, open_unchecked

STOP_WITHIN_S = 2.0  # what a stop may take (README: "within 2 s of the request")


def _live_settings(folder: Path, server_url: str) -> Settings:
    return Settings(
        destinations=[Destination("hole", "Studio", "custom", server_url)],
        active_destination_id="hole",
        record=True,
        record_asked=True,
        recordings_dir=str(folder),
    )


def test_closing_the_window_while_a_server_never_answers_takes_under_2_s_with_the_recording_whole(
    qtbot: QtBot,
    executor: Any,
    tmp_path: Path,
    qt_asyncio_loop: Any,
    black_hole: BlackHole,
    memory_keyring: Any,
    ffprobe: str,
) -> None:
    folder = tmp_path / "recordings"
    folder.mkdir()
    secrets.set_secret(secrets.stream_key_name("hole"), "night-key-1")
    settings = _live_settings(folder, f"rtmp://127.0.0.1:{black_hole.port}/live")
    window: MainWindow = open_control_room(qtbot, executor, tmp_path, [], settings=settings)
    controller = window.controller
    controller.go_live("hole", record=True)
    # The network child is connecting to a server that takes the connection and never answers;
    # the live recording is being written.
    qtbot.waitUntil(lambda: black_hole.accepted >= 1, timeout=20000)
    qtbot.waitUntil(
        lambda: any(
            o.kind == "recording" and o.bytes_written > 20_000 and "live" in Path(o.files[-1]).name
            for o in controller.health.outputs
            if o.files
        ),
        timeout=20000,
    )
    recording = Path(next(o.files[-1] for o in controller.health.outputs if o.kind == "recording"))

    window._quitting = True  # "quit while live?" answered Yes
    started_s = time.monotonic()
    window.close()
    took_s = time.monotonic() - started_s

    assert took_s < STOP_WITHIN_S, f"the window took {took_s:.2f} s to close"
    info = ffprobe_json(recording, "-show_format")
    assert float(info["format"]["duration"]) > 0.5  # finished: its duration is written


def test_ending_the_rehearsal_never_stops_its_audience_server_on_the_window_s_thread(
    qtbot: QtBot, control_room_with_store: MainWindow, monkeypatch: Any
) -> None:
    """The simulated audience's HTTP server waits for its serving thread when it stops (up to
    its poll interval): on the window's thread, every go-live and end of a rehearsal froze the
    window for up to 0.4 s (measured under Xvfb: a key press waited 370-410 ms at go-live)."""
    controller = control_room_with_store.controller
    session = controller.live.session if controller.live is not None else None
    assert session is not None and session.hub is not None
    qtbot.waitUntil(
        lambda: session.hub is not None and session.hub.audience is not None, timeout=10000
    )
    audience = session.hub.audience
    assert audience is not None
    stopped_on: list[int] = []
    real_stop = audience.stop

    def stop() -> None:
        stopped_on.append(threading.get_ident())
        real_stop()

    monkeypatch.setattr(audience, "stop", stop)

    controller.end_rehearsal()
    qtbot.waitUntil(lambda: bool(stopped_on), timeout=10000)

    assert threading.main_thread().ident not in stopped_on


def test_a_recording_stopped_by_a_full_disk_is_said_wholly_in_the_window_s_language(
    qtbot: QtBot, executor: Any, tmp_path: Path, qt_asyncio_loop: Any, chinese: None
) -> None:
    """In Chinese (and Japanese) the window said "录制已停止：the recording stopped at 00:00:04
    (0.3 MB kept, it plays up to there): the disk holding … is full。…": the reason was the
    recording's English line pasted into the translated sentence."""
    with tmpfs(tmp_path / "small", 3000) as folder:
        settings = Settings(record=True, record_asked=True, recordings_dir=str(folder))
        window = open_control_room(qtbot, executor, tmp_path, [], settings=settings)
        controller = window.controller
        said: list[str] = []
        controller.message.connect(said.append)
        qtbot.waitUntil(
            lambda: any(
                o.kind == "recording" and o.bytes_written for o in controller.health.outputs
            ),
            timeout=20000,
        )
        fill(folder)  # the disk fills up while the show runs

        def stopped() -> str | None:
            return next((text for text in said if text.startswith("录制已停止")), None)

        qtbot.waitUntil(lambda: stopped() is not None, timeout=20000)
        text = stopped()
        assert text is not None
        assert f"存放 {folder}" in text and "的磁盘已满" in text, text
        assert "the disk holding" not in text and "the recording stopped" not in text, text
        window._quitting = True
        controller.shutdown()


def test_sigterm_while_live_closes_the_window_without_asking_anyone(
    qtbot: QtBot,
    executor: Any,
    tmp_path: Path,
    qt_asyncio_loop: Any,
    black_hole: BlackHole,
    memory_keyring: Any,
    monkeypatch: Any,
) -> None:
    """``kill PID`` (a logout, a service manager) while live: the close asked "quit while
    live?" of nobody, and the window went on streaming (seen under Xvfb: still live 8 minutes
    after the SIGTERM, its network child still pushing)."""
    secrets.set_secret(secrets.stream_key_name("hole"), "night-key-1")
    settings = _live_settings(tmp_path, f"rtmp://127.0.0.1:{black_hole.port}/live")
    settings.record = False
    window = open_control_room(qtbot, executor, tmp_path, [], settings=settings)
    window.controller.go_live("hole", record=False)
    qtbot.waitUntil(lambda: black_hole.accepted >= 1, timeout=20000)  # its child is pushing
    asked: list[str] = []

    def question(_parent: object, title: str, *_args: object) -> QMessageBox.StandardButton:
        asked.append(title)
        return QMessageBox.StandardButton.Cancel  # what nobody at the keyboard amounts to

    monkeypatch.setattr(QMessageBox, "question", question)
    monkeypatch.setattr(crash, "_termination_requested", False, raising=False)
    previous = signal.getsignal(signal.SIGTERM)
    try:
        crash.close_windows_on_sigterm()
        os.kill(os.getpid(), signal.SIGTERM)
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=10000)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert asked == []
    assert window.controller.live is None  # everything stopped: nothing is pushed any more


def test_a_server_that_refuses_the_stream_is_never_said_to_be_live(
    qtbot: QtBot,
    executor: Any,
    tmp_path: Path,
    qt_asyncio_loop: Any,
    nginx_rtmp: NginxRtmp,
    memory_keyring: Any,
) -> None:
    """nginx-rtmp refuses a stream to an application it does not have (as a platform refuses a
    wrong key): the window said "Live on Studio" as the push started, and nothing after it."""
    settings = _live_settings(tmp_path, f"rtmp://127.0.0.1:{nginx_rtmp.port}/nosuchapp")
    settings.record = False
    window, said = going_live(qtbot, executor, tmp_path, settings, "hole", "night-key-1")
    controller = window.controller
    qtbot.waitUntil(
        lambda: any(
            o.kind == "network" and o.state == "reconnecting" for o in controller.health.outputs
        ),
        timeout=20000,
    )
    controller.poll_health()

    assert not any(text.startswith("Live on") for text in said), said
    not_taken = [text for text in said if text.startswith("Not live yet")]
    # Said once, with why (round eight's L1: the reason was only in an English tooltip).
    assert not_taken == [
        "Not live yet: Studio has not taken the stream: the server closed the connection when "
        "asked for the application ('nosuchapp'): check the application in the URL's path and "
        "the stream key. AnchorDesk keeps trying."
    ], said


def test_a_server_that_takes_the_stream_is_said_live_once(
    qtbot: QtBot,
    executor: Any,
    tmp_path: Path,
    qt_asyncio_loop: Any,
    nginx_rtmp: NginxRtmp,
    memory_keyring: Any,
) -> None:
    settings = _live_settings(tmp_path, f"rtmp://127.0.0.1:{nginx_rtmp.port}/live")
    settings.record = False
    window, said = going_live(qtbot, executor, tmp_path, settings, "hole", "night-key-1")
    controller = window.controller
    qtbot.waitUntil(lambda: "Live on Studio" in said, timeout=20000)
    controller.poll_health()
    assert said.count("Live on Studio") == 1
    assert not any(text.startswith("Not live yet") for text in said), said


def test_a_show_title_that_leaves_a_bidi_override_open_never_turns_the_title_bar_around(
    qtbot: QtBot, control_room: MainWindow, tmp_path: Path
) -> None:
    """File > Open on a show titled "Spring sale \u202etxt.exe" (a right-to-left override left
    open; the picture shows it as its author wrote it): the override ran on into the window's
    own name, and the title bar read "Spring sale kseDrohcnA — exe.txt"."""
    window = control_room
    data = {
        "format": 1,
        "title": "Spring sale \u202etxt.exe",
        "currency": "USD",
        "language": "en",
        "products": [{"sku": "MUG", "title": "Mug", "price": 9, "stock": 5}],
        "rundown": [{"title": "Opening", "seconds": 60}],
    }
    path = tmp_path / "spoof.show.json"
    path.write_text(json.dumps(data), encoding="utf-8")

    open_unchecked(window, path)
    qtbot.waitUntil(lambda: "Spring sale" in window.windowTitle(), timeout=10000)

    title = window.windowTitle()
    assert title.endswith(" — AnchorDesk")
    assert open_embeddings(title[: title.rindex(" — AnchorDesk")]) == 0, ascii(title)


class _Unavailable(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


def test_a_feed_that_stops_answering_is_said_once_in_the_window(
    qtbot: QtBot,
    executor: Any,
    tmp_path: Path,
    qt_asyncio_loop: Any,
    black_hole: BlackHole,
    memory_keyring: Any,
) -> None:
    """A live show's order feed answering 503 (or 159 MB, or nothing): the window said nothing
    at all, and "0 received" looked like a quiet audience."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Unavailable)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        secrets.set_secret(secrets.stream_key_name("hole"), "night-key-1")
        settings = _live_settings(tmp_path, f"rtmp://127.0.0.1:{black_hole.port}/live")
        settings.record = False
        feeds = [FeedSpec("json", f"http://127.0.0.1:{server.server_address[1]}/feed")]
        window = open_control_room(qtbot, executor, tmp_path, feeds, settings=settings)
        controller = window.controller
        said: list[str] = []
        controller.message.connect(said.append)
        controller.go_live("hole", record=False)

        def failing() -> list[str]:
            return [text for text in said if "feed is not answering" in text]

        qtbot.waitUntil(lambda: bool(failing()), timeout=20000)
        for _ in range(3):
            controller.poll_show()
        assert failing() == [
            "The json feed is not answering: no comments or orders arrive from it. "
            "AnchorDesk keeps asking."
        ]
    finally:
        server.shutdown()
        server.server_close()
