"""The show editor: problems next to the field at fault, reorder, CSV import, save and reopen."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush
from pytestqt.qtbot import QtBot

from anchordesk.core import paths
from anchordesk.live.settings import Settings, load_settings
from anchordesk.showfile.files import load_show, read_show_file
from anchordesk.ui.editor import ShowEditor
from anchordesk.ui.editor.editor import (
    ERROR_BRUSH,
    P_PRICE,
    P_SKU,
    PRODUCTS_PAGE,
    R_DEAL_PRICE,
    R_SKU,
    R_TITLE,
    RUNDOWN_PAGE,
    WARNING_BRUSH,
)


@pytest.fixture
def sample_show(tmp_path: Path) -> Path:
    folder = tmp_path / "show"
    shutil.copytree(paths.resources_dir() / "shows" / "en", folder)
    return folder / "show.json"


@pytest.fixture
def make_editor(qtbot: QtBot) -> Iterator[Callable[[], ShowEditor]]:
    editors: list[ShowEditor] = []

    def make() -> ShowEditor:
        editor = ShowEditor(Settings())
        editors.append(editor)
        return editor

    yield make
    for editor in editors:
        # Closing asks about unsaved changes in a modal box: the tests leave changes behind,
        # so they are discarded before the editor closes (not via qtbot.addWidget, which
        # closes widgets before fixtures are torn down).
        editor.discard_changes()
        editor.close()
        editor.deleteLater()


def _background(editor: ShowEditor, table: str, row: int, column: int) -> QBrush:
    widget = editor.products_table if table == "products" else editor.rundown_table
    item = widget.item(row, column)
    assert item is not None
    return item.background()


def test_opening_the_sample_show_fills_the_tables_without_errors(
    qtbot: QtBot, make_editor: Callable[[], ShowEditor], sample_show: Path
) -> None:
    editor = make_editor()
    assert editor.open_show(sample_show)
    show = load_show(sample_show)
    assert editor.products_table.rowCount() == len(show.products)
    assert editor.rundown_table.rowCount() == len(show.rundown)
    assert not [f for f in editor.findings if f.is_error]
    assert editor.windowTitle().startswith("show.json")


def test_a_bad_price_and_an_unknown_sku_are_marked_on_their_cells(
    qtbot: QtBot, make_editor: Callable[[], ShowEditor], sample_show: Path
) -> None:
    editor = make_editor()
    editor.open_show(sample_show)
    editor.products_table.item(0, P_PRICE).setText("12,5")  # type: ignore[union-attr]
    editor.rundown_table.item(1, R_SKU).setText("NO-SUCH-SKU")  # type: ignore[union-attr]
    editor.check_now()

    assert _background(editor, "products", 0, P_PRICE) == ERROR_BRUSH
    assert "12,5" in editor.products_table.item(0, P_PRICE).toolTip()  # type: ignore[union-attr]
    assert _background(editor, "rundown", 1, R_SKU) == ERROR_BRUSH
    tip = editor.rundown_table.item(1, R_SKU).toolTip()  # type: ignore[union-attr]
    assert "NO-SUCH-SKU" in tip
    # Untouched cells stay clean.
    assert _background(editor, "products", 1, P_PRICE).style() == Qt.BrushStyle.NoBrush

    # Clicking the message in the list goes to the cell at fault.
    messages = [editor.problem_list.item(i) for i in range(editor.problem_list.count())]
    sku_message = next(m for m in messages if m is not None and "NO-SUCH-SKU" in m.text())
    editor.tabs.setCurrentIndex(0)
    editor._go_to_finding(sku_message)
    assert editor.tabs.currentIndex() == RUNDOWN_PAGE
    assert (editor.rundown_table.currentRow(), editor.rundown_table.currentColumn()) == (1, R_SKU)


def test_a_deal_price_above_list_price_is_marked_on_the_deal_cell(
    qtbot: QtBot, make_editor: Callable[[], ShowEditor], sample_show: Path
) -> None:
    editor = make_editor()
    editor.open_show(sample_show)
    data = editor.data()
    row = next(i for i, s in enumerate(data["rundown"]) if s.get("deal") and s.get("sku"))
    editor.rundown_table.item(row, R_DEAL_PRICE).setText("99999")  # type: ignore[union-attr]
    editor.check_now()
    assert _background(editor, "rundown", row, R_DEAL_PRICE) == ERROR_BRUSH


def test_compliance_hits_in_a_script_are_shown_under_the_script(
    qtbot: QtBot, make_editor: Callable[[], ShowEditor], sample_show: Path
) -> None:
    editor = make_editor()
    editor.open_show(sample_show)
    editor.tabs.setCurrentIndex(RUNDOWN_PAGE)
    editor.rundown_table.setCurrentCell(0, R_TITLE)
    editor.script_edit.setPlainText("This kettle is the best, guaranteed!")
    editor.check_now()
    assert editor.script_message.isVisibleTo(editor)
    assert "best" in editor.script_message.text().lower()
    assert any(not f.is_error and f.path == "$.rundown[0].script" for f in editor.findings)
    title_cell_row0 = _background(editor, "rundown", 0, 6)
    assert title_cell_row0 == WARNING_BRUSH


def test_reorder_add_and_save_then_reopen(
    qtbot: QtBot, make_editor: Callable[[], ShowEditor], sample_show: Path
) -> None:
    editor = make_editor()
    editor.open_show(sample_show)
    before = [s["title"] for s in editor.data()["rundown"]]
    editor.rundown_table.setCurrentCell(0, R_TITLE)
    qtbot.mouseClick(editor.down_button, Qt.MouseButton.LeftButton)
    after = [s["title"] for s in editor.data()["rundown"]]
    assert after[:2] == [before[1], before[0]] and after[2:] == before[2:]
    assert editor.is_modified() and editor.windowTitle().endswith("*")

    row = editor.add_product({"sku": "NEW-1", "title": "热水壶 新款", "price": 88.8, "stock": 5})
    editor.set_product_image(row, sample_show.parent / "images" / "mug.png")
    assert editor.products_table.item(row, 4).text() == "images/mug.png"  # type: ignore[union-attr]

    with qtbot.waitSignal(editor.show_saved):
        assert editor.save()
    saved = load_show(sample_show)
    assert [s.title for s in saved.rundown] == after
    new = saved.product("NEW-1")
    assert new is not None and str(new.price) == "88.8" and new.title == "热水壶 新款"
    assert not editor.is_modified()
    assert load_settings().recent_shows[0] == str(sample_show.resolve())


def test_a_show_with_errors_is_saved_as_typed_so_nothing_is_lost(
    qtbot: QtBot, make_editor: Callable[[], ShowEditor], sample_show: Path, tmp_path: Path
) -> None:
    editor = make_editor()
    editor.open_show(sample_show)
    editor.products_table.item(0, P_SKU).setText("")  # type: ignore[union-attr]
    target = tmp_path / "elsewhere" / "draft.json"
    assert editor.save_to(target, confirm_errors=False)
    assert read_show_file(target).errors  # still broken, as the user left it
    data = json.loads(target.read_text(encoding="utf-8"))
    # Image paths were rebased to the new folder and still point at the same files.
    image = data["products"][1]["image"]
    assert (target.parent / image).resolve() == (sample_show.parent / "images").resolve() / Path(
        image
    ).name


def test_import_csv_adds_products(make_editor: Callable[[], ShowEditor], tmp_path: Path) -> None:
    csv_path = tmp_path / "products.csv"
    csv_path.write_text(
        "\ufeffsku,title,price,stock,image,points\n"
        "A-1,面霜 50g,199,100,,保湿|温和\n"
        "B-2,<b>Serum</b>,129.5,20,,\n",
        encoding="utf-8",
    )
    editor = make_editor()
    assert editor.import_csv(csv_path) == 2
    assert editor.tabs.currentIndex() == PRODUCTS_PAGE
    products = editor.data()["products"]
    assert [p["sku"] for p in products] == ["A-1", "B-2"]
    assert products[0]["points"] == ["保湿", "温和"]
    # Markup in a title stays text: the table shows it literally.
    assert editor.products_table.item(1, 1).text() == "<b>Serum</b>"  # type: ignore[union-attr]


def test_an_invalid_json_file_is_refused_with_its_line(
    make_editor: Callable[[], ShowEditor], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"title": "x",\n "products": [}', encoding="utf-8")
    shown: list[str] = []
    monkeypatch.setattr(
        "anchordesk.ui.editor.editor.QMessageBox.warning",
        lambda _parent, _title, text: shown.append(text),
    )
    editor = make_editor()
    assert not editor.open_show(broken)
    assert shown and "line 2" in shown[0]


def test_open_editor_opens_a_window_on_the_show(qtbot: QtBot, sample_show: Path) -> None:
    from anchordesk.ui.editor import open_editor

    editor = open_editor(sample_show)
    try:
        assert editor.isVisible() and editor.path == sample_show
        assert editor.products_table.rowCount() > 0
    finally:
        editor.discard_changes()
        editor.close()
