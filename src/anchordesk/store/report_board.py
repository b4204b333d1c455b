"""The report's audience, conversion and prompts: the data board's figures, from the file.

The figures are ``show/board.py``'s, fed the same things the live board was fed (the ledger
replayed from the file, the viewer samples and comments with the time the store kept them,
the show events), so the report's per-segment viewers, conversion, GMV and deal sell-through
are the board's. The prompts are the ``prompt`` events the session kept, with their time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from anchordesk.core.money import (
    amount_text,
    format_money,
    format_number,
    format_share,
    listed_amounts,
)
from anchordesk.core.printable import html_text as escape  # outside text: escaped, controls shown
from anchordesk.show.board import (
    AudienceCurve,
    BoardFigures,
    RunSheet,
    SegmentFigures,
    board_figures,
)
from anchordesk.show.ledger import Ledger
from anchordesk.show.model import Show
from anchordesk.show.prompts import (
    ENGLISH,
    PROMPT_DISMISSED_EVENT,
    PROMPT_EVENT,
    Prompt,
    prompt_from_data,
    prompt_text,
    said_values,
)
from anchordesk.show.timing import format_duration
from anchordesk.store.report_i18n import MESSAGES, report_language, text
from anchordesk.store.report_svg import nice_ticks, text_width
from anchordesk.store.session import ShowEventRecord, StoredViewerSample

if TYPE_CHECKING:
    from anchordesk.store.report import SessionReport


@dataclass(frozen=True)
class ReportBoard:
    figures: BoardFigures
    audience: tuple[tuple[float, int], ...]  # (wall time, audience), the whole session
    prompts: tuple[Prompt, ...]  # in the order they fired
    dismissed: dict[str, float]  # prompt key -> when it was dismissed

    @property
    def counts_viewers(self) -> bool:
        return bool(self.audience)


def session_board(
    show: Show | None,
    ledger: Ledger,
    samples: Sequence[StoredViewerSample],
    comment_times: Sequence[float],
    events: Sequence[ShowEventRecord],
    ended_at: float | None,
    started_at: float | None,
) -> ReportBoard:
    audience = AudienceCurve()
    for kept in samples:
        audience.add(kept.received_at, kept.sample.source, kept.sample.online)
    quotas: dict[str, tuple[str, int | None]] = {}
    prompts: list[Prompt] = []
    dismissed: dict[str, float] = {}
    for event in events:
        if event.kind == "deal_started":
            stock = event.data.get("stock")
            quotas[str(event.data.get("deal_id"))] = (
                str(event.data.get("sku")),
                int(stock) if isinstance(stock, int) else None,
            )
        elif event.kind == PROMPT_EVENT:
            prompt = prompt_from_data(event.at, event.data)
            if prompt is not None:
                prompts.append(prompt)
        elif event.kind == PROMPT_DISMISSED_EVENT:
            dismissed.setdefault(str(event.data.get("key", "")), event.at)
    products = show.products if show else ()
    stock_left = {p.sku: max(0, ledger.stock_left(p.sku) or 0) for p in products}
    now = max([t for t in (ended_at, *audience.times[-1:]) if t is not None], default=0.0)
    figures = board_figures(
        ledger,
        audience,
        sorted(comment_times),
        now,
        started_at=started_at,
        stock_left=stock_left,
        deal_quotas=quotas,
        currency_of={p.sku: show.currency_of(p) for p in products} if show else None,
        rundown=RunSheet(segment.title for segment in show.rundown) if show else None,
    )
    return ReportBoard(
        figures,
        tuple(zip(audience.times, audience.totals, strict=True)),
        tuple(sorted(prompts, key=lambda p: p.at)),
        dismissed,
    )


# -- words --------------------------------------------------------------------------------------


def prompt_line(prompt: Prompt, language: str) -> str:
    """A prompt as one line in the report's language."""
    message = f"prompt_{prompt.rule}"
    if message not in MESSAGES:
        return prompt_text(prompt, ENGLISH)
    return text(language, message, **said_values(prompt, language))


