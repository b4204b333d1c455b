"""`anchordesk show check FILE` and `anchordesk show import-csv CSV [--into SHOW] -o FILE`.

Both print one line per problem (`FILE: error: $.products[2].price: ...`) and exit 2 when the
show cannot be used, 0 otherwise. No traceback for anything a file may contain, and nothing a
file holds reaches the terminal raw: every line goes through `escape_controls` (an ESC in a
title would otherwise retitle or clear the terminal).
"""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from anchordesk.core.disk import unreachable
from anchordesk.core.money import format_money
from anchordesk.core.printable import display_width, escape_controls
from anchordesk.core.words import Count, counted
from anchordesk.show.compliance import check_show as compliance_hits
from anchordesk.show.model import DealPlan, Product, Segment, Show
from anchordesk.show.validate import Problem
from anchordesk.showfile.csv_import import read_products_csv, written_in_japanese
from anchordesk.showfile.files import check_show, dump_show, read_show_file

_MAX_ROWS = 12  # keep the summary on one screen
# A script of "best best best…" would otherwise print a line per word: enough to find them all.
_MAX_HITS_SHOWN = 200


def _say(text: str, out: TextIO) -> None:
    """One line of output; what came from a file is shown, never obeyed, by the terminal."""
    print(escape_controls(text), file=out)


def _print_problem(file: Path, problem: Problem, out: TextIO) -> None:
    if problem.line is not None:
        _say(f"{file}:{problem.line}:{problem.column}: {problem.severity}: {problem.message}", out)
    else:
        _say(f"{file}: {problem.severity}: {problem}", out)


_width = display_width


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
    return counted(number, noun)


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
            f"stock {Count(product.stock)}"  # grouped, as the window and the picture write it
        )
    if len(show.products) > _MAX_ROWS:
        lines.append(f"  … and {Count(len(show.products) - _MAX_ROWS)} more")
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
        lines.append(f"  … and {Count(len(show.rundown) - _MAX_ROWS)} more")
    return lines


def _deal_text(deal: DealPlan, currency: str, language: str) -> str:
    stock = f", {counted(deal.stock, 'unit')}" if deal.stock is not None else ""
    price = format_money(deal.price, currency, language)
    return f"deal {price} for {_clock(deal.seconds)}{stock}"


def run_check(path: Path, out: TextIO | None = None) -> int:
    """Errors first, then warnings, then compliance hits — all of them, even when the show has
    errors: fixing the errors first and only then hearing of a banned word costs a second round.
    """
    out = out or sys.stdout
    report = read_show_file(path)
    for problem in report.errors:
        _print_problem(path, problem, out)
    for problem in report.warnings:
        _print_problem(path, problem, out)
    hits = compliance_hits(report.read) if report.read is not None else []
    for hit in hits[:_MAX_HITS_SHOWN]:
        _say(f"{path}: warning: {hit}", out)
    if len(hits) > _MAX_HITS_SHOWN:
        more = Count(len(hits) - _MAX_HITS_SHOWN)  # grouped, as the total under it
        _say(f"{path}: warning: … and {more} more compliance hits", out)
    if report.show is None:
        errors = len(report.errors)
        warnings = len(report.warnings)
        _say(
            f"{path}: {_count(errors, 'error')}, {_count(warnings, 'warning')}"
            + (f", {_count(len(hits), 'compliance hit')}" if hits else "")
            + ": the show cannot be used as it is",
            out,
        )
        return 2
    if report.problems or hits:
        print("", file=out)
    for line in summary_lines(report.show):
        _say(line, out)
    warnings = len(report.warnings) + len(hits)
    print(
        "\nOK: the show is valid"
        + (
            f" ({_count(warnings, 'warning')}, {_count(len(hits), 'compliance hit')})"
            if warnings
            else ""
        ),
        file=out,
    )
    return 0


def _guess_language(products: list[Product], encoding: str = "utf-8") -> tuple[str, str]:
    """The language and currency of a new show, from its titles; Chinese characters alone are
    Japanese in a sheet a Japanese Windows saved (Shift_JIS): "宇治抹茶 40g缶" was guessed a
    Chinese show, in yuan."""
    text = "".join(product.title for product in products)
    if any("\u3040" <= char <= "\u30ff" for char in text):
        return "ja_JP", "JPY"
    if any("\u4e00" <= char <= "\u9fff" for char in text):
        japanese = written_in_japanese(text)
        if japanese is None:
            japanese = encoding == "shift_jis"
        return ("ja_JP", "JPY") if japanese else ("zh_CN", "CNY")
    return "en", "USD"


# Among the currencies a price's sign allows ("$": USD, CAD…), the one a new show takes when
# its titles' language does not decide.
_SIGN_PREFERENCE = ("USD", "CNY", "JPY", "CAD", "AUD", "HKD", "SGD", "TWD", "NZD", "MXN")


