"""The rehearsal audience: a simulated crowd served over real HTTP in the generic JSON protocol.

Rehearsal goes through exactly the code of a real show (poller, store, ledger): only the server
is pretend. The crowd follows the show: it asks about the product on screen in the show's
language, comes in bursts, now and then writes something the compliance list flags (or tries
markup), and orders only products already shown, more during a deal, never beyond stock: at
the deal's price while a deal on the product is live, else at the list price; now and then a
buyer cancels an order a few seconds later.

The comments and orders come from the people watching (the viewer curve below): twice the
viewers, twice the comments and orders. ``rate_per_s`` is the comments a second of the usual
crowd (``BASE_ONLINE_PER_RATE x rate_per_s`` viewers); each viewer orders at a small rate that
a live deal multiplies, and a deal's first seconds bring a rush of orders with the wave of
arrivals — so conversion (buyers / peak viewers) comes out at a few percent, as on the
platforms' dashboards, and the figures the board derives from them are believable.

Repeatable: the crowd's behaviour in each 100 ms of show time is drawn from a generator seeded
with ``(seed, tick)``, so the same seed and the same show give the same comments and orders at
the same show times.

A client that comes in late (no cursor) joins at the live edge with the last few comments, as
platforms' chat APIs treat it; no order placed before it came (``AudienceSimulator.page``).

The server is ``http.server.ThreadingHTTPServer`` on a daemon thread (no extra dependency); it
binds loopback only.
"""

from __future__ import annotations

import json
import logging
import math
import random
import secrets
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from anchordesk.core.printable import printable_message
from anchordesk.show.model import Show

log = logging.getLogger(__name__)

#: How often the audience's HTTP server looks whether it is asked to stop: a stop waits this long.
STOP_POLL_S = 0.05

TICK_S = 0.1
MAX_PAGE_ITEMS = 500
# What a client without a cursor is given of the past (see AudienceSimulator.page).
RECENT_COMMENTS = 20
RECENT_COMMENTS_S = 60.0


@dataclass(frozen=True)
class DealView:
    """A flash deal the audience can buy in: its price and how many units it may sell."""

    deal_id: str
    price: Decimal
    stock: int | None  # the deal's quota; None: only the product's stock limits it
    units_left: int | None = None  # what the show says is left now (None: as the quota)


@dataclass(frozen=True)
class AudienceView:
    """What the audience sees right now: the segment, whether its deal is live, the live
    deals by SKU (None: the view does not say; the segment's planned deal is assumed), and the
    product whose card is on air (None: the segment's own)."""

    segment_index: int
    deal_live: bool
    deals: Mapping[str, DealView] | None = None
    on_screen_sku: str | None = None

    def featured(self, show: Show) -> str | None:
        """The product the crowd talks about and buys first: the card on air, else the
        segment's. A rehearsal whose operator put a card on air in the welcome (the remote's
        show_product, a deal started on it) had a crowd that never bought it: it knew only
        the products of the segments reached."""
        return self.on_screen_sku or show.rundown[self.segment_index].sku


def autoplay_view(show: Show) -> Callable[[float], AudienceView]:
    """The show as autoplay runs it: segment i from the sum of the earlier seconds; the
    segment's deal live for its own seconds from the segment's start."""

    def view(show_s: float) -> AudienceView:
        start = 0.0
        for index, segment in enumerate(show.rundown):
            if show_s < start + segment.seconds or index == len(show.rundown) - 1:
                deal = segment.deal
                live = deal is not None and show_s - start < deal.seconds
                deals: dict[str, DealView] = {}
                if live and deal is not None and segment.sku:
                    deals[segment.sku] = DealView(f"segment-{index}", deal.price, deal.stock)
                return AudienceView(index, live, deals, segment.sku)
            start += segment.seconds
        return AudienceView(0, False, {})

    return view


