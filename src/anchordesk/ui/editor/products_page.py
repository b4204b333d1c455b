"""The editor's products page: the table, the selected product's picture and talking points."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QSignalBlocker, QSize, Qt
from PySide6.QtGui import QImage, QImageReader, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from anchordesk.ui import file_dialogs, workers
from anchordesk.ui.editor.draft import cell_text, relative_to_show
from anchordesk.ui.editor.model import Column, Kind
from anchordesk.ui.editor.table_page import TablePage, message_label, show_messages

P_SKU, P_TITLE, P_PRICE, P_STOCK, P_IMAGE, P_POINTS = range(6)
PRODUCT_COLUMNS = [
    Column(("sku",), Kind.KEY),
    Column(("title",)),
    Column(("price",), Kind.NUMBER),
    Column(("stock",), Kind.NUMBER),
    Column(("image",), Kind.KEY, empty_is_null=True),
    Column(("points",), Kind.LIST),
]
FIELD_COLUMNS = {
    "sku": P_SKU,
    "title": P_TITLE,
    "price": P_PRICE,
    "currency": P_PRICE,
    "stock": P_STOCK,
    "image": P_IMAGE,
    "points": P_POINTS,
}


class ProductsPage(TablePage):
    """Products in a table; the selected one's image and points beside it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(PRODUCT_COLUMNS, "products-table", parent)
        self.base_dir: Path | None = None
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(P_TITLE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(P_IMAGE, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(P_POINTS, QHeaderView.ResizeMode.Stretch)
        self.add_button = QPushButton(self)
        self.add_button.setObjectName("add-product")
        self.add_button.clicked.connect(lambda: self.add())
        self.remove_button = QPushButton(self)
        self.remove_button.clicked.connect(lambda: self.model.remove(self.current_row()))
        self.import_csv_button = QPushButton(self)
        self.image_button = QPushButton(self)
        self.image_button.setObjectName("choose-image")
        self.image_button.clicked.connect(self._pick_image)
        self.image_preview = QLabel(self)
        self._preview_key: tuple[object, ...] | None = None  # the picture the preview shows
        self._preview_asked: tuple[object, ...] | None = None  # the picture to show
        self._preview_busy = self._preview_again = False
        self.image_preview.setFixedSize(160, 160)
        self.image_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image_preview.setWordWrap(True)
        self.image_preview.setStyleSheet("border: 1px solid #999;")
        self.points_label = QLabel(self)
        self.points_edit = QPlainTextEdit(self)
        self.points_edit.setObjectName("product-points")
        self.points_edit.setTabChangesFocus(True)
        self.points_edit.textChanged.connect(self._points_edited)
        self.points_label.setBuddy(self.points_edit)
        self.points_message = message_label(self, "points-message")

        buttons = QHBoxLayout()
        for button in (self.add_button, self.remove_button, self.import_csv_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        side = QVBoxLayout()
        side.addWidget(self.image_preview, 0, Qt.AlignmentFlag.AlignHCenter)
        side.addWidget(self.image_button)
        side.addWidget(self.points_label)
        side.addWidget(self.points_edit, 1)
        side.addWidget(self.points_message)
        main = QVBoxLayout()
        main.addWidget(self.list_message)
        main.addWidget(self.table, 1)
        main.addWidget(self.row_message)
        main.addLayout(buttons)
        layout = QHBoxLayout(self)
        layout.addLayout(main, 3)
        layout.addLayout(side, 1)
        self.row_changed.connect(self._row_changed)
        self.model.dataChanged.connect(lambda *_: self._update_image_preview())
        self._row_changed(-1)
        self.retranslate()

    def add(self, product: dict[str, Any] | None = None) -> int:
        row = self.model.insert(
            self.model.rowCount(), product or {"sku": "", "title": "", "stock": 0}
        )
        self.go_to(row, P_SKU)
        return row

    def choices(self) -> list[tuple[str, str]]:
        """(sku, title) of the products that have a sku, for the run sheet's product column."""
        choices = []
        for row in range(self.model.rowCount()):
            sku = cell_text(self.model.value(row, P_SKU)).strip()
            if sku:
                choices.append((sku, cell_text(self.model.value(row, P_TITLE))))
        return choices

    def set_image(self, row: int, path: Path) -> None:
        self.model.set_value(row, P_IMAGE, relative_to_show(path, self.base_dir))

    def refresh_row_message(self) -> None:
        super().refresh_row_message()
        row = self.current_row()
        points = self.model.findings_of(row, P_POINTS) if row >= 0 else []
        show_messages(self.points_message, [(f.message, f.is_error) for f in points])

    def row_label(self, row: int) -> str:
        sku = cell_text(self.model.value(row, P_SKU)).strip()
        label = self.tr("Product %1").replace("%1", str(row + 1))
        return f"{label} ({sku})" if sku else label

    def _row_changed(self, row: int) -> None:
        has_row = row >= 0
        for widget in (self.points_edit, self.image_button, self.remove_button):
            widget.setEnabled(has_row)
        with QSignalBlocker(self.points_edit):
            points = self.model.value(row, P_POINTS) if has_row else []
            items = points if isinstance(points, list) else []
            self.points_edit.setPlainText("\n".join(cell_text(point) for point in items))
        self._update_image_preview()

    def _points_edited(self) -> None:
        row = self.current_row()
        if row >= 0:
            self.model.set_value(row, P_POINTS, lines_of(self.points_edit.toPlainText()))

    def _update_image_preview(self) -> None:
        """The selected product's picture, looked up and decoded by a worker (one at a time):
        looked up here, a show whose network share went away froze the whole window at the
        first product selected or edited, and at the reload of a Save as onto a good disk."""
        row = self.current_row()
        relative = cell_text(self.model.value(row, P_IMAGE)).strip() if row >= 0 else ""
        asked: tuple[object, ...] = (relative, self.base_dir)
        self._preview_asked = asked
        if not relative:
            self._show_preview(asked, (asked, None))
            return
        if self._preview_busy:
            self._preview_again = True  # looked up again when the one under way ends
            return
        path = Path(relative)
        if not path.is_absolute() and self.base_dir is not None:
            path = self.base_dir / path
        known, size = self._preview_key, self.image_preview.size()

        def look() -> tuple[tuple[object, ...], QImage | None]:
            key = asked
            try:
                info = path.stat()
                key += (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
            except (OSError, ValueError):
                key += (None,)
            # Every check of the show (as you type) repaints the table and lands here: the
            # picture was decoded again each time, 0.9 s for a 40-megapixel one.
            if key == known or key[-1] is None:
                return key, None
            return key, _preview_of(path, size)

        def ended(result: tuple[tuple[object, ...], QImage | None] | BaseException) -> None:
            self._preview_busy = False
            if self._preview_again:
                self._preview_again = False
                self._update_image_preview()
            elif not isinstance(result, BaseException):
                self._show_preview(asked, result)

        self._preview_busy = True
        workers.run_task(
            look, ended, ended, owner=self, pool=workers.file_reads(), waits_on=str(path)
        )

    def _show_preview(
        self, asked: tuple[object, ...], found: tuple[tuple[object, ...], QImage | None]
    ) -> None:
        key, image = found
        if asked != self._preview_asked or key == self._preview_key:
            return  # another product chosen since, or the picture shown already
        self._preview_key = key
        if image is None or image.isNull():
            self.image_preview.setPixmap(QPixmap())
            self.image_preview.setText(
                self.tr("No image") if not asked[0] else self.tr("Image not found")
            )
        else:
            self.image_preview.setPixmap(QPixmap.fromImage(image))

    def _pick_image(self) -> None:
        row = self.current_row()
        if row < 0:
            return
        path = file_dialogs.get_open_file_name(
            self,
            self.tr("Product image"),
            str(self.base_dir or Path.home()),
            self.tr("Images (*.png *.jpg *.jpeg *.webp *.bmp)"),
        )
        if path:
            self.set_image(row, Path(path))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.model.set_headers(
            [
                self.tr("SKU"),
                self.tr("Title"),
                self.tr("Price"),
                self.tr("Stock"),
                self.tr("Image"),
                self.tr("Talking points"),
            ]
        )
        self.table.setAccessibleName(self.tr("Products"))
        self.add_button.setText(self.tr("&Add product"))
        self.remove_button.setText(self.tr("&Remove product"))
        self.import_csv_button.setText(self.tr("&Import CSV…"))
        self.image_button.setText(self.tr("Choose i&mage…"))
        self.points_label.setText(self.tr("Talking &points (one per line):"))
        self._preview_key = None  # "No image" in the new language
        self._update_image_preview()
        self.refresh_row_message()


def lines_of(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _preview_of(path: Path, size: QSize) -> QImage:
    """The picture at ``path`` fitted into ``size``, decoded at that size where the format
    allows (JPEG): a full-size decode of a 40-megapixel picture took most of a second."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    full = reader.size()
    if full.isValid() and (full.width() > size.width() or full.height() > size.height()):
        reader.setScaledSize(full.scaled(size, Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    if image.width() > size.width() or image.height() > size.height():
        return image.scaled(
            size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
    return image