def percent(value: float | None, language: str) -> str:
    return format_share(value, language)  # the window's board writes it so (core.money)


def _count(value: int | None, language: str) -> str:
    return "—" if value is None else format_number(value, language)


def _money_list(
    amounts: Sequence[tuple[str, Decimal]], currency: str, language: str, *, with_own: bool
) -> str:
    """The one rule of the window, the phone and the rest of the report
    (``core.money.listed_amounts``): the show's currency first, another at zero left out."""
    listed = listed_amounts(amounts, currency, with_own=with_own)
    return " + ".join(format_money(v, c, language) for c, v in listed) if listed else "—"


def _average_order(report: SessionReport, language: str) -> str:
    figures = report.board.figures if report.board is not None else None
    amounts = figures.average_order_value if figures is not None else ()
    return _money_list(amounts, report.currency, language, with_own=False)


def _segment_gmv(report: SessionReport, segment: SegmentFigures, language: str) -> str:
    return _money_list(segment.gmv_by_currency, report.currency, language, with_own=True)


def _sell_through(segment: SegmentFigures, language: str) -> str:
    parts = []
    for deal in segment.deals:
        share = percent(deal.sell_through, language)
        # Grouped as every count of the report and the board ("1,234 of 5,000").
        total = "?" if deal.units_total is None else format_number(deal.units_total, language)
        sold = format_number(deal.units_sold, language)
        of = text(language, "sell_through_of", sold=sold, total=total)
        parts.append(f"{deal.sku} {share} ({of})")
    return "; ".join(parts)


def _clock(seconds: float | None) -> str:
    return format_duration(max(0.0, seconds or 0.0))


# -- text ---------------------------------------------------------------------------------------


def board_summary_line(report: SessionReport, language: str) -> str:
    """Peak viewers, buyers, conversion and average order on one line ("" without a board)."""
    board = report.board
    if board is None:
        return ""
    lang = report_language(language)
    figures = board.figures
    return (
        f"{text(lang, 'peak_viewers')} {_count(figures.viewers_peak, lang)} · "
        f"{text(lang, 'buyers')} {_count(figures.buyers, lang)} · "
        f"{text(lang, 'conversion')} {percent(figures.conversion, lang)} · "
        f"{text(lang, 'average_order')} {_average_order(report, lang)}"
    )


def board_text_lines(report: SessionReport, language: str) -> list[str]:
    from anchordesk.store.report import pad

    board = report.board
    if board is None:
        return []
    lang = report_language(language)
    figures = board.figures

    def t(message: str, **values: object) -> str:
        return text(lang, message, **values)

    lines = ["", f"  {t('audience')}"]
    if not board.counts_viewers:
        lines.append(f"    {t('no_viewers')}")
    lines.append(f"    {board_summary_line(report, lang)}")
    lines.append(f"    {t('conversion_note')}")
    lines.append(
        f"    {pad('#', 3, right=True)} {pad(t('segment'), 20)} "
        f"{pad(t('viewers_start'), 10, right=True)} {pad(t('viewers_end'), 8, right=True)} "
        f"{pad(t('peak'), 8, right=True)} {pad(t('comments'), 8, right=True)} "
        f"{pad(t('orders'), 7, right=True)} {pad(t('conversion'), 10, right=True)} "
        f"{pad(t('gmv'), 16, right=True)}  {t('sell_through')}"
    )
    for segment in figures.segments:
        lines.append(
            f"    {pad(str(segment.index + 1), 3, right=True)} {pad(segment.title, 20, cut=True)} "
            f"{pad(_count(segment.viewers_start, lang), 10, right=True)} "
            f"{pad(_count(segment.viewers_end, lang), 8, right=True)} "
            f"{pad(_count(segment.viewers_peak, lang), 8, right=True)} "
            f"{pad(_count(segment.comments, lang), 8, right=True)} "
            f"{pad(_count(segment.orders, lang), 7, right=True)} "
            f"{pad(percent(segment.conversion, lang), 10, right=True)} "
            f"{pad(_segment_gmv(report, segment, lang), 16, right=True)}  "
            f"{_sell_through(segment, lang)}"
        )
    lines += ["", f"  {t('prompts')}"]
    if not board.prompts:
        lines.append(f"    {t('no_prompts')}")
    for prompt in board.prompts:
        dismissed = board.dismissed.get(prompt.key)
        note = (
            f"  ({t('dismissed_at', time=_clock(report.relative_s(dismissed)))})"
            if dismissed is not None
            else ""
        )
        lines.append(
            f"    {pad(_clock(report.relative_s(prompt.at)), 8, right=True)}  "
            f"{prompt_line(prompt, lang)}{note}"
        )
    return lines


