"""Opening a show in the control room: one that cannot run is listed in full, and the rehearsal
that runs goes on untouched (it used to be stopped and the sample opened instead)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from anchordesk.core import paths
from anchordesk.live.snapshot import SessionMode
from anchordesk.ui import file_dialogs
from anchordesk.ui.editor.problems_dialog import ProblemsDialog


def test_an_invalid_show_is_listed_in_a_dialog_and_the_rehearsal_goes_on(  # type: ignore[no-untyped-def]
    qtbot, control_room, tmp_path: Path, monkeypatch
) -> None:
    window = control_room
    controller = window.controller
    live_before = controller.live
    assert live_before is not None and controller.mode is SessionMode.REHEARSAL
    show_before = controller.show_state.title

    folder = tmp_path / "bad"
    shutil.copytree(paths.resources_dir() / "shows" / "en", folder)
    data = json.loads((folder / "show.json").read_text(encoding="utf-8"))
    data["products"][0]["price"] = "12,5"
    data["rundown"][1]["sku"] = "NO-SUCH-SKU"
    (folder / "show.json").write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(
        file_dialogs, "get_open_file_name", lambda *_args, **_kw: str(folder / "show.json")
    )

    with qtbot.waitSignal(controller.show_refused):
        window.open_show()  # File → Open show…

    dialog = window.findChild(ProblemsDialog)
    assert dialog is not None and dialog.isVisible()
    lines = dialog.lines()
    assert any("12,5" in line for line in lines)
    assert any("NO-SUCH-SKU" in line for line in lines)
    assert str(folder / "show.json") in dialog.heading.text()
    # The running rehearsal was not stopped nor replaced.
    assert controller.live is live_before
    assert controller.mode is SessionMode.REHEARSAL
    assert controller.show_state.title == show_before
    dialog.close()
    assert "show editor" in dialog.heading.text()  # an invalid show is fixed in the editor


def test_a_named_pipe_opened_as_a_show_is_not_sent_to_the_show_editor(  # type: ignore[no-untyped-def]
    qtbot, control_room, tmp_path: Path, monkeypatch
) -> None:
    # R8ui L4: File → Open of a FIFO said "fix the file in the show editor and open it again".
    import os

    window = control_room
    fifo = tmp_path / "show.json"
    os.mkfifo(fifo)
    monkeypatch.setattr(file_dialogs, "get_open_file_name", lambda *_args, **_kw: str(fifo))
    with qtbot.waitSignal(window.controller.show_refused):
        window.open_show()
    dialog = window.findChild(ProblemsDialog)
    assert dialog is not None and dialog.isVisible()
    heading = dialog.heading.text()
    assert heading.startswith(f"{fifo} cannot be opened as a show (see below)")
    assert "editor" not in heading
    assert any("pipe" in line for line in dialog.lines()), dialog.lines()
    dialog.close()
