"""What the show wants on screen (``OverlayScene``), and the overlay source that draws it.

The scene is a plain value, decoupled from the show model: whoever runs the show (the show
runtime, a test, a rehearsal tool) builds one per frame, and ``SceneOverlaySource`` turns it
into layers, rendering each overlay again only when what it shows has changed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPointF
from PySide6.QtGui import QImage

from anchordesk.media.layers import OverlayLayer
from anchordesk.media.overlays.card import CardView, render_card
from anchordesk.media.overlays.countdown import CountdownView, render_countdown
from anchordesk.media.overlays.fonts import font_families
from anchordesk.media.overlays.labels import labels_for
from anchordesk.media.overlays.layout import OverlayLayout
from anchordesk.media.overlays.lower_third import LowerThirdView, render_lower_third
from anchordesk.media.overlays.painting import (
    ImageCache,
    begin,
    image_to_bgra,
    new_image,
    next_version,
    to_layer,
)
from anchordesk.media.overlays.pinned import PinnedCommentView, render_pinned
from anchordesk.media.overlays.theme import Theme
from anchordesk.media.overlays.ticker import TickerStrip, TickerView, render_ticker

log = logging.getLogger(__name__)

# Stacking order, bottom to top.
Z_TICKER = 10
Z_LOWER_THIRD = 20
Z_PINNED = 30
Z_CARD = 40
Z_COUNTDOWN = 41
Z_DEAL_STRIP = 42
Z_LOGO = 50


@dataclass(frozen=True)
class OverlayScene:
    """Everything the overlays show at one moment; ``None`` hides an overlay."""

    language: str = "en"
    theme: Theme = field(default_factory=Theme)
    card: CardView | None = None
    countdown: CountdownView | None = None
    # A live deal on a product that is not on the card, as a strip under the countdown.
    deal_strip: CountdownView | None = None
    lower_third: LowerThirdView | None = None
    ticker: TickerView | None = None
    pinned: PinnedCommentView | None = None
    show_logo: bool = True


@dataclass
class _Slot:
    key: Hashable = None
    layers: tuple[OverlayLayer, ...] = ()


class SceneOverlaySource:
    """An ``OverlaySource`` drawing the scene that ``scene_provider(now_s)`` returns.

    Called on the pipeline thread every frame. Each overlay is cached by what it shows (the
    countdown by the whole seconds it reads), so most frames return the very same tuple of
    layer objects. A failing overlay is logged once and left out; it never stops the picture.
    ``render_counts`` counts renders per overlay, for tests and the stats line.
    """

    def __init__(
        self,
        scene_provider: Callable[[float], OverlayScene],
        images: ImageCache | None = None,
    ) -> None:
        self._provider = scene_provider
        self.images = images if images is not None else ImageCache()
        self._lock = threading.Lock()
        self._slots: dict[str, _Slot] = {}
        self._last: tuple[OverlayLayer, ...] = ()
        self._failed: set[str] = set()
        self._tickers: dict[Hashable, TickerStrip] = {}
        self.render_counts: dict[str, int] = {}

    def layers(self, now_s: float, canvas_size: tuple[int, int]) -> Sequence[OverlayLayer]:
        scene = self._provider(now_s)
        with self._lock:
            return self._layers(scene, now_s, canvas_size)

    def _layers(
        self, scene: OverlayScene, now_s: float, canvas_size: tuple[int, int]
    ) -> tuple[OverlayLayer, ...]:
        layout = OverlayLayout.for_canvas(*canvas_size)
        fonts = font_families(scene.language)
        labels = labels_for(scene.language)
        theme = scene.theme
        base = (canvas_size, theme, fonts.language)
        box = layout  # boxes are part of the layout, which the canvas size fixes

        def card(view: CardView) -> tuple[OverlayLayer, ...]:
            image = render_card(view, theme, layout, fonts, labels, self.images)
            return (to_layer(image, "show.card", box.card.x, box.card.y, Z_CARD),)

        def countdown(view: CountdownView) -> tuple[OverlayLayer, ...]:
            image = render_countdown(view, theme, layout, fonts, labels)
            return (to_layer(image, "show.countdown", box.countdown.x, countdown_y, Z_COUNTDOWN),)

        def deal_strip(view: CountdownView) -> tuple[OverlayLayer, ...]:
            image = render_countdown(view, theme, layout, fonts, labels)
            return (to_layer(image, "show.deal_strip", box.countdown.x, strip_y, Z_DEAL_STRIP),)

        def lower_third(view: LowerThirdView) -> tuple[OverlayLayer, ...]:
            image = render_lower_third(view, theme, layout, fonts)
            lt = box.lower_third
            # Anchored at the bottom of its box: a title without subtitle sits lower.
            y = lt.y + lt.height - image.height()
            return (to_layer(image, "show.lower_third", lt.x, y, Z_LOWER_THIRD),)

        def pinned(view: PinnedCommentView) -> tuple[OverlayLayer, ...]:
            image = render_pinned(view, theme, layout, fonts, labels)
            pb = box.pinned
            y = pb.y + pb.height - image.height()
            return (to_layer(image, "show.pinned", pb.x, y, Z_PINNED),)

        def logo(path: Path) -> tuple[OverlayLayer, ...]:
            fitted = self.images.fitted(path, box.logo.width, box.logo.height)
            if fitted is None:
                return ()
            image = new_image(fitted.width(), fitted.height())
            painter = begin(image)
            try:
                painter.drawImage(QPointF(0, 0), fitted)
            finally:
                painter.end()
            return (to_layer(image, "show.logo", box.logo.x, box.logo.y, Z_LOGO),)

        result: list[OverlayLayer] = []
        card_layers = self._slot("card", scene.card, (base, scene.card), card)
        result += card_layers
        countdown_y = box.countdown.y
        if card_layers and not layout.portrait:
            # The card is only as tall as its content: the countdown hangs right under it.
            countdown_y = card_layers[0].y + card_layers[0].height + layout.px(12)
        countdown_key = None if scene.countdown is None else scene.countdown.render_key()
        countdown_layers = self._slot(
            "countdown", scene.countdown, (base, countdown_key, countdown_y), countdown
        )
        result += countdown_layers
        strip_y = countdown_y
        if countdown_layers:
            gap = layout.px(12)
            below = countdown_layers[0].y + countdown_layers[0].height + gap
            above = countdown_layers[0].y - gap - box.countdown.height
            # Landscape stacks downwards from the card; portrait stacks upwards from it.
            strip_y = above if layout.portrait else below
        strip_key = None if scene.deal_strip is None else scene.deal_strip.render_key()
        result += self._slot("deal_strip", scene.deal_strip, (base, strip_key, strip_y), deal_strip)
        result += self._slot(
            "lower_third", scene.lower_third, (base, scene.lower_third), lower_third
        )
        result += self._slot("pinned", scene.pinned, (base, scene.pinned), pinned)
        logo_path = theme.logo_path if scene.show_logo else None
        result += self._slot("logo", logo_path, (base, logo_path), logo)
        result += self._ticker(
            scene.ticker, (base, scene.ticker), now_s, layout, theme, fonts, labels
        )
        layers = tuple(result)
        if len(layers) == len(self._last) and all(
            new is old for new, old in zip(layers, self._last, strict=True)
        ):
            return self._last
        self._last = layers
        return layers

    def _slot(
        self,
        name: str,
        view: Any,
        key: Hashable,
        render: Callable[[Any], tuple[OverlayLayer, ...]],
    ) -> tuple[OverlayLayer, ...]:
        slot = self._slots.setdefault(name, _Slot())
        if view is None:
            slot.key, slot.layers = None, ()
            return ()
        if slot.key == key:
            return slot.layers
        try:
            slot.layers = render(view)
        except Exception:
            if name not in self._failed:
                self._failed.add(name)
                log.exception("overlay %s could not be drawn; it is left out", name)
            slot.layers = ()
        slot.key = key
        self.render_counts[name] = self.render_counts.get(name, 0) + 1
        return slot.layers

    def _ticker(
        self,
        view: TickerView | None,
        key: Hashable,
        now_s: float,
        layout: OverlayLayout,
        theme: Theme,
        fonts: Any,
        labels: Any,
    ) -> tuple[OverlayLayer, ...]:
        slot = self._slots.setdefault("ticker", _Slot())
        if view is None or not view.text.strip():
            slot.key, slot.layers = None, ()
            return ()
        strip = self._tickers.get(key)
        if strip is None:
            try:
                strip = render_ticker(view, theme, layout, fonts, labels)
            except Exception:
                if "ticker" not in self._failed:
                    self._failed.add("ticker")
                    log.exception("overlay ticker could not be drawn; it is left out")
                return ()
            # One strip at a time: a new announcement replaces the old one.
            self._tickers = {key: strip}
            self.render_counts["ticker"] = self.render_counts.get("ticker", 0) + 1
            badge_layer = to_layer(
                strip.badge, "show.ticker.badge", 0, layout.ticker.y, Z_TICKER + 1
            )
            self._slots["ticker.badge"] = _Slot(key=key, layers=(badge_layer,))
        badge_layers = self._slots["ticker.badge"].layers
        offset = strip.offset_px(now_s)
        full_key = (key, offset)
        if slot.key != full_key:
            layer = OverlayLayer(
                name="show.ticker",
                x=layout.ticker.x + badge_layers[0].width,
                y=layout.ticker.y,
                z=Z_TICKER,
                version=next_version(),
                bgra_premultiplied=strip.window(offset),
            )
            slot.key, slot.layers = full_key, (layer,)
        return slot.layers + badge_layers


def render_scene_image(
    scene: OverlayScene, canvas_size: tuple[int, int], now_s: float = 0.0
) -> QImage:
    """The scene alone on a transparent canvas (previews, screenshots, tests)."""
    source = SceneOverlaySource(lambda _now_s: scene)
    image = new_image(*canvas_size)
    painter = begin(image)
    try:
        for layer in sorted(source.layers(now_s, canvas_size), key=lambda item: item.z):
            pixels = layer.bgra_premultiplied
            layer_image = QImage(
                pixels.tobytes(), layer.width, layer.height, layer.width * 4,
                QImage.Format.Format_ARGB32_Premultiplied,
            )  # fmt: skip
            painter.drawImage(QPointF(layer.x, layer.y), layer_image)
    finally:
        painter.end()
    return image


__all__ = ["OverlayScene", "SceneOverlaySource", "image_to_bgra", "render_scene_image"]
