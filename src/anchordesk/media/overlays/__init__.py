"""The show's overlays: product card, flash-deal countdown, lower third, ticker, pinned comment.

Drawn with QtGui (QPainter onto QImage: real text layout, CJK font fallback) into premultiplied
BGRA layers that the compositor blends region-only. Nothing here knows the show model: the show
runtime turns its state into an ``OverlayScene``.
"""

from anchordesk.media.overlays.card import CardView
from anchordesk.media.overlays.countdown import CountdownState, CountdownView
from anchordesk.media.overlays.fonts import ensure_gui_application, font_families
from anchordesk.media.overlays.lower_third import LowerThirdView
from anchordesk.media.overlays.pinned import PinnedCommentView
from anchordesk.media.overlays.scene import OverlayScene, SceneOverlaySource, render_scene_image
from anchordesk.media.overlays.theme import Look, Theme
from anchordesk.media.overlays.ticker import TickerView

__all__ = [
    "CardView",
    "CountdownState",
    "CountdownView",
    "Look",
    "LowerThirdView",
    "OverlayScene",
    "PinnedCommentView",
    "SceneOverlaySource",
    "Theme",
    "TickerView",
    "ensure_gui_application",
    "font_families",
    "render_scene_image",
]
