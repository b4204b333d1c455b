"""The report's words in English, Simplified Chinese and Japanese: a small message catalogue.

The store layer has no Qt, so the window's Qt Linguist catalogues cannot reach the report;
the report needs a few dozen strings, kept here next to each other so a translator sees the
three languages of one message at once (a test checks that every message has all three, with
the same placeholders). Numbers, dates and money come from CLDR through Babel, in the same
language.
"""

from __future__ import annotations

import locale as system_locale
import os
import string
from collections.abc import Mapping

from anchordesk.core.money import babel_locale

REPORT_LANGUAGES = ("en", "zh_CN", "ja")
DEFAULT_LANGUAGE = "en"

# message id -> (English, 简体中文, 日本語). Placeholders are str.format fields.
MESSAGES: dict[str, tuple[str, str, str]] = {
    "report": ("Session report", "场次报告", "セッションレポート"),
    "report_title": ("Session report: {title}", "场次报告：{title}", "セッションレポート：{title}"),
    "page_title": (
        "{title} — AnchorDesk report",
        "{title} — AnchorDesk 报告",
        "{title} — AnchorDesk レポート",
    ),
    "started": ("Started", "开始时间", "開始"),
    "duration": ("Duration", "时长", "長さ"),
    "minutes": ("{n} min", "{n} 分钟", "{n} 分"),
    "comments": ("Comments", "评论", "コメント"),
    "comments_detail": (
        "{questions} questions, {flagged} flagged, {hidden} hidden",
        "提问 {questions}，含违禁词 {flagged}，已隐藏 {hidden}",
        "質問 {questions}、NGワード {flagged}、非表示 {hidden}",
    ),
    "questions": ("Questions", "提问", "質問"),
    "flagged": ("Flagged", "含违禁词", "NGワード"),
    "hidden": ("Hidden", "已隐藏", "非表示"),
    "orders": ("Orders", "订单", "注文"),
    "units": ("Units", "件数", "点数"),
    "orders_detail": ("{units} units", "共 {units} 件", "{units} 点"),
    "gmv": ("GMV", "成交额", "売上"),
    "gmv_in": ("GMV in {currency}", "{currency} 成交额", "{currency} の売上"),
    "gmv_apart": (
        "Orders in another currency are counted apart, never added in.",
        "其他币种的订单单独统计，不计入上面的成交额。",
        "他の通貨の注文は別に集計し、合算しません。",
    ),
    "products": ("Products", "商品", "商品"),
    "product": ("Product", "商品", "商品"),
    "sku": ("SKU", "货号", "SKU"),
    "no_sku": ("(no SKU)", "（无货号）", "（SKUなし）"),
    "not_in_show": ("not in the show", "不在本场商品中", "番組にない商品"),
    "unknown_skus": (
        "Orders for SKUs not in the show: {skus}",
        "不在本场商品中的货号的订单：{skus}",
        "番組にないSKUの注文：{skus}",
    ),
    "share": ("Share", "占比", "構成比"),
    "segments": ("Segments", "环节", "コーナー"),
    "segment": ("Segment", "环节", "コーナー"),
    "start": ("Start", "开始", "開始"),
    "deals": ("Flash deals", "限时秒杀", "タイムセール"),
    "deal": ("Deal", "秒杀", "セール"),
    "price": ("Price", "价格", "価格"),
    "end": ("End", "结束", "終了"),
    "no_deals": ("No flash deal ran.", "本场没有限时秒杀。", "タイムセールはありませんでした。"),
    "end_ended": ("time ran out", "时间到", "時間切れ"),
    "end_sold_out": ("sold out", "已售罄", "完売"),
    "end_stopped": ("stopped by the operator", "手动结束", "手動で終了"),
    "end_live": ("still running at the end", "结束时仍在进行", "終了時も継続中"),
    # A deal live when its run was killed; the run that continued the session ended it.
    "end_interrupted": (
        "cut off: the program stopped",
        "程序中途停止，秒杀中断",
        "プログラムの停止で中断",
    ),
    "per_minute": ("Per minute", "每分钟", "1分ごと"),
    "minute": ("Minute", "分钟", "分"),
    "minute_tip": ("minute {n}: {value}", "第 {n} 分钟：{value}", "{n} 分目：{value}"),
    "gmv_over_time": ("GMV over time", "成交额走势", "売上の推移"),
    "gmv_chart_note": (
        "Dashed lines: segment starts, numbered as in the Segments table. "
        "Yellow bands: flash deals.",
        "虚线：环节开始（编号同“环节”表）。黄色区域：限时秒杀。",
        "破線：コーナーの開始（番号は「コーナー」の表と同じ）。黄色の帯：タイムセール。",
    ),
    "orders_per_minute": ("Orders per minute", "每分钟订单", "1分ごとの注文"),
    "comments_per_minute": ("Comments per minute", "每分钟评论", "1分ごとのコメント"),
    "units_per_product": ("Units per product", "各商品件数", "商品別の点数"),
    "audience": ("Audience and conversion", "观众与转化", "視聴者とコンバージョン"),
    "viewers_over_time": ("Viewers over time", "在线人数走势", "視聴者数の推移"),
    "viewers_chart_note": (
        "Online viewers (each platform's latest count, added up). Dashed lines: segment starts.",
        "在线人数（各平台最新人数之和）。虚线：环节开始。",
        "視聴者数（各プラットフォームの最新の数の合計）。破線：コーナーの開始。",
    ),
    "no_viewers": (
        "No feed counted viewers.",
        "没有数据源提供在线人数。",
        "視聴者数を送るフィードはありませんでした。",
    ),
    "peak_viewers": ("Peak viewers", "峰值在线", "最大視聴者数"),
    "viewers_start": ("Viewers at start", "开始时在线", "開始時の視聴者"),
    "viewers_end": ("at end", "结束时", "終了時"),
    "peak": ("Peak", "峰值", "最大"),
    "buyers": ("Buyers", "下单人数", "購入者"),
    "conversion": ("Conversion", "转化率", "コンバージョン率"),
    "conversion_note": (
        "Conversion: buyers ÷ peak viewers (per segment: its buyers ÷ its peak).",
        "转化率：下单人数 ÷ 峰值在线人数（各环节按该环节的下单人数与峰值计算）。",
        "コンバージョン率：購入者 ÷ 最大視聴者数（コーナーごとはそのコーナーの購入者と最大数）。",
    ),
    "average_order": ("Average order", "客单价", "平均注文額"),
    "sell_through": ("Sell-through", "售出率", "消化率"),
    "sell_through_of": ("{sold} of {total}", "{total} 件中售出 {sold}", "{total} 点中 {sold} 点"),
    "prompts": ("Prompts", "提示", "プロンプト"),
    "no_prompts": ("No prompt fired.", "没有触发提示。", "プロンプトはありませんでした。"),
    "at_time": ("At", "时间", "時刻"),
    "prompt": ("Prompt", "提示", "プロンプト"),
    "dismissed_at": ("dismissed at {time}", "{time} 已关闭", "{time} に閉じた"),
    "prompt_viewers_drop": (
        "Viewers fell from {from} to {to} in {minutes} min: give them a reason to stay",
        "{minutes} 分钟内在线人数从 {from} 降到 {to}：给观众一个留下的理由",
        "{minutes} 分で視聴者が {from} から {to} に減少：残る理由を伝えましょう",
    ),
    "prompt_deal_ending": (
        "Deal on {title} ends in {seconds} s with {left} of {total} left",
        "{title} 的秒杀 {seconds} 秒后结束，还剩 {left}/{total} 件",
        "{title} のセールは残り {seconds} 秒、{total} 点中 {left} 点が残っています",
    ),
    "prompt_sold_out_on_screen": (
        "{title} sold out while on screen: move on or restock",
        "{title} 在展示中售罄：换下一个商品或补货",
        "{title} が表示中に完売：次へ進むか補充を",
    ),
    "prompt_question_waiting": (
        "A question has waited {seconds} s: {author}: {text}",
        "有提问已等待 {seconds} 秒：{author}：{text}",
        "質問が {seconds} 秒待っています：{author}：{text}",
    ),
    "prompt_stock_short": (
        "{title} sells out in ~{minutes} min, before this segment ends",
        "{title} 约 {minutes} 分钟后售罄，早于本环节结束",
        "{title} は約 {minutes} 分で完売、このコーナーの終了前です",
    ),
    "deal_tip": (
        "{deal} {sku} at {price}: {units} units, {end}",
        "{deal} {sku} 价格 {price}：{units} 件，{end}",
        "{deal} {sku} 価格 {price}：{units} 点、{end}",
    ),
    "timing": ("Timing: plan and actual", "时间：计划与实际", "時間：予定と実績"),
    "plan": ("Plan", "计划", "予定"),
    "actual": ("Actual", "实际", "実績"),
    "difference": ("Difference", "差异", "差"),
    "total": ("Total", "合计", "合計"),
    "not_reached": ("not reached", "未进行", "未実施"),
    "page_written": (
        "Page with charts: {path}",
        "带图表的页面：{path}",
        "グラフ付きのページ：{path}",
    ),
    "session_file": ("Session file: {path}", "场次文件：{path}", "セッションファイル：{path}"),
    "rejected": ("Rejected", "已拒收", "除外"),
    "feeds": ("Feeds", "数据源", "フィード"),
    "stream": ("Stream", "推流", "配信"),
    "stream_live": (
        "{destination}: live {live}",
        "{destination}：直播 {live}",
        "{destination}：配信 {live}",
    ),
    "stream_again": (", reconnects: {count}", "，重新连上 {count} 次", "、再接続 {count} 回"),
    "stream_down": (
        "; not live for the last {down} of the run{why}",
        "；结束前最后 {down} 未在直播{why}",
        "；終了前の {down} は配信されていません{why}",
    ),
    "stream_why": (": {reason}", "：{reason}", "：{reason}"),
    "stream_never": (
        "{destination}: never went live: {reason}",
        "{destination}：始终未能开播：{reason}",
        "{destination}：一度も配信されませんでした：{reason}",
    ),
    "stream_no_answer": (
        "the run ended before the server answered",
        "服务器应答之前运行就结束了",
        "サーバーが応答する前に終了しました",
    ),
    "feeds_stopped": ("stopped: {reason}", "已停止：{reason}", "停止：{reason}"),
    # Why the feeds' hub stopped them (feeds/hub.py ``_why_stopped``: the same English).
    "feeds_stopped_certificates": (
        "the certificates cannot be loaded: {name} names {path}, which does not exist "
        "(fix or unset it)",
        "无法加载证书：{name} 指向的 {path} 不存在（请修正或取消该设置）",
        "証明書を読み込めません：{name} が指す {path} は存在しません"
        "（修正するか設定を解除してください）",
    ),
    "feeds_stopped_error": ("{error} ({kind})", "{error}（{kind}）", "{error}（{kind}）"),
    "feeds_stopped_proxy": (
        "the proxy {name} names ({proxy}) cannot be used: {error}; fix or unset it",
        "无法使用 {name} 指定的代理（{proxy}）：{error}；请修正或取消设置",
        "{name} が指定するプロキシ（{proxy}）は使えません：{error}。"
        "修正するか設定を解除してください",
    ),
    "feeds_stopped_proxy_scheme": (
        "the proxy {name} names ({proxy}) is not an http:// or https:// address: fix or unset it",
        "{name} 指定的代理（{proxy}）不是 http:// 或 https:// 地址：请修正或取消设置",
        "{name} が指定するプロキシ（{proxy}）は http:// または https:// のアドレスでは"
        "ありません。修正するか設定を解除してください",
    ),
    "feeds_stopped_socks": (
        "the proxy {name} names ({proxy}) is a SOCKS proxy, which AnchorDesk cannot use: "
        "name an HTTP proxy there, or unset it",
        "{name} 指定的代理（{proxy}）是 SOCKS 代理，AnchorDesk 无法使用：请改为 HTTP 代理，"
        "或取消设置",
        "{name} が指定するプロキシ（{proxy}）は SOCKS プロキシで、AnchorDesk では使えません。"
        "HTTP プロキシを指定するか、設定を解除してください",
    ),
    "feeds_stopped_no_proxy": (
        "{name} holds an entry that is no host name or address ({entry}): fix or remove it",
        "{name} 中有一项不是主机名或地址（{entry}）：请改正或删除它",
        "{name} にホスト名でもアドレスでもない項目があります（{entry}）。"
        "修正するか削除してください",
    ),
    "rejected_short": (
        "{count} items, not counted",
        "{count} 条，未计入",
        "{count} 件、集計に含めず",
    ),
    "rejected_items": (
        "{count} items rejected, not counted: {reasons}",
        "{count} 条数据被拒收，未计入：{reasons}",
        "{count} 件を除外し、集計に含めていません：{reasons}",
    ),
    "reason_amount_not_a_number": ("amounts not a number", "金额不是数字", "金額が数値でない"),
    "reason_amount_negative": ("negative amounts", "金额为负", "金額が負"),
    "reason_amount_too_large": (
        "amounts above the ceiling",
        "金额超过上限",
        "金額が上限を超える",
    ),
    "reason_amount_too_precise": (
        "amounts finer than the currency's digits",
        "金额小数位多于该币种",
        "金額の桁が通貨の桁より細かい",
    ),
    "reason_quantity_invalid": (
        "quantities out of range",
        "数量超出范围",
        "数量が範囲外",
    ),
    "reason_currency_invalid": (
        "currencies not ISO 4217 codes",
        "币种不是 ISO 4217 代码",
        "通貨が ISO 4217 のコードでない",
    ),
    "reason_unreadable": ("unreadable items", "无法读取的数据", "読み取れない項目"),
    "reason_order_changed": (
        "orders sent again changed (the first copy counts)",
        "订单再次发送时已更改（按首次收到的计入）",
        "内容が変わって再送された注文（最初に受けた内容で集計）",
    ),
    "reason_update_changed": (
        "cancellations or refunds sent again changed (the first copy counts)",
        "取消或退款再次发送时已更改（按首次收到的计入）",
        "内容が変わって再送されたキャンセル・返金（最初に受けた内容で集計）",
    ),
    "reason_update_currency_differs": (
        "cancellations or refunds in another currency than their order",
        "取消或退款的币种与其订单不同",
        "注文と異なる通貨のキャンセル・返金",
    ),
    "reason_update_status_unknown": (
        "cancellations or refunds of an unknown status",
        "未知状态的取消或退款",
        "不明な状態のキャンセル・返金",
    ),
    "reason_update_order_not_counted": (
        "cancellations or refunds of an order not counted (never sent, or rejected)",
        "所属订单未计入（未收到或已拒收）的取消或退款",
        "集計していない注文（未着または除外）のキャンセル・返金",
    ),
    "corrected_since": (
        "corrected since: a later copy under its id is counted",
        "此后已更正：同一 ID 的后续副本已计入",
        "その後訂正済み：同じ ID の後のコピーを集計しています",
    ),
    "and_more": ("… and {count} more", "……另有 {count} 条", "…ほか {count} 件"),
    "unreadable_rows": (
        "{count} unreadable rows skipped in {path}",
        "{path} 中有 {count} 行无法读取，已跳过",
        "{path} の読み取れない {count} 行を飛ばしました",
    ),
    "row_of": ("{table} row {row}", "{table} 第 {row} 行", "{table} の {row} 行目"),
}


