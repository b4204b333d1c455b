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
from anchordesk.ui.editor.editor import PRODUCTS_PAGE, RUNDOWN_PAGE, SHOW_PAGE
from anchordesk.ui.editor.model import ERROR_BRUSH, WARNING_BRUSH
from anchordesk.ui.editor.products_page import P_IMAGE, P_PRICE, P_SKU, P_TITLE
from anchordesk.ui.editor.rundown_page import R_DEAL_PRICE, R_SCRIPT, R_SKU, R_TITLE


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


def _type(editor: ShowEditor, table: str, row: int, column: int, text: str) -> None:
    """Type into a cell as the cell's editor does (through the model)."""
    page = editor.products if table == "products" else editor.rundown
    assert page.model.setData(page.model.index(row, column), text)


def _cell(editor: ShowEditor, table: str, row: int, column: int, role: Qt.ItemDataRole) -> object:
    page = editor.products if table == "products" else editor.rundown
    return page.model.index(row, column).data(role)


def _background(editor: ShowEditor, table: str, row: int, column: int) -> QBrush | None:
    brush = _cell(editor, table, row, column, Qt.ItemDataRole.BackgroundRole)
    assert brush is None or isinstance(brush, QBrush)
    return brush


def test_opening_the_sample_show_fills_the_tables_without_errors(
    qtbot: QtBot, make_editor: Callable[[], ShowEditor], sample_show: Path
) -> None:
    editor = make_editor()
    assert editor.open_show(sample_show)
    show = load_show(sample_show)
    assert editor.products.model.rowCount() == len(show.products)
    assert editor.rundown.model.rowCount() == len(show.rundown)
    assert not [f for f in editor.findings if f.is_error]
    # The title says which file: its name and its folder.
    assert editor.windowTitle().startswith("show.json")
    assert str(sample_show.parent) in editor.windowTitle()
    assert not editor.read_only_banner.isVisibleTo(editor)


def test_a_bad_price_and_an_unknown_sku_are_marked_on_their_cells_and_said_under_the_table(
    qtbot: QtBot, make_editor: Callable[[], ShowEditor], sample_show: Path
) -> None:
    editor = make_editor()
    editor.open_show(sample_show)
    _type(editor, "products", 0, P_PRICE, "12,5")
    _type(editor, "rundown", 1, R_SKU, "NO-SUCH-SKU")
    editor.check_now()

    assert _background(editor, "products", 0, P_PRICE) == ERROR_BRUSH
    assert "12,5" in str(_cell(editor, "products", 0, P_PRICE, Qt.ItemDataRole.ToolTipRole))
    assert _background(editor, "rundown", 1, R_SKU) == ERROR_BRUSH
    assert "NO-SUCH-SKU" in str(_cell(editor, "rundown", 1, R_SKU, Qt.ItemDataRole.ToolTipRole))
    assert _background(editor, "products", 1, P_PRICE) is None  # untouched cells stay clean

    # The selected row's problem is written right under the table, with the column's name.
    editor.tabs.setCurrentIndex(PRODUCTS_PAGE)
    editor.products.go_to(0, P_TITLE)
    message = editor.products.row_message
    assert message.isVisibleTo(editor) and "Price" in message.text() and "12,5" in message.text()
    editor.products.go_to(1, P_TITLE)
    assert not message.isVisibleTo(editor)

    # F8 goes to the fields at fault, one after the other.
    editor.tabs.setCurrentIndex(SHOW_PAGE)
    visited = set()
    for _ in range(len(editor.findings)):
        editor.go_to_next_problem()
        page = editor.products if editor.tabs.currentIndex() == PRODUCTS_PAGE else editor.rundown
        index = page.table.currentIndex()
        visited.add((editor.tabs.currentIndex(), index.row(), index.column()))
    assert {(PRODUCTS_PAGE, 0, P_PRICE), (RUNDOWN_PAGE, 1, R_SKU)} <= visited
    assert "2 errors" in editor.problem_summary.text()


def test_a_deal_price_above_list_price_is_marked_on_the_deal_cell(
    qtbot: QtBot, make_editor: Callable[[], ShowEditor], sample_show: Path
) -> None:
    editor = make_editor()
    editor.open_show(sample_show)
    data = editor.data()
    row = next(i for i, s in enumerate(data["rundown"]) if s.get("deal") and s.get("sku"))
    _type(editor, "rundown", row, R_DEAL_PRICE, "99999")
    editor.check_now()
    assert _background(editor, "rundown", row, R_DEAL_PRICE) == ERROR_BRUSH