# The crowd's size (viewers items, docs/feed-protocol.md): counted every VIEWERS_EVERY_TICKS.
# Each viewer stays STAY_S on average; arrivals keep BASE_ONLINE_PER_RATE x rate_per_s people
# watching. A deal starting brings a wave (x DEAL_ARRIVALS for DEAL_WAVE_S); talk without a
# deal for more than LONG_TALK_S makes people leave faster (up to x MAX_LEAVE_BOOST).
VIEWERS_EVERY_TICKS = 50
STAY_S = 240.0
# 500 viewers per comment a second: about one comment per viewer every four minutes, as a
# busy chat of a shopping show has (the default crowd, rate 2, is ~1,000 watching).
BASE_ONLINE_PER_RATE = 500.0
OPENING_WAVE_S = 30.0
DEAL_WAVE_S = 20.0
DEAL_ARRIVALS = 5.0
LONG_TALK_S = 90.0
MAX_LEAVE_BOOST = 4.0
LIKES_PER_VIEWER_S = 0.01

# Orders per viewer per second: the usual buying of products already shown; x DEAL_BUY_BOOST
# while a deal is live, x DEAL_RUSH_BOOST in a deal's first DEAL_RUSH_S (the rush when the
# price drops). With the sample shows this gives a conversion (orders / peak viewers) of a
# few percent (tests/feeds/test_audience.py measures it).
BUY_PER_VIEWER_S = 0.00001
DEAL_BUY_BOOST = 6.0
DEAL_RUSH_S = 15.0
DEAL_RUSH_BOOST = 25.0

# Now and then a buyer cancels, a few seconds later, so rehearsals exercise that path too.
CANCEL_PROBABILITY = 0.03
_CANCEL_AFTER_TICKS = (20, 100)


@dataclass
class _Placed:
    order_id: str
    sku: str
    quantity: int
    total: Decimal
    currency: str


_TEXTS: dict[str, dict[str, tuple[str, ...]]] = {
    "zh": {
        "question": (
            "{title}多少钱？",
            "{title}还有货吗",
            "{title}怎么用？",
            "敏感肌可以用{title}吗？",
            "{title}有什么颜色",
            "今天下单什么时候发货？",
            "{title}和上次的有什么区别？",
            "链接在哪里？",
        ),
        "chat": (
            "已下单！",
            "主播好美",
            "来了来了",
            "{title}看起来不错",
            "支持一下",
            "666",
            "买了两个",
            "好喜欢",
            "晚上好",
            "{title}包装好好看",
        ),
        "banned": (
            "这是{title}全网最低价吧",
            "{title}绝对是第一名",
            "用了{title}100%有效",
            "{title}是国家级产品",
        ),
        "authors": ("小红", "阿明", "糖糖", "李女士", "大橙子", "Momo", "小鹿", "晴天"),
    },
    "en": {
        "question": (
            "How much is the {title}?",
            "Is the {title} still in stock?",
            "Does the {title} ship to Canada?",
            "What sizes does the {title} come in?",
            "Can I use the {title} on sensitive skin?",
            "When will it ship?",
            "Where is the link?",
        ),
        "chat": (
            "Just ordered!",
            "Love this",
            "Hi from Berlin",
            "The {title} looks great",
            "🔥🔥🔥",
            "Got two of them",
            "So pretty",
            "Evening everyone",
        ),
        "banned": (
            "Is this the best {title} ever",
            "The {title} is guaranteed to cure acne",
            "#1 product, guaranteed",
        ),
        "authors": ("Amy", "Jordan", "sam_k", "Priya", "Lena", "Marco", "Chloe B.", "Tom"),
    },
    "ja": {
        "question": (
            "{title}はいくらですか？",
            "{title}の在庫はまだありますか？",
            "{title}はどうやって使いますか？",
            "{title}はギフト包装できますか？",
            "{title}の色は何色がありますか？",
            "今日注文したらいつ届きますか？",
            "{title}は前のモデルと何が違いますか？",
            "リンクはどこですか？",
            "北海道にも送料無料で届きますか？",
        ),
        "chat": (
            "注文しました！",
            "こんばんは〜",
            "待ってました",
            "{title}いいですね",
            "{title}の色がきれい",
            "2つ買いました",
            "母へのプレゼントにします",
            "かわいい！",
            "届くのが楽しみ",
            "88888",
        ),
        "banned": (
            "{title}は絶対に日本一ですか",
            "{title}で病気が治るって本当？",
            "これが最安値の{title}？",
            "{title}は効果保証付きですか",
        ),
        "authors": ("さくら", "ゆうき", "Hana", "たろう", "みか", "Ken", "はるな", "抹茶好き"),
    },
}

