"""Products from a spreadsheet export (CSV): sku, title, price, stock, image, points.

Talking points are separated by ``|`` inside their cell. The file is UTF-8 with or without a
byte-order mark (Excel writes one), or UTF-16 with its mark (Excel's "Unicode Text"); a file
that is not UTF-8 is read as GB18030 or Shift_JIS —
what Excel on a Chinese or a Japanese Windows saves as "CSV" — with a warning. Every bad cell is
reported with its row (as the spreadsheet numbers it: the header is row 1), its column, its
value and why.

A row is a product and obeys the rules of a product in a show file: the cells are read here
(numbers bounded as in show files, see `numbers.py`), then the rows go through
`anchordesk.show.validate.product_problems` and `images.image_problems`, the very checks a show
file's products go through; their problems are renamed from ``$.products[k].price`` to
``row N, column price``.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

from anchordesk.core.unicode_text import decoded, encoding_name, marked_codec, unmarked_codec
from anchordesk.core.words import QT_TRANSLATE_NOOP, Words
from anchordesk.show.model import Product, Show, canonical_sku
from anchordesk.show.validate import (
    MAX_AMOUNT,
    MAX_PRODUCTS,
    MAX_STOCK,
    PRICE,
    Problem,
    Severity,
    amount_negative,
    amount_not_finite,
    amount_too_large,
    currency_code,
    errors_of,
    grouped,
    product_problems,
    shown,
    shown_literal,
    whole_problem,
)
from anchordesk.showfile.images import (
    cannot_read,
    image_problems,
    is_web_address,
    no_such_file,
    not_a_file_of_its_kind,
    not_a_regular_file,
    read_regular_file,
)
from anchordesk.showfile.numbers import MAX_NUMBER_CHARS, BadNumber, bounded_decimal

MAX_CSV_BYTES = 20 * 1024 * 1024
A_CSV_FILE = Words(QT_TRANSLATE_NOOP("CsvImport", "a CSV file"))

# Column names and the headers people actually use for them (English, Chinese, Japanese).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "sku": (
        "sku",
        "id",
        "product id",
        "item id",
        "货号",
        "商品编码",
        "商品id",
        "品番",
        "商品コード",
    ),
    "title": ("title", "name", "product", "标题", "商品名称", "名称", "商品名", "品名"),
    "price": ("price", "list price", "价格", "售价", "单价", "価格", "販売価格"),
    "stock": ("stock", "inventory", "quantity", "库存", "数量", "在庫", "在庫数"),
    "image": ("image", "picture", "photo", "图片", "主图", "画像"),
    "points": ("points", "talking points", "卖点", "要点", "ポイント"),
    "currency": ("currency", "币种", "货币", "通貨"),
}
REQUIRED_COLUMNS = ("sku", "title", "price", "stock")

_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_POINT_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?")
_COMMA_DECIMAL = re.compile(r"\d+,\d+")
_GROUPED_WHOLE = re.compile(r"\d{1,3}(?:,\d{3})+|\d{1,3}(?:\.\d{3})+")
# What the sign a spreadsheet writes before a price can mean. The sign is the price's currency:
# one that is not the row's (or the show's) is an error, never dropped ("€1.00" in a USD show
# is not $1.00); with no currency given, a sign of one currency gives the row its currency.
_DOLLARS = frozenset({"USD", "CAD", "AUD", "NZD", "HKD", "SGD", "TWD", "MXN"})
_YEN_YUAN = frozenset({"CNY", "JPY"})
_SIGN_CURRENCIES: dict[str, frozenset[str]] = {
    "$": _DOLLARS,
    "¥": _YEN_YUAN,
    "￥": _YEN_YUAN,
    "€": frozenset({"EUR"}),
    "£": frozenset({"GBP"}),
    "₩": frozenset({"KRW"}),
}


@dataclass
class CsvImport:
    """The good rows as products, and every problem (``row N, column NAME: value: why``).

    `products` holds only the rows without errors, so the editor can import those and show the
    problems of the others; `anchordesk show import-csv` refuses the file when `bad_rows`.
    """

    products: list[Product] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    encoding: str = "utf-8"
    bad_rows: list[int] = field(default_factory=list)  # spreadsheet row numbers, header = 1
    # The currencies every price's sign allows when no row or show names one ("$": USD, CAD…);
    # None when no such sign was written. The new show's currency is chosen among them.
    sign_currencies: frozenset[str] | None = None

    @property
    def errors(self) -> list[Problem]:
        return errors_of(self.problems)


def _where(row: int, column: str | None = None) -> str:
    """The problem's path: the cell as the command line names it (and sorts by)."""
    return f"row {row}, column {column}" if column else f"row {row}"


