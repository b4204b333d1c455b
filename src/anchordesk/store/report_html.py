"""The report as one self-contained HTML page with inline SVG charts (no scripts, no network),
in the report's language (English, Chinese or Japanese).

Every text from outside (titles, SKUs, comment-derived names) is escaped: a product called
``<script>`` shows as typed. Chart labels are placed by ``report_svg``: cut to their room with
an ellipsis (the full text in a tooltip) and moved to another lane rather than overlapping.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from html import escape
from pathlib import Path

from babel.dates import format_datetime

from anchordesk.core.money import babel_locale, format_money
from anchordesk.show.timing import SegmentTiming, format_difference, format_duration
from anchordesk.store.report import SessionReport, build_report, money_text
from anchordesk.store.report_i18n import end_reason_text, report_language, text
from anchordesk.store.report_svg import (
    TextBox,
    fit_text,
    nice_ticks,
    place_in_lanes,
    text_width,
    time_step_s,
)

WIDTH = 760
TICK_PX = 11.0  # svg .tick
LABEL_PX = 12.0  # svg .label
FONT_PX = {"tick": TICK_PX, "label": LABEL_PX}  # what the tests read back
_PAD_RIGHT = 16
_ACCENT = "#e8335a"
_DEAL_FILL = "#ffd34d"
_SEGMENT_LANES = 3
_LANE_PX = 18.0


def _clock(seconds: float) -> str:
    return format_duration(max(0.0, seconds))


def _svg_open(width: int, height: int, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(label)}">'
    )


def _y_axis(
    labels: list[tuple[float, str]], x0: float, x1: float, y_of: Callable[[float], float]
) -> list[str]:
    """Horizontal grid lines with their labels right-aligned left of the plot."""
    parts = []
    for value, label in labels:
        y = y_of(value)
        parts.append(
            f'<line x1="{x0:.1f}" y1="{y:.1f}" x2="{x1:.1f}" y2="{y:.1f}" stroke="#e4e4e4"/>'
        )
        parts.append(TextBox(x0 - 6, y + TICK_PX * 0.35, label, TICK_PX, "end").svg("tick"))
    return parts


def _amount(tick: float) -> Decimal:
    return Decimal(f"{tick:.6f}").normalize()


def gmv_chart(report: SessionReport, language: str) -> str:
    """Cumulative GMV over the show (in the show's currency), segment starts as numbered
    dashed lines, deals as bands."""
    lang = report_language(language)
    duration = max(1.0, report.relative_s(report.ended_at) or 1.0)
    top = max((amount for _, amount in report.gmv_over_time), default=Decimal(0))
    ticks = nice_ticks(float(top))
    # Round amounts on the axis read without their zeros (¥50,000), others in full (¥2.50).
    tick_labels = [
        (tick, format_money(_amount(tick), report.currency, lang, drop_zero_fraction=True))
        for tick in ticks
    ]
    pad_left = max(text_width(label, TICK_PX) for _, label in tick_labels) + 14
    pad_top = 8 + _SEGMENT_LANES * _LANE_PX
    pad_bottom = 30
    width, height = WIDTH, 300
    plot_w = width - pad_left - _PAD_RIGHT
    plot_h = height - pad_top - pad_bottom
    y_top = ticks[-1] or 1.0

    def x(t: float) -> float:
        return pad_left + plot_w * min(1.0, max(0.0, t / duration))

    def y(amount: float) -> float:
        return pad_top + plot_h * (1 - amount / y_top)

    parts = [_svg_open(width, height, text(lang, "gmv_over_time"))]
    parts += _y_axis(tick_labels, pad_left, width - _PAD_RIGHT, y)
    for deal in report.ledger.deals:
        start = report.relative_s(deal.started_at) or 0.0
        end = report.relative_s(deal.ended_at)
        end = duration if end is None else end
        tip = text(
            lang,
            "deal_tip",
            deal=deal.deal_id,
            sku=deal.sku,
            price=money_text(deal.price, report.currency_of(deal.sku), lang),
            units=deal.units,
            end=end_reason_text(deal.end_reason, lang),
        )
        parts.append(
            f'<rect x="{x(start):.1f}" y="{pad_top:.1f}" '
            f'width="{max(1.0, x(end) - x(start)):.1f}" height="{plot_h:.1f}" '
            f'fill="{_DEAL_FILL}" opacity="0.35"><title>{escape(tip)}</title></rect>'
        )
    starts: list[tuple[float, str, str]] = []
    for segment in report.ledger.segments:
        at = x(report.relative_s(segment.started_at) or 0.0)
        number = str(segment.index + 1)
        parts.append(
            f'<line x1="{at:.1f}" y1="{pad_top - 2:.1f}" x2="{at:.1f}" y2="{pad_top + plot_h:.1f}" '
            f'stroke="#5577aa" stroke-dasharray="3,3"><title>{escape(number)}. '
            f"{escape(segment.title)}</title></line>"
        )
        starts.append((at + 2, f"{number} {segment.title}", number))
    for box in place_in_lanes(
        starts,
        lanes=_SEGMENT_LANES,
        first_baseline=2 + 1.16 * LABEL_PX,
        lane_px=_LANE_PX,
        right_limit=width - 2,
        font_px=LABEL_PX,
        max_label_px=180,
    ):
        full = next(full for at, full, short in starts if at == box.x)
        parts.append(box.svg("label", tooltip=full))
    level = y(0.0)
    points = [(x(0.0), level)]
    for at_s, amount in report.gmv_over_time:
        points.append((x(at_s), level))  # a step: GMV jumps when an order arrives
        level = y(float(amount))
        points.append((x(at_s), level))
    points.append((x(duration), level))
    path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
    parts.append(f'<polyline points="{path}" fill="none" stroke="{_ACCENT}" stroke-width="2"/>')
    parts += _time_axis(duration, x, pad_left, plot_w, pad_top + plot_h)
    parts.append("</svg>")
    return "".join(parts)


def _time_axis(
    duration: float, x: Callable[[float], float], x0: float, plot_w: float, y0: float
) -> list[str]:
    parts = [
        f'<line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x0 + plot_w:.1f}" y2="{y0:.1f}" stroke="#888"/>'
    ]
    step = time_step_s(duration, plot_w, text_width("00:00:00", TICK_PX) + 10)
    at = 0
    while at <= duration:
        anchor = "start" if at == 0 else "middle"
        box = TextBox(x(at), y0 + 16, _clock(at), TICK_PX, anchor)
        if box.right <= x0 + plot_w + _PAD_RIGHT - 1:
            parts.append(box.svg("tick"))
        at += step
    return parts


def bar_chart(values: list[int], label: str, language: str, unit_tip: str = "minute_tip") -> str:
    """One bar per minute, with round value ticks and minute numbers that never collide."""
    lang = report_language(language)
    top = max(values, default=0)
    ticks = [tick for tick in nice_ticks(float(top), 3) if tick == int(tick)] or [0.0, 1.0]
    tick_labels = [(tick, f"{int(tick):,}") for tick in ticks]
    pad_left = max(text_width(t, TICK_PX) for _, t in tick_labels) + 14
    width, height = WIDTH, 190
    pad_top, pad_bottom = 12, 30
    plot_w = width - pad_left - _PAD_RIGHT
    plot_h = height - pad_top - pad_bottom
    y_top = ticks[-1] or 1.0
    count = max(1, len(values))
    step = plot_w / count

    def y(value: float) -> float:
        return pad_top + plot_h * (1 - value / y_top)

    parts = [_svg_open(width, height, label)]
    parts += _y_axis(tick_labels, pad_left, width - _PAD_RIGHT, y)
    for index, value in enumerate(values):
        bar_h = plot_h * value / y_top
        tip = text(lang, unit_tip, n=index + 1, value=value)
        parts.append(
            f'<rect x="{pad_left + index * step + 1:.1f}" y="{pad_top + plot_h - bar_h:.1f}" '
            f'width="{max(1.0, step - 2):.1f}" height="{bar_h:.1f}" fill="{_ACCENT}">'
            f"<title>{escape(tip)}</title></rect>"
        )
    y0 = pad_top + plot_h
    parts.append(
        f'<line x1="{pad_left:.1f}" y1="{y0:.1f}" x2="{width - _PAD_RIGHT:.1f}" y2="{y0:.1f}" '
        'stroke="#888"/>'
    )
    # Minute numbers under their bars, every k-th so that they stand apart.
    every = 1
    widest = text_width(str(count), TICK_PX) + 8
    while step * every < widest:
        every = next(m for m in (2, 5, 10, 15, 30, 60, 120, 300, 10**6) if m > every)
    for index in range(0, count, every):
        centre = pad_left + (index + 0.5) * step
        parts.append(TextBox(centre, y0 + 16, str(index + 1), TICK_PX, "middle").svg("tick"))
    parts.append("</svg>")
    return "".join(parts)


def units_chart(report: SessionReport, language: str) -> str:
    lang = report_language(language)
    products = [
        p
        for p in [*report.ledger.products.values(), *report.ledger.unknown_skus.values()]
        if p.units
    ]
    row_h = 24
    width, height = WIDTH, max(40, row_h * len(products) + 16)
    names = [f"{p.sku or text(lang, 'no_sku')} {p.title}" for p in products]
    value_w = max((text_width(str(p.units), LABEL_PX) for p in products), default=0) + 8
    label_w = min(max((text_width(n, LABEL_PX) for n in names), default=0) + 8, width * 0.42)
    plot_w = width - label_w - 8 - value_w - 8
    top = max((p.units for p in products), default=0) or 1
    parts = [_svg_open(width, height, text(lang, "units_per_product"))]
    for row, (product, name) in enumerate(zip(products, names, strict=True)):
        top_y = 8 + row * row_h
        baseline = top_y + row_h * 0.62
        colour = _ACCENT if product.known else "#999"
        bar_w = plot_w * product.units / top
        label = fit_text(name, label_w - 8, LABEL_PX)
        parts.append(TextBox(label_w - 8, baseline, label, LABEL_PX, "end").svg("label", name))
        parts.append(
            f'<rect x="{label_w:.1f}" y="{top_y + 3:.1f}" width="{max(1.0, bar_w):.1f}" '
            f'height="{row_h - 8}" fill="{colour}"/>'
        )
        parts.append(
            TextBox(label_w + bar_w + 6, baseline, str(product.units), LABEL_PX).svg("label")
        )
    parts.append("</svg>")
    return "".join(parts)


_STYLE = """
body { font-family: %(fonts)s; margin: 2em auto; max-width: 800px; color: #222;
       padding: 0 12px; }
h1 { font-size: 1.5em; } h2 { font-size: 1.1em; margin-top: 2em; }
table { border-collapse: collapse; width: 100%%; font-size: 0.9em; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #ddd; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.figures { display: flex; gap: 1.5em 2em; flex-wrap: wrap; }
.figure b { display: block; font-size: 1.6em; }
.note { color: #555; font-size: 0.9em; }
svg { max-width: 100%%; height: auto; background: #fafafa; display: block; }
svg .tick { font-size: 11px; fill: #666; } svg .label { font-size: 12px; fill: #333; }
.unknown { color: #a00; } .over { color: #c62828; } .under { color: #2e7d32; }
.skipped { color: #888; }
"""

_FONTS = {
    "zh_CN": '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC"',
    "ja": '"Noto Sans CJK JP", "Source Han Sans JP", "Yu Gothic", "Hiragino Sans", Meiryo',
    "en": 'system-ui, "Noto Sans", "Noto Sans CJK SC"',
}
_HTML_LANG = {"zh_CN": "zh-CN", "ja": "ja", "en": "en"}


def timing_table(timings: list[SegmentTiming], language: str) -> str:
    """Plan against actual for each segment, then the totals; over the plan in red."""
    lang = report_language(language)
    rows = []
    for timing in timings:
        if timing.visited:
            css = "over" if timing.difference_s > 0.5 else "under"
            actual = _clock(timing.actual_s)
            difference = f'<td class="num {css}">{format_difference(timing.difference_s)}</td>'
        else:
            actual = f'<span class="skipped">{escape(text(lang, "not_reached"))}</span>'
            difference = '<td class="num"></td>'
        rows.append(
            f"<tr><td class=num>{timing.index + 1}</td><td>{escape(timing.title)}</td>"
            f"<td class=num>{_clock(timing.planned_s)}</td><td class=num>{actual}</td>"
            f"{difference}</tr>"
        )
    plan = sum(t.planned_s for t in timings)
    actual_total = sum(t.actual_s for t in timings)
    css = "over" if actual_total - plan > 0.5 else "under"
    head = "".join(
        f"<th{' class=num' if key != 'segment' else ''}>{escape(text(lang, key))}</th>"
        for key in ("plan", "actual", "difference")
    )
    return (
        f"<table class=timing><tr><th class=num>#</th><th>{escape(text(lang, 'segment'))}</th>"
        f"{head}</tr>{''.join(rows)}"
        f"<tr><th></th><th>{escape(text(lang, 'total'))}</th><th class=num>{_clock(plan)}</th>"
        f"<th class=num>{_clock(actual_total)}</th>"
        f'<th class="num {css}">{format_difference(actual_total - plan)}</th></tr></table>'
    )


def _when(report: SessionReport, language: str) -> str:
    if report.started_at is None or report.ended_at is None:
        return ""
    started = datetime.fromtimestamp(report.started_at).astimezone()
    when = format_datetime(started, "medium", locale=babel_locale(language))
    duration = _clock(report.ended_at - report.started_at)
    return (
        f"<p class=note>{escape(text(language, 'started'))} {escape(when)} · "
        f"{escape(text(language, 'duration'))} {duration}</p>"
    )


def session_report_page(session_path: Path, language: str) -> str:
    """The page of a session file in ``language``: what the window calls, with its own
    language, once a session is closed (off the Qt thread: it reads the file).
    Raises ``StoreError``."""
    return report_html(build_report(session_path), language)


def report_html(report: SessionReport, language: str | None = None) -> str:
    """The page, in ``language`` ("en", "zh_CN", "ja"; default: the show's language)."""
    lang = report_language(language or report.language)
    ledger = report.ledger
    currency = report.currency

    def t(message: str, **values: object) -> str:
        return escape(text(lang, message, **values))

    def money(amount: Decimal, of: str | None = None) -> str:
        return escape(money_text(amount, of or currency, lang))

    title = report.title or report.path.name
    no_sku = text(lang, "no_sku")
    rows_products = "".join(
        f"<tr{'' if p.known else ' class=unknown'}><td>{escape(p.sku or no_sku)}</td>"
        f"<td>{escape(p.title)}{'' if p.known else ' (' + t('not_in_show') + ')'}</td>"
        f'<td class="num">{p.units:,}</td>'
        f'<td class="num">{money(p.gmv, report.currency_of(p.sku))}</td></tr>'
        for p in [*ledger.products.values(), *ledger.unknown_skus.values()]
    )
    rows_segments = "".join(
        f"<tr><td class=num>{s.index + 1}</td>"
        f"<td class=num>{_clock(report.relative_s(s.started_at) or 0)}</td>"
        f"<td>{escape(s.title)}</td><td>{escape(s.sku or '')}</td>"
        f"<td class=num>{s.orders:,}</td><td class=num>{s.units:,}</td>"
        f"<td class=num>{money(s.gmv)}</td></tr>"
        for s in ledger.segments
    )
    rows_deals = "".join(
        f"<tr><td>{escape(d.deal_id)}</td><td>{escape(d.sku)}</td>"
        f"<td class=num>{money(d.price, report.currency_of(d.sku))}</td>"
        f"<td class=num>{d.units:,}</td><td class=num>{money(d.gmv, report.currency_of(d.sku))}"
        f"</td><td>{escape(end_reason_text(d.end_reason, lang))}</td></tr>"
        for d in ledger.deals
    )
    others = sorted((c, v) for c, v in ledger.gmv_by_currency.items() if c != currency)
    other_currencies = "".join(
        f"<div class=figure>{t('gmv_in', currency=c)}<b>{money(v, c)}</b></div>" for c, v in others
    )
    apart = f"<p class=note>{t('gmv_apart')}</p>" if others else ""
    deals = (
        f"<table><tr><th>{t('deal')}</th><th>{t('sku')}</th><th class=num>{t('price')}</th>"
        f"<th class=num>{t('units')}</th><th class=num>{t('gmv')}</th><th>{t('end')}</th></tr>"
        f"{rows_deals}</table>"
        if ledger.deals
        else f"<p class=note>{t('no_deals')}</p>"
    )
    timing = (
        f"<h2>{t('timing')}</h2>\n{timing_table(report.timings, lang)}" if report.timings else ""
    )
    style = _STYLE % {"fonts": _FONTS[lang] + ", sans-serif"}
    return f"""<!DOCTYPE html>
<html lang="{_HTML_LANG[lang]}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{t("page_title", title=title)}</title>
<style>{style}</style></head>
<body>
<h1>{escape(title)}</h1>
{_when(report, lang)}
<div class="figures">
<div class=figure>{t("gmv")}<b>{money(report.gmv)}</b></div>
{other_currencies}
<div class=figure>{t("orders")}<b>{report.orders:,}</b></div>
<div class=figure>{t("units")}<b>{ledger.units:,}</b></div>
<div class=figure>{t("comments")}<b>{report.comments:,}</b></div>
<div class=figure>{t("questions")}<b>{report.questions:,}</b></div>
<div class=figure>{t("flagged")}<b>{report.flagged:,}</b></div>
</div>
{apart}
<h2>{t("gmv_over_time")}</h2>
<p class=note>{t("gmv_chart_note")}</p>
{gmv_chart(report, lang)}
<h2>{t("orders_per_minute")}</h2>
{bar_chart(report.orders_per_minute, text(lang, "orders_per_minute"), lang)}
<h2>{t("comments_per_minute")}</h2>
{bar_chart(report.comments_per_minute, text(lang, "comments_per_minute"), lang)}
<h2>{t("units_per_product")}</h2>
{units_chart(report, lang)}
<h2>{t("products")}</h2>
<table><tr><th>{t("sku")}</th><th>{t("product")}</th><th class=num>{t("units")}</th>
<th class=num>{t("gmv")}</th></tr>
{rows_products}</table>
<h2>{t("segments")}</h2>
<table><tr><th class=num>#</th><th class=num>{t("start")}</th><th>{t("segment")}</th>
<th>{t("sku")}</th><th class=num>{t("orders")}</th><th class=num>{t("units")}</th>
<th class=num>{t("gmv")}</th></tr>{rows_segments}</table>
{timing}
<h2>{t("deals")}</h2>
{deals}
<p><small>{t("session_file", path=str(report.path))}</small></p>
</body></html>
"""
