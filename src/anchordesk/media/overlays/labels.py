"""The few words the overlays burn into the picture, in the show's language.

These are picture text, not UI: the window has its own Qt translations. A show in Chinese shows
Chinese labels on stream whatever language the operator's desktop uses.
"""

from __future__ import annotations

from dataclasses import dataclass

from anchordesk.core.money import format_number
from anchordesk.media.overlays.fonts import normalise_language


@dataclass(frozen=True)
class Labels:
    stock_left: str  # "{count}" is replaced by the number
    sold_out: str
    deal: str
    deal_ended: str
    deal_sold_out: str  # the deal's units are gone, the product is still on sale at list price
    notice: str
    pinned: str
    language: str

    def left(self, count: int) -> str:
        """Grouped as the show's language writes counts: the card read "2500000 left" while
        the window, the board and the report wrote 2,500,000."""
        return self.stock_left.format(count=format_number(count, self.language))


_LABELS: dict[str, Labels] = {
    "en": Labels(
        stock_left="{count} left",
        sold_out="SOLD OUT",
        deal="FLASH DEAL",
        deal_ended="DEAL ENDED",
        deal_sold_out="DEAL ALL CLAIMED",
        notice="NEWS",
        pinned="Pinned",
        language="en",
    ),
    "zh_CN": Labels(
        stock_left="仅剩 {count} 件",
        sold_out="已售罄",
        deal="限时秒杀",
        deal_ended="秒杀结束",
        deal_sold_out="秒杀已抢光",
        notice="公告",
        pinned="置顶",
        language="zh_CN",
    ),
    "ja": Labels(
        stock_left="残り{count}点",
        sold_out="完売",
        deal="タイムセール",
        deal_ended="セール終了",
        deal_sold_out="セール分完売",
        notice="お知らせ",
        pinned="ピン留め",
        language="ja",
    ),
}


def labels_for(language: str) -> Labels:
    return _LABELS[normalise_language(language)]