def _where_words(row: int, column: str | None = None) -> Words:
    """The same place in words the window translates."""
    if column:
        return Words(
            QT_TRANSLATE_NOOP("CsvImport", "row {row}, column {column}"), row=row, column=column
        )
    return _row(row)


def _row(row: int) -> Words:
    return Words(QT_TRANSLATE_NOOP("CsvImport", "row {row}"), row=row)


def _cell_problem(
    row: int, column: str | None, message: Words, severity: Severity = Severity.ERROR
) -> Problem:
    return Problem(_where(row, column), message, severity, where=_where_words(row, column))


def _file_problem(message: Words, severity: Severity = Severity.ERROR) -> Problem:
    return Problem("file", message, severity, where=_FILE)


_FILE = Words(QT_TRANSLATE_NOOP("CsvImport", "file"))


_READ_AS_GB18030 = QT_TRANSLATE_NOOP(
    "CsvImport",
    "not UTF-8: read as GB18030 (Chinese Windows); check the titles, and prefer saving as "
    "'CSV UTF-8'",
)
_READ_AS_SHIFT_JIS = QT_TRANSLATE_NOOP(
    "CsvImport",
    "not UTF-8: read as Shift_JIS (Japanese Windows); check the titles, and prefer saving as "
    "'CSV UTF-8'",
)


def _kana(text: str) -> int:
    """Hiragana and katakana letters: what Japanese text is full of, and what a Chinese
    file read as Shift_JIS (or a Japanese one read as GB18030) almost never gives."""
    return sum(1 for character in text if "\u3041" <= character <= "\u30fa")


def written_in_japanese(text: str) -> bool | None:
    """Whether Chinese characters alone (no kana) are Japanese: True when more of them are
    ones only Japanese writes (JIS X 0208's, in neither GB2312 nor Big5: 黒, 産, 県, 売) than
    ones only Chinese writes (GB2312's or Big5's, not JIS X 0208's: 红, 们, 产); False for the
    opposite; None when they do not tell ("宇治抹茶"). A UTF-8 sheet of kanji titles
    ("北海道産 特選 黒毛和牛") has no encoding to go by, and was guessed Chinese, in yuan."""
    japanese = chinese = 0
    for character in set(text):
        if not "\u4e00" <= character <= "\u9fff":
            continue
        in_jis = _encodes(character, "shift_jis")
        in_chinese = _encodes(character, "gb2312") or _encodes(character, "big5")
        japanese += in_jis and not in_chinese
        chinese += in_chinese and not in_jis
    return None if japanese == chinese else japanese > chinese


def _encodes(character: str, codec: str) -> bool:
    try:
        character.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


# What a reading as Shift_JIS makes of a Chinese file: GB2312's lead bytes 0xA1-0xDF are
# Shift_JIS's half-width katakana, 0xF0-0xF9 its user-defined (private use) area.
_UNLIKELY_IN_SHIFT_JIS = re.compile("[\uff61-\uff9f\ue000-\uf8ff]")


def _unlikely(text: str, name: str) -> int:
    """Characters a sheet in that encoding hardly holds, and a reading of the other's bytes is
    full of. Read as GB18030, a Japanese file's kanji (Shift_JIS lead bytes 0x81-0x9F) are
    characters outside GB2312, the common ones a Chinese sheet is written in; read as Shift_JIS,
    a Chinese file is half-width katakana."""
    if name == "shift_jis":
        return len(_UNLIKELY_IN_SHIFT_JIS.findall(text))
    return text.encode("gb2312", errors="replace").count(b"?") - text.count("?")


def _legacy_text(raw: bytes) -> tuple[str, str] | None:
    """The text of a CSV that is not UTF-8, as the Windows Excel of its language saved it:
    GB18030 (Chinese) or Shift_JIS (Japanese, Microsoft's cp932), and which it was. Both
    read most byte strings of the other; Japanese is the one whose reading has kana, and
    each is the one whose reading has fewer characters its sheets hardly hold. Read as
    GB18030 only, a Japanese sheet's titles became other characters ("マグ" as "儅僌") and the
    show was guessed Chinese, in yuan; told by kana only, a Japanese sheet of kanji titles
    ("宇治抹茶 40g缶" read as "塅帯枙拑 40g娛") was still."""
    readings: list[tuple[str, str]] = []
    for codec, name in (("gb18030", "gb18030"), ("cp932", "shift_jis")):
        try:
            readings.append((raw.decode(codec), name))
        except UnicodeDecodeError:
            continue
    if not readings:
        return None
    # A tie: the first, GB18030.
    return max(readings, key=lambda reading: _kana(reading[0]) - _unlikely(*reading))


