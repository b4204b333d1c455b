"""Round thirteen, found by the lead beside the hunters (round twelve's leftovers). Real parts:
the window's own show (LiveShow) polling the rehearsal audience over HTTP, its session file,
and the report read from that file."""

from __future__ import annotations

import asyncio
import html
from pathlib import Path

import pytest

from anchordesk.feeds import hub
from anchordesk.store import report_i18n
from anchordesk.store.report import build_report, report_text
from anchordesk.store.report_html import report_html

from .test_round_eleven_lead import MISSING_BUNDLE, _the_window_s_rehearsal


def test_a_report_in_chinese_or_japanese_says_why_the_feeds_stopped_in_its_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The feeds' HTTP client cannot be built (SSL_CERT_FILE naming nothing; forced here, so
    that httpx 0.27, which skips a missing file, meets it too). Before: the Chinese and the
    Japanese report said it in English ("数据源      the feeds stopped: the certificates
    cannot be loaded: …") while the window said it in its language."""

    def refused(*_args: object) -> object:
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setenv("SSL_CERT_FILE", MISSING_BUNDLE)
    monkeypatch.setattr(hub, "_new_http_client", refused)
    asyncio.run(_the_window_s_rehearsal(tmp_path, "stopped"))
    (session,) = (tmp_path / "sessions").glob("*.adsession")
    report = build_report(session)
    # The JSON (for programs) and the English text keep the English reason.
    english = (
        "the feeds stopped: the certificates cannot be loaded: SSL_CERT_FILE names "
        f"{MISSING_BUNDLE}, which does not exist (fix or unset it)"
    )
    assert report.to_json()["feeds_stopped"] == english
    assert (
        "stopped: the certificates cannot be loaded: SSL_CERT_FILE names "
        f"{MISSING_BUNDLE}, which does not exist (fix or unset it)"
    ) in report_text(report, "en")
    chinese = report_text(report, "zh_CN")
    assert (
        f"已停止：无法加载证书：SSL_CERT_FILE 指向的 {MISSING_BUNDLE} 不存在（请修正或取消该设置）"
        in chinese
    )
    assert "the feeds stopped" not in chinese
    page = report_html(report, "ja")
    assert (
        html.escape(f"停止：証明書を読み込めません：SSL_CERT_FILE が指す {MISSING_BUNDLE}") in page
    )
    assert "cannot be loaded" not in page


def test_every_reason_the_feeds_hub_gives_has_the_reports_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The hub's reasons and the report's catalogue are kept apart (the store has no Qt): a
    reworded reason in the hub would fall back to English in every report."""
    monkeypatch.setenv("SSL_CERT_FILE", MISSING_BUNDLE)
    missing = hub._why_stopped(FileNotFoundError(2, "gone"))
    assert missing.params["name"] == "SSL_CERT_FILE"
    monkeypatch.delenv("SSL_CERT_FILE")
    other = hub._why_stopped(RuntimeError("boom"))
    for words in (missing, other):
        values = {name: str(value) for name, value in words.params.items()}
        for language in report_i18n.REPORT_LANGUAGES:
            assert report_i18n.stop_reason_text(words.template, values, language) is not None
    assert report_i18n.stop_reason_text("a newer version's words", {}, "ja") is None
