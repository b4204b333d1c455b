"""Session files for report tests, written through the store API as a live show writes them.

``write_big_session`` makes the show the charts must survive: 12 segments, 20 products (long
Chinese, Japanese and English titles), GMV above 100,000, deals that ended in each way, one
order in a second currency, and a segment visited twice.
"""

from __future__ import annotations

import json
import random
from decimal import Decimal
from pathlib import Path

from anchordesk.core.money import currency_digits
from anchordesk.show.events import (
    DealEnded,
    DealEndReason,
    DealStarted,
    SegmentEnded,
    SegmentStarted,
    ShowEvent,
    ShowStarted,
    event_record,
)
from anchordesk.show.feed_items import Comment, Order, OrderLine
from anchordesk.show.ledger import show_snapshot
from anchordesk.show.model import DealPlan, Product, Segment, Show
from anchordesk.store import SessionStore, ShowEventRecord

T0 = 1_800_000_000.0  # wall clock of the show's start
SHOW_CLOCK_AT_T0 = 3.5  # the show clock (media time) when the show started

_TITLES = [
    "玻尿酸保湿精华液 30ml 限定礼盒装",
    "Ceramic Pour-Over Kettle with Gooseneck Spout, Matte Black",
    "日焼け止めミルク SPF50+ PA++++ 大容量ボトル",
    "无线降噪蓝牙耳机",
    "Mug",
    "有机燕麦片 1kg × 3 袋家庭装",
    "Travel Tumbler 500 ml, vacuum insulated, keeps drinks hot for 12 hours",
    "纯棉四件套",
    "抹茶ラテ スティック 30本入り",
    "Single Origin Coffee Beans 1 kg",
    "智能体脂秤",
    "羊绒围巾 经典格纹 男女同款",
    "Bamboo Cutting Board",
    "空气炸锅 5.5L 大容量 家用多功能",
    "シルク枕カバー",
    "LED Desk Lamp",
    "儿童益智积木 200 粒",
    "Stainless Steel Water Bottle",
    "进口车厘子 JJ级 2.5kg 顺丰冷链",
    "香薰蜡烛",
]

SEGMENT_TITLES = [
    "开场 · 福利预告",
    "精华液讲解与试用",
    "Kettle demo",
    "防晒专场",
    "耳机限时秒杀",
    "Q&A with the brand founder about sourcing and packaging",
    "家居好物",
    "抹茶ラテ",
    "咖啡豆",
    "数码小家电",
    "冬季服饰",
    "返场 & 抽奖",
]


def big_show(currency: str = "CNY", language: str = "zh_CN") -> Show:
    cents = Decimal("0.90") if currency_digits(currency) else Decimal(0)  # no sen in a yen price
    products = tuple(
        Product(f"SKU-{n + 1:02d}", title, Decimal(99 + 150 * n) + cents, 5000)
        for n, title in enumerate(_TITLES)
    )
    rundown = tuple(
        Segment(
            title,
            300,
            products[(index * 3) % len(products)].sku,
            deal=DealPlan(Decimal(79) + cents, 120, 200) if index in (1, 4, 9) else None,
        )
        for index, title in enumerate(SEGMENT_TITLES)
    )
    return Show("直播间 · 双十二大促 Big Night", currency, language, products, rundown)


class _Recorder:
    """Keeps show events as the feed hub does: an id, the wall time, event_record data."""

    def __init__(self) -> None:
        self.records: list[ShowEventRecord] = []

    def add(self, event: ShowEvent) -> None:
        at = T0 + event.at_s - SHOW_CLOCK_AT_T0
        self.records.append(
            ShowEventRecord(f"run-{len(self.records) + 1}", event.kind, at, event_record(event))
        )


def write_big_session(
    path: Path,
    *,
    currency: str = "CNY",
    language: str = "zh_CN",
    first_segment_recorded: bool = True,
) -> Show:
    """A one-hour show, 12 segments of ~5 minutes (segment 3 visited twice), ~400 orders.

    ``first_segment_recorded`` False writes the file as the window used to: without the
    show's start events (ShowStarted, the first SegmentStarted).
    """
    show = big_show(currency, language)
    rng = random.Random(12)
    recorder = _Recorder()
    # (segment index, show-clock seconds it ran): the operator went back to segment 3 once.
    visits = [(i, 300.0 + 20 * (i % 3) - 30 * (i % 2)) for i in range(12)]
    visits.insert(4, (2, 45.0))
    clock = SHOW_CLOCK_AT_T0
    recorder.add(ShowStarted(clock, show.title, len(show.rundown), show.planned_seconds, False))
    segment_windows: list[tuple[int, float, float]] = []
    for position, (index, seconds) in enumerate(visits):
        segment = show.rundown[index]
        if position:
            previous_index, previous_start, _ = segment_windows[-1]
            recorder.add(
                SegmentEnded(
                    clock,
                    previous_index,
                    show.rundown[previous_index].title,
                    clock - previous_start,
                    show.rundown[previous_index].seconds,
                )
            )
        recorder.add(SegmentStarted(clock, index, segment.title, segment.sku, segment.seconds))
        segment_windows.append((index, clock, clock + seconds))
        clock += seconds
    deal_reasons = {1: DealEndReason.SOLD_OUT, 4: DealEndReason.ENDED, 9: DealEndReason.STOPPED}
    for index, start, _end in segment_windows:
        if index in deal_reasons:
            segment = show.rundown[index]
            assert segment.deal is not None and segment.sku is not None
            deal_id = f"segment-{index}-{int(start)}"
            recorder.add(
                DealStarted(
                    start + 10, deal_id, segment.sku, segment.deal.price, Decimal("199.90"),
                    segment.deal.seconds, segment.deal.stock, index,
                )
            )  # fmt: skip
            recorder.add(DealEnded(start + 100, deal_id, segment.sku, deal_reasons[index], 40, 160))
    if not first_segment_recorded:
        recorder.records = [r for r in recorder.records if r.id not in ("run-1", "run-2")]
    store = SessionStore(path)
    store.set_meta("show", json.dumps(show_snapshot(show), ensure_ascii=False))
    store.record_show_events(sorted(recorder.records, key=lambda r: r.at))
    number = 0
    for _index, start, end in segment_windows:
        at = start + 5
        while at < end - 5:
            number += 1
            product = show.products[rng.randrange(len(show.products))]
            quantity = rng.randint(1, 3)
            line = OrderLine(product.sku, quantity, product.price, product.title)
            order = Order("json", f"o{number}", currency, line.amount, (line,))
            wall = T0 + at - SHOW_CLOCK_AT_T0
            store.write_batch("json", [order], str(number), wall)
            if number % 3 == 0:
                comment = Comment(
                    "json", f"c{number}", f"viewer{number}", "还有货吗？", is_question=True
                )
                store.write_batch("json", [comment], f"c{number}", wall + 1)
            at += rng.uniform(4.0, 14.0)
    # One order in another currency: counted apart, never added into the show's GMV.
    line = OrderLine("SKU-05", 1, Decimal("12.50"), "Mug")
    store.write_batch(
        "json", [Order("json", "usd-1", "USD", line.amount, (line,))], "usd", T0 + 1000
    )
    store.close()
    return show