def _unmarked_unicode_by_header(raw: bytes) -> tuple[str, str] | None:
    """The text and codec of a UTF-16 or UTF-32 file without its mark whose header begins
    with a letter that is not ASCII (货号, 品番: the columns' Chinese and Japanese names), so
    no NUL stands beside it: the codec in which the header names a column. Told by the first
    letters only (core/unicode_text ``unmarked_codec``), such a file was "not UTF-8 text
    (byte 0x8d at offset 1)", the header of a valid Unicode file never read."""
    for codec in ("utf-32-le", "utf-32-be", "utf-16-le", "utf-16-be"):
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            continue
        first = _first_filled_line(text)
        delimiter = max((",", ";", "\t"), key=first.count)
        if any(_column_for(cell.strip().strip('"')) for cell in first.split(delimiter)):
            return text, codec
    return None


def _decode(raw: bytes, result: CsvImport) -> str:
    marked = marked_codec(raw) or unmarked_codec(raw)
    try:
        if marked is not None:
            # Read as GB18030 or Shift_JIS, such a file was "read as Shift_JIS" and its header
            # "s\x00k\x00u\x00": the sheet refused in words that sent the user the wrong way.
            # (Excel's "Unicode Text" is UTF-16 LE with its mark, tab-separated.)
            result.encoding = marked
        return decoded(raw, marked)
    except UnicodeDecodeError as error:
        unmarked = None
        if marked is None and b"\x00" in raw:
            unmarked = _unmarked_unicode_by_header(raw)
        if unmarked is not None:
            text, result.encoding = unmarked
            return text
        # A NUL byte is in no text of a legacy encoding either: UTF-16 without its mark, or
        # not text at all; said as not UTF-8, never shown as Chinese or Japanese characters.
        legacy = None if marked is not None or b"\x00" in raw else _legacy_text(raw)
        offset = error.start + len(raw) - len(error.object)  # in the file, its mark counted
        if legacy is None:
            result.problems.append(
                _file_problem(
                    Words(
                        QT_TRANSLATE_NOOP(
                            "CsvImport",
                            "not {encoding} text (byte {byte} at offset {offset}); save the "
                            "spreadsheet as 'CSV UTF-8'",
                        ),
                        encoding=encoding_name(error.encoding),
                        byte=f"0x{raw[offset]:02x}",
                        offset=offset,
                    )
                )
            )
            return ""
        text, result.encoding = legacy
        read_as = _READ_AS_SHIFT_JIS if result.encoding == "shift_jis" else _READ_AS_GB18030
        result.problems.append(_file_problem(Words(read_as), Severity.WARNING))
        return text


def _column_for(header: str) -> str | None:
    name = " ".join(header.strip().lower().replace("_", " ").split())
    for column, aliases in COLUMN_ALIASES.items():
        if name in aliases:
            return column
    return None


def _sign(text: str) -> str:
    """The currency sign written before a price, or after it as the locales that write "12,50 €"
    put it ("" when none)."""
    cleaned = text.strip()
    for written in (cleaned[:1], cleaned[-1:]):
        if written in _SIGN_CURRENCIES:
            return written
    return ""


# The spaces a spreadsheet groups thousands with ("1 299,00" in French, Swedish, Russian…;
# Excel writes a no-break space, newer versions the narrow one): read as the "," of "1,299".
_SPACE_GROUPED = re.compile(r"\d{1,3}(?:[ \u00a0\u202f\u2009]\d{3})+(?:[.,]\d+)?")


def _number_text(text: str) -> str:
    """A price or stock cell without its currency sign (before or after it) and without the
    spaces that group its thousands: "€12,50", "12,50 €" and "1 299,00 €" were "not a
    number", though each is how a spreadsheet in its locale writes the price."""
    cleaned = text.strip()
    sign = _sign(cleaned)
    if sign:
        cleaned = cleaned.removeprefix(sign) if cleaned.startswith(sign) else cleaned[:-1]
    cleaned = cleaned.strip()
    if _SPACE_GROUPED.fullmatch(cleaned):
        cleaned = re.sub(r"[ \u00a0\u202f\u2009]", "", cleaned)
    return cleaned


def _plain_number(text: str, decimal_comma: bool) -> str:
    """A spreadsheet's number written as JSON writes it, whichever decimal mark it uses.

    "1,299.00" and "12.50" are read with a decimal point, "1.299,00" and "12,50" with a decimal
    comma: each has one reading only. A number that reads both ways and differs ("1,299",
    "1.299") is read as the file's locale writes it: with a decimal comma in a file separated
    by ";" (Excel in the locales whose decimal mark is the comma), else with a point. Before,
    only the point was known: "12,50" in a European export was refused, "1.299,00" too."""
    point = text.replace(",", "") if _THOUSANDS.fullmatch(text) else None
    if point is None and "," not in text:
        point = text
    comma = None
    if _POINT_THOUSANDS.fullmatch(text):
        comma = text.replace(".", "").replace(",", ".")
    elif _COMMA_DECIMAL.fullmatch(text):
        comma = text.replace(",", ".")
    if point is None or comma is None:
        return point or comma or text
    return comma if decimal_comma else point


