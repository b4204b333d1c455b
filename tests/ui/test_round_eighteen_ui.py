"""Round eighteen of issue 10, the window (hunt18ui)."""

from __future__ import annotations

import os
import signal

import pytest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from anchordesk.ui import crash


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP on this system")
def test_a_window_started_with_nohup_stays_open_when_the_terminal_hangs_up(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``nohup anchordesk show.json &``: SIGHUP ignored at start. The window took it anyway, so
    closing the terminal closed the window and stopped the live stream. A signal ignored at
    start stays ignored; the others still close the window."""
    window = QWidget()
    qtbot.addWidget(window)
    window.show()
    monkeypatch.setattr(crash, "_termination_requested", False, raising=False)
    previous = {number: signal.getsignal(number) for number in (signal.SIGHUP, signal.SIGTERM)}
    try:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        crash.close_windows_on_sigterm()
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
        os.kill(os.getpid(), signal.SIGHUP)  # the terminal hangs up
        QApplication.processEvents()
        QApplication.processEvents()
        assert window.isVisible()
        assert not crash._termination_requested
        # SIGTERM was not ignored: it still closes the window like the close button.
        os.kill(os.getpid(), signal.SIGTERM)
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=10000)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