# Strangers type markup and control characters; the app must show them as typed, harmlessly.
_HOSTILE_TEXTS = (
    "<b>x</b><img src=http://example.invalid/a.png>",
    "\x07beep\x1b[31m red \u202egnp.exe",
    '<a href="javascript:alert(1)">click</a>',
)


def _language(show: Show) -> str:
    code = show.language.lower()
    if code.startswith("zh"):
        return "zh"
    if code.startswith("ja"):
        return "ja"
    return "en"


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method: fine for the small means of one 100 ms tick.
    limit = math.exp(-mean)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


class AudienceSimulator:
    """Generates the crowd's comments and orders as show time passes. Thread-safe."""

    def __init__(
        self,
        show: Show,
        *,
        seed: int = 1,
        rate_per_s: float = 2.0,
        view: Callable[[float], AudienceView] | None = None,
        run_id: str | None = None,
    ) -> None:
        if not show.rundown:
            raise ValueError("the show has no rundown for the audience to follow")
        self.show = show
        self.seed = seed
        self.rate_per_s = rate_per_s
        self._view = view or autoplay_view(show)
        # A fresh run id per server start: ids of a restarted audience never collide with the
        # ids an earlier run already put into the session.
        self.run_id = run_id or secrets.token_hex(3)
        self._lock = threading.Lock()
        self._items: list[dict[str, Any]] = []
        self._next_tick = 0
        self._burst_until_tick = -1
        self._stock = {product.sku: product.stock for product in show.products}
        self._deal_taken: dict[str, int] = {}  # units the crowd bought in each deal
        self._cancel_at_tick: dict[int, list[_Placed]] = {}
        self._shown: list[str] = []
        self._texts = _TEXTS[_language(show)]
        self._banned = tuple(word for word in show.banned_words if word.strip())
        self.comments_made = 0
        self.orders_made = 0
        self.cancellations_made = 0
        self.units_by_sku: dict[str, int] = {}  # net of cancellations
        # Net of cancellations, per currency (a product may be priced in another currency
        # than the show's): one sum across them said "GMV $209.97" for $70.00 and €139.97.
        self.gmv_by_currency: dict[str, Decimal] = {}
        # The crowd's size: who is watching, who came in so far, likes so far.
        self.online = 0
        self.entered = 0
        self.likes = 0
        self.viewer_counts: list[tuple[float, int]] = []  # (show seconds, online) as sent
        self._segment_index = -1
        self._talk_since_tick = 0  # the segment's start or the last live deal, in ticks
        self._live_deal_ids: frozenset[str] = frozenset()
        self._wave_until_tick = int(OPENING_WAVE_S / TICK_S)
        self._rush_until_tick = -1  # a deal just started: the buyers' rush lasts until then

    def follow(self, view: Callable[[float], AudienceView]) -> None:
        """Follow the live show (the operator may move the run sheet by hand) instead of the
        rundown's planned times."""
        with self._lock:
            self._view = view

    # -- generation ------------------------------------------------------------------------

    def advance(self, show_s: float) -> None:
        """Generate everything up to ``show_s`` seconds after the start of the show."""
        with self._lock:
            last_tick = int(show_s / TICK_S)
            while self._next_tick <= last_tick:
                self._tick(self._next_tick)
                self._next_tick += 1

    def _tick(self, tick: int) -> None:
        rng = random.Random(f"{self.seed}:{tick}")
        at_s = tick * TICK_S
        view = self._view(at_s)
        featured = view.featured(self.show)
        if featured and featured not in self._shown and self.show.product(featured) is not None:
            self._shown.append(featured)
        product = self.show.product(featured)
        if tick > self._burst_until_tick and rng.random() < 0.004:
            self._burst_until_tick = tick + rng.randint(20, 50)  # 2–5 s of excitement
        burst = 4.0 if tick <= self._burst_until_tick else 1.0
        deal_boost = 2.0 if view.deal_live else 1.0
        # The people watching as last counted (the crowd moves at the end of the tick).
        crowd = self.online / (BASE_ONLINE_PER_RATE * self.rate_per_s)
        comment_rate = self.rate_per_s * crowd * TICK_S * burst * deal_boost
        for _ in range(_poisson(rng, comment_rate)):
            self._comment(rng, at_s, product.title if product else self.show.title)
        buying = BUY_PER_VIEWER_S
        if view.deal_live:
            buying *= DEAL_RUSH_BOOST if tick <= self._rush_until_tick else DEAL_BUY_BOOST
        for _ in range(_poisson(rng, self.online * buying * TICK_S * burst)):
            self._order(rng, tick, view)
        for placed in self._cancel_at_tick.pop(tick, []):
            self._cancel(placed, at_s)
        self._crowd(tick, view)

    def _crowd(self, tick: int, view: AudienceView) -> None:
        """Arrivals and departures of one tick; a viewers item every VIEWERS_EVERY_TICKS.

        Drawn from a generator of its own, so the comments and orders of a seed are the same
        with or without the crowd's counts."""
        rng = random.Random(f"{self.seed}:viewers:{tick}")
        if view.segment_index != self._segment_index:
            self._segment_index = view.segment_index
            self._talk_since_tick = tick
        if view.deals is not None:
            deal_ids = frozenset(deal.deal_id for deal in view.deals.values())
        else:
            deal_ids = (
                frozenset({f"segment-{view.segment_index}"}) if view.deal_live else frozenset()
            )
        if deal_ids - self._live_deal_ids:  # a deal started: word spreads, people come
            self._wave_until_tick = max(self._wave_until_tick, tick + int(DEAL_WAVE_S / TICK_S))
            self._rush_until_tick = tick + int(DEAL_RUSH_S / TICK_S)  # and those here buy
        self._live_deal_ids = deal_ids
        if deal_ids:
            self._talk_since_tick = tick
        base_online = BASE_ONLINE_PER_RATE * self.rate_per_s
        arrivals_per_s = base_online / STAY_S
        if tick <= self._wave_until_tick:
            arrivals_per_s *= DEAL_ARRIVALS
        talk_s = (tick - self._talk_since_tick) * TICK_S
        leave_boost = 1.0
        if talk_s > LONG_TALK_S:
            leave_boost = min(MAX_LEAVE_BOOST, 1.0 + (talk_s - LONG_TALK_S) / 60.0)
        arrived = _poisson(rng, arrivals_per_s * TICK_S)
        left = min(self.online, _poisson(rng, self.online * leave_boost * TICK_S / STAY_S))
        self.online += arrived - left
        self.entered += arrived
        self.likes += _poisson(rng, self.online * LIKES_PER_VIEWER_S * TICK_S)
        if tick % VIEWERS_EVERY_TICKS == 0:
            at_s = round(tick * TICK_S, 3)
            self.viewer_counts.append((at_s, self.online))
            self._items.append(
                {
                    "type": "viewers",
                    "id": f"{self.run_id}-v{tick}",
                    "online": self.online,
                    "entered": self.entered,
                    "likes": self.likes,
                    "at_s": at_s,
                }
            )

    def _comment(self, rng: random.Random, at_s: float, title: str) -> None:
        roll = rng.random()
        if roll < 0.02:
            text = rng.choice(_HOSTILE_TEXTS)
        elif roll < 0.07:
            if self._banned and rng.random() < 0.5:
                text = f"{title} {rng.choice(self._banned)}"
            else:
                text = rng.choice(self._texts["banned"]).format(title=title)
        elif roll < 0.47:
            text = rng.choice(self._texts["question"]).format(title=title)
        else:
            text = rng.choice(self._texts["chat"]).format(title=title)
        self.comments_made += 1
        self._items.append(
            {
                "type": "comment",
                "id": f"{self.run_id}-c{len(self._items) + 1}",
                "author": rng.choice(self._texts["authors"]),
                "text": text,
                "at_s": round(at_s, 3),
            }
        )

    def _live_deal(self, sku: str, view: AudienceView) -> DealView | None:
        if view.deals is not None:
            return view.deals.get(sku)
        # A view that does not name its deals: the segment's planned deal while it is live.
        current = self.show.rundown[view.segment_index]
        if view.deal_live and current.sku == sku and current.deal is not None:
            plan = current.deal
            return DealView(f"segment-{view.segment_index}", plan.price, plan.stock)
        return None

    def _order(self, rng: random.Random, tick: int, view: AudienceView) -> None:
        at_s = tick * TICK_S
        featured = view.featured(self.show)
        candidates = [sku for sku in self._shown if self._stock.get(sku, 0) > 0]
        if not candidates:
            return
        favourite = featured is not None and featured in candidates and rng.random() < 0.85
        sku = featured if favourite and featured is not None else rng.choice(candidates)
        product = self.show.product(sku)
        if product is None:
            return
        limit = self._stock[sku]
        # At the deal's price while a deal on the product is live (and has units left for
        # this crowd), else at the list price: the show counts deal lines by their price.
        deal = self._live_deal(sku, view)
        if deal is not None:
            left = [limit]
            if deal.stock is not None:
                left.append(deal.stock - self._deal_taken.get(deal.deal_id, 0))
            if deal.units_left is not None:
                left.append(deal.units_left)
            if min(left) <= 0:
                deal = None  # the deal sold out: the crowd pays the list price now
            else:
                limit = min(left)
        quantity = min(limit, rng.choice((1, 1, 1, 2, 2, 3)))
        if quantity <= 0:
            return
        unit_price = deal.price if deal is not None else product.price
        self._stock[sku] -= quantity
        if deal is not None:
            self._deal_taken[deal.deal_id] = self._deal_taken.get(deal.deal_id, 0) + quantity
        total = unit_price * quantity
        self.orders_made += 1
        self.units_by_sku[sku] = self.units_by_sku.get(sku, 0) + quantity
        currency = self.show.currency_of(product)
        self.gmv_by_currency[currency] = self.gmv_by_currency.get(currency, Decimal(0)) + total
        order_id = f"{self.run_id}-o{len(self._items) + 1}"
        self._items.append(
            {
                "type": "order",
                "id": order_id,
                "currency": currency,
                "total": str(total),
                "customer": rng.choice(self._texts["authors"]),
                "lines": [
                    {
                        "sku": sku,
                        "quantity": quantity,
                        "price": str(unit_price),
                        "title": product.title,
                    }
                ],
                "at_s": round(at_s, 3),
            }
        )
        if rng.random() < CANCEL_PROBABILITY:
            due = tick + rng.randint(*_CANCEL_AFTER_TICKS)
            self._cancel_at_tick.setdefault(due, []).append(
                _Placed(order_id, sku, quantity, total, currency)
            )

    def _cancel(self, placed: _Placed, at_s: float) -> None:
        """The buyer cancels: the units are for sale again (a deal's quota is not refilled:
        the show refills only a deal still live, and the crowd cannot tell)."""
        self._stock[placed.sku] += placed.quantity
        self.units_by_sku[placed.sku] -= placed.quantity
        self.gmv_by_currency[placed.currency] -= placed.total
        self.cancellations_made += 1
        self._items.append(
            {
                "type": "order_update",
                "id": placed.order_id,
                "status": "cancelled",
                "at_s": round(at_s, 3),
            }
        )

    # -- serving ---------------------------------------------------------------------------

    def page(
        self, after: str | None, show_s: float, poll_ms: int, *, from_start: bool = False
    ) -> dict[str, Any]:
        """The generic protocol's answer to ``GET ?after=CURSOR`` at ``show_s``.

        A client with a cursor gets every item after it. A client without one joins at the
        live edge, as a platform's chat API treats a reader that comes in late (YouTube's
        first ``liveChatMessages.list`` gives only the recent chat, Twitch's EventSub only what
        comes after the subscription): the last few comments (``RECENT_COMMENTS`` of the
        last ``RECENT_COMMENTS_S``) and the latest count of viewers, so the comment list and
        the audience are not empty — but no order and no cancellation placed before it came:
        those belong to whoever was watching then, not to the show that starts now.
        ``from_start`` (``?from=start``): the whole history, for the client that started the
        simulated show with its session (the window's in-process rehearsal).
        """
        self.advance(show_s)
        start = joined = 0
        recent: list[dict[str, Any]] = []
        if after:
            run, _, rest = after.partition(":")
            position, _, since = rest.partition(":")
            # A cursor from an earlier run of the audience: its items are not ours, and all of
            # this run came after it (the client was reading then): from our start.
            if run == self.run_id and (number := _cursor_number(position)) is not None:
                start = number
                joined = _cursor_number(since) or 0
        elif not from_start:
            with self._lock:
                start = joined = len(self._items)
                recent = self._recent(show_s)
        with self._lock:
            items = [
                item
                for item in self._items[start : start + MAX_PAGE_ITEMS]
                if not _before_joining(item, joined, self.run_id)
            ]
            end = min(len(self._items), start + MAX_PAGE_ITEMS)
            more = end < len(self._items)
        return {
            "items": recent + items,
            "next": f"{self.run_id}:{end}:{joined}" if joined else f"{self.run_id}:{end}",
            "poll_ms": 0 if more else poll_ms,
            "more": more,
        }

    def _recent(self, show_s: float) -> list[dict[str, Any]]:
        """What a client joining now is given of the past: the latest comments and the latest
        count of the crowd, in the order they came."""
        picked: list[int] = []
        comments = 0
        viewers = False
        for index in range(len(self._items) - 1, -1, -1):
            item = self._items[index]
            recent = item["at_s"] >= show_s - RECENT_COMMENTS_S
            if not recent and viewers:
                break
            if item["type"] == "viewers" and not viewers:
                viewers = True
                picked.append(index)
            elif item["type"] == "comment" and recent and comments < RECENT_COMMENTS:
                comments += 1
                picked.append(index)
        return [self._items[index] for index in reversed(picked)]