def _marks_written(text: str) -> str:
    """The decimal mark a price cell shows beyond doubt: "point" ("12.50", "1,299.00"),
    "comma" ("12,50", "1.299,00"), or "" (no mark, or one that reads both ways: "1,299")."""
    cleaned = _number_text(text)
    if "," not in cleaned and "." not in cleaned:
        return ""
    if _plain_number(cleaned, decimal_comma=False) != _plain_number(cleaned, decimal_comma=True):
        return ""  # "1,299", "1.000": the very cells the file's mark must decide
    if _THOUSANDS.fullmatch(cleaned) or (cleaned.count(".") == 1 and "," not in cleaned):
        return "point"
    if _POINT_THOUSANDS.fullmatch(cleaned) or _COMMA_DECIMAL.fullmatch(cleaned):
        return "comma"
    return ""


def _file_decimal_comma(prices: list[str], delimiter: str) -> bool:
    """Whether the file writes decimals with a comma: as its prices that read one way only
    show, else (none does, or both marks are written) as its separator tells (see
    `_plain_number`). By the separator alone, "1.000" in a ","-file of "12,50" prices (a
    spreadsheet in German, saved with commas) was €1.00, and "12.500" in a ";"-file of
    "1234.50" prices 12,500."""
    marks = {mark for price in prices if (mark := _marks_written(price))}
    if len(marks) == 1:
        return marks == {"comma"}
    return delimiter == ";"


def _too_long(number: BadNumber) -> Words:
    """A number of a sane value written with more characters than any number needs: said so,
    not "out of range" (100 written with 40 zeros after the point is in range)."""
    return Words(
        QT_TRANSLATE_NOOP(
            "CsvImport", "{value} is written with more than {limit} characters: write it shorter"
        ),
        value=shown_literal(number.text),
        limit=MAX_NUMBER_CHARS,
    )


def _amount(text: str, decimal_comma: bool = False) -> Decimal | BadNumber | None:
    return bounded_decimal(_plain_number(_number_text(text), decimal_comma))


def _stock_problem(value: int, written: str) -> Words:
    problem = whole_problem("stock", value, written)
    assert problem is not None
    return problem


def _expected_whole(written: str) -> Words:
    return Words(
        QT_TRANSLATE_NOOP("CsvImport", "not a whole number: {value}"), value=shown(written)
    )


def _whole(text: str, decimal_comma: bool = False) -> int | BadNumber | None:
    cleaned = text.strip()
    if _SPACE_GROUPED.fullmatch(cleaned):
        cleaned = _number_text(cleaned)
    if _GROUPED_WHOLE.fullmatch(cleaned):
        # Stock is whole: "1,000" and "1.000" are a thousand units in any locale (read with a
        # decimal point, "1.000" units were 1 unit).
        cleaned = cleaned.replace(",", "").replace(".", "")
    else:
        cleaned = _plain_number(cleaned, decimal_comma)
    number = bounded_decimal(cleaned)
    if isinstance(number, BadNumber) and number.reason == "too many decimals":
        return None  # "1e-400" is not out of range: it is not a whole number
    if number is None or isinstance(number, BadNumber):
        return number
    if number != number.to_integral_value():
        return None
    return int(number)  # bounded: at most about 40 digits


def _rebase(image: str, csv_dir: Path, show_dir: Path | None) -> str:
    """An image path of the CSV (relative to the CSV's folder) made relative to the show's.

    A web address is left as written, for the show's checks to say what it is: made a path,
    "https://cdn/x.png" (what every shop's product export holds) became "https:/cdn/x.png",
    said "image file not found (looked for …/https:/cdn/x.png)"."""
    if is_web_address(image):
        return image
    path = Path(image.replace("\\", "/"))
    if path.is_absolute() or show_dir is None:
        return path.as_posix()
    target = (csv_dir / path).resolve()
    try:
        return Path(os.path.relpath(target, show_dir.resolve())).as_posix()
    except ValueError:  # another drive on Windows
        return str(target)


