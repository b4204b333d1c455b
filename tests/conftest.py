"""Shared test set-up: Qt offscreen, and no test ever touches the user's real config, data,
videos or keyring."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring.backend import KeyringBackend

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _do_nothing(_number: int, _frame: object) -> None:
    return None


# A suite started as a script's background job (SIGINT ignored) or under nohup (SIGHUP ignored)
# passed that ignoring on to every program it starts, and a program keeps such a signal ignored
# (cli/stopping.py, launch.py): a test's Ctrl+C to its child was swallowed (exit 2 instead of
# 130, once in a full run). A handler that does nothing: this process still ignores the signal,
# while the programs it starts get the default a terminal gives (exec resets a handler, not an
# ignored signal).
for _name in ("SIGINT", "SIGTERM", "SIGHUP"):
    if hasattr(signal, _name) and signal.getsignal(getattr(signal, _name)) is signal.SIG_IGN:
        signal.signal(getattr(signal, _name), _do_nothing)

# nginx-rtmp, stunnel, black hole, ffprobe, packet generator (tests/integration/server_fixtures.py)
pytest_plugins = ["server_fixtures"]


class MemoryKeyring(KeyringBackend):
    """An in-memory keyring backend (headless machines have none).

    keyring.set_keyring() only accepts KeyringBackend instances, hence the base class.
    """

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop((service, username), None)


@pytest.fixture(autouse=True, scope="session")
def _one_qapplication_for_the_session(qapp: object) -> object:
    """Create the QApplication (widgets) before any test runs.

    Overlay code makes a bare QGuiApplication when none exists (it must not import QtWidgets);
    if that happened first, a later widget test would abort the whole run ("Cannot create a
    QWidget without QApplication"). One QApplication serves both.

    It speaks English as the program does (``ui.main_window`` installs the language before any
    window): English's catalogue holds its plural forms ("1 new comment", "2 new comments").
    """
    from anchordesk.ui import collector, i18n

    i18n.install(qapp, "en")  # type: ignore[arg-type]
    # As the window runs: cycles are collected on the Qt thread only. One left by a test and
    # collected on a live show's thread in a later one destroyed a timer there and crashed
    # the run natively (ui/collector.py).
    collector.install(qapp)  # type: ignore[arg-type]
    return qapp


@pytest.fixture(autouse=True)
def _collect_on_the_qt_thread() -> Iterator[None]:
    """A test that never runs Qt's loop still has its cycles collected, between tests, on this
    (the Qt) thread, when the collector's thresholds say so."""
    yield
    from anchordesk.ui import collector

    running = collector.installed()
    if running is not None:
        running.collect_if_due()


@pytest.fixture(autouse=True)
def isolated_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Point platformdirs (XDG) at a fresh folder so settings and sessions stay in the test."""
    home = tmp_path_factory.mktemp("home")
    for name, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),  # the log file and crash reports (core/logs.py)
        ("XDG_VIDEOS_DIR", "videos"),
    ):
        (home / sub).mkdir()
        monkeypatch.setenv(name, str(home / sub))
    yield home


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """A working in-memory keyring for the duration of one test."""
    import keyring

    from anchordesk.core.secrets import store

    # A secret an earlier test set while no keyring worked sits in the store's memory fallback
    # (as it would for the rest of a user's run); each test starts without it.
    store().reset()
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
        store().reset()
