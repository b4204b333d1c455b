"""Banned and absolute terms: built-in Chinese, Japanese and English lists and the show's words."""

from __future__ import annotations

from dataclasses import replace

from anchordesk.core.paths import resources_dir
from anchordesk.show.compliance import ComplianceMatcher, HitKind, check_show, find_hits
from anchordesk.showfile.files import load_show


def terms(text: str, banned: tuple[str, ...] = ()) -> list[tuple[str, str, int]]:
    return [(hit.term, hit.text, hit.start) for hit in find_hits(text, banned)]


def test_chinese_absolute_terms_with_offsets() -> None:
    text = "全网最低价！国家级配方，100%有效，绝对不踩雷"
    assert terms(text) == [
        ("全网最低", "全网最低", 0),
        ("国家级", "国家级", 6),
        ("100%", "100%", 12),
        ("绝对", "绝对", 19),
    ]
    hit = find_hits(text)[1]
    assert text[hit.start : hit.end] == "国家级" and hit.language == "zh"


def test_chinese_everyday_words_are_not_flagged() -> None:
    # 最近 (recently), 最后 (last), 第一次 (the first time) are not advertising claims.
    assert terms("最近皮肤很干，最后一个问题，第一次来直播间") == []
    assert terms("这是最好的面霜，销量第一") == [("最好", "最好", 2), ("销量第一", "销量第一", 8)]
    assert terms("唯一一款") == [("唯一", "唯一", 0)]


def test_japanese_terms() -> None:
    assert terms("日本一の美容液、絶対に効く、最安値です") == [
        ("日本一", "日本一", 0),
        ("絶対", "絶対", 8),
        ("最安値", "最安値", 14),
    ]
    assert terms("最寄り駅から最後まで") == []


def test_english_whole_words_any_case() -> None:
    assert terms("The BEST serum, #1 in Japan, Guaranteed to CURE dryness") == [
        ("best", "BEST", 4),
        ("#1", "#1", 16),
        ("guaranteed", "Guaranteed", 29),
        ("cure", "CURE", 43),
    ]
    # Inside other words or numbers: not a hit.
    assert terms("bestseller #10 secure") == []
    assert terms("risk  free, No. 1 pick") == [
        ("risk free", "risk  free", 0),
        ("no. 1", "No. 1", 12),
    ]


def test_full_width_forms_are_caught_with_original_offsets() -> None:
    text = "超值 ＢＥＳＴ １００％"
    hits = find_hits(text)
    assert [(h.term, h.text) for h in hits] == [("best", "ＢＥＳＴ"), ("100%", "１００％")]
    assert text[hits[0].start : hits[0].end] == "ＢＥＳＴ"


def test_show_banned_words() -> None:
    matcher = ComplianceMatcher(["假货", "free", "wire transfer"])
    hits = matcher.find_hits("不是假货! Free gift, freedom, pay by wire  transfer")
    assert [(h.term, h.text, h.kind) for h in hits] == [
        ("假货", "假货", HitKind.BANNED),
        ("free", "Free", HitKind.BANNED),
        ("wire transfer", "wire  transfer", HitKind.BANNED),
    ]
    assert hits[0].language == "show"
    assert ComplianceMatcher([], builtin=False).find_hits("best 最") == []


def test_show_check_reports_where_each_hit_is() -> None:
    show = load_show(resources_dir() / "shows" / "zh" / "show.json")
    assert check_show(show) == []  # the sample show is clean
    segment = replace(show.rundown[1], script="这是全网最好的精华，不是假货")
    product = replace(show.products[0], points=("100%纯天然",))
    edited = replace(
        show,
        rundown=(show.rundown[0], segment, *show.rundown[2:]),
        products=(product, *show.products[1:]),
    )
    hits = check_show(edited)
    assert [(h.path, h.hit.term) for h in hits] == [
        ("$.products[0].points[0]", "100%"),
        ("$.rundown[1].script", "最好"),
        ("$.rundown[1].script", "假货"),
    ]
    assert str(hits[1]) == "$.rundown[1].script: absolute term '最好' at character 4"
    assert str(hits[2]) == "$.rundown[1].script: banned word '假货' at character 12"


def test_hits_are_named_by_product_and_segment_not_by_json_path() -> None:
    from decimal import Decimal

    from anchordesk.show.compliance import Place, placed_hits, product_on_air_hits
    from anchordesk.show.model import Product, Segment, Show

    show = Show(
        title="Spring sale",
        currency="CNY",
        language="zh_CN",
        products=(
            Product(
                "TEA-01", "Best green tea 最好", Decimal("9"), 10, points=("guaranteed fresh",)
            ),
            Product("CUP-02", "Glass cup", Decimal("5"), 10),
        ),
        rundown=(Segment("Opening", 60, None, "The cheapest tea online!"),),
    )
    hits = placed_hits(show)
    assert [(h.place, h.owner, h.number, h.hit.text) for h in hits] == [
        (Place.PRODUCT_TITLE, "Best green tea 最好", 1, "Best"),
        (Place.PRODUCT_TITLE, "Best green tea 最好", 1, "最好"),
        (Place.PRODUCT_POINT, "Best green tea 最好", 1, "guaranteed"),
        (Place.SEGMENT_SCRIPT, "Opening", 1, "cheapest"),
    ]
    assert [h.hit.text for h in product_on_air_hits(show, "TEA-01")] == [
        "Best",
        "最好",
        "guaranteed",
    ]
    assert product_on_air_hits(show, "CUP-02") == []
    assert product_on_air_hits(show, "NOPE") == []