# -- HTML ---------------------------------------------------------------------------------------


def board_html(report: SessionReport, language: str) -> str:
    board = report.board
    if board is None:
        return ""
    lang = report_language(language)
    figures = board.figures

    def t(message: str, **values: object) -> str:
        return escape(text(lang, message, **values))

    rows = "".join(
        f"<tr><td class=num>{s.index + 1}</td><td>{escape(s.title)}</td>"
        f"<td class=num>{_count(s.viewers_start, lang)}</td>"
        f"<td class=num>{_count(s.viewers_end, lang)}</td>"
        f"<td class=num>{_count(s.viewers_peak, lang)}</td>"
        f"<td class=num>{_count(s.comments, lang)}</td><td class=num>{_count(s.orders, lang)}</td>"
        f"<td class=num>{_count(s.buyers, lang)}</td>"
        f"<td class=num>{percent(s.conversion, lang)}</td>"
        f"<td class=num>{escape(_segment_gmv(report, s, lang))}</td>"
        f"<td>{escape(_sell_through(s, lang))}</td></tr>"
        for s in figures.segments
    )
    prompt_rows = "".join(
        f"<tr><td class=num>{_clock(report.relative_s(p.at))}</td>"
        f"<td>{escape(prompt_line(p, lang))}</td><td class=note>"
        + (
            t("dismissed_at", time=_clock(report.relative_s(board.dismissed[p.key])))
            if p.key in board.dismissed
            else ""
        )
        + "</td></tr>"
        for p in board.prompts
    )
    prompts = (
        f"<table><tr><th class=num>{t('at_time')}</th><th>{t('prompt')}</th><th></th></tr>"
        f"{prompt_rows}</table>"
        if board.prompts
        else f"<p class=note>{t('no_prompts')}</p>"
    )
    chart = (
        f"<p class=note>{t('viewers_chart_note')}</p>\n{viewers_chart(report, lang)}"
        if board.counts_viewers
        else f"<p class=note>{t('no_viewers')}</p>"
    )
    return f"""<h2>{t("audience")}</h2>
<div class="figures">
<div class=figure>{t("peak_viewers")}<b>{_count(figures.viewers_peak, lang)}</b></div>
<div class=figure>{t("buyers")}<b>{_count(figures.buyers, lang)}</b></div>
<div class=figure>{t("conversion")}<b>{percent(figures.conversion, lang)}</b></div>
<div class=figure>{t("average_order")}<b>{escape(_average_order(report, lang))}</b></div>
</div>
<p class=note>{t("conversion_note")}</p>
<h2>{t("viewers_over_time")}</h2>
{chart}
<table><tr><th class=num>#</th><th>{t("segment")}</th><th class=num>{t("viewers_start")}</th>
<th class=num>{t("viewers_end")}</th><th class=num>{t("peak")}</th>
<th class=num>{t("comments")}</th><th class=num>{t("orders")}</th>
<th class=num>{t("buyers")}</th><th class=num>{t("conversion")}</th>
<th class=num>{t("gmv")}</th><th>{t("sell_through")}</th></tr>{rows}</table>
<h2>{t("prompts")}</h2>
{prompts}
"""