def test_a_show_field_error_is_written_under_that_field(
    qtbot: QtBot, make_editor: Callable[[], ShowEditor], sample_show: Path
) -> None:
    editor = make_editor()
    editor.open_show(sample_show)
    editor.show_page.accent_edit.setText("not-a-colour")
    editor.show_page.accent_edit.textEdited.emit("not-a-colour")
    editor.check_now()
    label = editor.show_page.messages["theme.accent"]
    assert label.isVisibleTo(editor) and "not-a-colour" in label.text()
    assert not editor.show_page.messages["title"].isVisibleTo(editor)


def test_a_show_without_a_theme_opens_without_errors(
    qtbot: QtBot, make_editor: Callable[[], ShowEditor], sample_show: Path
) -> None:
    data = json.loads(sample_show.read_text(encoding="utf-8"))
    del data["theme"]
    sample_show.write_text(json.dumps(data), encoding="utf-8")
    assert read_show_file(sample_show).show is not None
    editor = make_editor()
    editor.open_show(sample_show)
    assert [f.message for f in editor.findings if f.is_error] == []
    assert "theme" not in editor.data()


def test_compliance_hits_in_a_script_are_shown_under_the_script(
    qtbot: QtBot, make_editor: Callable[[], ShowEditor], sample_show: Path
) -> None:
    editor = make_editor()
    editor.open_show(sample_show)
    editor.tabs.setCurrentIndex(RUNDOWN_PAGE)
    editor.rundown.go_to(0, R_TITLE)
    editor.rundown.script_edit.setPlainText("This kettle is the best, guaranteed!")
    editor.check_now()
    assert editor.rundown.script_message.isVisibleTo(editor)
    assert "best" in editor.rundown.script_message.text().lower()
    assert any(not f.is_error and f.path == "$.rundown[0].script" for f in editor.findings)
    assert _background(editor, "rundown", 0, R_SCRIPT) == WARNING_BRUSH


def test_reorder_add_and_save_then_reopen(
    qtbot: QtBot, make_editor: Callable[[], ShowEditor], sample_show: Path
) -> None:
    editor = make_editor()
    editor.open_show(sample_show)
    before = [s["title"] for s in editor.data()["rundown"]]
    editor.tabs.setCurrentIndex(RUNDOWN_PAGE)
    editor.rundown.go_to(0, R_TITLE)
    qtbot.mouseClick(editor.rundown.down_button, Qt.MouseButton.LeftButton)
    after = [s["title"] for s in editor.data()["rundown"]]
    assert after[:2] == [before[1], before[0]] and after[2:] == before[2:]
    assert editor.rundown.current_row() == 1  # the moved segment stays selected
    assert editor.is_modified() and editor.isWindowModified()

    row = editor.add_product({"sku": "NEW-1", "title": "热水壶 新款", "price": 88.8, "stock": 5})
    editor.set_product_image(row, sample_show.parent / "images" / "mug.png")
    assert _cell(editor, "products", row, P_IMAGE, Qt.ItemDataRole.DisplayRole) == (
        "images/mug.png"
    )

    with qtbot.waitSignal(editor.show_saved):
        assert editor.save()
    saved = load_show(sample_show)
    assert [s.title for s in saved.rundown] == after
    new = saved.product("NEW-1")
    assert new is not None and str(new.price) == "88.8" and new.title == "热水壶 新款"
    assert not editor.is_modified()
    assert load_settings().recent_shows[0] == str(sample_show.resolve())


def test_saving_keeps_the_files_mode(
    qtbot: QtBot, make_editor: Callable[[], ShowEditor], sample_show: Path, tmp_path: Path
) -> None:
    sample_show.chmod(0o644)
    editor = make_editor()
    editor.open_show(sample_show)
    editor.show_page.title_edit.setText("Renamed")
    editor.show_page.title_edit.textEdited.emit("Renamed")
    assert editor.save()
    assert sample_show.stat().st_mode & 0o777 == 0o644
    sample_show.chmod(0o664)  # a file shared with a group stays shared
    assert editor.save_to(sample_show)
    assert sample_show.stat().st_mode & 0o777 == 0o664
    assert load_show(sample_show).title == "Renamed"


