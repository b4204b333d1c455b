"""Round thirty-five, the lead's (what round thirty-four left open as B): ISO's codes that name
no money ("XXX", "XTS", gold) taken as currencies; a UTF-16 show file with a bad byte said "not
UTF-8 text"; the show editor refusing a UTF-16 show that File → Open runs."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from feed_servers import JsonFeedServer
from pytestqt.qtbot import QtBot

from anchordesk.feeds.spec import FeedSpec
from anchordesk.live.settings import Settings
from anchordesk.showfile.csv_import import parse_products_csv
from anchordesk.showfile.files import parse_show
from anchordesk.store.report import build_report
from anchordesk.ui.editor import ShowEditor
from anchordesk.ui.editor import files as editor_files

from ..feed_parts import ingest_until
from ..show_inputs import anchordesk, assert_clean_output, valid_show


def test_iso_codes_that_name_no_money_are_rejected_by_the_one_currency_rule(
    tmp_path: Path,
) -> None:
    # CLDR lists ISO 4217's "no currency" (XXX), its testing code (XTS) and gold (XAU): a
    # feed's order in XXX was counted as GMV "in XXX", a show priced in XTS ran. The CFA
    # franc (XOF) is money and is still counted.
    server = JsonFeedServer()
    server.add_order("MUG", 1, "12.00", "USD")
    server.add_order("MUG", 1, "12.00", "XXX")
    server.add_order("MUG", 1, "3.00", "xau")
    server.add_order("MUG", 1, "5000", "XOF")
    session = tmp_path / "s.adsession"
    with server:
        ingest_until(FeedSpec("json", server.url), session, lambda hub: bool(hub.pollers[0].cursor))
    report = build_report(session)
    assert report.orders == 2
    assert report.ledger.gmv_by_currency == {"USD": Decimal("12.00"), "XOF": Decimal("5000")}
    assert sorted((r.item_id, r.reason, r.detail) for r in report.rejected) == [
        ("o2", "currency_invalid", "currency 'XXX'"),
        ("o3", "currency_invalid", "currency 'XAU'"),
    ]
    data = valid_show()
    data["currency"] = "XTS"
    refused = parse_show(json.dumps(data))
    assert refused.show is None
    assert any("'XTS' is not an ISO 4217 code" in str(p) for p in refused.errors), refused.errors
    csv = parse_products_csv("sku,title,price,stock,currency\nMUG,Mug,12.00,5,XXX\n")
    assert csv.bad_rows == [2] and not csv.products


@pytest.mark.parametrize(("encoding", "named"), [("utf-16", "UTF-16"), ("utf-32", "UTF-32")])
def test_a_unicode_show_file_with_a_bad_byte_is_said_in_its_own_encoding(
    tmp_path: Path, encoding: str, named: str
) -> None:
    # A UTF-16 file (Notepad's "Unicode") whose text ends on a cut character was said "not
    # UTF-8 text", an encoding it was never read as: the user re-saved it as UTF-16 again.
    data = valid_show()
    raw = json.dumps(data, ensure_ascii=False).encode(encoding)
    path = tmp_path / "show.json"
    path.write_bytes(raw + b"\x00")  # one byte of a character that never came
    result = anchordesk("show", "check", path)
    assert_clean_output(result)
    assert result.returncode == 2
    said = result.stdout + result.stderr
    assert f"not {named} text: byte 0x00 at offset {len(raw)}" in said, said
    assert "UTF-8 text" not in said.replace("save the file as UTF-8", "")


def test_the_show_editor_opens_a_utf_16_show_that_file_open_runs(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # File → Open read a show saved as UTF-16 (core/unicode_text) and ran it; the editor read
    # bytes as UTF-8 only and refused the same file: "show.json is not UTF-8 text".
    data = valid_show()
    data["title"] = "Nuit spéciale 夜"
    path = tmp_path / "show.json"
    path.write_bytes(json.dumps(data, ensure_ascii=False).encode("utf-16"))
    assert parse_show(path.read_bytes(), tmp_path).show is not None  # File → Open's reading
    said: list[str] = []  # what a refusal would say in its box (never left waiting here)
    monkeypatch.setattr(editor_files.QMessageBox, "exec", lambda box: said.append(box.text()) or 0)
    monkeypatch.setattr(
        editor_files.QMessageBox, "warning", lambda _p, _t, text, *_a: said.append(text) or 0
    )
    editor = ShowEditor(Settings())
    try:
        opened = editor.open_show(path)
        assert said == []
        assert opened is True
        assert editor.data()["title"] == "Nuit spéciale 夜"
    finally:
        editor.discard_changes()
        editor.close()
        editor.deleteLater()
