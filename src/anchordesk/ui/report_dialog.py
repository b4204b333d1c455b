"""The report of a closed session (End rehearsal, or the stream stopped), in the window."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from anchordesk.live.reports import SegmentTiming
from anchordesk.show.timing import format_difference, format_duration, segments_total


class RehearsalReportDialog(QDialog):
    """A closed session's report (End rehearsal, or the stream stopped): each segment's actual
    time next to its plan, beside the report's totals — all read back from the session file, so
    they are the board's numbers. "Rehearse again" starts a new session."""

    def __init__(self, report: object, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from anchordesk.live.reports import SessionSummary

        assert isinstance(report, SessionSummary)
        self.report = report
        self.setObjectName("rehearsal_report")
        self.setWindowTitle(
            self.tr("Rehearsal report") if report.mode == "rehearsal" else self.tr("Show report")
        )
        self.table = QTableWidget(len(report.timings) + 1, 4, self)
        self.table.setAccessibleName(self.tr("Segment times"))
        self.table.setHorizontalHeaderLabels(
            [self.tr("Segment"), self.tr("Plan"), self.tr("Actual"), self.tr("Difference")]
        )
        self.table.verticalHeader().hide()
        # Tab leaves the table (it walked its cells round and round: the buttons below could
        # not be reached from the keyboard); the arrow keys move in it.
        self.table.setTabKeyNavigation(False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        # The rows and the total are the report's (show.timing), as its text and page print
        # them: a segment the show never reached says so instead of "0:00, -1:00".
        rows = [*report.timings, segments_total(report.timings, self.tr("Total"))]
        for row, timing in enumerate(rows):
            self._row(row, timing)
        # The report's lines are columns aligned with spaces (the products table): a fixed-width
        # font and no wrapping keep them in columns (a wrapping label broke each product row
        # in two); a wide line scrolls.
        summary = QPlainTextEdit(self)
        summary.setObjectName("report_summary")
        summary.setReadOnly(True)
        summary.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        summary.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        summary.setPlainText("\n".join(report.session_lines))
        summary.setAccessibleName(self.tr("Session totals"))
        self.summary = summary
        files = QLabel(self)
        files.setTextFormat(Qt.TextFormat.PlainText)
        files.setWordWrap(True)
        files.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        files.setText("\n".join(str(p) for p in report.files))
        body = QHBoxLayout()
        body.addWidget(self.table, 3)
        body.addWidget(summary, 3)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        self.open_button = buttons.addButton(
            self.tr("&Open the full report"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.open_button.setEnabled(report.html_path is not None)
        self.open_button.clicked.connect(self._open_page)
        self.again_button = buttons.addButton(
            self.tr("&Rehearse again"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.again_button.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(files)
        layout.addWidget(buttons)
        self.resize(900, 460)

    def _open_page(self) -> None:
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        if self.report.html_path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.report.html_path)))

    def _row(self, row: int, timing: SegmentTiming) -> None:
        difference = timing.difference_s
        for column, text in enumerate(
            (
                timing.title,
                format_duration(timing.planned_s),
                format_duration(timing.actual_s) if timing.visited else self.tr("not reached"),
                format_difference(difference) if timing.visited else "",
            )
        ):
            item = QTableWidgetItem(text)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            if column == 3 and timing.visited and difference > 0.5:
                item.setForeground(Qt.GlobalColor.red)
            self.table.setItem(row, column, item)
