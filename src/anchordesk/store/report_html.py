"""The report as one self-contained HTML page with inline SVG charts (no scripts, no network),
in the report's language (English, Chinese or Japanese).

Every text from outside (titles, SKUs, comment-derived names) is escaped: a product called
``<script>`` shows as typed. The charts come from ``report_charts``.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from anchordesk.core.money import format_number, listed_amounts
from anchordesk.core.printable import html_text as escape  # outside text: escaped, controls shown
from anchordesk.show.timing import (
    SegmentTiming,
    format_difference,
    format_duration,
    segments_total,
)
from anchordesk.store.report import (
    SessionReport,
    feeds_stopped_text,
    money_text,
    money_with_others,
    started_text,
)
from anchordesk.store.report_board import board_html
from anchordesk.store.report_charts import bar_chart, gmv_chart, units_chart
from anchordesk.store.report_i18n import end_reason_text, report_language, text
from anchordesk.store.report_rejected import REJECTED_LISTED_ON_PAGE, reason_text, reason_words
from anchordesk.store.report_streams import stream_text

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
svg .tick { font-size: 11px; fill: #666; }  /* report_charts.FONT_PX */
svg .label { font-size: 12px; fill: #333; }
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
    total = segments_total(timings)
    plan, actual_total = total.planned_s, total.actual_s
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
    when = started_text(report.started_at, language)
    duration = _clock(report.ended_at - report.started_at)
    return (
        f"<p class=note>{escape(text(language, 'started'))} {escape(when)} · "
        f"{escape(text(language, 'duration'))} {duration}</p>"
    )


def report_html(report: SessionReport, language: str | None = None) -> str:
    """The page, in ``language`` ("en", "zh_CN", "ja"; default: the show's language)."""
    lang = report_language(language or report.language)
    ledger = report.ledger
    currency = report.currency

    def t(message: str, **values: object) -> str:
        return escape(text(lang, message, **values))

    def money(amount: Decimal, of: str | None = None) -> str:
        return escape(money_text(amount, of or currency, lang))

    def sales(amount: Decimal, of: str, others: dict[str, Decimal]) -> str:
        return escape(money_with_others(amount, of, others, lang))

    def count(number: int) -> str:
        return format_number(number, lang)  # as the text report and the window group counts

    title = report.title or report.path.name
    no_sku = text(lang, "no_sku")
    rows_products = "".join(
        f"<tr{'' if p.known else ' class=unknown'}><td>{escape(p.sku or no_sku)}</td>"
        f"<td>{escape(p.title)}{'' if p.known else ' (' + t('not_in_show') + ')'}</td>"
        f'<td class="num">{count(p.units)}</td>'
        f'<td class="num">{sales(p.gmv, report.currency_of(p.sku), p.other_gmv)}</td></tr>'
        for p in [*ledger.products.values(), *ledger.unknown_skus.values()]
    )
    rows_segments = "".join(
        f"<tr><td class=num>{s.index + 1}</td>"
        f"<td class=num>{_clock(report.relative_s(s.started_at) or 0)}</td>"
        f"<td>{escape(s.title)}</td><td>{escape(s.sku or '')}</td>"
        f"<td class=num>{count(s.orders)}</td><td class=num>{count(s.units)}</td>"
        f"<td class=num>{sales(s.gmv, currency, s.other_gmv)}</td></tr>"
        for s in ledger.segments
    )
    rows_deals = "".join(
        f"<tr><td>{escape(d.deal_id)}</td><td>{escape(d.sku)}</td>"
        f"<td class=num>{money(d.price, report.currency_of(d.sku))}</td>"
        f"<td class=num>{count(d.units)}</td>"
        f"<td class=num>{sales(d.gmv, report.currency_of(d.sku), d.other_gmv)}"
        f"</td><td>{escape(end_reason_text(d.end_reason, lang))}</td></tr>"
        for d in ledger.deals
    )
    others = [
        (c, v) for c, v in listed_amounts(ledger.gmv_by_currency.items(), currency) if c != currency
    ]
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
<div class=figure>{t("orders")}<b>{count(report.orders)}</b></div>
<div class=figure>{t("units")}<b>{count(ledger.units)}</b></div>
<div class=figure>{t("comments")}<b>{count(report.comments)}</b></div>
<div class=figure>{t("questions")}<b>{count(report.questions)}</b></div>
<div class=figure>{t("flagged")}<b>{count(report.flagged)}</b></div>
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
{_rejected_section(report, lang)}
{board_html(report, lang)}
<p><small>{t("session_file", path=str(report.path))}</small></p>
</body></html>
"""


def _rejected_section(report: SessionReport, lang: str) -> str:
    """The items kept but not counted, and the rows of the file that could not be read."""

    def count(number: int) -> str:
        return format_number(number, lang)

    parts = []
    if report.feeds_stopped:
        parts.append(
            f"<p class=feeds-stopped><b>{escape(text(lang, 'feeds'))}</b>: "
            f"{escape(feeds_stopped_text(report, lang))}</p>"
        )
    for stream in report.streams:
        parts.append(
            f"<p class=stream><b>{escape(text(lang, 'stream'))}</b>: "
            f"{escape(stream_text(stream, lang))}</p>"
        )
    if report.rejected:

        def words(reason: str, items: int = 1) -> str:
            return reason_text(reason, lambda message, n: text(lang, message, n), items)

        reasons = ", ".join(
            f"{count(n)} {words(r, n)}" for r, n in report.rejected_by_reason.items()
        )
        rejected = len(report.rejected)
        title = text(lang, "rejected_items", rejected, count=count(rejected), reasons=reasons)
        rows = "".join(
            f"<tr><td>{escape(r.kind)}</td><td>{escape(r.item_id)}</td>"
            f"<td>{escape(r.source)}</td><td>{escape(r.detail)}</td>"
            f"<td>{escape(reason_words(r, lambda message, n=1: text(lang, message, n)))}</td></tr>"
            for r in report.rejected[:REJECTED_LISTED_ON_PAGE]
        )
        parts.append(f"<h2>{escape(text(lang, 'rejected'))}</h2>\n<p>{escape(title)}</p>")
        parts.append(f"<table class=rejected>{rows}</table>{_more(report.rejected, lang)}")
    if report.unreadable_rows:
        title = text(
            lang,
            "unreadable_rows",
            len(report.unreadable_rows),
            count=count(len(report.unreadable_rows)),
            path=str(report.path),
        )
        rows = "".join(
            f"<tr><td>{escape(u.table)}</td><td class=num>{u.row}</td>"
            f"<td>{escape(u.problem)}</td></tr>"
            for u in report.unreadable_rows[:REJECTED_LISTED_ON_PAGE]
        )
        more = _more(report.unreadable_rows, lang)
        parts.append(f"<p class=note>{escape(title)}</p><table>{rows}</table>{more}")
    return "\n".join(parts)


def _more(listed: Sequence[object], lang: str) -> str:
    if len(listed) <= REJECTED_LISTED_ON_PAGE:
        return ""
    more = len(listed) - REJECTED_LISTED_ON_PAGE
    return f"<p class=note>{escape(text(lang, 'and_more', count=format_number(more, lang)))}</p>"


def _clock(seconds: float) -> str:
    return format_duration(max(0.0, seconds))