def parse_products_csv(
    text: str,
    *,
    csv_dir: Path | None = None,
    show_dir: Path | None = None,
    show_currency: str | None = None,
    priced_in: Mapping[str, str] | None = None,
) -> CsvImport:
    """Products from CSV text. Image paths are rewritten from `csv_dir` to `show_dir`.

    Images are checked (present, regular files, decodable) when `csv_dir` is given.
    `show_currency`: the currency of the show the products go into, for the digits of prices
    without their own currency. `priced_in`: the currency (by SKU) of that show's products
    priced in another one: a row that names no currency keeps its product's (see `_product`).
    """
    result = CsvImport()
    return _parse(text, result, csv_dir, show_dir, show_currency, priced_in or {})


def read_products_csv(
    path: Path,
    *,
    show_dir: Path | None = None,
    show_currency: str | None = None,
    priced_in: Mapping[str, str] | None = None,
) -> CsvImport:
    """Products from a CSV file; never raises on bad content (see `CsvImport.problems`)."""
    result = CsvImport()
    try:
        if path.stat().st_size > MAX_CSV_BYTES:
            result.problems.append(
                _file_problem(
                    Words(
                        QT_TRANSLATE_NOOP("CsvImport", "{path} is larger than {limit} MB"),
                        path=str(path),
                        limit=MAX_CSV_BYTES // 1_048_576,
                    )
                )
            )
            return result
        kind = not_a_regular_file(path)
        # A FIFO, /dev/zero: opened without waiting, read no further than the cap.
        raw = read_regular_file(path, MAX_CSV_BYTES) if kind is None else None
        if raw is None or len(raw) > MAX_CSV_BYTES:
            result.problems.append(_file_problem(not_a_file_of_its_kind(path, kind, A_CSV_FILE)))
            return result
    except FileNotFoundError:
        result.problems.append(_file_problem(no_such_file(path)))
        return result
    except OSError as error:
        result.problems.append(_file_problem(cannot_read(path, error)))
        return result
    text = _decode(raw, result)
    if errors_of(result.problems):
        return result
    return _parse(text, result, path.resolve().parent, show_dir, show_currency, priced_in or {})


_SEPARATOR_LINE = re.compile(r" *sep=(.) *", re.IGNORECASE)


class _TooManyRows(Exception):
    pass


def _filled(row: list[str]) -> bool:
    """Whether a row holds anything but blanks (a spreadsheet writes ",,," for a row it once
    formatted); one pass in C, not a generator over its cells."""
    return any(row) and not "".join(row).isspace()


class _Records:
    """A CSV reader that counts the rows (records) it gave."""

    def __init__(self, reader: Iterator[list[str]]) -> None:
        self._reader = reader
        self.read = 0

    def __iter__(self) -> Iterator[list[str]]:
        for row in self._reader:
            self.read += 1
            yield row


def _rows_of_one_show(reader: Iterable[list[str]]) -> list[tuple[int, list[str]]]:
    """The rows that hold something, each with its number in the file (the first row is 1),
    but no more of them than a header and a show's products. Blank rows are counted, not kept:
    a 20 MB file of blank rows (under the size cap) was 20 million rows held, looked through
    three times: 33 s and 1.9 GB to import one product."""
    rows: list[tuple[int, list[str]]] = []
    for number, row in enumerate(reader, start=1):
        if _filled(row):
            rows.append((number, row))
            if len(rows) > MAX_PRODUCTS + 1:
                raise _TooManyRows
    return rows


def _first_filled_line(text: str) -> str:
    """The first line that is not blank ("" when none), found without splitting the whole
    text into lines (a 20 MB file of blank lines made 20 million strings for this one)."""
    found = _NOT_BLANK.search(text)
    if found is None:
        return ""
    at = found.start()
    start = max(text.rfind("\n", 0, at), text.rfind("\r", 0, at)) + 1
    ends = [end for end in (text.find("\n", at), text.find("\r", at)) if end >= 0]
    line = text[start : min(ends) if ends else len(text)]
    # The same line as str.splitlines() gives (it also splits at \x0c, \x1c, U+2028...).
    return next((part for part in line.splitlines() if part.strip()), "")


_NOT_BLANK = re.compile(r"\S")
_EMPTY_CSV = Words(QT_TRANSLATE_NOOP("CsvImport", "the CSV is empty"))

# Unknown header columns named one by one; the rest are counted in one more line.
_UNKNOWN_COLUMNS_NAMED = 5