def test_the_built_in_sample_is_read_only_and_save_offers_save_as(
    qtbot: QtBot,
    make_editor: Callable[[], ShowEditor],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sample = paths.resources_dir() / "shows" / "en" / "show.json"
    original = sample.read_bytes()
    editor = make_editor()
    editor.open_show(sample)
    assert "read-only" in editor.windowTitle() and "sample" in editor.windowTitle()
    assert editor.read_only_banner.isVisibleTo(editor)
    assert "Save as" in editor.read_only_label.text()

    copy = tmp_path / "mine" / "show.json"
    asked: list[str] = []

    def choose(_parent: object, _title: str, start: str, _filter: str) -> str:
        asked.append(start)
        return str(copy)

    monkeypatch.setattr("anchordesk.ui.file_dialogs.get_save_file_name", choose)
    editor.show_page.title_edit.setText("My night")
    editor.show_page.title_edit.textEdited.emit("My night")
    assert editor.save()  # Ctrl+S on the sample asks where to keep the copy
    assert asked and not Path(asked[0]).is_relative_to(paths.resources_dir())
    assert sample.read_bytes() == original
    saved = load_show(copy)
    assert saved.title == "My night"
    # The copy takes the sample's pictures along, beside it, under the same names.
    assert [p.image for p in saved.products] == [p.image for p in load_show(sample).products]
    assert all(p.image and (copy.parent / p.image).is_file() for p in saved.products)
    assert saved.theme.logo == "logo.png" and (copy.parent / "logo.png").is_file()
    assert read_show_file(copy).problems == []
    assert editor.path == copy and not editor.read_only
    assert "read-only" not in editor.windowTitle()
    assert not editor.read_only_banner.isVisibleTo(editor)


def test_a_show_with_errors_is_saved_as_typed_so_nothing_is_lost(
    qtbot: QtBot, make_editor: Callable[[], ShowEditor], sample_show: Path, tmp_path: Path
) -> None:
    editor = make_editor()
    editor.open_show(sample_show)
    _type(editor, "products", 0, P_SKU, "")
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
    assert _cell(editor, "products", 1, P_TITLE, Qt.ItemDataRole.DisplayRole) == "<b>Serum</b>"


def test_a_csv_with_bad_rows_is_refused_with_the_problems_the_cli_prints(
    qtbot: QtBot, make_editor: Callable[[], ShowEditor], sample_show: Path, tmp_path: Path
) -> None:
    from io import StringIO

    from anchordesk.cli.show import run_import_csv

    csv_path = tmp_path / "products.csv"
    csv_path.write_text(
        "sku,title,price,stock\n"
        "A-1,Good mug,12.50,10\n"
        "B-2,Bad price,12;5,10\n"
        "C-3,Bad stock,9.90,-4\n",
        encoding="utf-8",
    )
    printed = StringIO()
    assert run_import_csv(csv_path, sample_show, tmp_path / "out.json", printed) == 2
    cli_lines = [
        line.removeprefix(f"{csv_path}: ")
        for line in printed.getvalue().splitlines()
        if line.startswith(f"{csv_path}: ") and ("error:" in line or "warning:" in line)
    ]
    assert len(cli_lines) >= 2

    editor = make_editor()
    editor.open_show(sample_show)
    before = editor.data()["products"]
    assert editor.import_csv(csv_path) == 0
    assert editor.data()["products"] == before  # nothing imported, not even the good row
    assert not editor.is_modified()
    dialog = editor.last_dialog
    assert dialog.isVisible()
    assert dialog.lines() == cli_lines
    assert "3, 4" in dialog.heading.text()  # the rows to fix, as the CLI names them


def test_an_invalid_json_file_is_refused_with_its_line(
    make_editor: Callable[[], ShowEditor], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"title": "x",\n "products": [}', encoding="utf-8")
    shown: list[str] = []
    monkeypatch.setattr(
        "anchordesk.ui.editor.files.QMessageBox.exec", lambda box: shown.append(box.text()) or 0
    )
    editor = make_editor()
    assert not editor.open_show(broken)
    assert shown and "line 2" in shown[0]


def test_open_editor_opens_a_window_on_the_show(qtbot: QtBot, sample_show: Path) -> None:
    from anchordesk.ui.editor import open_editor

    editor = open_editor(sample_show)
    try:
        qtbot.waitUntil(lambda: editor.path == sample_show)  # read in a worker
        assert editor.isVisible()
        assert editor.products.model.rowCount() > 0
        # On the screen it has (offscreen: 800x600), its status bar included.
        screen = editor.screen().availableGeometry()
        assert screen.contains(editor.geometry())
        assert editor.statusBar().isVisible()
    finally:
        editor.discard_changes()
        editor.close()


def test_in_japanese_the_refusal_the_title_and_the_row_messages_are_japanese(
    qtbot: QtBot, japanese: None, tmp_path: Path
) -> None:
    editor = ShowEditor(Settings())
    try:
        editor.open_show(paths.resources_dir() / "shows" / "ja" / "show.json")
        assert "読み取り専用" in editor.windowTitle()
        assert editor.products.model.rowCount() == 4
        _type(editor, "products", 0, P_PRICE, "12,5")
        editor.check_now()
        editor.products.go_to(0, P_TITLE)
        assert "商品 1 (MATCHA-40), 価格" in editor.products.row_message.text()
        csv_path = tmp_path / "bad.csv"
        csv_path.write_text("sku,title,price,stock\nA,x,12;5,1\n", encoding="utf-8")
        assert editor.import_csv(csv_path) == 0
        assert "何も取り込んでいません" in editor.last_dialog.heading.text()
        editor.last_dialog.close()
    finally:
        editor.discard_changes()
        editor.close()
        editor.deleteLater()
