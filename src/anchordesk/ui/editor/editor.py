"""The show editor: products, run sheet and the show's own fields, with every problem shown next
to the field at fault.

Each edit restarts a short timer; when it fires the draft is checked by the show's reader (the
same rules and JSON paths as ``anchordesk show check``) and by the compliance matcher. Cells at
fault get a colour and the message as tooltip; fields of the "Show" page get the message under
them; the list at the bottom holds every message and jumps to its field when clicked.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QBrush, QCloseEvent, QColor, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QColorDialog,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStyledItemDelegate,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from anchordesk.live.settings import Settings, save_settings
from anchordesk.showfile.csv_import import read_products_csv
from anchordesk.showfile.files import SHOW_KEYS, ShowReport, dump_show
from anchordesk.ui.editor.draft import (
    Finding,
    cell_text,
    check_draft,
    new_show_data,
    number_or_text,
    read_draft,
    relative_to_show,
    split_path,
    write_draft,
)

log = logging.getLogger(__name__)

ERROR_BRUSH = QBrush(QColor("#ffcdd2"))
WARNING_BRUSH = QBrush(QColor("#ffe0b2"))
CHECK_DELAY_MS = 250
POINTS_ROLE = Qt.ItemDataRole.UserRole + 1
SCRIPT_ROLE = Qt.ItemDataRole.UserRole + 2
NOTES_ROLE = Qt.ItemDataRole.UserRole + 3

# Table columns.
P_SKU, P_TITLE, P_PRICE, P_STOCK, P_IMAGE, P_POINTS = range(6)
R_TITLE, R_SKU, R_SECONDS, R_DEAL_PRICE, R_DEAL_SECONDS, R_DEAL_STOCK, R_SCRIPT = range(7)
PRODUCT_FIELD_COLUMNS = {
    "sku": P_SKU,
    "title": P_TITLE,
    "price": P_PRICE,
    "currency": P_PRICE,
    "stock": P_STOCK,
    "image": P_IMAGE,
    "points": P_POINTS,
}
SEGMENT_FIELD_COLUMNS = {
    "title": R_TITLE,
    "sku": R_SKU,
    "seconds": R_SECONDS,
    "script": R_SCRIPT,
    "notes": R_SCRIPT,
}
DEAL_FIELD_COLUMNS = {"price": R_DEAL_PRICE, "seconds": R_DEAL_SECONDS, "stock": R_DEAL_STOCK}
SHOW_PAGE, PRODUCTS_PAGE, RUNDOWN_PAGE = range(3)


class _SkuDelegate(QStyledItemDelegate):
    """The product column of the run sheet: a combo of the products' skus (or none)."""

    def __init__(self, editor: ShowEditor) -> None:
        super().__init__(editor)
        self._editor = editor

    def createEditor(self, parent: QWidget, option: Any, index: Any) -> QWidget:
        combo = QComboBox(parent)
        combo.setEditable(True)
        combo.addItem("")
        for sku, title in self._editor.product_choices():
            combo.addItem(f"{sku} — {title}" if title else sku, sku)
        return combo

    def setEditorData(self, editor: QWidget, index: Any) -> None:
        assert isinstance(editor, QComboBox)
        value = index.data() or ""
        position = editor.findData(value)
        if position >= 0:
            editor.setCurrentIndex(position)
        else:
            editor.setEditText(value)

    def setModelData(self, editor: QWidget, model: Any, index: Any) -> None:
        assert isinstance(editor, QComboBox)
        data = editor.currentData()
        text = editor.currentText()
        if data is None or editor.itemText(editor.currentIndex()) != text:
            data = text.split(" — ")[0].strip()
        model.setData(index, data)


