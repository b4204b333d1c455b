"""The show editor window: a page per part of the show over one draft, files, and checking.

Each edit restarts a short timer; when it fires the draft is checked by the show's reader (the
same rules and JSON paths as ``anchordesk show check``) and by the compliance matcher, and each
problem is put next to its field: under the show's own fields, on the product's or segment's
cell (colour, icon, tooltip) with the selected row's problems under the table, under the script
and the talking points. The status bar counts them; F8 goes to the next one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from anchordesk.live.settings import Settings
from anchordesk.showfile.files import SHOW_KEYS, ShowReport
from anchordesk.showfile.samples import is_sample
from anchordesk.ui import file_dialogs, i18n, workers
from anchordesk.ui.editor.draft import Finding, check_draft, new_show_data
from anchordesk.ui.editor.files import EditorFiles, csv_problem_lines
from anchordesk.ui.editor.locate import PRODUCTS_PAGE, RUNDOWN_PAGE, SHOW_PAGE, locate
from anchordesk.ui.editor.products_page import ProductsPage
from anchordesk.ui.editor.rundown_page import RundownPage
from anchordesk.ui.editor.show_page import ShowPage
from anchordesk.ui.editor.table_page import TablePage
from anchordesk.ui.words import title_text

log = logging.getLogger(__name__)

CHECK_DELAY_MS = 250
__all__ = [
    "PRODUCTS_PAGE",
    "RUNDOWN_PAGE",
    "SHOW_PAGE",
    "ShowEditor",
    "csv_problem_lines",
    "locate",
]


class ShowEditor(EditorFiles, QMainWindow):
    """Edit a show file: open, save, save as, recent shows, import products from CSV.

    Signals:
        show_saved(Path): a show was written to this file (the main window may reload it).
        show_opened(Path): a show file was opened in the editor.
    """

    show_saved = Signal(Path)
    show_opened = Signal(Path)

    def __init__(
        self,
        settings: Settings | None = None,
        parent: QWidget | None = None,
        *,
        settings_file: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("show-editor")
        self.settings = settings
        self._settings_file = settings_file
        self.path: Path | None = None
        self.base_dir: Path | None = None
        self.read_only = False
        self.is_sample_file = False  # the file open is one of the built-in samples
        self.report: ShowReport | None = None
        self.findings: list[Finding] = []
        self._format: Any = 1
        self._extra: dict[str, Any] = {}  # fields of the file the editor has no page for
        self._modified = False
        self._reading: Path | None = None  # a chosen show file a worker reads
        self._loading = False
        self._next_finding = 0
        self._said_in: str | None = None  # the language the problems were last said in
        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(CHECK_DELAY_MS)
        self._check_timer.timeout.connect(self._check_later)
        self._check_asked: object | None = None  # the check running off the window's thread
        # Set by that check once the show's folder has answered: a check still running then
        # is long (a big show's pictures), not held by a share that went away.
        self._check_folder_answered = threading.Event()
        # Past it, a check that has not answered is said on the status line (R20ui).
        self._check_deadline = QTimer(self)
        self._check_deadline.setSingleShot(True)
        self._check_deadline.timeout.connect(self._check_not_answered)

        self._build_actions()
        self.show_page = ShowPage(self)
        self.products = ProductsPage(self)
        self.rundown = RundownPage(self.products.choices, self)
        self.products.import_csv_button.clicked.connect(self._choose_and_import_csv)
        for page in (self.show_page, self.products, self.rundown):
            page.edited.connect(self._edited)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.show_page, "")
        self.tabs.addTab(self.products, "")
        self.tabs.addTab(self.rundown, "")
        self.read_only_banner = QFrame(self)
        self.read_only_banner.setObjectName("read-only-banner")
        self.read_only_banner.setStyleSheet(
            "#read-only-banner { background: #fff4ce; border: 1px solid #e0c060; }"
            " QLabel { color: #3d3000; }"
        )
        self.read_only_label = QLabel(self.read_only_banner)
        self.read_only_label.setTextFormat(Qt.TextFormat.PlainText)
        self.read_only_label.setWordWrap(True)
        self.banner_save_as = QPushButton(self.read_only_banner)
        self.banner_save_as.clicked.connect(self.save_as)
        banner_layout = QHBoxLayout(self.read_only_banner)
        banner_layout.addWidget(self.read_only_label, 1)
        banner_layout.addWidget(self.banner_save_as)
        self.read_only_banner.hide()
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addWidget(self.read_only_banner)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.problem_summary = QLabel(self)
        self.problem_summary.setObjectName("problem-summary")
        self.problem_summary.setTextFormat(Qt.TextFormat.PlainText)
        self.next_problem_button = QPushButton(self)
        self.next_problem_button.setObjectName("next-problem")
        self.next_problem_button.clicked.connect(self.go_to_next_problem)
        self.statusBar().addWidget(self.problem_summary, 1)
        self.statusBar().addPermanentWidget(self.next_problem_button)
        self.resize(1100, 680)
        self._retranslate()
        self.load_data(new_show_data(i18n.current_language()), None)

    # -- building --------------------------------------------------------------------------------

    def _build_actions(self) -> None:
        self.new_action = QAction(self)
        self.new_action.setShortcut(QKeySequence.StandardKey.New)
        self.new_action.triggered.connect(self.new_show)
        self.open_action = QAction(self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self._choose_and_open)
        self.save_action = QAction(self)
        self.save_action.setShortcut(QKeySequence.StandardKey.Save)
        self.save_action.triggered.connect(self.save)
        self.save_as_action = QAction(self)
        self.save_as_action.setShortcut(QKeySequence.StandardKey.SaveAs)
        self.save_as_action.triggered.connect(self.save_as)
        self.import_csv_action = QAction(self)
        self.import_csv_action.triggered.connect(self._choose_and_import_csv)
        self.next_problem_action = QAction(self)
        self.next_problem_action.setShortcut(QKeySequence(Qt.Key.Key_F8))
        self.next_problem_action.triggered.connect(self.go_to_next_problem)
        self.close_action = QAction(self)
        self.close_action.setShortcut(QKeySequence.StandardKey.Close)
        self.close_action.triggered.connect(self.close)
        menu_bar = self.menuBar()
        self.file_menu = menu_bar.addMenu("")
        self.file_menu.addAction(self.new_action)
        self.file_menu.addAction(self.open_action)
        self.recent_menu = self.file_menu.addMenu("")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.save_action)
        self.file_menu.addAction(self.save_as_action)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.import_csv_action)
        self.file_menu.addAction(self.next_problem_action)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.close_action)
        toolbar = QToolBar(self)
        toolbar.setObjectName("editor-toolbar")
        toolbar.setMovable(False)
        for action in (
            self.new_action,
            self.open_action,
            self.save_action,
            self.save_as_action,
            self.import_csv_action,
        ):
            toolbar.addAction(action)
        self.toolbar = toolbar
        self.addToolBar(toolbar)

    # -- the draft -------------------------------------------------------------------------------

    def load_data(self, data: dict[str, Any], path: Path | None, *, check_now: bool = True) -> None:
        """Put a show's data into the pages (tolerant: wrong types are shown as text).
        ``check_now`` False: checked off the window's thread (its pictures' disk does not
        answer)."""
        self._loading = True
        try:
            self.path = path
            self.base_dir = path.resolve().parent if path else None
            # Known once, here: the title is made again at each edit, and asking the disk
            # then froze the window at the first key typed in a show whose share went away.
            self.is_sample_file = path is not None and is_sample(path)
            self.read_only = path is not None and (
                self.is_sample_file or not os.access(path, os.W_OK)
            )
            self.products.base_dir = self.show_page.base_dir = self.base_dir
            self._extra = {k: v for k, v in data.items() if k not in SHOW_KEYS}
            self._format = data.get("format", 1)
            self.show_page.load(data)
            self.products.model.set_rows(_list(data.get("products")))
            self.rundown.model.set_rows(_list(data.get("rundown")))
            for page in (self.products, self.rundown):
                if page.model.rowCount():
                    page.go_to(0, 0)
        finally:
            self._loading = False
        self._modified = False
        self._update_title()
        if check_now:
            self.check_now()
        else:
            # The last show's problems are not this one's: said as being checked until the
            # check answers.
            self._show_check(None, [])
            self.problem_summary.setText(self.tr("Checking the show…"))
            self._check_later()

    def data(self) -> dict[str, Any]:
        """The draft as a show file's JSON data."""
        data: dict[str, Any] = {"format": self._format, **self.show_page.values()}
        ordered = {key: data[key] for key in SHOW_KEYS if key in data}
        ordered["products"] = self.products.model.rows()
        ordered["rundown"] = self.rundown.model.rows()
        ordered.update(self._extra)
        return ordered

    def _edited(self) -> None:
        if self._loading:
            return
        self._modified = True
        self._update_title()
        self._check_timer.start()

    def add_product(self, product: dict[str, Any] | None = None) -> int:
        self.tabs.setCurrentIndex(PRODUCTS_PAGE)
        return self.products.add(product)

    def set_product_image(self, row: int, path: Path) -> None:
        self.products.set_image(row, path)

    def add_segment(self, segment: dict[str, Any] | None = None) -> int:
        self.tabs.setCurrentIndex(RUNDOWN_PAGE)
        return self.rundown.add(segment)

    # -- checking --------------------------------------------------------------------------------

    def check_now(self) -> list[Finding]:
        """Check the draft and show every problem next to its field."""
        return self.take_check(check_draft(self.data(), self.base_dir))

    def take_check(self, checked: tuple[ShowReport, list[Finding]]) -> list[Finding]:
        """Show a check of the draft as it is now (made here or by a save's worker)."""
        self._check_timer.stop()
        self._check_asked = None
        self._said_in = i18n.current_language()
        return self._show_check(*checked)

    def _check_later(self) -> None:
        """The check as the user types, off the window's thread: it looks the show's pictures
        up on their disk, and typing in a show whose network share went away froze the whole
        window at the next check (R17ui). Its findings are shown when they come, unless the
        draft was checked again since."""
        data, base_dir, language = self.data(), self.base_dir, i18n.current_language()
        self._check_asked = asked = object()
        self._check_folder_answered = folder_answered = threading.Event()

        def check() -> tuple[ShowReport, list[Finding]]:
            if base_dir is not None:
                with contextlib.suppress(OSError, ValueError):  # said by the check itself
                    os.stat(base_dir)
            folder_answered.set()
            return check_draft(data, base_dir)

        def checked(result: tuple[ShowReport, list[Finding]]) -> None:
            if self._check_asked is asked:
                self._check_asked = None
                self._said_in = language
                self._show_check(*result)

        self._check_deadline.start(int(file_dialogs.FILE_ANSWER_TIMEOUT_S * 1000))
        workers.run_task(
            check,
            checked,
            owner=self,
            pool=workers.file_reads(),
            waits_on=str(base_dir) if base_dir is not None else None,
        )

    def _check_not_answered(self) -> None:
        """Typing in a show whose pictures' share went away: the last check's words ("No
        problems found.") stayed on the status line for good, the check never answering."""
        if self._check_asked is None:
            return
        if self._check_folder_answered.is_set():
            # Its folder answered: a long check (a big show's pictures), not a dead share.
            self.problem_summary.setText(self.tr("Checking the show…"))
            self.problem_summary.setStyleSheet("")
            return
        if self.base_dir is not None:
            words = self.tr("Not checked: the pictures' folder %1 does not answer.")
            words = words.replace("%1", str(self.base_dir))
        else:
            words = self.tr("Not checked: a picture's folder does not answer.")
        self.problem_summary.setText(words)
        self.problem_summary.setStyleSheet("color: #a65300;")

    def _show_check(self, report: ShowReport | None, findings: list[Finding]) -> list[Finding]:
        self.report, self.findings = report, findings
        show_findings: list[Finding] = []
        cells: dict[int, dict[tuple[int, int], list[Finding]]] = {
            PRODUCTS_PAGE: {},
            RUNDOWN_PAGE: {},
        }
        whole: dict[int, list[Finding]] = {PRODUCTS_PAGE: [], RUNDOWN_PAGE: []}
        for finding in self.findings:
            page, row, column = locate(finding.path)
            if page == SHOW_PAGE:
                show_findings.append(finding)
            elif 0 <= row < self._page(page).model.rowCount():
                cells[page].setdefault((row, column), []).append(finding)
            else:
                whole[page].append(finding)
        self.show_page.set_findings(show_findings)
        self.products.set_findings(cells[PRODUCTS_PAGE], whole[PRODUCTS_PAGE])
        self.rundown.set_findings(cells[RUNDOWN_PAGE], whole[RUNDOWN_PAGE])
        self._next_finding = 0
        self._update_summary()
        return self.findings

    def _page(self, page: int) -> TablePage:
        return self.products if page == PRODUCTS_PAGE else self.rundown

    def findings_at(self, path_prefix: str) -> list[Finding]:
        return [
            f
            for f in self.findings
            if f.path == path_prefix
            or f.path.startswith(path_prefix + ".")
            or f.path.startswith(path_prefix + "[")
        ]

    def go_to_finding(self, finding: Finding) -> None:
        """Show the page of a problem and put the cursor on the field at fault."""
        page, row, column = locate(finding.path)
        self.tabs.setCurrentIndex(page)
        if page == SHOW_PAGE:
            self.show_page.focus_field(finding.path)
        elif row >= 0:
            self._page(page).go_to(row, column)

    def go_to_next_problem(self) -> None:
        if not self.findings:
            return
        ordered = sorted(self.findings, key=lambda f: not f.is_error)  # errors first
        self.go_to_finding(ordered[self._next_finding % len(ordered)])
        self._next_finding += 1

    def counted(self, which: str, count: int) -> str:
        """The file commands' sentences with a count, in the language's plural form ("1 error",
        "2 errors"): Qt's plural forms come with a widget's own ``tr``."""
        if which == "fix rows":
            return self.tr(
                "Nothing was imported from %1: fix row(s) %2 and import again.", "", count
            )
        if which == "errors left":
            return self.tr(
                "The show still has %Ln error(s). Save it anyway, to finish later?", "", count
            )
        assert which == "imported", which
        return self.tr("%Ln product(s) imported from %1, with these warnings:", "", count)

    def _update_summary(self) -> None:
        errors = sum(1 for f in self.findings if f.is_error)
        warnings = len(self.findings) - errors
        if not self.findings:
            self.problem_summary.setText(self.tr("No problems found."))
            self.problem_summary.setStyleSheet("")
        else:
            self.problem_summary.setText(
                self.tr("%1, %2, each shown next to its field")
                .replace("%1", self.tr("%Ln error(s)", "", errors))
                .replace("%2", self.tr("%Ln warning(s)", "", warnings))
            )
            self.problem_summary.setStyleSheet("color: #c62828;" if errors else "color: #a65300;")
        self.next_problem_button.setEnabled(bool(self.findings))
        self.next_problem_action.setEnabled(bool(self.findings))

    # -- title and translation -------------------------------------------------------------------

    def _update_title(self) -> None:
        """Which file this is: its name and folder, or that it is the read-only sample.

        The name and folder as text: a line break or an escape written out (a file named
        "line<newline>break.json" showed two boxes), a "[*]" of theirs not Qt's mark of
        unsaved changes."""
        name = title_text(self.path.name) if self.path is not None else ""
        if self.path is None:
            title = self.tr("New show[*] — Show editor")
        elif self.is_sample_file:
            title = self.tr("%1[*] (built-in sample, read-only) — Show editor").replace("%1", name)
        else:
            folder = str(self.base_dir or self.path.parent)
            home = str(Path.home())
            if folder == home or folder.startswith(home + os.sep):
                folder = "~" + folder[len(home) :]
            template = (
                self.tr("%1[*] (read-only) — %2 — Show editor")
                if self.read_only
                else self.tr("%1[*] — %2 — Show editor")
            )
            title = template.replace("%1", name).replace("%2", title_text(folder))
        self.setWindowTitle(title)
        self.setWindowModified(self._modified)
        self.read_only_banner.setVisible(self.read_only)
        if self.path is not None and self.is_sample_file:
            self.read_only_label.setText(
                self.tr(
                    "This is the built-in sample show: it is read-only. Use Save as… to keep "
                    "your own copy, then edit that."
                )
            )
        else:
            self.read_only_label.setText(
                self.tr("This file cannot be written. Use Save as… to keep your changes.")
            )

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.report is not None and self._said_in != i18n.current_language():
            self._check_timer.start()  # the language changed while the editor was closed

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

    def _retranslate(self) -> None:
        self._update_title()
        self.file_menu.setTitle(self.tr("&File"))
        self.recent_menu.setTitle(self.tr("Open &recent"))
        self.new_action.setText(self.tr("&New show"))
        self.open_action.setText(self.tr("&Open…"))
        self.save_action.setText(self.tr("&Save"))
        self.save_as_action.setText(self.tr("Save &as…"))
        self.import_csv_action.setText(self.tr("&Import products from CSV…"))
        self.next_problem_action.setText(self.tr("Next &problem"))
        self.close_action.setText(self.tr("&Close"))
        for action in self.toolbar.actions():
            # A toolbar button has no access key: without "(&N)" of the CJK menus and "…".
            label = re.sub(r"\s*[(（]&\w[)）]", "", action.text()).replace("&", "")
            action.setIconText(label.rstrip("…").rstrip("."))
        self.banner_save_as.setText(self.tr("Save as…"))
        self.next_problem_button.setText(self.tr("Next problem (F8)"))
        self.tabs.setTabText(SHOW_PAGE, self.tr("Show"))
        self.tabs.setTabText(PRODUCTS_PAGE, self.tr("Products"))
        self.tabs.setTabText(RUNDOWN_PAGE, self.tr("Run sheet"))
        if self.report is not None:
            self._update_summary()
            # The problems said again in the new language, once the event is over (as after an
            # edit) and only by an editor on screen: a closed one says them when shown again.
            self._said_in = None
            if self.isVisible():
                self._check_timer.start()


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
