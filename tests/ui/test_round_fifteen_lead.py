"""Round fifteen of issue 10, the lead's own: what the window says of its session file."""

from __future__ import annotations

import sqlite3

from pytestqt.qtbot import QtBot

from anchordesk.ui.main_window import MainWindow


def test_a_session_file_another_program_locks_is_said_and_so_is_its_end(
    qtbot: QtBot, control_room_with_store: MainWindow
) -> None:
    """R14seam F9: a database browser holding the rehearsal's session file locked past the
    busy timeout. The window said nothing (the English log alone said it, and a window
    started from the menu has no terminal), and the feed whose pages could not be kept read
    "not answering". Now the lock is said, the feeds are not blamed, and its end is said."""
    window = control_room_with_store
    controller = window.controller
    live = controller.live
    assert live is not None and live.session is not None
    writer = live.session.writer
    # SQLite's real wait is 5 s: shortened on the writer's own connection.
    writer.call(lambda store: store._db.execute("PRAGMA busy_timeout=20")).result(10)
    said: list[str] = []
    controller.message.connect(said.append)
    other = sqlite3.connect(writer.path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        controller.start_deal("SERUM", "29.00", 600, 5)
        qtbot.waitUntil(lambda: any("for now" in line for line in said), timeout=10000)
        other.execute("COMMIT")
    finally:
        other.close()
    qtbot.waitUntil(lambda: any("written again" in line for line in said), timeout=10000)
    locked = [line for line in said if "cannot be written for now" in line]
    assert locked == [
        "The session file cannot be written for now: another program holds it locked "
        "(database is locked). Comments, orders and show events wait and are kept as soon as "
        "it lets go; close that program. The show goes on."
    ]
    assert said.count("The session file is written again: what waited is kept.") == 1
    assert not [line for line in said if "feed" in line], said
    # The deal started while the file was locked is in the file.
    kept = writer.call(
        lambda store: store._db.execute(
            "SELECT COUNT(*) FROM show_events WHERE kind = 'deal_started'"
        ).fetchone()[0]
    ).result(10)
    assert kept == 1
