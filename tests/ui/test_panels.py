"""The docks, the teleprompter and the rehearsal report on values built by hand, plus studio
mode and the rehearsal report on the running control room."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest

from anchordesk.media.controls import AudioControl, OutputSwitch
from anchordesk.media.packets import OutputState
from anchordesk.media.sources.tone import ToneSource
from anchordesk.show.timing import segment_timings
from anchordesk.ui.docks.comments import CommentModel, CommentPanel
from anchordesk.ui.docks.health import HealthPanel
from anchordesk.ui.report_dialog import RehearsalReportDialog
from anchordesk.ui.state import (
    CommentRow,
    DealRow,
    HealthState,
    OutputRow,
    SegmentRow,
    ShowState,
)
from anchordesk.ui.teleprompter import TeleprompterPanel


def test_segment_timings_add_revisits_and_compare_with_plan() -> None:
    visits = [(0, 100.0), (1, 160.0), (0, 200.0), (2, 210.0)]  # back to the opening for 10 s
    timings = segment_timings(
        [("Opening", 60.0), ("Serum", 120.0), ("Cream", 120.0)], visits, 400.0
    )
    assert [t.actual_s for t in timings] == [70.0, 40.0, 190.0]
    assert [round(t.difference_s) for t in timings] == [10, -80, 70]


def test_comments_filter_questions_flagged_and_search(qtbot) -> None:  # type: ignore[no-untyped-def]
    panel = CommentPanel(capacity=3)
    qtbot.addWidget(panel)
    rows = [
        CommentRow("a:1", "Ann", "hello", 0.0),
        CommentRow("a:2", "Bob", "how much?", 0.0, is_question=True),
        CommentRow("a:3", "Cat", "the best ever", 0.0, flagged=True, hits=("best",)),
        CommentRow("a:4", "Dan", "Love it", 0.0),
    ]
    panel.add_comments(rows)
    assert panel.model.rowCount() == 3  # capped: the oldest went
    panel.questions_only.setChecked(True)
    assert panel.proxy.rowCount() == 1
    panel.questions_only.setChecked(False)
    panel.flagged_only.setChecked(True)
    assert panel.proxy.rowCount() == 1
    # The full text and the hits in the tooltip, escaped: a stranger's markup shows as typed.
    assert panel.proxy.index(0, 2).data(Qt.ItemDataRole.ToolTipRole) == (
        "<qt>Cat: the best ever<br>⚠ best</qt>"
    )
    hostile = CommentModel()
    hostile.append([CommentRow("a:9", "<i>M</i>", "<b>x</b> &amp;", 0.0)])
    tip = hostile.index(0, 2).data(Qt.ItemDataRole.ToolTipRole)
    assert tip == "<qt>&lt;i&gt;M&lt;/i&gt;: &lt;b&gt;x&lt;/b&gt; &amp;amp;</qt>"
    panel.flagged_only.setChecked(False)
    panel.search.setText("love")
    assert panel.proxy.rowCount() == 1
    panel.search.clear()
    panel.view.selectRow(0)
    with qtbot.waitSignal(panel.hide_requested) as hidden:
        panel.hide_button.click()
    assert hidden.args[0].key == "a:2"
    assert panel.model.rowCount() == 3  # until the show has hidden it
    panel.remove_comments(["a:2"])
    assert panel.model.rowCount() == 2


def test_health_shows_reconnect_attempt_and_next_try(qtbot) -> None:  # type: ignore[no-untyped-def]
    panel = HealthPanel()
    qtbot.addWidget(panel)
    reconnecting = OutputRow("rtmp://x/live/****", "network", "reconnecting", 3, 4.2)
    panel.update_health(
        HealthState(
            running=True,
            fps=30,
            outputs=(reconnecting,),
            recording_bytes=5_000_000,
            dropped_by_stage={"network": 7},
        )
    )
    assert "3" in panel.state_label.text() and "4 s" in panel.state_label.text()
    assert panel.reconnect.isEnabled()
    assert panel.values["recording"].text() == "5.0 MB"
    assert "network 7" in panel.values["dropped"].text()
    with qtbot.waitSignal(panel.reconnect_requested):
        panel.reconnect.click()


def test_audio_control_mutes_gains_and_meters() -> None:
    control = AudioControl(ToneSource(48000))
    control.start()
    control.read(1024)
    loud = control.take_peak_dbfs()
    assert loud is not None and -30 < loud <= 0
    control.set_gain_db(-20)
    control.read(1024)
    quieter = control.take_peak_dbfs()
    assert quieter is not None and abs((loud - quieter) - 20) < 0.5
    control.muted = True
    assert not np.any(control.read(1024))
    assert control.take_peak_dbfs() is None


def test_output_switch_is_stopped_until_attached() -> None:
    switch = OutputSwitch("network", "network")
    assert switch.status().state == OutputState.STOPPED
    assert switch.status().kind == "network"


def test_going_live_asks_the_pipeline_for_a_keyframe_once() -> None:
    """A destination attached mid keyframe interval must not wait up to 2 s for a picture."""

    class Destination:  # the smallest output: keeps nothing
        name = "rtmp://host/app/****"

        def start(self, streams: object) -> None:
            self.streams = streams

        def stop(self, timeout_s: float = 5.0) -> None:
            pass

    switch = OutputSwitch("network", "network")
    assert switch.wants_keyframe() is False
    switch.start(object())  # type: ignore[arg-type]
    switch.attach(Destination())  # type: ignore[arg-type]
    assert switch.wants_keyframe() is True
    assert switch.wants_keyframe() is False  # once per attach


def pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height = image.width(), image.height()
    data = np.frombuffer(image.constBits(), np.uint8, image.bytesPerLine() * height)
    return (
        data.reshape(height, image.bytesPerLine())[:, : width * 3].reshape(height, width, 3).copy()
    )


def coarse(picture: np.ndarray) -> np.ndarray:
    import cv2

    height, width = picture.shape[:2]
    small = cv2.resize(
        picture.astype(np.float32), (width // 20, height // 20), interpolation=cv2.INTER_AREA
    )
    return np.asarray(small)


def test_teleprompter_shows_script_remaining_time_deal_pinned_question_and_next(qtbot) -> None:  # type: ignore[no-untyped-def]
    panel = TeleprompterPanel()
    qtbot.addWidget(panel)
    segments = (
        SegmentRow(0, "Opening", 60, 75, None, "Hello and welcome", None, is_current=True),
        SegmentRow(1, "Serum", 120, 0, "SERUM", "The serum", None),
    )
    deal = DealRow("SERUM", "live", Decimal("29.00"), 72.0, 90.0, 18, 20, "Hydra Serum",
                   currency="USD", deal_id="segment-1")  # fmt: skip
    pinned = CommentRow("a:1", "Alice", "Does it suit dry skin?", 0.0, is_question=True)
    panel.update_state(
        ShowState(
            title="T",
            currency="USD",
            segments=segments,
            current_index=0,
            deals=(deal,),
            pinned=pinned,
        )
    )
    lines = panel.view.lines
    assert panel.view.script == "Hello and welcome"
    assert lines.remaining == "-0:15" and lines.over_run  # over-run shows below zero, in red
    assert "1:12" in lines.deal and "18 left" in lines.deal and "$29.00" in lines.deal
    assert lines.pinned == "Pinned: Alice: Does it suit dry skin?"
    assert "Serum" in lines.following
    panel.resize(500, 400)
    panel.show()
    panel.pause.setChecked(True)  # the script stands still between the two pictures
    plain = pixels(panel.view.grab().toImage())
    panel.mirror.setChecked(True)
    assert panel.view.mirrored
    mirrored = pixels(panel.view.grab().toImage())
    # Mirroring flips the whole view — header (title, time, deal, pinned question) and the
    # "Next" line too, not only the script. Compared in 20-pixel blocks: mirrored glyphs are
    # hinted a little differently from flipped ones.
    assert np.abs(coarse(mirrored) - coarse(plain[:, ::-1])).max() < 20
    assert np.abs(coarse(mirrored) - coarse(plain)).max() > 60
    panel.pause.setChecked(False)
    QTest.keyClick(panel, Qt.Key.Key_Up)
    assert panel.speed.value() == 50


def test_teleprompter_controls_are_on_the_windows_own_colours(qtbot) -> None:  # type: ignore[no-untyped-def]
    panel = TeleprompterPanel()
    qtbot.addWidget(panel)
    # The dark background is the view's alone: the Mirror box and the sliders keep the
    # palette's contrast (the Mirror box was invisible, black on black).
    assert panel.styleSheet() == "" and panel.mirror.styleSheet() == ""
    assert panel.mirror.parentWidget() is panel and panel.mirror.parentWidget() is not panel.view


def test_studio_mode_stages_then_takes(qtbot, control_room) -> None:  # type: ignore[no-untyped-def]
    window = control_room
    window.studio_action.setChecked(True)
    assert window.staged.isVisible()
    qtbot.mouseClick(window.products.card("MASK"), Qt.MouseButton.LeftButton)
    assert window.controller.staged_sku == "MASK"
    assert window.controller.show_state.on_screen_sku is None  # not on air yet
    qtbot.waitUntil(lambda: window.staged.current_image() is not None, timeout=5000)
    QTest.keyClick(window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert window.controller.show_state.on_screen_sku == "MASK"


def test_rehearsal_report_compares_actual_with_plan(qtbot, control_room) -> None:  # type: ignore[no-untyped-def]
    window = control_room
    # Let the show clock run a few frames into the opening (the clock is the picture's).
    source = window.controller.frame_source()
    first = (source() or (0, None))[0]
    qtbot.waitUntil(lambda: (source() or (0, None))[0] >= first + 3, timeout=10000)
    window.controller.next_segment()
    with qtbot.waitSignal(window.controller.rehearsal_finished) as finished:
        window.end_rehearsal_action.trigger()
    report = finished.args[0]
    assert [t.title for t in report.timings] == ["Opening", "Serum", "Cream"]
    assert report.timings[0].actual_s > 0 and report.timings[2].actual_s == 0
    assert report.timings[0].planned_s == 60
    assert any(str(path).endswith(".html") for path in report.files)
    assert Decimal(0) == window.controller.sales.gmv
    # The dialog's table is the report's: the same rows and total as the text report prints
    # (the dialog once added the segments up itself and showed "0:00, -2:00" for one the show
    # never reached, which the report calls "not reached").
    dialog = RehearsalReportDialog(report)
    qtbot.addWidget(dialog)
    table = [
        [dialog.table.item(row, column).text() for column in range(4)]
        for row in range(dialog.table.rowCount())
    ]
    block = report.report_text.split("Timing: plan and actual")[1].splitlines()
    printed = block[2 : 2 + len(table)]  # after the heading line: 3 segments and the total
    assert len(table) == 4 and printed[-1].split()[0] == "Total"
    for row, line in zip(table, printed, strict=True):
        assert row[0] in line and all(cell in line for cell in row[1:] if cell), (row, line)
    assert table[2][2:] == ["not reached", ""]


def test_a_burst_of_comments_is_one_insert_into_the_dock(qtbot, control_room) -> None:  # type: ignore[no-untyped-def]
    """500 comments arriving between two feed flushes cost the Qt thread one model insert (not
    500), every one of them shows, as plain text, and the dock keeps only its newest rows."""
    from anchordesk.show.feed_items import Comment

    controller = control_room.controller
    controller.flush_feeds()
    panel = CommentPanel(capacity=300)
    qtbot.addWidget(panel)
    controller.comments_arrived.connect(panel.add_comments)
    inserts: list[int] = []
    panel.model.rowsInserted.connect(lambda _parent, first, last: inserts.append(last - first + 1))
    burst = [Comment("rehearsal", f"c{n}", f"Viewer {n}", f"<b>hi</b> {n}") for n in range(500)]
    controller.add_comments(burst[:200])
    controller.add_comments(burst[200:])
    controller.flush_feeds()
    assert inserts == [300]  # one insert, capped at the dock's capacity
    assert controller.comment_count() == 500
    assert panel.model.rowCount() == 300
    shown = [panel.model.index(row, CommentModel.TEXT).data() for row in range(300)]
    assert shown == [f"<b>hi</b> {n}" for n in range(200, 500)]  # the newest, as typed
    controller.flush_feeds()  # nothing new: no insert
    assert inserts == [300]


def test_comments_wrap_on_two_lines_with_the_whole_text_as_tooltip(qtbot) -> None:  # type: ignore[no-untyped-def]
    panel = CommentPanel()
    qtbot.addWidget(panel)
    long_question = "Is the serum fine for very dry and sensitive skin in winter, and morning too?"
    panel.add_comments([CommentRow("a:1", "Ann", long_question, 0.0, is_question=True)])
    view = panel.view
    assert view.wordWrap()
    line = panel.fontMetrics().lineSpacing()
    assert view.rowHeight(0) >= 2 * line  # two lines at least, never one cut with "…"
    tooltip = panel.model.data(panel.model.index(0, CommentModel.TEXT), Qt.ItemDataRole.ToolTipRole)
    assert long_question in tooltip


def test_new_comments_button_when_the_list_is_not_following(qtbot) -> None:  # type: ignore[no-untyped-def]
    panel = CommentPanel()
    qtbot.addWidget(panel)
    panel.resize(360, 300)
    panel.show()

    def rows(start: int, count: int) -> list[CommentRow]:
        return [
            CommentRow(f"a:{n}", "Ann", f"comment {n}", 0.0) for n in range(start, start + count)
        ]

    panel.add_comments(rows(0, 40))
    bar = panel.view.verticalScrollBar()
    assert panel.following and bar.value() == bar.maximum()
    assert not panel.new_comments.isVisible()

    panel.view.selectRow(3)  # the operator picks a comment to pin: the list stays put
    position = bar.value()
    panel.add_comments(rows(40, 3))
    assert not panel.following and bar.value() == position
    assert panel.new_comments.isVisible() and panel.new_comments.text() == "3 new comments ↓"
    panel.add_comments(rows(43, 2))
    assert panel.new_comments.text() == "5 new comments ↓"

    qtbot.mouseClick(panel.new_comments, Qt.MouseButton.LeftButton)
    assert panel.following and not panel.new_comments.isVisible()
    assert bar.value() == bar.maximum()
    panel.add_comments(rows(45, 1))
    assert bar.value() == bar.maximum()  # following again

    # Scrolling up by hand stops following too; End follows again.
    bar.triggerAction(bar.SliderAction.SliderToMinimum)
    panel.add_comments(rows(46, 1))
    assert panel.new_comments.isVisible()
    QTest.keyClick(panel.view, Qt.Key.Key_End)
    assert panel.following and bar.value() == bar.maximum()
