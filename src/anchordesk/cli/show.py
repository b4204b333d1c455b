"""`anchordesk show check FILE` and `anchordesk show import-csv CSV [--into SHOW] -o FILE`.

Both print one line per problem (`FILE: error: $.products[2].price: ...`) and exit 2 when the
show cannot be used, 0 otherwise. No traceback for anything a file may contain.
"""

from __future__ import annotations

import sys
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from anchordesk.core.money import format_money
from anchordesk.show.compliance import check_show
from anchordesk.show.model import DealPlan, Product, Segment, Show
from anchordesk.show.validate import Problem, validate_show
from anchordesk.showfile.csv_import import read_products_csv
from anchordesk.showfile.files import dump_show, read_show_file

_MAX_ROWS = 12  # keep the summary on one screen


def _print_problem(file: Path, problem: Problem, out: TextIO) -> None:
    if problem.line is not None:
        print(
            f"{file}:{problem.line}:{problem.column}: {problem.severity}: {problem.message}",
            file=out,
        )
    else:
        print(f"{file}: {problem.severity}: {problem}", file=out)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _fit(text: str, width: int) -> str:
    """Pad or cut text to a display width (a CJK character takes two columns)."""
    text = " ".join(text.split())
    if _width(text) > width:
        cut = ""
        for char in text:
            if _width(cut + char) > width - 1:
                break
            cut += char
        text = cut + "…"
    return text + " " * (width - _width(text))


def _clock(seconds: float) -> str:
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    return (
        f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
        if hours
        else f"{rest // 60:02d}:{rest % 60:02d}"
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def summary_lines(show: Show) -> list[str]:
    """A one-screen summary: products, segments with their planned times, deals."""
    deals = [(index, s) for index, s in enumerate(show.rundown) if s.deal is not None]
    lines = [
        f"{show.title}  ({show.language}, {show.currency})",
        f"{_count(len(show.products), 'product')}, {_count(len(show.rundown), 'segment')}, "
        f"{_clock(show.planned_seconds)} planned, {_count(len(deals), 'flash deal')}",
        "",
        "Products:",
    ]
    for product in show.products[:_MAX_ROWS]:
        currency = show.currency_of(product)
        price = format_money(product.price, currency, show.language)
        lines.append(
            f"  {_fit(product.sku, 14)} {_fit(product.title, 30)} {price:>14}  "
            f"stock {product.stock}"
        )
    if len(show.products) > _MAX_ROWS:
        lines.append(f"  … and {len(show.products) - _MAX_ROWS} more")
    lines += ["", "Rundown:"]
    for index, segment in enumerate(show.rundown[:_MAX_ROWS]):
        start = _clock(show.segment_start_s(index))
        deal = ""
        if segment.deal is not None:
            target = show.product(segment.sku)
            currency = show.currency_of(target) if target else show.currency
            deal = _deal_text(segment.deal, currency, show.language)
        lines.append(
            f"  {index + 1:>2}. {start:>7} {_clock(segment.seconds):>6}  "
            f"{_fit(segment.title, 26)} {_fit(segment.sku or '-', 12)} {deal}".rstrip()
        )
    if len(show.rundown) > _MAX_ROWS:
        lines.append(f"  … and {len(show.rundown) - _MAX_ROWS} more")
    return lines


def _deal_text(deal: DealPlan, currency: str, language: str) -> str:
    stock = f", {deal.stock} units" if deal.stock is not None else ""
    price = format_money(deal.price, currency, language)
    return f"deal {price} for {_clock(deal.seconds)}{stock}"


def run_check(path: Path, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    report = read_show_file(path)
    for problem in report.problems:
        _print_problem(path, problem, out)
    if report.show is None:
        errors = len(report.errors)
        print(
            f"{path}: {errors} error{'s' if errors != 1 else ''}, "
            f"{len(report.warnings)} warning{'s' if len(report.warnings) != 1 else ''}: "
            "the show cannot be used as it is",
            file=out,
        )
        return 2
    hits = check_show(report.show)
    for hit in hits:
        print(f"{path}: warning: {hit}", file=out)
    if report.problems or hits:
        print("", file=out)
    for line in summary_lines(report.show):
        print(line, file=out)
    warnings = len(report.warnings) + len(hits)
    print(
        "\nOK: the show is valid"
        + (
            f" ({warnings} warning{'s' if warnings != 1 else ''}, "
            f"{len(hits)} compliance hit{'s' if len(hits) != 1 else ''})"
            if warnings
            else ""
        ),
        file=out,
    )
    return 0


def _guess_language(products: list[Product]) -> tuple[str, str]:
    text = "".join(product.title for product in products)
    if any("\u3040" <= char <= "\u30ff" for char in text):
        return "ja_JP", "JPY"
    if any("\u4e00" <= char <= "\u9fff" for char in text):
        return "zh_CN", "CNY"
    return "en", "USD"


def _new_show(title: str, products: list[Product], base_dir: Path) -> Show:
    language, currency = _guess_language(products)
    currencies = {product.currency for product in products if product.currency}
    if len(currencies) == 1:
        currency = currencies.pop()
    rundown = [Segment(title="Opening", seconds=60, script="")]
    rundown += [
        Segment(
            title=product.title,
            seconds=180,
            sku=product.sku,
            script="\n".join(product.points),
        )
        for product in products
    ]
    rundown.append(Segment(title="Closing", seconds=60))
    return Show(
        title=title,
        currency=currency,
        language=language,
        products=tuple(products),
        rundown=tuple(rundown),
        base_dir=base_dir,
    )


def run_import_csv(
    csv_path: Path, into_show_path: Path | None, output_path: Path, out: TextIO | None = None
) -> int:
    out = out or sys.stdout
    output_dir = output_path.resolve().parent
    into_dir = into_show_path.resolve().parent if into_show_path is not None else output_dir
    # Image paths of the CSV are made relative to the show they go into; dump_show then
    # rewrites every path relative to the output's folder.
    imported = read_products_csv(csv_path, show_dir=into_dir)
    for problem in imported.problems:
        print(f"{csv_path}: {problem.severity}: {problem}", file=out)
    if imported.errors:
        print(f"{csv_path}: nothing written: fix the rows above and import again", file=out)
        return 2

    if into_show_path is not None:
        report = read_show_file(into_show_path)
        if report.show is None:
            for problem in report.errors:
                _print_problem(into_show_path, problem, out)
            print(
                f"{into_show_path}: nothing written: the show to import into has errors", file=out
            )
            return 2
        show = replace(report.show, products=tuple(imported.products))
        note = f"replaced the products of {into_show_path}"
    else:
        if output_path.exists():
            print(
                f"{output_path}: error: the file exists; to replace its products use "
                f"--into {output_path} -o {output_path}",
                file=out,
            )
            return 2
        show = _new_show(csv_path.stem, imported.products, output_dir)
        note = (
            f"new show with one segment per product; guessed language {show.language} and "
            f"currency {show.currency}: edit them in the file if wrong"
        )

    problems = validate_show(show)
    for problem in problems:
        _print_problem(output_path, problem, out)
    if any(problem.is_error for problem in problems):
        print(f"{output_path}: nothing written: the resulting show has errors", file=out)
        return 2
    try:
        dump_show(show, output_path)
    except OSError as error:
        print(f"{output_path}: error: cannot write: {error.strerror or error}", file=out)
        return 2
    print(f"{output_path}: wrote {len(show.products)} products ({note})", file=out)
    return 0
