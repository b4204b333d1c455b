"""Banned and absolute terms: built-in Chinese, Japanese and English lists and the show's words."""

from __future__ import annotations

import random
import re
from dataclasses import replace

from anchordesk.core.paths import resources_dir
from anchordesk.show import compliance
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


def test_the_factored_pattern_finds_exactly_what_the_plain_list_of_terms_would() -> None:
    """2,000 banned words are matched as a trie (one try per character, not 2,000): the hits,
    and which term wins where several could start, must stay those of the plain alternation
    of every term, longest first. Random words over characters that make terms share
    prefixes and collide with the built-in ones (最低价, 第一, 100%, #1, no. 1)."""
    rng = random.Random(5)
    alphabet = "ab最低价 第一1%#no.t"
    for _ in range(150):
        words = [
            "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 5)))
            for _ in range(rng.randint(0, 12))
        ]
        terms = compliance._show_terms(words) + compliance._builtin_terms()
        ordered = sorted(terms, key=lambda term: (-len(term.term), term.special))
        plain = re.compile("|".join(term.pattern for term in ordered))
        factored = ComplianceMatcher(words)._regex
        assert factored is not None
        for _ in range(5):
            text = "".join(rng.choice(alphabet + "xyz近") for _ in range(rng.randint(0, 30)))
            expected = [m.span() for m in plain.finditer(text)]
            assert [m.span() for m in factored.finditer(text)] == expected, (words, text)


def test_two_thousand_banned_words_with_one_first_letter_are_all_found() -> None:
    words = [f"w{index:05d}" + "x" * 20 for index in range(2000)]
    matcher = ComplianceMatcher(words)
    text = "lorem " + words[1234] + " ipsum " + words[7].upper() + " w00001xx"
    assert [hit.term for hit in matcher.find_hits(text)] == [words[1234], words[7]]
