"""Products from a spreadsheet export (CSV): sku, title, price, stock, image, points.

Talking points are separated by ``|`` inside their cell. The file is UTF-8 with or without a
byte-order mark (Excel writes one); a file that is not UTF-8 is read as GB18030 — what Excel
on a Chinese Windows saves as "CSV" — with a warning. Every bad cell is reported with its row
(as the spreadsheet numbers it: the header is row 1) and its column.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path

from anchordesk.show.model import Product
from anchordesk.show.validate import Problem, Severity, errors_of

MAX_CSV_BYTES = 20 * 1024 * 1024

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
_CURRENCY_SIGNS = "¥￥$€£₩"


@dataclass
class CsvImport:
    products: list[Product] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    encoding: str = "utf-8"

    @property
    def errors(self) -> list[Problem]:
        return errors_of(self.problems)


def _where(row: int, column: str | None = None) -> str:
    return f"row {row}, column {column}" if column else f"row {row}"


def _decode(raw: bytes, result: CsvImport) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            result.problems.append(
                Problem(
                    "file",
                    f"not UTF-8 text (byte 0x{raw[error.start]:02x} at offset {error.start}); "
                    "save the spreadsheet as 'CSV UTF-8'",
                )
            )
            return ""
        result.encoding = "gb18030"
        result.problems.append(
            Problem(
                "file",
                "not UTF-8: read as GB18030 (Chinese Windows); check the titles, and prefer "
                "saving as 'CSV UTF-8'",
                Severity.WARNING,
            )
        )
        return text


def _column_for(header: str) -> str | None:
    name = " ".join(header.strip().lower().replace("_", " ").split())
    for column, aliases in COLUMN_ALIASES.items():
        if name in aliases:
            return column
    return None


def _amount(text: str) -> Decimal | None:
    cleaned = text.strip().lstrip(_CURRENCY_SIGNS).strip()
    if _THOUSANDS.fullmatch(cleaned):
        cleaned = cleaned.replace(",", "")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _whole(text: str) -> int | None:
    cleaned = text.strip().replace(",", "") if _THOUSANDS.fullmatch(text.strip()) else text.strip()
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not number.is_finite() or number != number.to_integral_value():
        return None
    return int(number)


def _rebase(image: str, csv_dir: Path, show_dir: Path | None) -> str:
    """An image path of the CSV (relative to the CSV's folder) made relative to the show's."""
    path = Path(image.replace("\\", "/"))
    if path.is_absolute() or show_dir is None:
        return path.as_posix()
    target = (csv_dir / path).resolve()
    try:
        return Path(os.path.relpath(target, show_dir.resolve())).as_posix()
    except ValueError:  # another drive on Windows
        return str(target)


def parse_products_csv(
    text: str, *, csv_dir: Path | None = None, show_dir: Path | None = None
) -> CsvImport:
    """Products from CSV text. Image paths are rewritten from `csv_dir` to `show_dir`."""
    result = CsvImport()
    return _parse(text, result, csv_dir, show_dir)


def read_products_csv(path: Path, *, show_dir: Path | None = None) -> CsvImport:
    """Products from a CSV file; never raises on bad content (see `CsvImport.problems`)."""
    result = CsvImport()
    try:
        if path.stat().st_size > MAX_CSV_BYTES:
            result.problems.append(Problem("file", f"{path} is larger than 20 MB"))
            return result
        raw = path.read_bytes()
    except FileNotFoundError:
        result.problems.append(Problem("file", f"no such file: {path}"))
        return result
    except OSError as error:
        result.problems.append(Problem("file", f"cannot read {path}: {error.strerror or error}"))
        return result
    text = _decode(raw, result)
    if errors_of(result.problems):
        return result
    return _parse(text, result, path.resolve().parent, show_dir)


def _parse(text: str, result: CsvImport, csv_dir: Path | None, show_dir: Path | None) -> CsvImport:
    text = text.removeprefix("\ufeff")
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    if not first:
        result.problems.append(Problem("file", "the CSV is empty"))
        return result
    # Excel in many European locales separates with ";"; tab-separated exports exist too.
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = list(reader)
    except csv.Error as error:
        result.problems.append(Problem(_where(reader.line_num), f"unreadable CSV: {error}"))
        return result

    header_index = next(index for index, row in enumerate(rows) if any(c.strip() for c in row))
    header = rows[header_index]
    columns: dict[str, int] = {}
    for position, name in enumerate(header):
        column = _column_for(name)
        if column is None:
            if name.strip():
                result.problems.append(
                    Problem(
                        _where(header_index + 1, name.strip()),
                        f"unknown column {name.strip()!r} (ignored); the columns are "
                        + ", ".join(COLUMN_ALIASES),
                        Severity.WARNING,
                    )
                )
            continue
        if column in columns:
            result.problems.append(
                Problem(_where(header_index + 1, name.strip()), f"column {column!r} appears twice")
            )
            continue
        columns[column] = position
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        result.problems.append(
            Problem(
                _where(header_index + 1),
                "the header lacks the column"
                + ("s " if len(missing) > 1 else " ")
                + ", ".join(missing)
                + f" (found: {', '.join(h.strip() for h in header if h.strip()) or 'nothing'})",
            )
        )
        return result

    first_row_of_sku: dict[str, int] = {}
    for index in range(header_index + 1, len(rows)):
        row = rows[index]
        if any(cell.strip() for cell in row):
            product = _product(_Row(row, index + 1, columns, result), first_row_of_sku)
            if product is not None:
                if product.image and csv_dir is not None:
                    product = replace(product, image=_rebase(product.image, csv_dir, show_dir))
                result.products.append(product)
    if not result.products and not result.errors:
        result.problems.append(Problem("file", "the CSV has a header but no products"))
    return result


class _Row:
    def __init__(
        self, cells: list[str], number: int, columns: dict[str, int], result: CsvImport
    ) -> None:
        self.cells = cells
        self.number = number
        self.columns = columns
        self.result = result
        self.failed = False

    def __getitem__(self, column: str) -> str:
        position = self.columns.get(column)
        if position is None or position >= len(self.cells):
            return ""
        return self.cells[position].strip()

    def error(self, column: str, message: str) -> None:
        self.failed = True
        self.result.problems.append(Problem(_where(self.number, column), message))


def _product(row: _Row, first_row_of_sku: dict[str, int]) -> Product | None:
    sku = row["sku"]
    if not sku:
        row.error("sku", "the sku is empty")
    elif sku in first_row_of_sku:
        row.error("sku", f"duplicate sku {sku!r} (also in row {first_row_of_sku[sku]})")
    else:
        first_row_of_sku[sku] = row.number
    title = row["title"]
    if not title:
        row.error("title", "the title is empty")
    price = _amount(row["price"])
    if price is None:
        row.error("price", f"not a number: {row['price']!r}" if row["price"] else "empty")
    elif price < 0:
        row.error("price", f"must not be negative (got {row['price']})")
    stock = _whole(row["stock"])
    if stock is None:
        row.error("stock", f"not a whole number: {row['stock']!r}" if row["stock"] else "empty")
    elif stock < 0:
        row.error("stock", f"must not be negative (got {stock})")
    currency = row["currency"].upper() or None
    if currency is not None and not re.fullmatch(r"[A-Z]{3}", currency):
        row.error("currency", f"{currency!r} is not an ISO 4217 code such as CNY")
    if row.failed or price is None or stock is None:
        return None
    points = tuple(point.strip() for point in row["points"].split("|") if point.strip())
    return Product(
        sku=sku,
        title=title,
        price=price,
        stock=stock,
        image=row["image"].replace("\\", "/") or None,
        points=points,
        currency=currency,
    )
