"""The overlays as the audience sees them: checked by their pixels, region by region."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QFontMetricsF, QImage, QPainter, QRawFont

from anchordesk.media.layers import OverlayLayer
from anchordesk.media.overlays import (
    CardView,
    CountdownState,
    CountdownView,
    Look,
    LowerThirdView,
    OverlayScene,
    PinnedCommentView,
    SceneOverlaySource,
    Theme,
    TickerView,
    ensure_gui_application,
    font_families,
)
from anchordesk.media.overlays.layout import OverlayLayout
from anchordesk.media.overlays.painting import image_to_bgra

CANVASES = [(1280, 720), (1920, 1080), (720, 1280), (1080, 1920)]
ACCENT = (255, 51, 85, 255)  # #ff3355: a red brand, so urgency is amber
AMBER_BGR = (0, 184, 255)


@pytest.fixture(scope="module", autouse=True)
def gui() -> None:
    ensure_gui_application()


def card_view(**changes: object) -> CardView:
    values: dict[str, object] = {
        "title": "Hydra Serum 30 ml",
        "price": Decimal("199"),
        "currency": "CNY",
        "deal_price": Decimal("129"),
        "stock_left": 87,
        "sku": "SERUM-30",
    }
    values.update(changes)
    return CardView(**values)  # type: ignore[arg-type]


def scene(**changes: object) -> OverlayScene:
    values: dict[str, object] = {"language": "en", "theme": Theme(accent=ACCENT)}
    values.update(changes)
    return OverlayScene(**values)  # type: ignore[arg-type]


def render(the_scene: OverlayScene, canvas: tuple[int, int] = (1280, 720), now_s: float = 0.0):
    return SceneOverlaySource(lambda _now_s: the_scene).layers(now_s, canvas)


def named(layers: Sequence[OverlayLayer], name: str) -> OverlayLayer:
    matches = [layer for layer in layers if layer.name == name]
    assert len(matches) == 1, f"expected one {name} layer in {[item.name for item in layers]}"
    return matches[0]


def colour_pixels(pixels: np.ndarray, bgr: tuple[int, int, int], tolerance: int = 30) -> int:
    """Opaque pixels of about this colour (premultiplied = straight where alpha is 255)."""
    opaque = pixels[:, :, 3] >= 250
    close = np.all(np.abs(pixels[:, :, :3].astype(int) - np.array(bgr)) <= tolerance, axis=2)
    return int(np.count_nonzero(opaque & close))


def glyph_image(text: str, language: str = "zh_CN", size: int = 64) -> np.ndarray:
    font = font_families(language).font(size)
    image = QImage(size * 3, size * 2, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setFont(font)
    painter.setPen(Qt.GlobalColor.white)
    painter.drawText(QPointF(size / 2, size * 1.4), text)
    painter.end()
    return image_to_bgra(image)[:, :, 3]


# -- fonts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "first", "second"), [("zh_CN", "价", "格"), ("ja", "タ", "セ")]
)
def test_cjk_glyphs_are_drawn_not_empty_boxes(language: str, first: str, second: str) -> None:
    families = font_families(language)
    assert families.cjk_available, "install fonts-noto-cjk: the overlays need a CJK font"
    raw = QRawFont.fromFont(families.font(64))
    assert raw.supportsCharacter(first) and raw.supportsCharacter(second)
    one, two = glyph_image(first, language), glyph_image(second, language)
    # A missing glyph is drawn as the same empty box for every character; real glyphs have ink
    # and differ from each other and from that box.
    missing = glyph_image("\U000f0000", language)
    assert np.count_nonzero(one) > 300 and np.count_nonzero(two) > 300
    assert np.count_nonzero(one != two) > 300
    assert np.count_nonzero(one != missing) > 300 and np.count_nonzero(two != missing) > 300


def test_chinese_and_japanese_prefer_their_own_cjk_family() -> None:
    assert font_families("zh_CN").text[0].endswith("SC")
    assert font_families("ja").text[0].endswith("JP")
    english = font_families("en").text
    assert any("CJK" in family for family in english), "English text still falls back to CJK"


# -- product card --------------------------------------------------------------------------------


@pytest.mark.parametrize("canvas", CANVASES)
def test_card_sits_inside_the_canvas_on_its_side(canvas: tuple[int, int]) -> None:
    card = named(render(scene(card=card_view()), canvas), "show.card")
    width, height = canvas
    assert card.x >= 0 and card.x + card.width <= width
    assert card.y >= 0 and card.y + card.height <= height
    if width > height:
        assert card.x > width / 2, "landscape: the card stays on the right, off the anchor's face"
    else:
        assert card.y > height / 2, "portrait: the card sits in the lower part"
    # Scaled with the canvas: the 1080p card is 1.5 times the 720p one.
    assert card.width == OverlayLayout.for_canvas(*canvas).card.width
    opaque = np.count_nonzero(card.bgra_premultiplied[:, :, 3] > 200)
    assert opaque > 0.8 * card.width * card.height, "the card is a solid panel"


def test_layer_pixels_are_premultiplied_bgra() -> None:
    card = named(render(scene(card=card_view())), "show.card")
    pixels = card.bgra_premultiplied
    assert pixels.dtype == np.uint8 and pixels.shape == (card.height, card.width, 4)
    assert np.all(pixels[:, :, :3] <= pixels[:, :, 3:4])


def test_deal_price_digits_are_drawn_in_the_price_row() -> None:
    one = named(render(scene(card=card_view(deal_price=Decimal("129")))), "show.card")
    other = named(render(scene(card=card_view(deal_price=Decimal("128")))), "show.card")
    again = named(render(scene(card=card_view(deal_price=Decimal("129")))), "show.card")
    assert np.array_equal(one.bgra_premultiplied, again.bgra_premultiplied)
    rows = np.flatnonzero(np.any(one.bgra_premultiplied != other.bgra_premultiplied, axis=(1, 2)))
    assert rows.size > 10, "changing one digit of the price changes the picture"
    layout = OverlayLayout.for_canvas(1280, 720)
    image_bottom = layout.px(16 + 190)
    assert rows.min() > image_bottom, "only the price row changes, below image and title"
    accent_bgr = (ACCENT[2], ACCENT[1], ACCENT[0])
    price_rows = one.bgra_premultiplied[rows.min() : rows.max() + 1]
    assert colour_pixels(price_rows, accent_bgr) > 200, "the deal price is in the brand colour"


def test_without_a_deal_the_list_price_is_the_price_shown() -> None:
    with_deal = named(render(scene(card=card_view())), "show.card").bgra_premultiplied
    no_deal = named(render(scene(card=card_view(deal_price=None))), "show.card")
    assert not np.array_equal(with_deal, no_deal.bgra_premultiplied)


def test_sold_out_card_is_stamped_and_drops_the_brand_colour() -> None:
    live = named(render(scene(card=card_view())), "show.card").bgra_premultiplied
    sold = named(render(scene(card=card_view(stock_left=0, sold_out=True))), "show.card")
    accent_bgr = (ACCENT[2], ACCENT[1], ACCENT[0])
    assert colour_pixels(live, AMBER_BGR) == 0
    assert colour_pixels(sold.bgra_premultiplied, AMBER_BGR) > 500, "sold-out stamp and label"
    # Only the accent edge keeps the brand colour; the price no longer shouts in it.
    assert colour_pixels(sold.bgra_premultiplied, accent_bgr) < colour_pixels(live, accent_bgr) / 3


def test_low_stock_turns_the_counter_urgent() -> None:
    plenty = named(render(scene(card=card_view(stock_left=87))), "show.card").bgra_premultiplied
    few = named(render(scene(card=card_view(stock_left=3))), "show.card").bgra_premultiplied
    assert colour_pixels(plenty, AMBER_BGR) == 0
    assert colour_pixels(few, AMBER_BGR) > 50


def test_unreadable_image_still_gives_a_card(tmp_path: Path) -> None:
    broken = tmp_path / "serum.png"
    broken.write_bytes(b"not a png")
    card = named(render(scene(card=card_view(image_path=broken))), "show.card")
    assert card.width > 0


def test_product_image_is_drawn_scaled_into_the_card(tmp_path: Path) -> None:
    path = tmp_path / "green.png"
    picture = QImage(800, 800, QImage.Format.Format_RGB32)
    picture.fill(Qt.GlobalColor.green)
    assert picture.save(str(path))
    card = named(render(scene(card=card_view(image_path=path))), "show.card")
    assert colour_pixels(card.bgra_premultiplied, (0, 255, 0), tolerance=5) > 150 * 150


def test_cjk_title_is_drawn_on_the_card() -> None:
    zh = scene(language="zh_CN", card=card_view(title="水润精华液"))
    tofu = scene(language="zh_CN", card=card_view(title="\U000f0000" * 5))
    zh_pixels = named(render(zh), "show.card").bgra_premultiplied
    tofu_pixels = named(render(tofu), "show.card").bgra_premultiplied
    assert np.count_nonzero(np.any(zh_pixels != tofu_pixels, axis=2)) > 500


# -- countdown -----------------------------------------------------------------------------------


def deal_scene(start_s: float, seconds: float):
    def provider(now_s: float) -> OverlayScene:
        remaining = max(0.0, start_s + seconds - now_s)
        state = CountdownState.LIVE if remaining > 0 else CountdownState.ENDED
        return scene(card=card_view(), countdown=CountdownView(remaining, seconds, state))

    return provider


@pytest.mark.parametrize("canvas", [(1280, 720), (720, 1280)])
def test_countdown_changes_each_second_and_not_in_between(canvas: tuple[int, int]) -> None:
    source = SceneOverlaySource(deal_scene(0.0, 30.0))
    fps = 30
    by_second: dict[int, OverlayLayer] = {}
    card_layers = set()
    for frame in range(3 * fps):
        now_s = frame / fps
        layers = source.layers(now_s, canvas)
        countdown = named(layers, "show.countdown")
        card_layers.add(id(named(layers, "show.card")))
        second = frame // fps
        if second in by_second:
            assert countdown is by_second[second], "same second: the very same layer object"
        else:
            by_second[second] = countdown
    assert len(card_layers) == 1, "the card is rendered once"
    assert source.render_counts["countdown"] == 3
    assert source.render_counts["card"] == 1
    first, second = by_second[0], by_second[1]
    assert first.version != second.version
    assert not np.array_equal(first.bgra_premultiplied, second.bgra_premultiplied)


def test_countdown_bar_shrinks_with_time() -> None:
    def filled(remaining_s: float) -> int:
        layer = named(render(scene(countdown=CountdownView(remaining_s, 60.0))), "show.countdown")
        accent_bgr = (ACCENT[2], ACCENT[1], ACCENT[0])
        return colour_pixels(layer.bgra_premultiplied, accent_bgr)

    assert filled(60) > filled(45) > filled(30) > filled(15)


def test_countdown_turns_urgent_in_the_last_ten_seconds() -> None:
    def amber(remaining_s: float) -> int:
        layer = named(render(scene(countdown=CountdownView(remaining_s, 60.0))), "show.countdown")
        return colour_pixels(layer.bgra_premultiplied, AMBER_BGR)

    assert amber(11.0) == 0
    assert amber(10.0) > 400
    assert amber(0.5) > 400


def test_urgency_is_red_for_a_brand_that_is_not_red() -> None:
    blue = Theme(accent=(34, 102, 255, 255))
    layer = named(render(scene(theme=blue, countdown=CountdownView(5.0, 60.0))), "show.countdown")
    assert colour_pixels(layer.bgra_premultiplied, (45, 45, 255)) > 400


def test_countdown_reads_zero_when_over_or_sold_out() -> None:
    def pixels(view: CountdownView) -> np.ndarray:
        return named(render(scene(countdown=view)), "show.countdown").bgra_premultiplied

    ended = pixels(CountdownView(0.0, 60.0, CountdownState.ENDED))
    sold_out = pixels(CountdownView(25.0, 60.0, CountdownState.SOLD_OUT))
    last_second = pixels(CountdownView(0.4, 60.0))
    assert CountdownView(25.0, 60.0, CountdownState.SOLD_OUT).seconds_shown == 0
    assert CountdownView(0.4, 60.0).seconds_shown == 1
    assert not np.array_equal(ended, last_second)
    assert not np.array_equal(ended, sold_out), "sold out says so, not just 'ended'"
    assert colour_pixels(ended, AMBER_BGR) == 0


# -- lower third, ticker, pinned comment ----------------------------------------------------------


def test_pinned_comment_markup_is_drawn_as_literal_text() -> None:
    literal = "<b>x</b>"
    drawn = named(render(scene(pinned=PinnedCommentView("viewer", literal))), "show.pinned")
    blank = named(render(scene(pinned=PinnedCommentView("viewer", " "))), "show.pinned")
    assert drawn.height == blank.height  # one line each
    changed = np.any(drawn.bgra_premultiplied != blank.bgra_premultiplied, axis=(0, 2))
    columns = np.flatnonzero(changed)
    ink_width = columns.max() - columns.min() + 1
    layout = OverlayLayout.for_canvas(1280, 720)
    body_font = font_families("en").font(layout.px(22))
    literal_width = QFontMetricsF(body_font).horizontalAdvance(literal)
    bold_x = QFontMetricsF(font_families("en").font(layout.px(22), bold=True)).horizontalAdvance(
        "x"
    )
    # Markup would leave one bold "x"; the eight characters take the width of the literal text.
    assert abs(ink_width - literal_width) < layout.px(6)
    assert ink_width > 4 * bold_x
    assert columns.min() >= layout.px(14) - 1, "the text starts at the bubble's padding"


def test_pinned_comment_keeps_to_three_lines() -> None:
    short = named(render(scene(pinned=PinnedCommentView("a", "hi"))), "show.pinned")
    long = named(render(scene(pinned=PinnedCommentView("a", "很长的评论" * 80))), "show.pinned")
    box = OverlayLayout.for_canvas(1280, 720).pinned
    assert short.height < long.height <= box.height
    assert long.y + long.height == box.bottom


def test_ticker_scrolls_without_re_rendering_its_text() -> None:
    the_scene = scene(ticker=TickerView("Free shipping over $99 · Giveaway at 9 pm"))
    source = SceneOverlaySource(lambda _now_s: the_scene)
    at_0 = source.layers(0.0, (1280, 720))
    at_1 = source.layers(1.0, (1280, 720))
    strip_0, strip_1 = named(at_0, "show.ticker"), named(at_1, "show.ticker")
    assert named(at_0, "show.ticker.badge") is named(at_1, "show.ticker.badge")
    assert strip_0.version != strip_1.version
    assert not np.array_equal(strip_0.bgra_premultiplied, strip_1.bgra_premultiplied)
    # Scrolling left by 90 px a second: the 1 s picture is the 0 s picture shifted.
    shift = 90
    assert np.array_equal(
        strip_1.bgra_premultiplied[:, :-shift], strip_0.bgra_premultiplied[:, shift:]
    )
    assert source.render_counts["ticker"] == 1
    assert strip_0.x + strip_0.width == 1280 and strip_0.y + strip_0.height == 720


def test_lower_third_fits_its_text() -> None:
    short = named(render(scene(lower_third=LowerThirdView("Opening"))), "show.lower_third")
    long = named(
        render(scene(lower_third=LowerThirdView("Opening " * 40, "Autumn night"))),
        "show.lower_third",
    )
    box = OverlayLayout.for_canvas(1280, 720).lower_third
    assert short.width < long.width == box.width


# -- the whole scene -----------------------------------------------------------------------------


def full_scene(look: Look = Look.DARK) -> OverlayScene:
    return scene(
        theme=Theme(accent=ACCENT, look=look),
        language="zh_CN",
        card=card_view(title="水润精华液 Hydra Serum 30 ml"),
        countdown=CountdownView(42.0, 60.0),
        lower_third=LowerThirdView("第二段：精华液", "秋季护肤夜"),
        ticker=TickerView("满199减30 · 今晚9点抽奖"),
        pinned=PinnedCommentView("小红", "这个适合油皮吗？"),
    )


@pytest.mark.parametrize("canvas", CANVASES)
def test_all_overlays_fit_the_canvas_without_overlapping(canvas: tuple[int, int]) -> None:
    layers = [layer for layer in render(full_scene(), canvas) if layer.name != "show.ticker.badge"]
    assert {layer.name for layer in layers} == {
        "show.card", "show.countdown", "show.lower_third", "show.ticker", "show.pinned",
    }  # fmt: skip
    width, height = canvas
    for layer in layers:
        assert layer.x >= 0 and layer.x + layer.width <= width, layer.name
        assert layer.y >= 0 and layer.y + layer.height <= height, layer.name
    for index, one in enumerate(layers):
        for other in layers[index + 1 :]:
            apart = (
                one.x + one.width <= other.x
                or other.x + other.width <= one.x
                or one.y + one.height <= other.y
                or other.y + other.height <= one.y
            )
            assert apart, f"{one.name} overlaps {other.name} on {width}x{height}"


def test_light_and_dark_looks_differ() -> None:
    dark = named(render(full_scene(Look.DARK)), "show.card").bgra_premultiplied
    light = named(render(full_scene(Look.LIGHT)), "show.card").bgra_premultiplied
    centre = (dark.shape[0] - 20, dark.shape[1] // 2)
    assert dark[centre][:3].mean() < 60
    assert light[centre][:3].mean() > 200


def test_logo_from_the_theme_is_drawn(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    picture = QImage(400, 100, QImage.Format.Format_ARGB32)
    picture.fill(Qt.GlobalColor.blue)
    assert picture.save(str(logo))
    layers = render(scene(theme=Theme(accent=ACCENT, logo_path=logo)))
    drawn = named(layers, "show.logo")
    assert drawn.x < 100 and drawn.y < 100
    assert colour_pixels(drawn.bgra_premultiplied, (255, 0, 0), tolerance=5) > 0.9 * (
        drawn.width * drawn.height
    )


def test_unchanged_scene_returns_the_same_layers() -> None:
    the_scene = full_scene()
    the_scene = OverlayScene(**{**the_scene.__dict__, "ticker": None})
    source = SceneOverlaySource(lambda _now_s: the_scene)
    first = source.layers(0.2, (1280, 720))
    assert source.layers(0.4, (1280, 720)) is first
    assert source.layers(0.6, (720, 1280)) is not first, "a new canvas renders again"


def test_qt_calls_do_not_leak_references_to_none() -> None:
    """PySide6 6.12.0 on Python 3.11 drops one reference to None on every void call; a live show
    then dies with "deallocating None" within minutes. pyproject excludes that version."""
    import sys

    ensure_gui_application()
    before = sys.getrefcount(None)
    for index in range(200):
        render(scene(countdown=CountdownView(float(index % 60), 60.0)))
    assert sys.getrefcount(None) - before > -100


def test_a_product_without_an_image_gets_a_drawn_placeholder_never_its_sku(
    tmp_path: Path,
) -> None:
    plain = named(render(scene(card=card_view(sku="TEA-06", deal_price=None))), "show.card")
    other = named(render(scene(card=card_view(sku="ZZZ-99", deal_price=None))), "show.card")
    # The SKU is not drawn: two SKUs give the same pixels.
    assert np.array_equal(plain.bgra_premultiplied, other.bgra_premultiplied)
    # Something is drawn in the picture tile (the bag), not an empty box.
    broken = tmp_path / "tea.png"
    broken.write_bytes(b"not a png")
    unreadable = named(
        render(scene(card=card_view(sku="TEA-06", deal_price=None, image_path=broken))),
        "show.card",
    )
    assert np.array_equal(unreadable.bgra_premultiplied, plain.bgra_premultiplied)
    tile = plain.bgra_premultiplied[16:160, 16:160, :3].astype(int)
    assert tile.std() > 5  # the bag's outline on the tile