#: English's singular of the messages that count something: CLDR's plural category "one"
#: (as Babel gives it), where the catalogue above holds "other". The report said "1 items
#: rejected, not counted: 1 unreadable item", "2 unreadable item". Chinese and Japanese have
#: "other" only.
ENGLISH_ONE: dict[str, str] = {
    "comments_detail": "{questions} question, {flagged} flagged, {hidden} hidden",
    "orders_detail": "{units} unit",
    "deal_tip": "{deal} {sku} at {price}: {units} unit, {end}",
    "rejected_short": "{count} item, not counted",
    "rejected_items": "{count} item rejected, not counted: {reasons}",
    "unreadable_rows": "{count} unreadable row skipped in {path}",
    "reason_amount_not_a_number": "amount not a number",
    "reason_amount_negative": "negative amount",
    "reason_amount_too_large": "amount above the ceiling",
    "reason_amount_too_precise": "amount finer than the currency's digits",
    "reason_quantity_invalid": "quantity out of range",
    "reason_currency_invalid": "currency not an ISO 4217 code",
    "reason_unreadable": "unreadable item",
    "reason_order_changed": "order sent again changed (the first copy counts)",
    "reason_update_changed": "cancellation or refund sent again changed (the first copy counts)",
    "reason_update_currency_differs": "cancellation or refund in another currency than its order",
    "reason_update_status_unknown": "cancellation or refund of an unknown status",
    "reason_update_order_not_counted": (
        "cancellation or refund of an order not counted (never sent, or rejected)"
    ),
}


