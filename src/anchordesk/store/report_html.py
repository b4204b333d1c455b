"""The report as one self-contained HTML page with inline SVG charts (no scripts, no network).

Every text from outside (titles, SKUs, comment-derived names) is escaped: a product called
``<script>`` shows as typed.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape

from anchordesk.store.report import SessionReport, format_money

_WIDTH = 760
_HEIGHT = 240
_PAD_LEFT = 64
_PAD_RIGHT = 16
_PAD_TOP = 16
_PAD_BOTTOM = 32
_ACCENT = "#e8335a"
_DEAL_FILL = "#ffd34d"


def _axis(width: int, height: int, y_max_label: str, x_max_label: str) -> str:
    x0, y0 = _PAD_LEFT, height - _PAD_BOTTOM
    return (
        f'<line x1="{x0}" y1="{_PAD_TOP}" x2="{x0}" y2="{y0}" stroke="#888"/>'
        f'<line x1="{x0}" y1="{y0}" x2="{width - _PAD_RIGHT}" y2="{y0}" stroke="#888"/>'
        f'<text x="{x0 - 6}" y="{_PAD_TOP + 10}" text-anchor="end" class="tick">'
        f"{escape(y_max_label)}</text>"
        f'<text x="{x0 - 6}" y="{y0}" text-anchor="end" class="tick">0</text>'
        f'<text x="{width - _PAD_RIGHT}" y="{y0 + 18}" text-anchor="end" class="tick">'
        f"{escape(x_max_label)}</text>"
        f'<text x="{x0}" y="{y0 + 18}" class="tick">0:00</text>'
    )


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def gmv_chart(report: SessionReport) -> str:
    """Cumulative GMV over the show, with segment starts as lines and deals as bands."""
    width, height = _WIDTH, _HEIGHT
    duration = max(1.0, report.relative_s(report.ended_at) or 1.0)
    top = max((amount for _, amount in report.gmv_over_time), default=Decimal(0))
    top_f = float(top) or 1.0
    plot_w = width - _PAD_LEFT - _PAD_RIGHT
    plot_h = height - _PAD_TOP - _PAD_BOTTOM

    def x(t: float) -> float:
        return _PAD_LEFT + plot_w * min(1.0, max(0.0, t / duration))

    def y(amount: float) -> float:
        return _PAD_TOP + plot_h * (1 - amount / top_f)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="GMV over time">'
    ]
    for deal in report.ledger.deals:
        start = report.relative_s(deal.started_at) or 0.0
        end = report.relative_s(deal.ended_at)
        end = duration if end is None else end
        parts.append(
            f'<rect x="{x(start):.1f}" y="{_PAD_TOP}" width="{max(1.0, x(end) - x(start)):.1f}" '
            f'height="{plot_h}" fill="{_DEAL_FILL}" opacity="0.35">'
            f"<title>deal {escape(deal.deal_id)} {escape(deal.sku)} at {deal.price}: "
            f"{deal.units} units, {escape(deal.end_reason or 'live')}</title></rect>"
        )
    for segment in report.ledger.segments:
        start = report.relative_s(segment.started_at) or 0.0
        parts.append(
            f'<line x1="{x(start):.1f}" y1="{_PAD_TOP}" x2="{x(start):.1f}" '
            f'y2="{height - _PAD_BOTTOM}" stroke="#5577aa" stroke-dasharray="3,3"/>'
            f'<text x="{x(start) + 3:.1f}" y="{_PAD_TOP + 12}" class="label">'
            f"{escape(segment.title[:18])}</text>"
        )
    level = y(0.0)
    points = [(x(0.0), level)]
    for at, amount in report.gmv_over_time:
        points.append((x(at), level))  # a step: GMV jumps when an order arrives
        level = y(float(amount))
        points.append((x(at), level))
    points.append((x(duration), level))
    path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
    parts.append(f'<polyline points="{path}" fill="none" stroke="{_ACCENT}" stroke-width="2"/>')
    parts.append(_axis(width, height, format_money(top, report.currency), _clock(duration)))
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(values: list[int], label: str) -> str:
    width, height = _WIDTH, 180
    plot_w = width - _PAD_LEFT - _PAD_RIGHT
    plot_h = height - _PAD_TOP - _PAD_BOTTOM
    top = max(values, default=0) or 1
    step = plot_w / max(1, len(values))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(label)}">'
    ]
    for index, value in enumerate(values):
        bar_h = plot_h * value / top
        parts.append(
            f'<rect x="{_PAD_LEFT + index * step + 1:.1f}" y="{_PAD_TOP + plot_h - bar_h:.1f}" '
            f'width="{max(1.0, step - 2):.1f}" height="{bar_h:.1f}" fill="{_ACCENT}">'
            f"<title>minute {index + 1}: {value}</title></rect>"
        )
    parts.append(_axis(width, height, str(top), f"{len(values)} min"))
    parts.append("</svg>")
    return "".join(parts)


def units_chart(report: SessionReport) -> str:
    products = [
        p
        for p in [*report.ledger.products.values(), *report.ledger.unknown_skus.values()]
        if p.units
    ]
    row_h = 26
    width, height = _WIDTH, max(40, row_h * len(products) + 16)
    label_w = 220
    plot_w = width - label_w - 90
    top = max((p.units for p in products), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="units per product">'
    ]
    for row, product in enumerate(products):
        y = 8 + row * row_h
        name = f"{product.sku or '(no SKU)'} {product.title}"[:34]
        colour = _ACCENT if product.known else "#999"
        bar_w = plot_w * product.units / top
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" class="label">'
            f"{escape(name)}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{max(1.0, bar_w):.1f}" height="{row_h - 8}" '
            f'fill="{colour}"/>'
            f'<text x="{label_w + bar_w + 6:.1f}" y="{y + 16}" class="label">{product.units}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


_STYLE = """
body { font-family: system-ui, "Noto Sans CJK SC", "Noto Sans CJK JP", sans-serif;
       margin: 2em auto; max-width: 800px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.1em; margin-top: 2em; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #ddd; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.figures { display: flex; gap: 2em; flex-wrap: wrap; }
.figure b { display: block; font-size: 1.6em; }
svg { width: 100%; height: auto; background: #fafafa; }
svg .tick { font-size: 11px; fill: #666; } svg .label { font-size: 12px; fill: #333; }
.unknown { color: #a00; }
"""


def report_html(report: SessionReport) -> str:
    ledger = report.ledger
    currency = report.currency
    title = report.title or report.path.name
    rows_products = "".join(
        f"<tr{'' if p.known else ' class=unknown'}><td>{escape(p.sku or '(no SKU)')}</td>"
        f"<td>{escape(p.title)}{'' if p.known else ' (not in the show)'}</td>"
        f'<td class="num">{p.units}</td><td class="num">{escape(format_money(p.gmv, currency))}'
        "</td></tr>"
        for p in [*ledger.products.values(), *ledger.unknown_skus.values()]
    )
    rows_segments = "".join(
        f"<tr><td>{_clock(report.relative_s(s.started_at) or 0)}</td><td>{escape(s.title)}</td>"
        f"<td>{escape(s.sku or '')}</td><td class=num>{s.orders}</td><td class=num>{s.units}</td>"
        f"<td class=num>{escape(format_money(s.gmv, currency))}</td></tr>"
        for s in ledger.segments
    )
    rows_deals = "".join(
        f"<tr><td>{escape(d.deal_id)}</td><td>{escape(d.sku)}</td><td class=num>{d.price}</td>"
        f"<td class=num>{d.units}</td><td class=num>{escape(format_money(d.gmv, currency))}</td>"
        f"<td>{escape(d.end_reason or 'live')}</td></tr>"
        for d in ledger.deals
    )
    other_currencies = "".join(
        f"<div class=figure>GMV in {escape(c)}<b>{escape(format_money(v, c))}</b></div>"
        for c, v in sorted(ledger.gmv_by_currency.items())
        if c != currency
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{escape(title)} — AnchorDesk report</title>
<style>{_STYLE}</style></head>
<body>
<h1>{escape(title)}</h1>
<div class="figures">
<div class=figure>GMV<b>{escape(format_money(report.gmv, currency))}</b></div>
{other_currencies}
<div class=figure>Orders<b>{report.orders}</b></div>
<div class=figure>Units<b>{ledger.units}</b></div>
<div class=figure>Comments<b>{report.comments}</b></div>
<div class=figure>Questions<b>{report.questions}</b></div>
<div class=figure>Flagged<b>{report.flagged}</b></div>
</div>
<h2>GMV over time</h2>
<p>Dashed lines: segment starts. Yellow bands: flash deals.</p>
{gmv_chart(report)}
<h2>Orders per minute</h2>
{bar_chart(report.orders_per_minute, "orders per minute")}
<h2>Comments per minute</h2>
{bar_chart(report.comments_per_minute, "comments per minute")}
<h2>Units per product</h2>
{units_chart(report)}
<h2>Products</h2>
<table><tr><th>SKU</th><th>Product</th><th class=num>Units</th><th class=num>GMV</th></tr>
{rows_products}</table>
<h2>Segments</h2>
<table><tr><th>Start</th><th>Segment</th><th>SKU</th><th class=num>Orders</th>
<th class=num>Units</th><th class=num>GMV</th></tr>{rows_segments}</table>
<h2>Deals</h2>
<table><tr><th>Deal</th><th>SKU</th><th class=num>Price</th><th class=num>Units</th>
<th class=num>GMV</th><th>End</th></tr>{rows_deals}</table>
<p><small>Session file: {escape(str(report.path))}</small></p>
</body></html>
"""
