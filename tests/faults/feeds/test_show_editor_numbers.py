"""The show editor opens hostile show files (it crashed on `stock: 1e999999999` with an
OverflowError) and names the bad number next to its field, as `show check` does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from anchordesk.live.settings import Settings
from anchordesk.ui.editor import ShowEditor
from anchordesk.ui.editor.products_page import P_STOCK

from ..show_inputs import valid_show, with_raw_number, write_show


@pytest.fixture
def editor(qtbot: QtBot) -> Iterator[ShowEditor]:
    editor = ShowEditor(Settings())
    yield editor
    editor.discard_changes()
    editor.close()
    editor.deleteLater()


@pytest.mark.parametrize("literal", ["1e999999999", "9" * 4301, "1e5000", "NaN"])
def test_a_hostile_stock_opens_and_is_named_on_its_cell(
    editor: ShowEditor, tmp_path: Path, literal: str
) -> None:
    data = valid_show()
    data.pop("theme", None)  # a show without a theme opens without an error on its accent
    data["products"][0]["stock"] = "STOCK"
    path = write_show(tmp_path, with_raw_number(data, "STOCK", literal))
    assert editor.open_show(path)
    model = editor.products.model
    cell = model.index(0, P_STOCK)
    assert cell.data() == literal  # what the file says, untouched
    errors = [f for f in editor.findings if f.is_error]
    assert [f.path for f in errors] == ["$.products[0].stock"]
    # Typing an absurd number into a cell is named the same way, and nothing overflows.
    model.setData(cell, "1e999999999")
    editor.check_now()
    assert [f.path for f in editor.findings if f.is_error] == ["$.products[0].stock"]
