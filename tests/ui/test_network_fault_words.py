"""Why a stream did not go out is said in the window, in the window's language (round eight's
L1): the window said "Reconnecting (attempt N) · next try in N s", and the reason was only in
the English tooltip of Stream health, which a keyboard user never sees. Real parts: nginx-rtmp
(stopped: nothing listens on its port; started again; killed while live) and a TCP server that
takes the connection and never answers (the black hole), the real pipeline and network child."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from servers import BlackHole, NginxRtmp

from anchordesk.live.settings import Destination, Settings
from anchordesk.media import network_output
from anchordesk.ui import i18n

from .conftest import going_live

# What each language says, with {port} for the server's port: the reason in the window's words.
NOTHING_LISTENING = {
    "en": (
        "Not live yet: Studio has not taken the stream: nothing is listening at "
        "127.0.0.1:{port} (connection refused: check the port, or the server is down). "
        "AnchorDesk keeps trying."
    ),
    "zh_CN": (
        "尚未开播：Studio 还没有接收推流：127.0.0.1:{port} 上没有服务在监听（连接被拒绝：请检查"
        "端口，或服务器已停机）。AnchorDesk 会继续尝试。"
    ),
    "ja": (
        "まだ配信されていません：Studio がストリームを受け付けていません：127.0.0.1:{port} で待ち"
        "受けているものがありません（接続が拒否されました：ポートを確認してください。またはサーバー"
        "が停止しています）。AnchorDesk は試し続けます。"
    ),
}
NO_ANSWER = {
    "en": (
        "Not live yet: Studio has not taken the stream: no answer from the server within 1 s. "
        "AnchorDesk keeps trying."
    ),
    "zh_CN": "尚未开播：Studio 还没有接收推流：服务器在 1 秒内没有应答。AnchorDesk 会继续尝试。",
    "ja": (
        "まだ配信されていません：Studio がストリームを受け付けていません：サーバーから 1 秒以内に"
        "応答がありません。AnchorDesk は試し続けます。"
    ),
}
LIVE = {"en": "Live on Studio", "zh_CN": "正在 Studio 直播", "ja": "Studio でライブ配信中"}
STOPPED = {
    "en": "The stream to Studio stopped: ",
    "zh_CN": "发往 Studio 的推流已中断：",
    "ja": "Studio へのストリームが途切れました：",
}
LIVE_AGAIN = {
    "en": "Live on Studio again: the stream goes out.",
    "zh_CN": "Studio 已恢复直播：推流正常发送。",
    "ja": "Studio でライブ配信を再開しました：ストリームを送信中です。",
}


@pytest.fixture(params=["en", "zh_CN", "ja"])
def language(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[str]:
    i18n.install(qapp, request.param)
    yield request.param
    i18n.install(qapp, "en")


def _settings(server_url: str) -> Settings:
    return Settings(
        destinations=[Destination("studio", "Studio", "custom", server_url)],
        active_destination_id="studio",
        record=False,
        record_asked=True,
    )


def _no_english(text: str, language: str) -> None:
    """Besides the destination's name, the program's name and the address, a Chinese or
    Japanese sentence holds no Latin letters: no English reason pasted into it."""
    if language == "en":
        return
    rest = re.sub(r"Studio|AnchorDesk|127\.0\.0\.1:\d+", "", text)
    assert not re.search(r"[A-Za-z]", rest), text


# How a fault's sentence begins, in every language.
FAULT_STARTS = ("Not live yet", "尚未开播", "まだ配信されていません", *STOPPED.values())


def _faults(said: list[str]) -> list[str]:
    return [text for text in said if text.startswith(FAULT_STARTS)]


def test_going_live_to_a_port_nothing_listens_on_says_why_once_and_live_again_after(
    qtbot: QtBot,
    executor: Any,
    tmp_path: Path,
    qt_asyncio_loop: Any,
    nginx_rtmp: NginxRtmp,
    memory_keyring: Any,
    language: str,
) -> None:
    nginx_rtmp.stop()  # nothing listens on its port now
    expected = NOTHING_LISTENING[language].format(port=nginx_rtmp.port)
    settings = _settings(f"rtmp://127.0.0.1:{nginx_rtmp.port}/live")
    window, said = going_live(qtbot, executor, tmp_path, settings, "studio", "words-key-1")
    controller = window.controller
    qtbot.waitUntil(lambda: expected in said, timeout=20000)
    # More refused attempts (the next try is asked for at once) are the same spell: said once.
    controller.reconnect_now()
    qtbot.waitUntil(
        lambda: any(o.kind == "network" and o.attempt >= 2 for o in controller.health.outputs),
        timeout=20000,
    )
    assert _faults(said) == [expected], said
    _no_english(expected, language)
    assert "words-key-1" not in " ".join(said)

    nginx_rtmp.start()  # the server is up: the next attempt goes live
    controller.reconnect_now()
    qtbot.waitUntil(lambda: LIVE[language] in said, timeout=20000)

    # A server that goes away while live: said once, with why, then live again.
    nginx_rtmp.kill()
    qtbot.waitUntil(lambda: any(t.startswith(STOPPED[language]) for t in said), timeout=20000)
    dropped = next(t for t in said if t.startswith(STOPPED[language]))
    _no_english(dropped, language)
    if language == "en":
        assert "the server closed the connection" in dropped, dropped
    nginx_rtmp.start()
    controller.reconnect_now()
    qtbot.waitUntil(lambda: LIVE_AGAIN[language] in said, timeout=20000)
    controller.poll_health()

    assert said.count(LIVE[language]) == 1, said
    assert said.count(LIVE_AGAIN[language]) == 1, said
    assert [t for t in said if t.startswith(STOPPED[language])] == [dropped], said
    assert "words-key-1" not in " ".join(said)


class _QuickToGiveUp(network_output.NetworkOutput):
    """The window's network output, giving up on a silent server after 1 s instead of 10 s
    (the rule is the same; the test does not wait 10 s for it)."""

    def __init__(self, url: str, **options: Any) -> None:
        super().__init__(url, connect_timeout_s=1.0, **options)


def test_going_live_to_a_server_that_never_answers_says_why_once(
    qtbot: QtBot,
    executor: Any,
    tmp_path: Path,
    qt_asyncio_loop: Any,
    black_hole: BlackHole,
    memory_keyring: Any,
    language: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(network_output, "NetworkOutput", _QuickToGiveUp)
    settings = _settings(f"rtmp://127.0.0.1:{black_hole.port}/live")
    window, said = going_live(qtbot, executor, tmp_path, settings, "studio", "words-key-2")
    controller = window.controller
    qtbot.waitUntil(lambda: NO_ANSWER[language] in said, timeout=20000)
    controller.reconnect_now()
    qtbot.waitUntil(lambda: black_hole.accepted >= 2, timeout=20000)
    controller.poll_health()

    assert _faults(said) == [NO_ANSWER[language]], said
    # The live show's own view (the remote's too) carries the same words, key-free.
    assert controller.live is not None
    (view,) = controller.live.snapshot().outputs
    assert view.state == "reconnecting"
    assert str(view.fault) == "no answer from the server within 1 s"
    _no_english(NO_ANSWER[language], language)
    assert not any(text.startswith(LIVE[language]) for text in said), said
    assert "words-key-2" not in " ".join(said)
