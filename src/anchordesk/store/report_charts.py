"""The report's SVG charts: GMV over time, a bar per minute, units per product.

Labels are placed by ``report_svg``: cut to their room with an ellipsis (the full text in a
tooltip) and moved to another lane rather than overlapping; every text is escaped.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from anchordesk.core.money import format_money, format_number
from anchordesk.core.printable import html_text as escape  # outside text: escaped, controls shown
from anchordesk.show.timing import format_duration
from anchordesk.store.report import SessionReport, money_text
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
            deal.units,
            deal=deal.deal_id,
            sku=deal.sku,
            price=money_text(deal.price, report.currency_of(deal.sku), lang),
            units=format_number(deal.units, lang),
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
    tick_labels = [(tick, format_number(int(tick), lang)) for tick in ticks]
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
        tip = text(lang, unit_tip, n=index + 1, value=format_number(value, lang))
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
    counts = [format_number(p.units, lang) for p in products]  # as the tables write them
    value_w = max((text_width(c, LABEL_PX) for c in counts), default=0) + 8
    label_w = min(max((text_width(n, LABEL_PX) for n in names), default=0) + 8, width * 0.42)
    plot_w = width - label_w - 8 - value_w - 8
    top = max((p.units for p in products), default=0) or 1
    parts = [_svg_open(width, height, text(lang, "units_per_product"))]
    for row, (product, name, units) in enumerate(zip(products, names, counts, strict=True)):
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
        parts.append(TextBox(label_w + bar_w + 6, baseline, units, LABEL_PX).svg("label"))
    parts.append("</svg>")
    return "".join(parts)
