"""Reports people can read: every segment, end reasons in words, the reader's language, money by
the one formatter, plan against actual, and chart labels that neither collide nor get cut."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from report_sessions import SEGMENT_TITLES, write_big_session

from anchordesk.cli import main as cli_main
from anchordesk.store.report import build_report, report_text
from anchordesk.store.report_charts import FONT_PX
from anchordesk.store.report_html import report_html
from anchordesk.store.report_i18n import MESSAGES, environment_language, report_language
from anchordesk.store.report_svg import TextBox

LANGUAGES = ("en", "zh_CN", "ja")
END_WORDS = {
    "en": ("sold out", "time ran out", "stopped by the operator"),
    "zh_CN": ("已售罄", "时间到", "手动结束"),
    "ja": ("完売", "時間切れ", "手動で終了"),
}


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.adsession"
    write_big_session(path)
    return path


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_segment_is_in_the_text_and_the_page_the_first_too(big: Path, language: str) -> None:
    report = build_report(big)
    assert [s.index for s in report.ledger.segments] == [0, 1, 2, 3, 2, *range(4, 12)]
    text = report_text(report, language)
    page = report_html(report, language)
    for title in SEGMENT_TITLES:
        assert title[:20] in text, title
        assert f"<td>{title.replace('&', '&amp;')}</td>" in page, title
    first_row = re.search(r"<tr><td class=num>1</td><td class=num>([0-9:]+)</td>", page)
    assert first_row is not None and first_row.group(1) == "0:00"


def test_a_session_file_without_the_first_segment_start_gets_it_back(tmp_path: Path) -> None:
    # As the window wrote them before the fix: no ShowStarted, no first SegmentStarted. The
    # first segment's end (with its elapsed time) says when it began.
    path = tmp_path / "old.adsession"
    write_big_session(path, first_segment_recorded=False)
    report = build_report(path)
    first = report.ledger.segments[0]
    assert (first.index, first.title, report.relative_s(first.started_at)) == (
        0,
        SEGMENT_TITLES[0],
        0.0,
    )
    assert first.orders > 0, "the first segment's orders are its own again"
    assert report.timings[0].actual_s == 300.0


@pytest.mark.parametrize("language", LANGUAGES)
def test_deal_end_reasons_are_words_in_the_report_s_language(big: Path, language: str) -> None:
    report = build_report(big)
    text = report_text(report, language)
    page = report_html(report, language)
    for words in END_WORDS[language]:
        assert words in text and words in page
    for code in ("sold_out", "stopped<", " ended"):
        assert code not in text and code not in page
    # JSON stays machine-readable: codes and decimal strings with their currency.
    data = report.to_json()
    assert [deal["end_reason"] for deal in data["deals"]] == ["sold_out", "ended", "stopped"]
    assert data["gmv"] == "1260119.40" and data["currency"] == "CNY"
    assert data["gmv_by_currency"] == {"CNY": "1260119.40", "USD": "12.50"}


@pytest.mark.parametrize(
    ("language", "gmv", "usd", "headings"),
    [
        ("en", "CN¥1,260,119.40", "$12.50", ("Segments", "Flash deals", "Timing")),
        ("zh_CN", "¥1,260,119.40", "US$12.50", ("环节", "限时秒杀", "计划")),
        ("ja", "元\u00a01,260,119.40", "$12.50", ("コーナー", "タイムセール", "予定")),
    ],
)
def test_words_numbers_and_money_in_the_report_s_language(
    big: Path, language: str, gmv: str, usd: str, headings: tuple[str, ...]
) -> None:
    report = build_report(big)
    for output in (report_text(report, language), report_html(report, language)):
        assert gmv in output
        assert usd in output, "the other currency is shown apart"
        for heading in headings:
            assert heading in output
    assert f'<html lang="{language.replace("_", "-")}">' in report_html(report, language)


def test_plan_against_actual_is_in_the_page_from_the_stored_segment_starts(big: Path) -> None:
    report = build_report(big)
    page = report_html(report, "en")
    # Kettle demo: 340 s, then 45 s more when the operator went back: 6:25 against 5:00.
    assert (
        "<tr><td class=num>3</td><td>Kettle demo</td><td class=num>5:00</td>"
        '<td class=num>6:25</td><td class="num over">+1:25</td></tr>'
    ) in page
    assert (
        "<tr><td class=num>4</td><td>防晒专场</td><td class=num>5:00</td>"
        '<td class=num>4:30</td><td class="num under">-0:30</td></tr>'
    ) in page
    assert "<th>Total</th><th class=num>60:00</th>" in page


def test_the_command_line_chooses_the_language(
    big: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")  # names no language: the show's (Chinese)
    assert cli_main(["report", str(big)]) == 0
    assert capsys.readouterr().out.startswith("场次报告：")
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    assert cli_main(["report", str(big)]) == 0
    assert capsys.readouterr().out.startswith("セッションレポート：")
    assert cli_main(["report", str(big), "--lang", "en"]) == 0
    assert capsys.readouterr().out.startswith("Session report:")
    assert cli_main(["report", str(big), "--lang", "fr"]) == 2
    assert "--lang fr" in capsys.readouterr().err


def test_language_names_from_settings_and_locales() -> None:
    assert [report_language(n) for n in ("zh-CN", "zh_TW", "ja_JP.UTF-8", "en_US", "", None)] == [
        "zh_CN",
        "zh_CN",
        "ja",
        "en",
        "en",
        "en",
    ]
    assert environment_language({"LANG": "C"}) is None
    assert environment_language({"LANGUAGE": "ja:en", "LANG": "en_US.UTF-8"}) == "ja"


def test_every_message_has_three_languages_with_the_same_placeholders() -> None:
    for key, texts in MESSAGES.items():
        assert len(texts) == 3 and all(texts), key
        fields = [sorted(re.findall(r"\{(\w+)\}", t)) for t in texts]
        assert fields[0] == fields[1] == fields[2], key


# -- chart geometry --------------------------------------------------------------------------


def _svgs(page: str) -> list[ElementTree.Element]:
    return [ElementTree.fromstring(match) for match in re.findall(r"<svg .*?</svg>", page, re.S)]


def _boxes(svg: ElementTree.Element) -> list[TextBox]:
    boxes = []
    for node in svg.iter("{http://www.w3.org/2000/svg}text"):
        label = "".join(node.itertext()) if node.find("{*}title") is None else node.text or ""
        if node.find("{*}title") is not None:
            label = node.find("{*}title").tail or ""  # type: ignore[union-attr]
        boxes.append(
            TextBox(
                float(node.attrib["x"]),
                float(node.attrib["y"]),
                label,
                FONT_PX[node.attrib["class"]],
                node.attrib.get("text-anchor", "start"),
            )
        )
    return boxes


@pytest.mark.parametrize("language", LANGUAGES)
def test_big_show_chart_labels_neither_overlap_nor_leave_the_chart(
    big: Path, language: str
) -> None:
    page = report_html(build_report(big), language)
    svgs = _svgs(page)
    assert len(svgs) == 4
    for svg in svgs:
        _, _, width, height = (float(v) for v in svg.attrib["viewBox"].split())
        boxes = _boxes(svg)
        assert boxes, svg.attrib["aria-label"]
        for box in boxes:
            assert box.left >= 0 and box.right <= width, (svg.attrib["aria-label"], box)
            assert box.top >= 0 and box.bottom <= height, (svg.attrib["aria-label"], box)
        for position, box in enumerate(boxes):
            for other in boxes[position + 1 :]:
                assert not box.overlaps(other), (svg.attrib["aria-label"], box, other)
    gmv_labels = [box.text for box in _boxes(svgs[0])]
    numbered = {label.split(" ")[0] for label in gmv_labels if re.match(r"\d+( |$)", label)}
    assert numbered == {str(n) for n in range(1, 13)}, "every segment line is labelled"
    units_labels = [box.text for box in _boxes(svgs[3]) if box.text.startswith("SKU-")]
    assert len(units_labels) == 20
    assert any(label.endswith("…") for label in units_labels), "long names are cut, not clipped"


def test_the_html_escapes_text_from_outside(tmp_path: Path) -> None:
    path = tmp_path / "s.adsession"
    write_big_session(path)
    page = report_html(build_report(path), "en")
    assert "返场 &amp; 抽奖" in page and "返场 & 抽奖" not in page


def test_the_json_report_is_unchanged_in_kind(
    big: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(["report", str(big), "--json", "--lang", "ja"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["segments"][0]["title"] == SEGMENT_TITLES[0]
    assert data["segments"][0]["gmv"] == "111693.30"
    assert [t["index"] for t in data["timing"]] == list(range(12))