def _new_show(
    title: str,
    products: list[Product],
    base_dir: Path,
    signs: frozenset[str] | None = None,
    encoding: str = "utf-8",
) -> Show:
    language, currency = _guess_language(products, encoding)
    if signs and currency not in signs:
        currency = next(code for code in (*_SIGN_PREFERENCE, *sorted(signs)) if code in signs)
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


def _not_a_show_file(path: Path) -> str | None:
    """Why ``path`` cannot be the show file written (or read with ``--into``): it exists and is
    no regular file (a folder, a pipe, a socket, a device), or it cannot be reached (a link
    loop, a file where a folder should be). None when it is a file or nothing yet."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as error:
        return unreachable(path) or f"cannot be used ({error.strerror or error})"
    if stat.S_ISREG(mode):
        return None
    what = (
        "a folder"
        if stat.S_ISDIR(mode)
        else "a pipe"
        if stat.S_ISFIFO(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "a device"
    )
    return f"is {what}, not a show file: give a .json file's path"


def _same_file(one: Path, other: Path | None) -> bool:
    try:
        return other is not None and os.path.samefile(one, other)
    except OSError:
        return False


def run_import_csv(
    csv_path: Path, into_show_path: Path | None, output_path: Path, out: TextIO | None = None
) -> int:
    out = out or sys.stdout
    for given in (into_show_path, output_path):
        refusal = _not_a_show_file(given) if given is not None else None
        if refusal is not None:
            _say(f"{given}: error: {refusal}", out)
            return 2
    output_dir = output_path.resolve().parent
    if not output_dir.is_dir():
        # The write made every missing folder (``-o shwos/2026/x.json``, a typo; a link to a
        # gone folder) and said "wrote" of it, as report --html did (R19hunt19in F7).
        where = (
            f"the folder {output_dir} does not exist: make it, or write the show in a folder "
            "that does"
            if not output_dir.exists()
            else f"{output_dir} is not a folder: write the show in a folder"
        )
        _say(f"{output_path}: error: {where}", out)
        return 2
    into_dir = into_show_path.resolve().parent if into_show_path is not None else output_dir
    into: Show | None = None
    if into_show_path is not None:
        report = read_show_file(into_show_path)
        if report.show is None:
            for problem in report.errors:
                _print_problem(into_show_path, problem, out)
            _say(f"{into_show_path}: nothing written: the show to import into has errors", out)
            return 2
        into = report.show
    # Image paths of the CSV are made relative to the show they go into; dump_show then
    # rewrites every path relative to the output's folder. The rows obey a show's rules for
    # products (the same checks), with the currency of the show they go into.
    imported = read_products_csv(
        csv_path,
        show_dir=into_dir,
        show_currency=into.currency if into else None,
        priced_in={p.sku: p.currency for p in into.products if p.currency} if into else None,
    )
    for problem in imported.problems:
        _say(f"{csv_path}: {problem.severity}: {problem}", out)
    if imported.errors:
        rows = ", ".join(map(str, imported.bad_rows))
        _say(
            f"{csv_path}: nothing written: fix the "
            + (f"row{'s' if len(imported.bad_rows) > 1 else ''} {rows}" if rows else "file")
            + " and import again",
            out,
        )
        return 2

    if into is not None and output_path.exists() and not _same_file(output_path, into_show_path):
        # --into SHOW -o THE.csv wrote the show over the CSV it was reading (or over any file)
        _say(
            f"{output_path}: error: the file exists; write the show to a new file, or to "
            f"--into's own file ({into_show_path})",
            out,
        )
        return 2
    if into is not None:
        show = replace(into, products=tuple(imported.products))
        note = f"replaced the products of {into_show_path}"
    else:
        if output_path.exists():
            # -o naming the CSV itself was told "use --into p.csv -o p.csv": the CSV read as
            # a show, which it is not.
            hint = (
                "it is the CSV being imported: write the show to a new file"
                if _same_file(output_path, csv_path)
                else f"to replace its products use --into {output_path} -o {output_path}"
            )
            _say(f"{output_path}: error: the file exists; {hint}", out)
            return 2
        show = _new_show(
            csv_path.stem,
            imported.products,
            output_dir,
            imported.sign_currencies,
            imported.encoding,
        )
        note = (
            f"new show with one segment per product; guessed language {show.language} and "
            f"currency {show.currency}: edit them in the file if wrong"
        )

    problems = check_show(show)
    for problem in problems:
        _print_problem(output_path, problem, out)
    if any(problem.is_error for problem in problems):
        _say(f"{output_path}: nothing written: the resulting show has errors", out)
        return 2
    try:
        dump_show(show, output_path)
    except OSError as error:
        from anchordesk.core.disk import is_disk_fault

        _say(f"{output_path}: error: cannot write: {error.strerror or error}", out)
        return 1 if is_disk_fault(error) else 2  # a full disk is no mistake in the command
    _say(f"{output_path}: wrote {_count(len(show.products), 'product')} ({note})", out)
    return 0