def report_language(name: str | None) -> str:
    """One of the report's languages for a language or locale name ("zh-CN", "ja_JP.UTF-8",
    "zh_TW"...): any Chinese gives Simplified Chinese (the one catalogue), any Japanese
    Japanese, anything else English."""
    cleaned = (name or "").strip().replace("-", "_").split(".")[0].split("@")[0]
    language = cleaned.split("_")[0].lower()
    if language == "zh":
        return "zh_CN"
    if language == "ja":
        return "ja"
    return DEFAULT_LANGUAGE


def option_language(name: str) -> str | None:
    """The report's language for ``--lang``: one of ``REPORT_LANGUAGES``, or a locale name as
    ``LANG`` holds it (``ja_JP.UTF-8`` -> ``ja``, ``zh_CN.UTF-8`` -> ``zh_CN``, ``en_US`` ->
    ``en``), read as :func:`environment_language` reads ``LANG``. None for a language the
    report is not written in (``fr_FR``, ``C``): the user asked for it by name, so it is
    refused rather than given in English."""
    cleaned = (name or "").strip().replace("-", "_").split(".")[0].split("@")[0]
    if cleaned.split("_")[0].lower() not in ("en", "zh", "ja"):
        return None
    return report_language(cleaned)


def environment_language(environ: Mapping[str, str] | None = None) -> str | None:
    """The user's language from the environment (LANGUAGE, LC_ALL, LC_MESSAGES, LANG, as
    gettext reads them), or None when it names none (unset, "C", "POSIX")."""
    env = os.environ if environ is None else environ
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(variable, "")
        for name in value.split(":"):
            base = name.split(".")[0].strip()
            if base and base.upper() not in ("C", "POSIX"):
                return report_language(base)
    if environ is None and os.name == "nt":  # Windows keeps it out of the environment
        found, _ = system_locale.getlocale()
        return report_language(found) if found else None
    return None


