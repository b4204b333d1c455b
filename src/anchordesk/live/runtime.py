"""The live show, shared by the pipeline thread, the window and the feeds.

``ShowRuntime`` holds the show engine (``show.controller.ShowController``: pure rules, no lock,
no clock) behind one lock, and is the overlay source the pipeline draws: every frame it ticks
the show to the media time and returns the layers of the show's current scene (card,
countdown, lower third, ticker, pinned comment), re-rendered only when what they show changed.

Time is always passed in: the pipeline's media time (seconds since the stream started). Callers
that do not know it (the window's buttons, the feeds) pass ``now_s=None``, which means the
latest media time the runtime has seen; the show never reads a wall clock.

Listeners receive every show event once, in order. They run on whichever thread caused the
change — often the pipeline thread — so they must be quick: put the event on a queue, or emit a
queued Qt signal. A listener that raises is logged and does not stop the others or the show.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from anchordesk.core.printable import bidi_isolated
from anchordesk.media.layers import OverlayLayer
from anchordesk.media.overlays.card import CardView
from anchordesk.media.overlays.countdown import CountdownState, CountdownView
from anchordesk.media.overlays.lower_third import LowerThirdView
from anchordesk.media.overlays.painting import ImageCache
from anchordesk.media.overlays.pinned import PinnedCommentView
from anchordesk.media.overlays.scene import OverlayScene, SceneOverlaySource
from anchordesk.media.overlays.theme import Look, Theme
from anchordesk.media.overlays.ticker import TickerView
from anchordesk.show.controller import ShowController
from anchordesk.show.events import DealEndReason, ShowEvent
from anchordesk.show.feed_items import MAX_NAME_CHARS, Comment, clean_text
from anchordesk.show.model import Show
from anchordesk.show.state import (
    SESSION_ENDED,
    DealStatus,
    OrderOutcome,
    RestockOutcome,
    ShowCommandError,
    ShowState,
)

log = logging.getLogger(__name__)

EventListener = Callable[[ShowEvent], None]

TICKER_SEPARATOR = "  ·  "


@dataclass(frozen=True)
class PinnedComment:
    author: str
    text: str
    pinned_at_s: float


@dataclass(frozen=True)
class RuntimeSnapshot:
    """One consistent view of the live show for the window: all immutable, keep it freely."""

    state: ShowState
    now_s: float  # the media time the snapshot was taken at
    autoplay: bool
    pinned: PinnedComment | None
    ticker: tuple[str, ...]
    look: Look

    @property
    def show(self) -> Show:
        return self.state.show


def scene_from_snapshot(snapshot: RuntimeSnapshot, now_s: float | None = None) -> OverlayScene:
    """What the picture shows for a state of the show: the adapter between show and overlays.

    - the card of the product on screen, at the live deal's price (list price struck through),
      with the deal's units left when the deal has a quota, else the product's stock; sold out
      when the product has none left;
    - the countdown of that product's deal while it is live; once it ran out of time or sold
      out it stays (at 00:00, "ended" or "sold out") until the segment changes; a deal the
      operator stopped disappears at once;
    - the segment title as the lower third; the show's announcements in the ticker.
    """
    state = snapshot.state
    show = state.show
    at_s = snapshot.now_s if now_s is None else max(now_s, snapshot.now_s)
    theme = Theme.from_show(show.theme.accent, show.logo_path(), snapshot.look)

    card: CardView | None = None
    countdown: CountdownView | None = None
    deal_strip: CountdownView | None = None
    product = state.product_on_screen
    if product is not None:
        stock = state.stock_left(product.sku) or 0
        live = state.live_deal(product.sku)
        stock_left = stock
        if live is not None and live.stock_left is not None:
            stock_left = min(stock, live.stock_left)
        card = CardView(
            title=product.title,
            price=product.price,
            currency=show.currency_of(product),
            deal_price=live.price if live is not None else None,
            stock_left=stock_left,
            sold_out=stock == 0,
            image_path=show.image_path(product),
            sku=product.sku,
        )
        deal = state.latest_deal(product.sku)
        if deal is not None and deal.status is DealStatus.LIVE:
            countdown = CountdownView(deal.remaining_s(at_s), float(deal.seconds))
        elif (
            deal is not None
            and deal.ended_at_s is not None
            and deal.end_reason is not DealEndReason.STOPPED
            and deal.ended_at_s >= state.segment_started_at_s
        ):
            # One sold-out state: "sold out" only when the card says so too (no stock left);
            # a deal whose own units are gone while the product is still on sale says so.
            if stock == 0:
                ended = CountdownState.SOLD_OUT
            elif deal.status is DealStatus.SOLD_OUT:
                ended = CountdownState.DEAL_SOLD_OUT
            else:
                ended = CountdownState.ENDED
            countdown = CountdownView(0.0, float(deal.seconds), ended)
    elsewhere = [d for d in state.live_deals if product is None or d.sku != product.sku]
    if elsewhere:
        # A deal keeps running when another product is on the card (or none is): it stays in
        # the picture, named, so viewers and the host see it until it ends or is stopped.
        deal = min(elsewhere, key=lambda d: (d.ends_at_s or 0.0, d.deal_id))
        target = show.product(deal.sku)
        strip = CountdownView(
            deal.remaining_s(at_s),
            float(deal.seconds),
            product_title=target.title if target is not None else deal.sku,
        )
        if countdown is None:
            countdown = strip
        else:
            deal_strip = strip

    segment = state.segment
    lower_third = LowerThirdView(segment.title, show.title) if segment.title.strip() else None
    # Each announcement isolated: a right-to-left override one leaves open turned the ones
    # after it around on air ("\u202eevil" then "live" read "…evil").
    ticker_text = TICKER_SEPARATOR.join(
        bidi_isolated(text) for text in snapshot.ticker if text.strip()
    )
    pinned = snapshot.pinned
    return OverlayScene(
        language=show.language,
        theme=theme,
        card=card,
        countdown=countdown,
        deal_strip=deal_strip,
        lower_third=lower_third,
        ticker=TickerView(ticker_text) if ticker_text else None,
        pinned=PinnedCommentView(pinned.author, pinned.text) if pinned is not None else None,
    )


class ShowRuntime:
    """The thread-safe home of the live show; an ``OverlaySource`` for the pipeline.

    ``now_s`` is the media time the show starts at (the first segment begins then). With
    ``autoplay`` the run sheet follows the rundown by its seconds; moving it by hand (next,
    previous, jump) switches autoplay off. Without it the show waits on the first segment for
    commands. Commands that cannot apply raise ``show.state.ShowCommandError`` (one line for
    the operator) and change nothing.
    """

    def __init__(
        self,
        show: Show,
        now_s: float = 0.0,
        *,
        autoplay: bool = False,
        auto_start_deals: bool = True,
        look: Look | None = None,
        images: ImageCache | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._publish_lock = threading.Lock()
        self._outbox: list[ShowEvent] = []
        self._listeners: list[EventListener] = []
        self._start_delivered = False
        self._controller = ShowController(
            show,
            now_s,
            autoplay=autoplay,
            auto_start_deals=auto_start_deals,
            listeners=(self._outbox.append,),
        )
        self._now_s = now_s
        self._pinned: PinnedComment | None = None
        self._ticker: tuple[str, ...] = tuple(show.ticker)
        self._look = look if look is not None else Look(show.theme.look)
        self._snapshot = self._take_snapshot()
        self.images = images if images is not None else ImageCache()
        self.overlays = SceneOverlaySource(self._scene_at, self.images)
        # Told the media time after each frame's tick (the pipeline thread; a quick call):
        # the session's heartbeat (live/show_session.py).
        self.time_listeners: list[Callable[[float], None]] = []

    # -- reading -----------------------------------------------------------------------------

    @property
    def show(self) -> Show:
        return self._snapshot.show

    @property
    def now_s(self) -> float:
        """The latest media time the runtime has seen."""
        return self._snapshot.now_s

    def snapshot(self) -> RuntimeSnapshot:
        """The current state (lock-free: the snapshot is replaced whole on every change)."""
        return self._snapshot

    def scene(self, now_s: float | None = None) -> OverlayScene:
        return scene_from_snapshot(self._snapshot, now_s)

    def image_paths(self) -> list[Path]:
        show = self.show
        paths = [show.image_path(product) for product in show.products]
        paths.append(show.logo_path())
        return [path for path in paths if path is not None]

    def preload_images(self) -> None:
        """Decode every product image and the logo now (call before going live), so that no
        segment change makes the pipeline wait for an image decoder."""
        self.images.preload(self.image_paths())

    # -- listeners ---------------------------------------------------------------------------

    def add_listener(self, listener: EventListener, *, from_start: bool = False) -> None:
        """The show's start events (ShowStarted, SegmentStarted...) wait for the first tick, so
        a listener added before the stream starts receives them too.

        A listener added later misses them, unless ``from_start``: then, when they were already
        delivered, it gets them first (once, in order, before any later event). A recorder
        needs this: the session must hold the first segment's start even when the store
        opens after the picture began (the window's sessions lost their first segment so).
        Not to be called from a listener.
        """
        if not from_start:
            with self._lock:
                self._listeners.append(listener)
            return
        # Holding the publish lock, no event is on its way to the listeners: the start events
        # were either all delivered (give them to this one now) or are all still queued.
        with self._publish_lock:
            with self._lock:
                missed = self._start_delivered
            if missed:
                for event in self._controller.initial_events:
                    self._call(listener, event)
            with self._lock:
                self._listeners.append(listener)

    def number_hand_deals_after(self, count: int) -> None:
        """See ``ShowController.number_hand_deals_after`` (a continued session)."""
        with self._lock:
            self._controller.number_hand_deals_after(count)
            self._snapshot = self._take_snapshot()

    def remove_listener(self, listener: EventListener) -> None:
        with self._lock:
            self._listeners.remove(listener)

    # -- time --------------------------------------------------------------------------------

    def tick(self, now_s: float) -> tuple[ShowEvent, ...]:
        """Let media time pass: autoplay moves the run sheet, deals run out."""
        return self._run(now_s, lambda at_s: self._controller.tick(at_s), allow_ended=True)

    def layers(self, now_s: float, canvas_size: tuple[int, int]) -> Sequence[OverlayLayer]:
        """The ``OverlaySource`` call from the pipeline thread, once per frame."""
        try:
            self.tick(now_s)
            for listener in tuple(self.time_listeners):
                listener(now_s)
        except Exception:
            # The picture must go on whatever the show rules do.
            log.exception("the show could not advance to %.3f s", now_s)
        return self.overlays.layers(now_s, canvas_size)

    # -- commands ----------------------------------------------------------------------------

    def set_autoplay(self, enabled: bool, now_s: float | None = None) -> tuple[ShowEvent, ...]:
        """Switch autoplay. Turned on again, it follows the rundown from where the show is."""

        def command(at_s: float) -> tuple[ShowEvent, ...]:
            events = self._controller.tick(at_s)
            self._controller.autoplay = enabled
            return events

        return self._run(now_s, command)

    def next_segment(self, now_s: float | None = None) -> tuple[ShowEvent, ...]:
        return self._run(now_s, self._controller.next_segment)

    def previous_segment(self, now_s: float | None = None) -> tuple[ShowEvent, ...]:
        return self._run(now_s, self._controller.previous_segment)

    def jump_to_segment(self, index: int, now_s: float | None = None) -> tuple[ShowEvent, ...]:
        return self._run(now_s, lambda at_s: self._controller.jump_to_segment(index, at_s))

    def hold_picture(self, on: bool, now_s: float | None = None) -> tuple[ShowEvent, ...]:
        """Studio mode: segment changes leave the card and the deals on air as they are."""
        return self._run(now_s, lambda at_s: self._controller.hold_picture(on, at_s))

    def show_product(self, sku: str | None, now_s: float | None = None) -> tuple[ShowEvent, ...]:
        """Put a product's card up by hand (None hides it) until the segment changes."""
        return self._run(now_s, lambda at_s: self._controller.show_product(sku, at_s))

    def start_deal(
        self,
        now_s: float | None = None,
        *,
        sku: str | None = None,
        price: Decimal | None = None,
        seconds: int | None = None,
        stock: int | None = None,
    ) -> tuple[ShowEvent, ...]:
        return self._run(
            now_s,
            lambda at_s: self._controller.start_deal(
                at_s, sku=sku, price=price, seconds=seconds, stock=stock
            ),
        )

    def stop_deal(
        self, now_s: float | None = None, *, sku: str | None = None
    ) -> tuple[ShowEvent, ...]:
        return self._run(now_s, lambda at_s: self._controller.stop_deal(at_s, sku=sku))

    def apply_order(
        self,
        sku: str,
        quantity: int,
        now_s: float | None = None,
        unit_price: Decimal | None = None,
        currency: str | None = None,
    ) -> OrderOutcome:
        """Take an order line's units from stock; a line at the live deal's price (to the cent)
        in the product's currency counts in the deal, any other line (or one without a price)
        is a list-price sale."""
        outcomes: list[OrderOutcome] = []

        def command(at_s: float) -> tuple[ShowEvent, ...]:
            outcomes.append(self._controller.apply_order(sku, quantity, at_s, unit_price, currency))
            return ()

        self._run(now_s, command)
        return outcomes[0]

    def apply_order_lines(
        self,
        lines: Sequence[tuple[str, int, Decimal | None]],
        currency: str | None = None,
        now_s: float | None = None,
    ) -> list[OrderOutcome]:
        """``apply_order`` for each of an order's lines (sku, quantity, unit price), in their
        order, as one command: one lock, one snapshot and one publication for the order, not
        one for each line (an order of 100,000 lines held the event loop for seconds)."""
        outcomes: list[OrderOutcome] = []

        def command(at_s: float) -> tuple[ShowEvent, ...]:
            for sku, quantity, unit_price in lines:
                outcomes.append(
                    self._controller.apply_order(sku, quantity, at_s, unit_price, currency)
                )
            return ()

        self._run(now_s, command)
        return outcomes

    def restock(
        self,
        sku: str,
        quantity: int,
        now_s: float | None = None,
        *,
        deal_id: str | None = None,
    ) -> RestockOutcome:
        """Give a cancelled or refunded line's units back into stock (and into ``deal_id``'s
        quota while that deal is still live)."""
        outcomes: list[RestockOutcome] = []

        def command(at_s: float) -> tuple[ShowEvent, ...]:
            outcomes.append(self._controller.restock(sku, quantity, at_s, deal_id=deal_id))
            return ()

        self._run(now_s, command)
        return outcomes[0]

    def pin_comment(
        self, author: str, text: str, now_s: float | None = None
    ) -> PinnedComment | None:
        """Pin a comment on the picture (plain text, cleaned); empty text unpins."""
        author = clean_text(author, MAX_NAME_CHARS)
        text = clean_text(text)
        with self._lock:
            at_s = self._advance(now_s)
            self._pinned = PinnedComment(author, text, at_s) if text else None
            self._snapshot = self._take_snapshot()
            pinned = self._pinned
        return pinned

    def pin(self, comment: Comment, now_s: float | None = None) -> PinnedComment | None:
        return self.pin_comment(comment.author, comment.text, now_s)

    def unpin_comment(self, now_s: float | None = None) -> None:
        with self._lock:
            self._advance(now_s)
            self._pinned = None
            self._snapshot = self._take_snapshot()

    def set_ticker(self, announcements: Sequence[str]) -> None:
        """Replace the announcements scrolling along the bottom (empty hides the ticker)."""
        cleaned = tuple(clean_text(text) for text in announcements)
        with self._lock:
            self._ticker = tuple(text for text in cleaned if text)
            self._snapshot = self._take_snapshot()

    def set_look(self, look: Look) -> None:
        with self._lock:
            self._look = look
            self._snapshot = self._take_snapshot()

    @property
    def ended(self) -> bool:
        return self._controller.ended

    def end(self, now_s: float | None = None) -> tuple[ShowEvent, ...]:
        """End the show: every live deal stops, the segment ends; nothing moves after this and
        commands are refused (the session is over: rehearse again or go live)."""
        return self._run(now_s, self._controller.end_show, allow_ended=True)

    # -- internals ---------------------------------------------------------------------------

    def _scene_at(self, now_s: float) -> OverlayScene:
        return scene_from_snapshot(self._snapshot, now_s)

    def _advance(self, now_s: float | None) -> float:
        """The time a command applies at; never earlier than media time already seen."""
        at_s = self._now_s if now_s is None else max(now_s, self._now_s)
        self._now_s = at_s
        return at_s

    def _take_snapshot(self) -> RuntimeSnapshot:
        return RuntimeSnapshot(
            state=self._controller.state,
            now_s=self._now_s,
            autoplay=self._controller.autoplay,
            pinned=self._pinned,
            ticker=self._ticker,
            look=self._look,
        )

    def _run(
        self,
        now_s: float | None,
        command: Callable[[float], tuple[ShowEvent, ...]],
        *,
        allow_ended: bool = False,
    ) -> tuple[ShowEvent, ...]:
        with self._lock:
            if self._controller.ended and not allow_ended:
                raise ShowCommandError(SESSION_ENDED)
            start = len(self._outbox)
            try:
                at_s = self._advance(now_s)
                command(at_s)
            finally:
                # Events of a command that raised half-way still happened (the state moved).
                events = tuple(self._outbox[start:])
                self._snapshot = self._take_snapshot()
        self._publish()
        return events

    def _publish(self) -> None:
        """Deliver queued events in order, without holding the state lock.

        Whoever holds the publish lock drains the queue for everyone; a thread that finds it
        taken (another thread publishing, or a listener calling back into the runtime) leaves
        its events to that drainer instead of waiting, so the pipeline thread never blocks on a
        slow listener of another thread.
        """
        while True:
            if not self._publish_lock.acquire(blocking=False):
                return
            try:
                while True:
                    with self._lock:
                        batch = list(self._outbox)
                        self._outbox.clear()
                        listeners = tuple(self._listeners)
                        # The start events are the first in the queue: once any batch goes
                        # out, they have (see add_listener's from_start).
                        self._start_delivered = self._start_delivered or bool(batch)
                    if not batch:
                        break
                    for event in batch:
                        for listener in listeners:
                            self._call(listener, event)
            finally:
                self._publish_lock.release()
            with self._lock:
                if not self._outbox:
                    return

    @staticmethod
    def _call(listener: EventListener, event: ShowEvent) -> None:
        try:
            listener(event)
        except Exception:
            log.exception("a show event listener failed on %s", event.kind)
