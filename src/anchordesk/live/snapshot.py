"""What a running show looks like at one moment: immutable values every front end reads.

The window, the command line's stats and the remote API render these and nothing else, so they
cannot disagree: every figure here (stock left, units sold, deal units, GMV per currency,
orders per minute, segment times) is computed once, in ``live/``, from the show state and the
session's ledger — the same ledger the report replays from the session file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

from anchordesk.core.words import Words
from anchordesk.show.board import BoardFigures
from anchordesk.show.prompts import Prompt


class SessionMode(StrEnum):
    REHEARSAL = "rehearsal"
    LIVE = "live"
    ENDED = "ended"


@dataclass(frozen=True)
class DealPlanView:
    """A flash deal as the show file plans it (what "start deal" prefills)."""

    price: Decimal
    seconds: int
    stock: int | None


@dataclass(frozen=True)
class SegmentView:
    index: int
    title: str
    planned_s: float
    elapsed_s: float  # time spent in the segment so far, all visits (0 when never entered)
    sku: str | None
    script: str
    deal: DealPlanView | None
    is_current: bool = False
    is_done: bool = False

    @property
    def over_run(self) -> bool:
        return self.elapsed_s > self.planned_s


@dataclass(frozen=True)
class ProductView:
    sku: str
    title: str
    price: Decimal
    currency: str
    stock_left: int  # never below zero
    units_sold: int  # from the ledger: every line, deal or list price, less cancellations
    gmv: Decimal  # the product's lines, in its currency
    image_path: Path | None = None
    deal: DealPlanView | None = None  # the first deal the rundown plans for it
    live_deal_price: Decimal | None = None


@dataclass(frozen=True)
class DealView:
    """A deal that has started (live, or over): the deal panel, the picture and the report all
    show these same values."""

    deal_id: str
    sku: str
    title: str
    state: str  # "live" | "ended" | "sold_out"
    price: Decimal
    list_price: Decimal
    currency: str
    seconds: int
    remaining_s: float
    units_left: int  # the deal's own units left, else the product's stock left
    units_total: int  # the deal's quota, else the product's stock when it started
    units_sold: int  # deal lines only (arrived while live, at the deal price)
    end_reason: str | None = None

    @property
    def is_live(self) -> bool:
        return self.state == "live"


@dataclass(frozen=True)
class SalesView:
    currency: str  # the show's currency
    gmv: Decimal  # in the show's currency only
    gmv_by_currency: tuple[tuple[str, Decimal], ...] = ()  # every currency, never added up
    orders: int = 0
    units: int = 0
    orders_per_minute: float = 0.0
    cancelled_orders: int = 0
    rejected_items: int = 0  # not counted, as the report counts them (ShowSession.rejected_items)


@dataclass(frozen=True)
class PinnedView:
    key: str  # "source:id" of the comment, or "" when pinned from text
    author: str
    text: str


@dataclass(frozen=True)
class FeedView:
    """One feed's status, as the feeds report it (feeds/poller.py ``FeedHealth`` plus what the
    adapter says of itself): ``state`` is starting | ok | retrying | ended | stopped;
    ``quota_units`` the platform quota spent in this run (YouTube); ``note`` one line such as
    "4,490 quota units spent (…); budget 4,500/h of 10,000/day; 120 watching"."""

    source: str
    state: str
    items: int = 0
    errors: int = 0
    quota_units: int = 0
    note: str = ""
    last_error: str = ""
    # Why an error no rule foresaw stopped every feed (``state`` "stopped"), as words: the
    # window says it in its language (``last_error`` is the English of the logs).
    fault: Words | None = None


@dataclass(frozen=True)
class OutputView:
    """A network destination as the stream health shows it: ``url`` is masked (no key)."""

    url: str
    state: str  # "connecting" | "live" | "reconnecting" | "stopped"
    attempt: int = 0  # the reconnect attempt under way (0: none)
    # Why its last attempt failed, as words (``str()``: the English of the logs; a window says
    # them in its language); None while it is live. Key-free: the output's URL is masked.
    fault: Words | None = None


@dataclass(frozen=True)
class StatsView:
    """The picture's figures of the last stats sample (about once a second)."""

    fps: float = 0.0
    dropped_frames: int = 0  # every stage: capture, render, encode, network
    cpu_percent: float = 0.0
    recording_bytes: int = 0


@dataclass(frozen=True)
class LiveSnapshot:
    session_id: str = ""
    session_path: Path | None = None
    mode: SessionMode = SessionMode.REHEARSAL
    simulated: bool = False  # the session's audience is the rehearsal simulator
    title: str = ""
    language: str = "en"
    currency: str = ""
    segments: tuple[SegmentView, ...] = ()
    current_index: int = 0
    on_screen_sku: str | None = None
    staged_sku: str | None = None
    studio_mode: bool = False  # segment changes and product choices stage; Take puts on air
    products: tuple[ProductView, ...] = ()
    deals: tuple[DealView, ...] = ()
    sales: SalesView = field(default_factory=lambda: SalesView("", Decimal(0)))
    pinned: PinnedView | None = None
    comments: int = 0
    now_s: float = 0.0
    ended: bool = False
    # The audience now: each viewer-counting feed's latest count, added up (None: no feed
    # counts viewers). The samples themselves: ShowSession.viewer_samples and the session file.
    viewers_online: int | None = None
    feeds: tuple[FeedView, ...] = ()
    # Why the session file stopped being written (a full or read-only disk), None while it is.
    store_fault: Words | None = None
    # Why the session file cannot be written for now (another program holds it locked), None
    # while it can: what waits is written as soon as the lock goes.
    store_locked: Words | None = None
    outputs: tuple[OutputView, ...] = ()
    stats: StatsView = field(default_factory=StatsView)
    # The data board (show/board.py: viewers, rates, conversion, forecasts, per segment) and
    # the prompts on it now (show/prompts.py), computed once for the window, remote and report.
    board: BoardFigures | None = None
    prompts: tuple[Prompt, ...] = ()

    @property
    def current(self) -> SegmentView | None:
        if 0 <= self.current_index < len(self.segments):
            return self.segments[self.current_index]
        return None

    @property
    def live_deals(self) -> tuple[DealView, ...]:
        return tuple(deal for deal in self.deals if deal.is_live)

    def product(self, sku: str | None) -> ProductView | None:
        return next((p for p in self.products if p.sku == sku), None)

    def deal_for(self, sku: str | None) -> DealView | None:
        """The live deal of a product, else the one of it that started last."""
        return self._latest_deal_by_sku().get(sku) if sku is not None else None

    @property
    def latest_deals(self) -> tuple[DealView, ...]:
        """Each product's :meth:`deal_for`, in the order they started: what a remote lists.
        ``deals`` keeps every deal of the session (the report needs them); a show with a deal
        every minute would otherwise send hundreds of ended ones ten times a second."""
        latest = self._latest_deal_by_sku()
        return tuple(deal for deal in self.deals if latest[deal.sku] is deal)

    def _latest_deal_by_sku(self) -> dict[str, DealView]:
        latest: dict[str, DealView] = {}
        for deal in self.deals:  # in the order they started
            kept = latest.get(deal.sku)
            if kept is None or not kept.is_live:
                latest[deal.sku] = deal
        return latest
