"""Round thirty-one, inputs (R31in31): what shows as nothing, and digits of other scripts."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from feed_servers import JsonFeedServer

from anchordesk.core.redact import mask_url, mask_urls, url_secrets
from anchordesk.live.settings import load_settings

from ..feed_parts import ingest
from ..show_inputs import anchordesk, assert_clean_output, valid_show, write_show
from .test_round_02_inputs import RawServer, poll_once

# Characters that show as nothing and are no format character (category Cf): the
# Hangul fillers are letters (Lo), the combining grapheme joiner a mark (Mn), the Braille
# blank a symbol (So).
HANGUL_FILLER = "\u3164"
INVISIBLE_NOT_CF = ["\u3164", "\u115f", "\u1160", "\uffa0", "\u034f", "\u17b4", "\u180b", "\u2800"]


@pytest.mark.parametrize("invisible", INVISIBLE_NOT_CF)
def test_a_sku_holding_an_invisible_letter_is_refused_by_show_check_as_invisible(
    tmp_path: Path, invisible: str
) -> None:
    # "MUG" + U+3164 passed `show check` beside "MUG": two products that look the same in the
    # listing, and no platform's order for MUG would ever take the first one's stock.
    data = valid_show()
    data["products"].append({"sku": f"MUG{invisible}", "title": "Mug", "price": 1, "stock": 1})
    result = anchordesk("show", "check", write_show(tmp_path, data))
    assert_clean_output(result)
    said = result.stdout + result.stderr
    assert result.returncode == 2, said
    assert "$.products[2].sku" in said and "holds the invisible character U+" in said, said
    assert invisible not in said


def test_a_card_titled_only_with_hangul_fillers_is_refused_as_having_no_title(
    tmp_path: Path,
) -> None:
    data = valid_show()
    data["products"][0]["title"] = HANGUL_FILLER * 3
    data["rundown"][0]["title"] = "\u115f\u1160"
    result = anchordesk("show", "check", write_show(tmp_path, data))
    assert_clean_output(result)
    said = result.stdout + result.stderr
    assert result.returncode == 2, said
    assert "$.products[0].title" in said and "the product needs a title" in said, said
    assert "$.rundown[0].title" in said, said


def test_a_csv_row_whose_sku_ends_in_a_hangul_filler_is_not_imported(tmp_path: Path) -> None:
    csv = tmp_path / "products.csv"
    csv.write_text(f"sku,title,price,stock\nMUG,Mug,24.00,10\nMUG{HANGUL_FILLER},Mug,24.00,10\n")
    result = anchordesk("show", "import-csv", csv, "-o", tmp_path / "show.json")
    assert_clean_output(result)
    said = result.stdout + result.stderr
    assert result.returncode == 2 and "row 3, column sku" in said, said
    assert "invisible character" in said and not (tmp_path / "show.json").exists()


def test_a_feed_sku_holding_an_invisible_letter_is_printed_escaped_by_the_report(
    tmp_path: Path,
) -> None:
    # The report listed "Orders for SKUs not in the show: MUG, MUGㅤ" and two "MUG" rows: the
    # Hangul filler was printed raw (escape_controls knew only the format characters).
    session = tmp_path / "s.sqlite"
    with JsonFeedServer(poll_ms=10) as server:
        server.add_order("MUG", 1, "2.00", "USD")
        for invisible in INVISIBLE_NOT_CF:
            server.add_order(f"MUG{invisible}", 1, "2.00", "USD")
        ingest(server, session)
    for args in ((), ("--json",)):
        result = anchordesk("report", *args, session)
        assert_clean_output(result)
        said = result.stdout + result.stderr
        assert result.returncode == 0, said
        assert not any(char in said for char in INVISIBLE_NOT_CF), said
    # Since round 33 an order's SKU is matched without what shows as nothing
    # (show/model.ordered_sku): the nine orders are MUG's, not eight SKUs that print as MUG.
    figures = json.loads(anchordesk("report", "--json", session).stdout)
    assert figures["units_by_sku"] == {"MUG": 1 + len(INVISIBLE_NOT_CF)}


@pytest.mark.parametrize("online", ["１２", "١٢", "߁߂", " １２ "])
def test_a_viewer_count_in_digits_of_another_script_is_rejected_as_amounts_are(
    tmp_path: Path, online: str
) -> None:
    # "１２" as a price or a quantity is rejected (the amount rule: ASCII digits), but as a
    # viewer count it was read as 12 people by str.isdecimal(): the peak, the conversion.
    session = tmp_path / "s.sqlite"
    with JsonFeedServer(poll_ms=10) as server:
        server.add_raw({"type": "viewers", "id": "v1", "online": online})
        server.add_raw({"type": "viewers", "id": "v2", "online": " 7"})
        ingest(server, session)
    with sqlite3.connect(session) as db:
        samples = db.execute("SELECT online FROM viewer_samples").fetchall()
        rejected = db.execute("SELECT item_id, detail FROM rejected_items").fetchall()
    assert samples == [(7,)]
    assert rejected == [("v1", f"online {json.dumps(online, ensure_ascii=False)} is not a count")]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_a_show_file_saved_as_utf_16_or_32_with_its_mark_is_read_as_a_csv_is(
    tmp_path: Path, encoding: str
) -> None:
    # Notepad's "Unicode": refused as "not UTF-8 text: byte 0xff at offset 0", where the same
    # products saved as a CSV in UTF-16 were imported (one reading of Unicode's marks now).
    data = valid_show()
    data["title"] = "Nuit spéciale 夜"
    text = json.dumps(data, ensure_ascii=False)
    raw = text.encode(encoding)
    if encoding == "utf-16-be":
        raw = "\ufeff".encode(encoding) + raw
    path = tmp_path / "show.json"
    path.write_bytes(raw)
    result = anchordesk("show", "check", path)
    assert_clean_output(result)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Nuit spéciale 夜" in result.stdout and "OK: the show is valid" in result.stdout


def test_a_show_file_with_a_utf8_mark_and_a_latin1_byte_names_that_byte_where_it_is(
    tmp_path: Path,
) -> None:
    # "byte 0x43 at offset 14": the 'C' of "Café", 3 bytes before the 0xe9 at offset 17 (the
    # mark's length: "utf-8-sig" counts from after it). The CSV import said it right.
    path = tmp_path / "show.json"
    path.write_bytes(b'\xef\xbb\xbf{"title": "Caf\xe9 Night"}')
    result = anchordesk("show", "check", path)
    assert_clean_output(result)
    assert result.returncode == 2
    assert "not UTF-8 text: byte 0xe9 at offset 17" in result.stdout + result.stderr


def test_a_redirect_to_a_url_whose_path_parameter_holds_a_token_is_said_masked() -> None:
    # A path segment's parameters (";sig=…", ";jsessionid=…") were no part of the one rule:
    # a value without a digit was no key by its looks, and the redirect's words printed it.
    location = "https://other.example/feed;sig=abcdefghijkl;v=x?page=2"
    _, _, error = poll_once(RawServer(f"HTTP/1.1 302 Found\nLocation: {location}\n", b""))
    assert "it points to https://other.example/feed;sig=****;v=x?page=2" in error, error
    assert "abcdefghijkl" not in mask_url(location) + mask_urls(f"see {location}.")
    assert "abcdefghijkl" in url_secrets(location)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_settings_saved_as_utf_16_with_its_mark_keep_their_destinations_and_feeds(
    tmp_path: Path, encoding: str
) -> None:
    # Notepad's "Unicode": the file was "not valid JSON ('utf-8' codec can't decode byte
    # 0xff…)", set aside as settings.json.broken, and the program ran with no destination.
    path = tmp_path / "settings.json"
    data = {
        "destinations": [{"id": "d1", "name": "Main 夜", "server_url": "rtmp://h/app"}],
        "feeds": [{"id": "f1", "kind": "json", "url": "http://127.0.0.1:1/f"}],
    }
    path.write_bytes(json.dumps(data, ensure_ascii=False).encode(encoding))
    settings = load_settings(path)
    assert settings.problems == []
    assert [d.name for d in settings.destinations] == ["Main 夜"]
    assert [f.feed_id for f in settings.feeds] == ["f1"]
    assert path.exists() and not (tmp_path / "settings.json.broken").exists()


def test_settings_with_a_utf8_mark_and_a_latin1_byte_name_that_byte_where_it_is(
    tmp_path: Path,
) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(b'\xef\xbb\xbf{"language": "caf\xe9"}')
    [problem] = load_settings(path).problems
    assert "can't decode byte 0xe9 in position 20" in problem, problem


@pytest.mark.parametrize("written", ["7", "NaN", "1e400", '["f1"]', "true"])
def test_a_feed_id_written_as_no_text_is_said_with_the_id_given_instead(
    tmp_path: Path, written: str
) -> None:
    # Given a new id without a word: the feed's token (kept under its id) was not found, and
    # the feed failed to sign in with nothing in Settings saying why.
    path = tmp_path / "settings.json"
    path.write_text(
        '{"feeds": [{"id": ' + written + ', "kind": "json", "url": "http://127.0.0.1:1/f"}]}'
    )
    settings = load_settings(path)
    [feed] = settings.feeds
    [problem] = settings.problems
    assert problem.startswith("settings: feeds[0].id is ") and "not a text" in problem, problem
    assert f"'{feed.feed_id}' taken" in problem


def test_a_settings_fraction_is_quoted_as_the_file_wrote_it(tmp_path: Path) -> None:
    # Read as a float, 1e400 was quoted "Infinity" and 2500.50 "2500.5".
    path = tmp_path / "settings.json"
    path.write_text('{"encoder": {"fps": 1e400, "video_kbps": 2500.50}}')
    problems = load_settings(path).problems
    assert "settings: encoder.fps is 1e400, not a whole number; 30 taken" in problems, problems
    assert "settings: encoder.video_kbps is 2500.50, not a whole number; 2500 taken" in problems