def _cursor_number(text: str) -> int | None:
    """A number of a cursor, or None when it is none of ours. Ours are ASCII digits; one
    longer than any list of items could be is past the end (Python refuses to read an integer
    of over 4,300 digits: a hostile cursor would be an error, not a page)."""
    if not (text.isascii() and text.isdecimal()):
        return None
    return int(text) if len(text) <= 18 else sys.maxsize


def _before_joining(item: dict[str, Any], joined: int, run_id: str) -> bool:
    """A cancellation of an order placed before the client joined (it never saw the order:
    the update would stand in its report as one whose order never arrived)."""
    if not joined or item["type"] != "order_update":
        return False
    position = str(item["id"]).removeprefix(f"{run_id}-o")
    return position.isdecimal() and int(position) <= joined


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: Any) -> None:
        # socketserver prints a traceback to stderr for a request it could not answer (a
        # client that went away while it wrote): in `anchordesk audience` that is the user's
        # terminal. One line in the log says it; the next request is served as before.
        error = sys.exc_info()[1]
        log.warning(
            "audience: could not answer a request from %s: %s",
            client_address[0],
            printable_message(f"{type(error).__name__}: {error}"),
        )


class AudienceServer:
    """Serves an ``AudienceSimulator`` at ``http://127.0.0.1:PORT/feed`` until ``stop()``."""

    def __init__(
        self,
        simulator: AudienceSimulator,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        poll_ms: int = 500,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.simulator = simulator
        self.poll_ms = poll_ms
        self._clock = clock
        self._started_at = clock()
        server_self = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path.rstrip("/") not in ("/feed", ""):
                    self._send(404, {"error": "not found; the feed is at /feed"})
                    return
                query = parse_qs(parts.query)
                after = query.get("after", [None])[0]
                from_start = query.get("from", [""])[0] == "start"
                show_s = server_self._clock() - server_self._started_at
                body = server_self.simulator.page(
                    after, show_s, server_self.poll_ms, from_start=from_start
                )
                self._send(200, body)

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("audience: " + format, *args)

        self._server = _HTTPServer((host, port), Handler)
        # A stop waits for the serving loop to look at its flag: every 0.05 s, not the default
        # 0.5 s (a window closing or going live waits for it).
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            args=(STOP_POLL_S,),
            name="anchordesk-audience",
            daemon=True,
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Where a client joins at the live edge (``anchordesk audience`` prints it)."""
        return f"http://127.0.0.1:{self.port}/feed"

    @property
    def url_from_start(self) -> str:
        """Where the session that started this audience reads all of it, from its first item
        (a first request a second late would otherwise miss that second's items)."""
        return f"{self.url}?from=start"

    def start(self) -> AudienceServer:
        self._started_at = self._clock()
        self._thread.start()
        return self

    def stop(self) -> None:
        # shutdown() waits for serve_forever() to notice: on a server never started it would
        # wait for ever.
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(5)
        self._server.server_close()

    def __enter__(self) -> AudienceServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