def viewers_chart(report: SessionReport, language: str) -> str:
    """The audience over the show as a step line, segment starts as dashed lines."""
    from anchordesk.store.report_charts import TICK_PX, WIDTH, _svg_open, _time_axis, _y_axis

    board = report.board
    assert board is not None
    lang = report_language(language)
    duration = max(1.0, report.relative_s(report.ended_at) or 1.0)
    top = max((n for _, n in board.audience), default=0)
    ticks = nice_ticks(float(top))
    labels = [(tick, format_number(int(tick), lang)) for tick in ticks]
    pad_left = max(text_width(label, TICK_PX) for _, label in labels) + 14
    width, height, pad_top, pad_bottom, pad_right = WIDTH, 220, 12, 30, 16
    plot_w = width - pad_left - pad_right
    plot_h = height - pad_top - pad_bottom
    y_top = ticks[-1] or 1.0

    def x(seconds: float) -> float:
        return pad_left + plot_w * min(1.0, max(0.0, seconds / duration))

    def y(value: float) -> float:
        return pad_top + plot_h * (1 - value / y_top)

    parts: list[str] = [_svg_open(width, height, text(lang, "viewers_over_time"))]
    parts += _y_axis(labels, pad_left, width - pad_right, y)
    for segment in report.ledger.segments:
        at = x(report.relative_s(segment.started_at) or 0.0)
        parts.append(
            f'<line x1="{at:.1f}" y1="{pad_top:.1f}" x2="{at:.1f}" y2="{pad_top + plot_h:.1f}" '
            f'stroke="#5577aa" stroke-dasharray="3,3"><title>{segment.index + 1}. '
            f"{escape(segment.title)}</title></line>"
        )
    points: list[tuple[float, float]] = []
    for at, total in board.audience:
        px = x(report.relative_s(at) or 0.0)
        if points:
            points.append((px, points[-1][1]))
        points.append((px, y(float(total))))
    if points:
        points.append((x(duration), points[-1][1]))
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#1e88e5" stroke-width="2"/>')
    parts += _time_axis(duration, x, pad_left, plot_w, pad_top + plot_h)
    parts.append("</svg>")
    return "".join(parts)


# -- JSON ---------------------------------------------------------------------------------------


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def board_json(report: SessionReport) -> dict[str, object] | None:
    """The board's figures for ``anchordesk report --json`` (money as strings)."""
    board = report.board
    if board is None:
        return None
    figures = board.figures
    return {
        "peak_viewers": figures.viewers_peak,
        "buyers": figures.buyers,
        "conversion": _ratio(figures.conversion),
        "average_order_value": {c: amount_text(v, c) for c, v in figures.average_order_value},
        "viewers": [[report.relative_s(at), total] for at, total in board.audience],
        "segments": [
            {
                "index": s.index,
                "title": s.title,
                "start_s": report.relative_s(s.started_at),
                "end_s": report.relative_s(s.ended_at),
                "viewers_start": s.viewers_start,
                "viewers_end": s.viewers_end,
                "viewers_peak": s.viewers_peak,
                "comments": s.comments,
                "orders": s.orders,
                "buyers": s.buyers,
                "units": s.units,
                "conversion": _ratio(s.conversion),
                "gmv_by_currency": {c: amount_text(v, c) for c, v in s.gmv_by_currency},
                "deals": [
                    {
                        "deal_id": d.deal_id,
                        "sku": d.sku,
                        "units_sold": d.units_sold,
                        "units_total": d.units_total,
                        "sell_through": _ratio(d.sell_through),
                    }
                    for d in s.deals
                ],
            }
            for s in figures.segments
        ],
        "prompts": [
            {
                "at_s": report.relative_s(p.at),
                "rule": p.rule,
                "key": p.key,
                "text": p.english,
                "dismissed_at_s": report.relative_s(board.dismissed.get(p.key)),
            }
            for p in board.prompts
        ],
    }