class ShowEditor(QMainWindow):
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
        self.report: ShowReport | None = None
        self.findings: list[Finding] = []
        self._extra: dict[str, Any] = {}  # fields of the file the editor has no widget for
        self._modified = False
        self._loading = False
        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(CHECK_DELAY_MS)
        self._check_timer.timeout.connect(self.check_now)

        self._build_actions()
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._build_show_page(), "")
        self.tabs.addTab(self._build_products_page(), "")
        self.tabs.addTab(self._build_rundown_page(), "")
        self.problem_list = QListWidget(self)
        self.problem_list.setObjectName("problem-list")
        self.problem_list.itemActivated.connect(self._go_to_finding)
        self.problem_list.itemClicked.connect(self._go_to_finding)
        self.problem_summary = QLabel(self)
        self.problem_summary.setTextFormat(Qt.TextFormat.PlainText)
        bottom = QWidget(self)
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self.problem_summary)
        bottom_layout.addWidget(self.problem_list)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.tabs)
        splitter.addWidget(bottom)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        self.setCentralWidget(splitter)
        self.resize(1100, 720)
        self._retranslate()
        self.load_data(new_show_data(), None)

    # ------------------------------------------------------------------ building

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
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.close_action)
        toolbar = QToolBar(self)
        toolbar.setObjectName("editor-toolbar")
        toolbar.setMovable(False)
        for action in (self.new_action, self.open_action, self.save_action, self.import_csv_action):
            toolbar.addAction(action)
        self.toolbar = toolbar
        self.addToolBar(toolbar)

    def _message_label(self, parent: QWidget) -> QLabel:
        label = QLabel(parent)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setWordWrap(True)
        label.hide()
        return label

    def _build_show_page(self) -> QWidget:
        page = QWidget(self)
        self.title_edit = QLineEdit(page)
        self.title_edit.setObjectName("show-title")
        self.currency_combo = QComboBox(page)
        self.currency_combo.setEditable(True)
        self.currency_combo.addItems(["CNY", "USD", "JPY", "EUR", "HKD", "TWD", "KRW", "GBP"])
        self.language_combo = QComboBox(page)
        self.language_combo.setEditable(True)
        self.language_combo.addItems(["zh_CN", "en", "ja"])
        self.accent_edit = QLineEdit(page)
        self.accent_button = QPushButton(page)
        self.accent_button.clicked.connect(self._pick_accent)
        self.look_combo = QComboBox(page)
        self.look_combo.addItem("", "dark")
        self.look_combo.addItem("", "light")
        self.logo_edit = QLineEdit(page)
        self.logo_button = QPushButton(page)
        self.logo_button.clicked.connect(self._pick_logo)
        self.banned_edit = QPlainTextEdit(page)
        self.banned_edit.setObjectName("banned-words")
        self.ticker_edit = QPlainTextEdit(page)
        for edit in (self.banned_edit, self.ticker_edit):
            edit.setMaximumHeight(90)
            edit.setTabChangesFocus(True)
        self.show_field_messages: dict[str, QLabel] = {
            key: self._message_label(page)
            for key in (
                "title",
                "currency",
                "language",
                "theme.accent",
                "theme.look",
                "theme.logo",
                "banned_words",
                "ticker",
                "format",
                "$",
            )
        }
        self.show_labels = [QLabel(page) for _ in range(8)]
        form = QFormLayout(page)
        accent_row = QHBoxLayout()
        accent_row.addWidget(self.accent_edit, 1)
        accent_row.addWidget(self.accent_button)
        logo_row = QHBoxLayout()
        logo_row.addWidget(self.logo_edit, 1)
        logo_row.addWidget(self.logo_button)
        form.addRow(self.show_field_messages["$"])
        form.addRow(self.show_field_messages["format"])
        rows: list[tuple[QWidget | QHBoxLayout, str]] = [
            (self.title_edit, "title"),
            (self.currency_combo, "currency"),
            (self.language_combo, "language"),
            (accent_row, "theme.accent"),
            (self.look_combo, "theme.look"),
            (logo_row, "theme.logo"),
            (self.banned_edit, "banned_words"),
            (self.ticker_edit, "ticker"),
        ]
        for label, (field_widget, key) in zip(self.show_labels, rows, strict=True):
            form.addRow(label, field_widget)
            form.addRow("", self.show_field_messages[key])
            if isinstance(field_widget, QWidget):
                label.setBuddy(field_widget)
        self.show_labels[3].setBuddy(self.accent_edit)
        self.show_labels[5].setBuddy(self.logo_edit)
        for line_edit in (self.title_edit, self.accent_edit, self.logo_edit):
            line_edit.textEdited.connect(self._edited)
        for combo in (self.currency_combo, self.language_combo):
            combo.editTextChanged.connect(self._edited)
        self.look_combo.currentIndexChanged.connect(self._edited)
        for text_edit in (self.banned_edit, self.ticker_edit):
            text_edit.textChanged.connect(self._edited)
        return page

    def _build_products_page(self) -> QWidget:
        page = QWidget(self)
        self.products_table = QTableWidget(0, 6, page)
        self.products_table.setObjectName("products-table")
        self.products_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.products_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.products_table.horizontalHeader()
        header.setSectionResizeMode(P_TITLE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(P_POINTS, QHeaderView.ResizeMode.Stretch)
        self.products_table.itemChanged.connect(self._on_product_item_changed)
        self.products_table.currentCellChanged.connect(self._on_product_row_changed)
        self.add_product_button = QPushButton(page)
        self.add_product_button.setObjectName("add-product")
        self.add_product_button.clicked.connect(lambda: self.add_product())
        self.remove_product_button = QPushButton(page)
        self.remove_product_button.clicked.connect(self._remove_product)
        self.import_csv_button = QPushButton(page)
        self.import_csv_button.clicked.connect(self._choose_and_import_csv)
        self.image_button = QPushButton(page)
        self.image_button.setObjectName("choose-image")
        self.image_button.clicked.connect(self._pick_product_image)
        self.image_preview = QLabel(page)
        self.image_preview.setFixedSize(160, 160)
        self.image_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image_preview.setStyleSheet("border: 1px solid #999;")
        self.points_label = QLabel(page)
        self.points_edit = QPlainTextEdit(page)
        self.points_edit.setObjectName("product-points")
        self.points_edit.setTabChangesFocus(True)
        self.points_edit.textChanged.connect(self._on_points_edited)
        self.points_message = self._message_label(page)
        self.products_message = self._message_label(page)

        buttons = QHBoxLayout()
        for button in (self.add_product_button, self.remove_product_button, self.import_csv_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        side = QVBoxLayout()
        side.addWidget(self.image_preview)
        side.addWidget(self.image_button)
        side.addWidget(self.points_label)
        side.addWidget(self.points_edit, 1)
        side.addWidget(self.points_message)
        self.points_label.setBuddy(self.points_edit)
        main = QVBoxLayout()
        main.addWidget(self.products_message)
        main.addWidget(self.products_table, 1)
        main.addLayout(buttons)
        layout = QHBoxLayout(page)
        layout.addLayout(main, 3)
        layout.addLayout(side, 1)
        return page

    def _build_rundown_page(self) -> QWidget:
        page = QWidget(self)
        self.rundown_table = QTableWidget(0, 7, page)
        self.rundown_table.setObjectName("rundown-table")
        self.rundown_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.rundown_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.rundown_table.setItemDelegateForColumn(R_SKU, _SkuDelegate(self))
        header = self.rundown_table.horizontalHeader()
        header.setSectionResizeMode(R_TITLE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(R_SCRIPT, QHeaderView.ResizeMode.Stretch)
        self.rundown_table.itemChanged.connect(self._on_segment_item_changed)
        self.rundown_table.currentCellChanged.connect(self._on_segment_row_changed)
        self.add_segment_button = QPushButton(page)
        self.add_segment_button.setObjectName("add-segment")
        self.add_segment_button.clicked.connect(lambda: self.add_segment())
        self.remove_segment_button = QPushButton(page)
        self.remove_segment_button.clicked.connect(self._remove_segment)
        self.up_button = QPushButton(page)
        self.up_button.setObjectName("segment-up")
        self.up_button.clicked.connect(lambda: self.move_segment(-1))
        self.down_button = QPushButton(page)
        self.down_button.setObjectName("segment-down")
        self.down_button.clicked.connect(lambda: self.move_segment(1))
        self.total_label = QLabel(page)
        self.total_label.setTextFormat(Qt.TextFormat.PlainText)
        self.rundown_message = self._message_label(page)
        self.script_label = QLabel(page)
        self.script_edit = QPlainTextEdit(page)
        self.script_edit.setObjectName("segment-script")
        self.script_edit.setTabChangesFocus(True)
        self.script_edit.textChanged.connect(self._on_script_edited)
        self.script_message = self._message_label(page)
        self.notes_label = QLabel(page)
        self.notes_edit = QPlainTextEdit(page)
        self.notes_edit.setTabChangesFocus(True)
        self.notes_edit.setMaximumHeight(80)
        self.notes_edit.textChanged.connect(self._on_script_edited)
        self.script_label.setBuddy(self.script_edit)
        self.notes_label.setBuddy(self.notes_edit)

        buttons = QHBoxLayout()
        for button in (
            self.add_segment_button,
            self.remove_segment_button,
            self.up_button,
            self.down_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.total_label)
        side = QVBoxLayout()
        side.addWidget(self.script_label)
        side.addWidget(self.script_edit, 1)
        side.addWidget(self.script_message)
        side.addWidget(self.notes_label)
        side.addWidget(self.notes_edit)
        main = QVBoxLayout()
        main.addWidget(self.rundown_message)
        main.addWidget(self.rundown_table, 1)
        main.addLayout(buttons)
        layout = QHBoxLayout(page)
        layout.addLayout(main, 3)
        layout.addLayout(side, 2)
        return page

    # ------------------------------------------------------------------ draft <-> widgets

    def load_data(self, data: dict[str, Any], path: Path | None) -> None:
        """Put a show's data into the widgets (tolerant: wrong types are shown as text)."""
        self._loading = True
        try:
            self.path = path
            self.base_dir = path.resolve().parent if path else None
            # Fields the editor has no widget for are kept and written back untouched.
            self._extra = {k: v for k, v in data.items() if k not in SHOW_KEYS}
            self._format = data.get("format", 1)
            self.title_edit.setText(cell_text(data.get("title")))
            self.currency_combo.setEditText(cell_text(data.get("currency")))
            self.language_combo.setEditText(cell_text(data.get("language")))
            theme: dict[str, Any] = data["theme"] if isinstance(data.get("theme"), dict) else {}
            self.accent_edit.setText(cell_text(theme.get("accent")))
            look = self.look_combo.findData(theme.get("look", "dark"))
            self.look_combo.setCurrentIndex(max(look, 0))
            self.logo_edit.setText(cell_text(theme.get("logo")))
            self.banned_edit.setPlainText(
                "\n".join(cell_text(w) for w in data.get("banned_words") or [])
            )
            self.ticker_edit.setPlainText("\n".join(cell_text(w) for w in data.get("ticker") or []))
            self.products_table.setRowCount(0)
            for product in data.get("products") or []:
                self._append_product(product if isinstance(product, dict) else {})
            self.rundown_table.setRowCount(0)
            for segment in data.get("rundown") or []:
                self._append_segment(segment if isinstance(segment, dict) else {})
            if self.products_table.rowCount():
                self.products_table.setCurrentCell(0, P_TITLE)
            if self.rundown_table.rowCount():
                self.rundown_table.setCurrentCell(0, R_TITLE)
            self._on_product_row_changed(self.products_table.currentRow())
            self._on_segment_row_changed(self.rundown_table.currentRow())
        finally:
            self._loading = False
        self._modified = False
        self._update_title()
        self.check_now()

    def data(self) -> dict[str, Any]:
        """The draft as a show file's JSON data."""
        theme: dict[str, Any] = {
            "accent": self.accent_edit.text().strip(),
            "logo": self.logo_edit.text().strip() or None,
        }
        if self.look_combo.currentData() != "dark":
            theme["look"] = self.look_combo.currentData()
        data: dict[str, Any] = {
            "format": self._format,
            "title": self.title_edit.text(),
            "currency": self.currency_combo.currentText().strip(),
            "language": self.language_combo.currentText().strip(),
            "theme": theme,
            "banned_words": _lines(self.banned_edit.toPlainText()),
            "ticker": _lines(self.ticker_edit.toPlainText()),
            "products": [self._product_data(row) for row in range(self.products_table.rowCount())],
            "rundown": [self._segment_data(row) for row in range(self.rundown_table.rowCount())],
        }
        data.update(self._extra)
        return data

    def _item(self, table: QTableWidget, row: int, column: int) -> QTableWidgetItem:
        item = table.item(row, column)
        if item is None:
            item = QTableWidgetItem("")
            table.setItem(row, column, item)
        return item

    def _product_data(self, row: int) -> dict[str, Any]:
        table = self.products_table
        points = self._item(table, row, P_SKU).data(POINTS_ROLE) or []
        product: dict[str, Any] = {
            "sku": self._item(table, row, P_SKU).text().strip(),
            "title": self._item(table, row, P_TITLE).text(),
        }
        price = number_or_text(self._item(table, row, P_PRICE).text())
        if price is not None:
            product["price"] = price
        stock = number_or_text(self._item(table, row, P_STOCK).text())
        if stock is not None:
            product["stock"] = stock
        product["image"] = self._item(table, row, P_IMAGE).text().strip() or None
        product["points"] = list(points)
        return product

    def _segment_data(self, row: int) -> dict[str, Any]:
        table = self.rundown_table
        title_item = self._item(table, row, R_TITLE)
        segment: dict[str, Any] = {
            "title": title_item.text(),
            "sku": self._item(table, row, R_SKU).text().strip() or None,
        }
        seconds = number_or_text(self._item(table, row, R_SECONDS).text())
        if seconds is not None:
            segment["seconds"] = seconds
        segment["script"] = title_item.data(SCRIPT_ROLE) or ""
        notes = title_item.data(NOTES_ROLE) or ""
        if notes:
            segment["notes"] = notes
        deal_values = {
            key: number_or_text(self._item(table, row, column).text())
            for key, column in DEAL_FIELD_COLUMNS.items()
        }
        if any(value is not None for value in deal_values.values()):
            segment["deal"] = {k: v for k, v in deal_values.items() if v is not None}
        return segment

    def _append_product(self, product: dict[str, Any]) -> int:
        table = self.products_table
        row = table.rowCount()
        with QSignalBlocker(table):
            table.insertRow(row)
            values = {
                P_SKU: product.get("sku"),
                P_TITLE: product.get("title"),
                P_PRICE: product.get("price"),
                P_STOCK: product.get("stock"),
                P_IMAGE: product.get("image"),
            }
            for column, value in values.items():
                table.setItem(row, column, QTableWidgetItem(cell_text(value)))
            raw_points = product.get("points") or []
            points = [cell_text(p) for p in raw_points] if isinstance(raw_points, list) else []
            self._item(table, row, P_SKU).setData(POINTS_ROLE, points)
            points_item = QTableWidgetItem(" · ".join(points))
            points_item.setFlags(points_item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            table.setItem(row, P_POINTS, points_item)
        return row

    def _append_segment(self, segment: dict[str, Any]) -> int:
        table = self.rundown_table
        row = table.rowCount()
        with QSignalBlocker(table):
            table.insertRow(row)
            deal: dict[str, Any] = segment["deal"] if isinstance(segment.get("deal"), dict) else {}
            values = {
                R_TITLE: segment.get("title"),
                R_SKU: segment.get("sku"),
                R_SECONDS: segment.get("seconds"),
                R_DEAL_PRICE: deal.get("price"),
                R_DEAL_SECONDS: deal.get("seconds"),
                R_DEAL_STOCK: deal.get("stock"),
            }
            for column, value in values.items():
                table.setItem(row, column, QTableWidgetItem(cell_text(value)))
            title_item = self._item(table, row, R_TITLE)
            title_item.setData(SCRIPT_ROLE, cell_text(segment.get("script")))
            title_item.setData(NOTES_ROLE, cell_text(segment.get("notes")))
            script_item = QTableWidgetItem(_preview(cell_text(segment.get("script"))))
            script_item.setFlags(script_item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            table.setItem(row, R_SCRIPT, script_item)
        return row

    def product_choices(self) -> list[tuple[str, str]]:
        return [
            (
                self._item(self.products_table, row, P_SKU).text().strip(),
                self._item(self.products_table, row, P_TITLE).text(),
            )
            for row in range(self.products_table.rowCount())
            if self._item(self.products_table, row, P_SKU).text().strip()
        ]

    # ------------------------------------------------------------------ editing

    def _edited(self, *_args: object) -> None:
        if self._loading:
            return
        self._modified = True
        self._update_title()
        self._check_timer.start()

    def add_product(self, product: dict[str, Any] | None = None) -> int:
        row = self._append_product(product or {"sku": "", "title": "", "price": None, "stock": 0})
        self.tabs.setCurrentIndex(PRODUCTS_PAGE)
        self.products_table.setCurrentCell(row, P_SKU)
        self._edited()
        return row

    def _remove_product(self) -> None:
        row = self.products_table.currentRow()
        if row >= 0:
            self.products_table.removeRow(row)
            self._edited()

    def _on_product_item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() == P_IMAGE:
            self._update_image_preview()
        self._edited()

    def _on_product_row_changed(self, row: int, *_args: object) -> None:
        has_row = row >= 0 and row < self.products_table.rowCount()
        for widget in (self.points_edit, self.image_button, self.remove_product_button):
            widget.setEnabled(has_row)
        with QSignalBlocker(self.points_edit):
            points = (
                self._item(self.products_table, row, P_SKU).data(POINTS_ROLE) if has_row else []
            )
            self.points_edit.setPlainText("\n".join(points or []))
        self._update_image_preview()
        self._show_side_messages()

    def _on_points_edited(self) -> None:
        row = self.products_table.currentRow()
        if row < 0:
            return
        points = _lines(self.points_edit.toPlainText())
        with QSignalBlocker(self.products_table):
            self._item(self.products_table, row, P_SKU).setData(POINTS_ROLE, points)
            self._item(self.products_table, row, P_POINTS).setText(" · ".join(points))
        self._edited()

    def _update_image_preview(self) -> None:
        row = self.products_table.currentRow()
        relative = self._item(self.products_table, row, P_IMAGE).text().strip() if row >= 0 else ""
        pixmap = QPixmap()
        if relative:
            path = Path(relative)
            if not path.is_absolute() and self.base_dir is not None:
                path = self.base_dir / path
            if path.is_file():
                pixmap = QPixmap(str(path))
        if pixmap.isNull():
            self.image_preview.setPixmap(QPixmap())
            self.image_preview.setText(
                self.tr("No image") if not relative else self.tr("Image not found")
            )
        else:
            self.image_preview.setPixmap(
                pixmap.scaled(
                    self.image_preview.size(),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )

    def _pick_product_image(self) -> None:
        row = self.products_table.currentRow()
        if row < 0:
            return
        start = str(self.base_dir or Path.home())
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("Product image"),
            start,
            self.tr("Images (*.png *.jpg *.jpeg *.webp *.bmp)"),
        )
        if path:
            self.set_product_image(row, Path(path))

    def set_product_image(self, row: int, path: Path) -> None:
        self._item(self.products_table, row, P_IMAGE).setText(relative_to_show(path, self.base_dir))

    def add_segment(self, segment: dict[str, Any] | None = None) -> int:
        row = self._append_segment(
            segment or {"title": "", "sku": None, "seconds": 60, "script": ""}
        )
        self.tabs.setCurrentIndex(RUNDOWN_PAGE)
        self.rundown_table.setCurrentCell(row, R_TITLE)
        self._edited()
        return row

    def _remove_segment(self) -> None:
        row = self.rundown_table.currentRow()
        if row >= 0:
            self.rundown_table.removeRow(row)
            self._edited()

    def move_segment(self, step: int) -> None:
        """Move the selected segment up (-1) or down (+1) the run sheet."""
        table = self.rundown_table
        row = table.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < table.rowCount():
            return
        with QSignalBlocker(table):
            for column in range(table.columnCount()):
                here = table.takeItem(row, column)
                there = table.takeItem(target, column)
                table.setItem(row, column, there)
                table.setItem(target, column, here)
        table.setCurrentCell(target, table.currentColumn() if table.currentColumn() >= 0 else 0)
        self._edited()

    def _on_segment_item_changed(self, _item: QTableWidgetItem) -> None:
        self._edited()

    def _on_segment_row_changed(self, row: int, *_args: object) -> None:
        has_row = 0 <= row < self.rundown_table.rowCount()
        for widget in (
            self.script_edit,
            self.notes_edit,
            self.remove_segment_button,
            self.up_button,
            self.down_button,
        ):
            widget.setEnabled(has_row)
        title_item = self._item(self.rundown_table, row, R_TITLE) if has_row else None
        with QSignalBlocker(self.script_edit), QSignalBlocker(self.notes_edit):
            self.script_edit.setPlainText(title_item.data(SCRIPT_ROLE) or "" if title_item else "")
            self.notes_edit.setPlainText(title_item.data(NOTES_ROLE) or "" if title_item else "")
        self._show_side_messages()

    def _on_script_edited(self) -> None:
        row = self.rundown_table.currentRow()
        if row < 0:
            return
        script = self.script_edit.toPlainText()
        with QSignalBlocker(self.rundown_table):
            title_item = self._item(self.rundown_table, row, R_TITLE)
            title_item.setData(SCRIPT_ROLE, script)
            title_item.setData(NOTES_ROLE, self.notes_edit.toPlainText())
            self._item(self.rundown_table, row, R_SCRIPT).setText(_preview(script))
        self._edited()

    def _pick_accent(self) -> None:
        colour = QColorDialog.getColor(QColor(self.accent_edit.text() or "#ff3355"), self)
        if colour.isValid():
            self.accent_edit.setText(colour.name())
            self._edited()

    def _pick_logo(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("Logo"),
            str(self.base_dir or Path.home()),
            self.tr("Images (*.png *.jpg *.jpeg *.webp *.bmp)"),
        )
        if path:
            self.logo_edit.setText(relative_to_show(Path(path), self.base_dir))
            self._edited()

    # ------------------------------------------------------------------ checking

    def check_now(self) -> list[Finding]:
        """Check the draft and show every problem next to its field."""
        self._check_timer.stop()
        self.report, self.findings = check_draft(self.data(), self.base_dir)
        self._paint_findings()
        return self.findings

    def findings_at(self, path_prefix: str) -> list[Finding]:
        return [
            f
            for f in self.findings
            if f.path == path_prefix
            or f.path.startswith(path_prefix + ".")
            or f.path.startswith(path_prefix + "[")
        ]

    def _location(self, finding: Finding) -> tuple[int, QTableWidget | None, int, int, str]:
        """(page, table, row, column, shown location) of a finding's JSON path."""
        parts = split_path(finding.path)
        if len(parts) >= 2 and parts[0] == "products" and isinstance(parts[1], int):
            field_name = str(parts[2]) if len(parts) > 2 else "sku"
            column = PRODUCT_FIELD_COLUMNS.get(field_name, P_SKU)
            where = self.tr("Products, row %1").replace("%1", str(parts[1] + 1))
            return PRODUCTS_PAGE, self.products_table, parts[1], column, where
        if len(parts) >= 2 and parts[0] == "rundown" and isinstance(parts[1], int):
            field_name = str(parts[2]) if len(parts) > 2 else "title"
            if field_name == "deal":
                sub = str(parts[3]) if len(parts) > 3 else "price"
                column = DEAL_FIELD_COLUMNS.get(sub, R_DEAL_PRICE)
            else:
                column = SEGMENT_FIELD_COLUMNS.get(field_name, R_TITLE)
            where = self.tr("Run sheet, segment %1").replace("%1", str(parts[1] + 1))
            return RUNDOWN_PAGE, self.rundown_table, parts[1], column, where
        if parts and parts[0] == "products":
            return PRODUCTS_PAGE, None, -1, -1, self.tr("Products")
        if parts and parts[0] == "rundown":
            return RUNDOWN_PAGE, None, -1, -1, self.tr("Run sheet")
        return SHOW_PAGE, None, -1, -1, self.tr("Show")

    def _paint_findings(self) -> None:
        for painted in (self.products_table, self.rundown_table):
            with QSignalBlocker(painted):
                for row in range(painted.rowCount()):
                    for column in range(painted.columnCount()):
                        item = self._item(painted, row, column)
                        item.setBackground(QBrush())
                        item.setToolTip("")
        for label in (
            *self.show_field_messages.values(),
            self.products_message,
            self.rundown_message,
        ):
            label.clear()
            label.hide()
        self.problem_list.clear()
        errors = sum(1 for f in self.findings if f.is_error)
        warnings = len(self.findings) - errors
        for finding in self.findings:
            page, table, row, column, where = self._location(finding)
            prefix = self.tr("Error") if finding.is_error else self.tr("Warning")
            text = f"{prefix} — {where}: {finding.message}"
            if finding.line is not None:
                text = (
                    f"{prefix} — "
                    + self.tr("line %1, column %2")
                    .replace("%1", str(finding.line))
                    .replace("%2", str(finding.column))
                    + f": {finding.message}"
                )
            list_item = QListWidgetItem(text)
            list_item.setData(Qt.ItemDataRole.UserRole, finding.path)
            list_item.setForeground(QBrush(QColor("#c62828" if finding.is_error else "#b35c00")))
            self.problem_list.addItem(list_item)
            if table is not None and 0 <= row < table.rowCount():
                with QSignalBlocker(table):
                    item = self._item(table, row, column)
                    brush = ERROR_BRUSH if finding.is_error else WARNING_BRUSH
                    if finding.is_error or item.background().style() == Qt.BrushStyle.NoBrush:
                        item.setBackground(brush)
                    tip = item.toolTip()
                    item.setToolTip(f"{tip}\n{finding.message}" if tip else finding.message)
            else:
                self._field_label(finding, page).setText(
                    self._append_line(self._field_label(finding, page).text(), finding)
                )
        for label in (
            *self.show_field_messages.values(),
            self.products_message,
            self.rundown_message,
        ):
            label.setVisible(bool(label.text()))
        if not self.findings:
            self.problem_summary.setText(self.tr("No problems found."))
        else:
            self.problem_summary.setText(
                self.tr("%1 errors, %2 warnings (click one to go to its field)")
                .replace("%1", str(errors))
                .replace("%2", str(warnings))
            )
        self._show_side_messages()

    def _append_line(self, existing: str, finding: Finding) -> str:
        line = ("⛔ " if finding.is_error else "⚠ ") + finding.message
        return f"{existing}\n{line}" if existing else line

    def _field_label(self, finding: Finding, page: int) -> QLabel:
        if page == PRODUCTS_PAGE:
            label = self.products_message
        elif page == RUNDOWN_PAGE:
            label = self.rundown_message
        else:
            parts = split_path(finding.path)
            key = ".".join(str(p) for p in parts[:2] if isinstance(p, str)) if parts else "$"
            label = self.show_field_messages.get(key) or self.show_field_messages.get(
                str(parts[0]) if parts else "$", self.show_field_messages["$"]
            )
        colour = "#c62828" if finding.is_error else "#b35c00"
        if finding.is_error or "c62828" not in label.styleSheet():
            label.setStyleSheet(f"color: {colour};")
        return label

    def _show_side_messages(self) -> None:
        """Messages about the selected product's points and segment's script, under them."""
        product_row = self.products_table.currentRow()
        points = self.findings_at(f"$.products[{product_row}].points") if product_row >= 0 else []
        self.points_message.setText("\n".join(self._append_line("", f) for f in points))
        self.points_message.setStyleSheet("color: #b35c00;")
        self.points_message.setVisible(bool(points))
        segment_row = self.rundown_table.currentRow()
        script = self.findings_at(f"$.rundown[{segment_row}].script") if segment_row >= 0 else []
        self.script_message.setText("\n".join(self._append_line("", f) for f in script))
        self.script_message.setStyleSheet("color: #b35c00;")
        self.script_message.setVisible(bool(script))
        total_s = 0
        for row in range(self.rundown_table.rowCount()):
            value = number_or_text(self._item(self.rundown_table, row, R_SECONDS).text())
            if isinstance(value, int | float):
                total_s += int(value)
        self.total_label.setText(
            self.tr("Planned: %1").replace("%1", f"{total_s // 60}:{total_s % 60:02d}")
        )

    def _go_to_finding(self, item: QListWidgetItem) -> None:
        path = item.data(Qt.ItemDataRole.UserRole)
        finding = next((f for f in self.findings if f.path == path), None)
        if finding is None:
            return
        page, table, row, column, _where = self._location(finding)
        self.tabs.setCurrentIndex(page)
        if table is not None and 0 <= row < table.rowCount():
            table.setCurrentCell(row, column)
            table.scrollToItem(self._item(table, row, column))
            table.setFocus()
        elif page == SHOW_PAGE:
            widget = {
                "title": self.title_edit,
                "currency": self.currency_combo,
                "language": self.language_combo,
                "theme": self.accent_edit,
                "banned_words": self.banned_edit,
                "ticker": self.ticker_edit,
            }.get(str(split_path(path)[0]) if split_path(path) else "", self.title_edit)
            widget.setFocus()

    # ------------------------------------------------------------------ files

    def new_show(self) -> None:
        if self._confirm_discard():
            self.load_data(new_show_data(), None)

    def open_show(self, path: Path) -> bool:
        """Open a show file; a file that breaks rules opens with its problems listed."""
        try:
            data = read_draft(path)
        except ValueError as error:
            QMessageBox.warning(self, self.tr("Open show"), str(error))
            return False
        self.load_data(data, path)
        self._remember(path)
        self.show_opened.emit(path)
        return True

    def _choose_and_open(self) -> None:
        if not self._confirm_discard():
            return
        start = str(self.base_dir or Path.home())
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Open show"), start, self.tr("Show files (*.json);;All files (*)")
        )
        if path:
            self.open_show(Path(path))

    def save(self) -> bool:
        if self.path is None:
            return self.save_as()
        return self.save_to(self.path)

    def save_as(self) -> bool:
        start = str(self.path or (self.base_dir or Path.home()) / "show.json")
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save show as"), start, self.tr("Show files (*.json)")
        )
        if not path:
            return False
        target = Path(path)
        if target.suffix.lower() != ".json":
            target = target.with_suffix(".json")
        return self.save_to(target)

    def save_to(self, path: Path, *, confirm_errors: bool = True) -> bool:
        """Write the show. A show with errors is saved as typed (after asking), so no work is
        lost; the program refuses to go live with it until the errors are fixed."""
        self.check_now()
        try:
            if self.report is not None and self.report.show is not None:
                dump_show(self.report.show, path)
            else:
                errors = [f for f in self.findings if f.is_error]
                if confirm_errors and errors:
                    answer = QMessageBox.question(
                        self,
                        self.tr("Save show"),
                        self.tr(
                            "The show still has %1 errors. Save it anyway, to finish later?"
                        ).replace("%1", str(len(errors))),
                    )
                    if answer != QMessageBox.StandardButton.Yes:
                        return False
                write_draft(self.data(), path, self.base_dir)
        except OSError as error:
            QMessageBox.warning(
                self,
                self.tr("Save show"),
                self.tr("The show could not be saved: %1").replace(
                    "%1", error.strerror or str(error)
                ),
            )
            return False
        old_dir = self.base_dir
        self.path = path
        self.base_dir = path.resolve().parent
        if old_dir != self.base_dir:
            # Image paths were rewritten relative to the new folder: show what the file says.
            try:
                self.load_data(read_draft(path), path)
            except ValueError as error:
                log.warning("re-reading %s: %s", path, error)
        self._modified = False
        self._update_title()
        self._remember(path)
        self.show_saved.emit(path)
        return True

    def _choose_and_import_csv(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("Import products from CSV"),
            str(self.base_dir or Path.home()),
            self.tr("CSV files (*.csv);;All files (*)"),
        )
        if path:
            self.import_csv(Path(path))

    def import_csv(self, path: Path) -> int:
        """Add or replace (same sku) products from a spreadsheet export; returns how many."""
        result = read_products_csv(path, show_dir=self.base_dir)
        if result.errors and not result.products:
            QMessageBox.warning(
                self,
                self.tr("Import products from CSV"),
                "\n".join(str(p) for p in result.problems[:20]),
            )
            return 0
        rows_by_sku = {sku: row for row, (sku, _title) in enumerate(self.product_choices())}
        for product in result.products:
            data = {
                "sku": product.sku,
                "title": product.title,
                "price": number_or_text(format(product.price, "f")),
                "stock": product.stock,
                "image": product.image,
                "points": list(product.points),
            }
            row = rows_by_sku.get(product.sku)
            if row is None:
                self._append_product(data)
            else:
                self.products_table.removeRow(row)
                self.products_table.insertRow(row)
                new_row = self._append_product(data)
                with QSignalBlocker(self.products_table):
                    for column in range(self.products_table.columnCount()):
                        item = self.products_table.takeItem(new_row, column)
                        self.products_table.setItem(row, column, item)
                    self.products_table.removeRow(new_row)
        self.tabs.setCurrentIndex(PRODUCTS_PAGE)
        self._edited()
        self.check_now()
        if result.problems:
            QMessageBox.information(
                self,
                self.tr("Import products from CSV"),
                self.tr("%1 products imported. Some rows had problems:").replace(
                    "%1", str(len(result.products))
                )
                + "\n"
                + "\n".join(str(p) for p in result.problems[:20]),
            )
        return len(result.products)

    def _remember(self, path: Path) -> None:
        if self.settings is None:
            return
        self.settings.add_recent_show(path)
        try:
            save_settings(self.settings, self._settings_file)
        except OSError as error:
            log.warning("could not save the recent shows: %s", error)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent_shows if self.settings else []
        if not recent:
            action = self.recent_menu.addAction(self.tr("No recent shows"))
            action.setEnabled(False)
            return
        for text in recent:
            action = self.recent_menu.addAction(text)
            action.triggered.connect(lambda _checked=False, p=text: self._open_recent(Path(p)))

    def _open_recent(self, path: Path) -> None:
        if self._confirm_discard():
            self.open_show(path)

    def is_modified(self) -> bool:
        return self._modified

    def discard_changes(self) -> None:
        """Forget that the draft changed (closing then asks nothing)."""
        self._modified = False
        self._update_title()

    def _confirm_discard(self) -> bool:
        if not self._modified:
            return True
        answer = QMessageBox.question(
            self,
            self.tr("Unsaved changes"),
            self.tr("The show has changes that are not saved. Save them?"),
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._confirm_discard():
            event.accept()
        else:
            event.ignore()

    # ------------------------------------------------------------------ translation

    def _update_title(self) -> None:
        name = self.path.name if self.path else self.tr("New show")
        self.setWindowTitle(
            self.tr("%1 — Show editor").replace("%1", name) + (" *" if self._modified else "")
        )

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
        self.close_action.setText(self.tr("&Close"))
        self.tabs.setTabText(SHOW_PAGE, self.tr("Show"))
        self.tabs.setTabText(PRODUCTS_PAGE, self.tr("Products"))
        self.tabs.setTabText(RUNDOWN_PAGE, self.tr("Run sheet"))
        for label, text in zip(
            self.show_labels,
            (
                self.tr("&Title:"),
                self.tr("&Currency:"),
                self.tr("&Language:"),
                self.tr("&Accent colour:"),
                self.tr("Loo&k:"),
                self.tr("L&ogo:"),
                self.tr("&Banned words (one per line):"),
                self.tr("Tic&ker announcements (one per line):"),
            ),
            strict=True,
        ):
            label.setText(text)
        self.accent_button.setText(self.tr("Choose…"))
        self.logo_button.setText(self.tr("Choose…"))
        self.look_combo.setItemText(0, self.tr("Dark"))
        self.look_combo.setItemText(1, self.tr("Light"))
        self.products_table.setHorizontalHeaderLabels(
            [
                self.tr("SKU"),
                self.tr("Title"),
                self.tr("Price"),
                self.tr("Stock"),
                self.tr("Image"),
                self.tr("Talking points"),
            ]
        )
        self.products_table.setAccessibleName(self.tr("Products"))
        self.add_product_button.setText(self.tr("Add product"))
        self.remove_product_button.setText(self.tr("Remove product"))
        self.import_csv_button.setText(self.tr("Import CSV…"))
        self.image_button.setText(self.tr("Choose image…"))
        self.points_label.setText(self.tr("Talking &points (one per line):"))
        self.rundown_table.setHorizontalHeaderLabels(
            [
                self.tr("Segment"),
                self.tr("Product"),
                self.tr("Seconds"),
                self.tr("Deal price"),
                self.tr("Deal seconds"),
                self.tr("Deal stock"),
                self.tr("Script"),
            ]
        )
        self.rundown_table.setAccessibleName(self.tr("Run sheet"))
        self.add_segment_button.setText(self.tr("Add segment"))
        self.remove_segment_button.setText(self.tr("Remove segment"))
        self.up_button.setText(self.tr("Move up"))
        self.down_button.setText(self.tr("Move down"))
        self.script_label.setText(self.tr("Teleprompter &script:"))
        self.notes_label.setText(self.tr("Crew &notes (not on air):"))
        self.problem_list.setAccessibleName(self.tr("Problems"))
        if self.findings is not None and hasattr(self, "report") and self.report is not None:
            self._paint_findings()


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _preview(script: str) -> str:
    first = script.strip().splitlines()[0] if script.strip() else ""
    return first if len(first) <= 60 else first[:59] + "…"