def _parse(
    text: str,
    result: CsvImport,
    csv_dir: Path | None,
    show_dir: Path | None,
    show_currency: str | None,
    priced_in: Mapping[str, str],
) -> CsvImport:
    text = text.removeprefix("\ufeff")
    first = _first_filled_line(text)
    if not first:
        result.problems.append(_file_problem(_EMPTY_CSV))
        return result
    # Excel in many European locales separates with ";"; tab-separated exports exist too.
    delimiter = max((",", ";", "\t"), key=first.count)
    directive = _SEPARATOR_LINE.fullmatch(first)
    if directive is not None:
        # "sep=;" first: the separator named for Excel, which reads it so (tools that export
        # for Excel write it). Kept as an empty line: the rows keep their numbers in the file.
        delimiter = directive.group(1)
        text = text.replace(first, "", 1)
    reader = _Records(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    try:
        rows = _rows_of_one_show(reader)
    except _TooManyRows:
        # Said before a million rows become products, a show and 221 MB of JSON to refuse.
        result.problems.append(
            _file_problem(
                Words(
                    QT_TRANSLATE_NOOP(
                        "CsvImport",
                        "more than {limit} product rows; a show holds at most {limit} products: "
                        "import the products of one show",
                    ),
                    limit=grouped(MAX_PRODUCTS),
                )
            )
        )
        return result
    except csv.Error as error:
        why = (
            Words(
                QT_TRANSLATE_NOOP(
                    "CsvImport",
                    "a cell is longer than {limit} characters: no field of a product is that long",
                ),
                limit=grouped(csv.field_size_limit()),
            )
            if "field larger than field limit" in str(error)
            else Words(QT_TRANSLATE_NOOP("CsvImport", "unreadable CSV: {reason}"), reason=error)
        )
        # The row as every other message numbers it (a record; a quoted cell may span many
        # lines): the reader's line number named a line inside the cell ("row 65,538" of a
        # sheet of two rows).
        result.problems.append(_cell_problem(reader.read + 1, None, why))
        result.bad_rows = [reader.read + 1]
        return result

    if not rows:
        # Nothing but Excel's "sep=;" line (a tool's export of an empty sheet): was a
        # StopIteration traceback, exit 1.
        result.problems.append(_file_problem(_EMPTY_CSV))
        return result
    header_number, header = rows[0]
    columns: dict[str, int] = {}
    unknown = 0
    for position, name in enumerate(header):
        column = _column_for(name)
        if column is None:
            if name.strip():
                unknown += 1
                if unknown > _UNKNOWN_COLUMNS_NAMED:
                    continue  # counted below: a million columns is one line, not a million
                result.problems.append(
                    _cell_problem(
                        header_number,
                        name.strip(),
                        Words(
                            QT_TRANSLATE_NOOP(
                                "CsvImport",
                                "unknown column {name} (ignored); the columns are {known}",
                            ),
                            name=repr(name.strip()),
                            known=", ".join(COLUMN_ALIASES),
                        ),
                        Severity.WARNING,
                    )
                )
            continue
        if column in columns:
            result.problems.append(
                _cell_problem(
                    header_number,
                    name.strip(),
                    Words(
                        QT_TRANSLATE_NOOP("CsvImport", "column {name} appears twice"),
                        name=repr(column),
                    ),
                )
            )
            continue
        columns[column] = position
    if unknown > _UNKNOWN_COLUMNS_NAMED:
        result.problems.append(
            _cell_problem(
                header_number,
                None,
                Words(
                    QT_TRANSLATE_NOOP("CsvImport", "{count} more unknown columns (ignored)"),
                    count=grouped(unknown - _UNKNOWN_COLUMNS_NAMED),
                ),
                Severity.WARNING,
            )
        )
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        found = ", ".join(h.strip() for h in header if h.strip())
        result.problems.append(
            _cell_problem(
                header_number,
                None,
                Words(
                    QT_TRANSLATE_NOOP(
                        "CsvImport", "the header lacks the columns {missing} (found: {found})"
                    )
                    if len(missing) > 1
                    else QT_TRANSLATE_NOOP(
                        "CsvImport", "the header lacks the column {missing} (found: {found})"
                    ),
                    missing=", ".join(missing),
                    found=found or Words(QT_TRANSLATE_NOOP("CsvImport", "nothing")),
                ),
            )
        )
        return result

    price_at = columns["price"]
    decimal_comma = _file_decimal_comma(
        [row[price_at] for _, row in rows[1:] if price_at < len(row)], delimiter
    )
    # Every row becomes a product (unreadable cells hold a placeholder and are reported once,
    # by the reading), so that the rules below see every row.
    candidates: list[Product] = []
    row_numbers: list[int] = []
    unreadable: set[str] = set()  # "$.products[k].column" of cells that could not be read
    overflowing = 0  # rows with cells past the header's last column
    for number, row in rows[1:]:
        if _filled(row[len(header) :]):
            overflowing += 1
            if overflowing <= _UNKNOWN_COLUMNS_NAMED:
                # Mostly a separator inside a cell that is not quoted: the end of the row
                # (a talking point, an image) was lost without a word.
                result.problems.append(
                    _cell_problem(
                        number,
                        None,
                        Words(
                            QT_TRANSLATE_NOOP(
                                "CsvImport",
                                "{cells} cells, but the header names {columns} columns: "
                                "the cells after the last one are not read (is a separator "
                                "inside a cell that is not in quotes?)",
                            ),
                            cells=len(row),
                            columns=len(header),
                        ),
                        Severity.WARNING,
                    )
                )
        cells = _Row(row, number, columns, result)
        product = _product(cells, show_currency, priced_in, decimal_comma=decimal_comma)
        for column in cells.unreadable:
            unreadable.add(f"$.products[{len(candidates)}].{column}")
        if product.image and csv_dir is not None:
            product = replace(product, image=_rebase(product.image, csv_dir, show_dir))
        candidates.append(product)
        row_numbers.append(number)

    if overflowing > _UNKNOWN_COLUMNS_NAMED:
        result.problems.append(
            _file_problem(
                Words(
                    QT_TRANSLATE_NOOP(
                        "CsvImport", "{count} more rows with cells past the header's last column"
                    ),
                    count=grouped(overflowing - _UNKNOWN_COLUMNS_NAMED),
                ),
                Severity.WARNING,
            )
        )
    rules = product_problems(candidates, show_currency, skip=lambda path: path in unreadable)
    if csv_dir is not None:
        holder = Show(
            title="",
            currency=show_currency or "",
            language="",
            products=tuple(candidates),
            base_dir=show_dir or csv_dir,
        )
        rules += [p for p in image_problems(holder) if p.path not in unreadable]
    result.problems += [_as_row_problem(problem, row_numbers) for problem in rules]

    bad_rows = sorted(
        {bad for p in result.problems if p.is_error and (bad := _row_of(p.path)) is not None}
    )
    result.bad_rows = bad_rows
    result.problems.sort(key=_cell_order)  # stable: a cell's problems keep their order
    result.products = [
        product
        for product, number in zip(candidates, row_numbers, strict=True)
        if number not in bad_rows
    ]
    if not candidates and not result.errors:
        result.problems.append(
            _file_problem(
                Words(QT_TRANSLATE_NOOP("CsvImport", "the CSV has a header but no products"))
            )
        )
    return result


_PRODUCT_PATH = re.compile(r"\$\.products\[(\d+)\](?:\.(\w+))?")
_ROW_PATH = re.compile(r"row (\d+)")


def _as_row_problem(problem: Problem, row_numbers: list[int]) -> Problem:
    """A product's problem named as the spreadsheet names the cell: row N, column NAME."""
    match = _PRODUCT_PATH.match(problem.path)
    if match is None:
        return problem
    row = row_numbers[int(match.group(1))]
    return _cell_problem(
        row, match.group(2), _paths_as_rows(problem.words, row_numbers), problem.severity
    )


def _paths_as_rows(words: Words, row_numbers: list[int]) -> Words:
    """A message whose values name a product by its path (``$.products[3]``, "also in ...")
    with the row of the spreadsheet instead."""
    renamed: dict[str, object] = {}
    for name, value in words.params.items():
        if isinstance(value, Words):
            value = _paths_as_rows(value, row_numbers)
        elif isinstance(value, str) and (found := _PRODUCT_PATH.fullmatch(value)):
            value = _row(row_numbers[int(found.group(1))])
        renamed[name] = value
    return words.replaced(**renamed)


def _row_of(path: str) -> int | None:
    match = _ROW_PATH.match(path)
    return int(match.group(1)) if match else None


_COLUMN_ORDER = {column: index for index, column in enumerate(COLUMN_ALIASES)}


def _cell_order(problem: Problem) -> tuple[int, int]:
    """Problems by row, then by column in the order of `COLUMN_ALIASES` (sku, title, price...)."""
    column = problem.path.partition(", column ")[2]
    return _row_of(problem.path) or 0, _COLUMN_ORDER.get(column, -1)


_EMPTY = Words(QT_TRANSLATE_NOOP("CsvImport", "empty"))


class _Row:
    def __init__(
        self, cells: list[str], number: int, columns: dict[str, int], result: CsvImport
    ) -> None:
        self.cells = cells
        self.number = number
        self.columns = columns
        self.result = result
        self.unreadable: list[str] = []  # columns whose cell could not be read as its type

    def __getitem__(self, column: str) -> str:
        position = self.columns.get(column)
        if position is None or position >= len(self.cells):
            return ""
        return self.cells[position].strip()

    def unreadable_cell(self, column: str, message: Words) -> None:
        self.unreadable.append(column)
        self.result.problems.append(_cell_problem(self.number, column, message))


def _product(
    row: _Row, show_currency: str | None, priced_in: Mapping[str, str], *, decimal_comma: bool
) -> Product:
    """The row as a product; a cell that is not even a number is reported here, the rest of
    the rules are the show's (see `_parse`).

    A row that names no currency (no cell, no sign of one) for a product the show prices in
    another currency keeps that currency: a sheet of prices only made the show's €69.99
    kettle a $60.00 one, in a currency the sheet never wrote."""
    price = _amount(row["price"], decimal_comma)
    currency = currency_code(row["currency"]) or priced_in.get(canonical_sku(row["sku"])) or None
    sign = _sign(row["price"])
    if sign and price is not None and not isinstance(price, BadNumber):
        currency = _currency_of_sign(row, sign, currency, show_currency)
    if isinstance(price, BadNumber) and price.reason == "too many decimals":
        row.unreadable_cell(
            "price",
            Words(
                QT_TRANSLATE_NOOP("CsvImport", "{value} has too many decimals for a price"),
                value=shown_literal(price.text),
            ),
        )
    elif isinstance(price, BadNumber) and price.reason == "too long":
        row.unreadable_cell("price", _too_long(price))
    elif isinstance(price, BadNumber) and price.reason == "not finite":
        row.unreadable_cell("price", amount_not_finite(PRICE, shown_literal(price.text)))
    elif isinstance(price, BadNumber):
        row.unreadable_cell("price", amount_too_large(PRICE, shown_literal(price.text)))
    elif price is not None and not 0 <= price <= MAX_AMOUNT:
        # Said here, as the cell writes it: the show's rules have only the Decimal ("1e40" was
        # said by its 41 digits), in the same words as a show file's price.
        written = shown_literal(row["price"].strip())
        row.unreadable_cell(
            "price",
            amount_negative(PRICE, written) if price < 0 else amount_too_large(PRICE, written),
        )
    elif price is None:
        row.unreadable_cell(
            "price",
            Words(
                QT_TRANSLATE_NOOP("CsvImport", "not a number: {value}"), value=shown(row["price"])
            )
            if row["price"]
            else _EMPTY,
        )
    stock = _whole(row["stock"], decimal_comma)
    if isinstance(stock, BadNumber) and stock.reason == "too long":
        row.unreadable_cell("stock", _too_long(stock))
    elif isinstance(stock, BadNumber) and stock.reason == "not finite":
        row.unreadable_cell("stock", _expected_whole(stock.text))
    elif isinstance(stock, BadNumber):
        # Past numbers.py's bounds: further than the range, on its side.
        beyond = -10 * MAX_STOCK if stock.text.lstrip().startswith("-") else 10 * MAX_STOCK
        row.unreadable_cell("stock", _stock_problem(beyond, stock.text))
    elif stock is not None and whole_problem("stock", stock) is not None:
        # Said here, as the cell writes it: the show's rules have only the int ("1e40" was said
        # by its 41 digits), in the same words as a show file's stock.
        row.unreadable_cell("stock", _stock_problem(stock, row["stock"].strip()))
    elif stock is None:
        row.unreadable_cell(
            "stock",
            Words(
                QT_TRANSLATE_NOOP("CsvImport", "not a whole number: {value}"),
                value=shown(row["stock"]),
            )
            if row["stock"]
            else _EMPTY,
        )
    points = tuple(point.strip() for point in row["points"].split("|") if point.strip())
    return Product(
        sku=row["sku"],
        title=row["title"],
        price=price if isinstance(price, Decimal) else Decimal(0),
        stock=stock if isinstance(stock, int) else 0,
        image=row["image"].replace("\\", "/") or None,
        points=points,
        currency=currency,
    )


def _currency_of_sign(
    row: _Row, sign: str, currency: str | None, show_currency: str | None
) -> str | None:
    """The row's currency, given the sign written before its price."""
    allowed = _SIGN_CURRENCIES[sign]
    stated = currency or (show_currency or "").upper()
    if stated:
        if stated not in allowed:
            row.unreadable_cell(
                "price",
                Words(
                    QT_TRANSLATE_NOOP(
                        "CsvImport",
                        "{value} is written with {sign}, which is not a sign of {currency}: "
                        "write the price without it, or give the row its currency",
                    ),
                    value=shown(row["price"]),
                    sign=sign,
                    currency=stated,
                ),
            )
        return currency
    if len(allowed) == 1:
        return next(iter(allowed))
    known = row.result.sign_currencies
    row.result.sign_currencies = allowed if known is None else known & allowed
    if not row.result.sign_currencies:
        row.unreadable_cell(
            "price",
            Words(
                QT_TRANSLATE_NOOP(
                    "CsvImport",
                    "{value} is written with {sign}, and other rows with signs of other "
                    "currencies: add a currency column",
                ),
                value=shown(row["price"]),
                sign=sign,
            ),
        )
    return None