def text(language: str, message: str, plural_of: int | None = None, /, **values: object) -> str:
    """A message in one of ``REPORT_LANGUAGES`` (others read English), filled in; in the
    plural form the language's rules (CLDR, through Babel) give ``plural_of``, when it names
    what the message counts."""
    english, chinese, japanese = MESSAGES[message]
    lang = report_language(language)
    template = {"zh_CN": chinese, "ja": japanese}.get(lang, english)
    if (
        plural_of is not None
        and lang == "en"
        and message in ENGLISH_ONE
        and babel_locale(lang).plural_form(plural_of) == "one"
    ):
        template = ENGLISH_ONE[message]
    return template.format(**values) if values else template


def end_reason_text(reason: str | None, language: str) -> str:
    """How a flash deal ended, in words ("sold_out" -> "sold out", "已售罄", "完売");
    no reason means it was still running when the session ended."""
    if not reason:
        return text(language, "end_live")
    message = f"end_{reason}"
    return text(language, message) if message in MESSAGES else reason.replace("_", " ")


def stop_reason_text(template: str, values: Mapping[str, str], language: str) -> str | None:
    """The feeds' hub's reason (its English ``template`` and ``values``) in ``language``, or
    None when the template is not one this version knows (a newer version's words)."""
    for message in (
        "feeds_stopped_certificates",
        "feeds_stopped_error",
        "feeds_stopped_proxy",
        "feeds_stopped_proxy_scheme",
        "feeds_stopped_socks",
        "feeds_stopped_no_proxy",
    ):
        if MESSAGES[message][0] == template:
            # Values a damaged or hand-edited file lacks (or another version named otherwise):
            # the English status is said instead. Filled in anyway, the report ended in a
            # traceback ("KeyError: 'kind'"), or said the template's own braces.
            if not all(_names(form) <= values.keys() for form in MESSAGES[message]):
                return None
            words = text(language, message, **values)
            return text(language, "feeds_stopped", reason=words)
    return None


def _names(template: str) -> set[str]:
    """The values a message's template is filled with."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}
