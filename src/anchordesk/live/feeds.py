"""``anchordesk report`` and ``anchordesk audience``, plus the feeds-only runner.

The runner (``python -m anchordesk.live.feeds --session PATH --feed KIND=URL``) pulls feeds
into a session with no camera and no encoder: the crash tests and the benchmark use it, and it
is handy to record a platform's chat and orders on a machine that does not stream.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from anchordesk.core.errors import UserError
from anchordesk.feeds.audience import AudienceView, DealView
from anchordesk.feeds.hub import FeedHub, FeedSetupError, describe_feed
from anchordesk.live.options import FeedSpec, LiveOptions, parse_feed
from anchordesk.show.events import ShowEvent, event_record
from anchordesk.show.feed_items import Comment, Order, OrderUpdate
from anchordesk.show.ledger import Ledger, UpdateOutcome
from anchordesk.show.model import Show
from anchordesk.showfile.files import load_show
from anchordesk.store import ShowEventRecord, StoreError, StoreWriter, default_session_path
from anchordesk.store.report import ORDER_APPLIED

if TYPE_CHECKING:
    from anchordesk.live.runtime import ShowRuntime

log = logging.getLogger(__name__)


# -- the feeds-only runner ---------------------------------------------------------------------


def open_session(session_path: Path | None) -> tuple[StoreWriter, Path]:
    """The session's writer; a new file in the user data folder when no path is given."""
    from anchordesk.core.paths import user_data_dir

    path = session_path or default_session_path(user_data_dir())
    try:
        return StoreWriter(path), path
    except StoreError as error:
        raise UserError(f"--session: {error}") from None
    except OSError as error:
        raise UserError(f"--session {path}: cannot open ({error.strerror or error})") from None


def comment_flagger(show: Show) -> object:
    from anchordesk.show.compliance import find_hits

    words = tuple(show.banned_words)

    def flag(text: str) -> list[str]:
        return [hit.term for hit in find_hits(text, words)]

    return flag


async def ingest(
    feeds: Sequence[FeedSpec],
    writer: StoreWriter,
    stop: asyncio.Event,
    show: Show | None = None,
    seconds: float | None = None,
) -> FeedHub:
    """Pull ``feeds`` into the session until ``stop`` (or ``seconds``)."""
    options: dict[str, object] = {"show": show}
    if show is not None:
        options["flag_terms"] = comment_flagger(show)
    hub = FeedHub(feeds, writer, **options)  # type: ignore[arg-type]
    if show is not None:
        hub.record_show(show)
    if seconds is not None:
        asyncio.get_running_loop().call_later(seconds, stop.set)
    await hub.run(stop)
    return hub


def _ingest_main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m anchordesk.live.feeds")
    parser.add_argument("--session", type=Path)
    parser.add_argument("--feed", action="append", default=[])
    parser.add_argument("--show", type=Path)
    parser.add_argument("--seconds", type=float)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        feeds = [parse_feed(text) for text in args.feed]
        show = load_show(args.show) if args.show else None
        writer, path = open_session(args.session)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    print(f"Session: {path}", flush=True)
    for feed in feeds:
        print(f"Feed: {describe_feed(feed)}", flush=True)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await ingest(feeds, writer, stop, show, args.seconds)

    try:
        asyncio.run(main())
    except FeedSetupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        writer.close()
    return 0


# -- the feeds of a live run (wired by app.run_live and the window) ---------------------------


class LiveFeeds:
    """The session store and the feeds of one live run, next to the show on screen.

    - opens the session (``--session PATH`` or a new file in the user data folder; its path
      is printed at start, so the user knows what to pass to ``anchordesk report``);
    - keeps the show's catalogue and every show event in it;
    - on a restart with an existing session, takes the orders already stored from the stock
      on screen, then continues each feed after its stored cursor;
    - applies each new order to the show (stock and deal stock fall; a deal that reaches zero
      is sold out at once) after it is stored, each line at its unit price (only a line at
      the live deal's price counts in the deal);
    - counts orders and their cancellations/refunds in a ``Ledger``, which says what an update
      gives back; those units go back into the show's stock (``runtime.restock``).

    ``comment_listeners`` get the new comments of each page on the event loop's thread (the
    window adds one).
    """

    def __init__(
        self,
        writer: StoreWriter,
        session_path: Path,
        feeds: Sequence[FeedSpec],
        runtime: ShowRuntime | None,
    ) -> None:
        self.writer = writer
        self.session_path = session_path
        self.runtime = runtime
        self.comment_listeners: list[Callable[[Sequence[Comment]], None]] = []
        self.stop_event: asyncio.Event | None = None
        show = runtime.show if runtime is not None else None
        # The ledger is fed from the loop (orders, updates) and from the runtime's listeners
        # (show events, on the pipeline's thread): one lock keeps it whole.
        self._ledger_lock = threading.Lock()
        self.ledger = Ledger(show.products if show else (), show.currency if show else "")
        options: dict[str, Any] = {
            "show": show,
            "on_comments": self._deliver_comments,
            "on_orders": self._apply_orders,
            "on_order_updates": self._apply_updates,
        }
        if show is not None:
            options["flag_terms"] = comment_flagger(show)
        self.hub = FeedHub(feeds, writer, **options)
        if runtime is not None and self.hub.audience is not None:
            self.hub.audience.simulator.follow(_runtime_view(runtime))
        if runtime is not None:
            self.hub.record_show(runtime.show)
            self._restore_stock(runtime)
            # from_start: restoring the stock above ran the show, delivering its start events.
            runtime.add_listener(self.hub.record_show_event, from_start=True)
            runtime.add_listener(self._ledger_event, from_start=True)

    @classmethod
    def from_options(cls, options: LiveOptions, runtime: ShowRuntime | None) -> LiveFeeds | None:
        """None when the run has no show, no feed and no ``--session``: nothing to keep."""
        if runtime is None and not options.feeds and options.session_path is None:
            return None
        if any(f.kind == "rehearsal" and not f.url for f in options.feeds) and runtime is None:
            raise UserError("--feed rehearsal: the simulated audience needs --show FILE")
        writer, path = open_session(options.session_path)
        resumed = writer.call(lambda store: store.count("orders") + store.count("comments"))
        try:
            live_feeds = cls(writer, path, options.feeds, runtime)
        except FeedSetupError as error:
            writer.close()
            raise UserError(str(error)) from None
        count = resumed.result()
        print(
            f"Session: {path}" + (f" (continuing: {count} items already kept)" if count else ""),
            flush=True,
        )
        for feed in options.feeds:
            log.info("feed: %s", describe_feed(feed))
        return live_feeds

    def _restore_stock(self, runtime: ShowRuntime) -> None:
        stored = self.writer.call(lambda store: store.orders()).result()
        updates = self.writer.call(lambda store: store.order_updates()).result()
        for kept in stored:
            self._apply_order(kept.order, kept.received_at, log_problems=False)
        for kept_update in updates:
            self._apply_update(kept_update.update, kept_update.received_at)
        if stored:
            log.info("session: %d stored orders taken from the stock on screen", len(stored))

    def _ledger_event(self, event: ShowEvent) -> None:
        with self._ledger_lock:
            self.ledger.apply_event(event.kind, event_record(event), time.time())

    def _deliver_comments(self, comments: Sequence[Comment]) -> None:
        for comment in comments:
            if comment.flagged:
                log.info("comment flagged (%s)", ", ".join(comment.flagged_terms))
        for listener in list(self.comment_listeners):
            listener(comments)

    def _apply_orders(self, orders: Sequence[Order]) -> None:
        if self.runtime is None:
            return
        records = []
        for order in orders:
            at = time.time()
            deals, accepted = self._apply_order(order, at)
            records.append(
                ShowEventRecord(
                    id=f"applied:{order.source}:{order.id}",
                    kind=ORDER_APPLIED,
                    at=at,
                    data={
                        "source": order.source,
                        "order_id": order.id,
                        "deals": deals,
                        "accepted": accepted,
                    },
                )
            )
        if records:
            # Which deal each line went to, as the show decided it: the report's deal figures.
            self.writer.submit_show_events(records)

    def _apply_order(
        self, order: Order, at: float, *, log_problems: bool = True
    ) -> tuple[dict[str, str | None], dict[str, int]]:
        """One order into the show's stock and the ledger; (deal by SKU, units taken)."""
        assert self.runtime is not None
        deals: dict[str, str | None] = {}
        accepted: dict[str, int] = {}
        for line in order.lines:
            if line.quantity <= 0:
                continue
            outcome = self.runtime.apply_order(line.sku, line.quantity, None, line.unit_price)
            deals[line.sku] = outcome.deal_id
            accepted[line.sku] = accepted.get(line.sku, 0) + outcome.accepted_units
            if not log_problems:
                continue
            if not outcome.known_sku:
                log.warning(
                    "order %s: SKU %r is not in the show (kept in the session)", order.id, line.sku
                )
            elif outcome.oversold_units:
                log.warning(
                    "order %s: %s oversold by %d units", order.id, line.sku, outcome.oversold_units
                )
            if outcome.over_deal_quota_units:
                log.warning(
                    "order %s: %s sold %d units beyond deal %s's quota",
                    order.id,
                    line.sku,
                    outcome.over_deal_quota_units,
                    outcome.deal_id,
                )
        with self._ledger_lock:
            waiting = self.ledger.add_order(order, at, deals, accepted)
        for applied in waiting:
            self._restock(applied)
        return deals, accepted

    def _apply_updates(self, updates: Sequence[OrderUpdate]) -> None:
        if self.runtime is None:
            return
        for update in updates:
            self._apply_update(update, time.time())

    def _apply_update(self, update: OrderUpdate, at: float) -> None:
        with self._ledger_lock:
            outcome = self.ledger.apply_update(update, at)
        if outcome.status == "rejected":
            log.warning("order %s %s: %s", update.order_id, update.status, outcome.reason)
        elif outcome.status == "pending":
            log.info("order %s %s before the order arrived: kept", update.order_id, update.status)
        self._restock(outcome)

    def _restock(self, outcome: UpdateOutcome) -> None:
        if self.runtime is None or outcome.status != "applied":
            return
        for restock in outcome.restocks:
            self.runtime.restock(restock.sku, restock.units, deal_id=restock.deal_id)
        log.info(
            "order %s %s: %s %s back, %d units back in stock",
            outcome.update.order_id,
            outcome.update.status,
            outcome.amount_back,
            outcome.currency,
            sum(restock.units for restock in outcome.restocks),
        )

    async def run(self, stop: asyncio.Event) -> None:
        self.stop_event = stop
        await self.hub.run(stop)

    def close(self) -> None:
        if self.runtime is not None:
            with contextlib.suppress(ValueError):
                self.runtime.remove_listener(self.hub.record_show_event)
            with contextlib.suppress(ValueError):
                self.runtime.remove_listener(self._ledger_event)
        if self.hub.audience is not None:
            self.hub.audience.stop()
        self.writer.close()
        print(
            f"Session kept in {self.session_path}; report: anchordesk report {self.session_path}",
            flush=True,
        )


def _runtime_view(runtime: ShowRuntime) -> Callable[[float], AudienceView]:
    def view(show_s: float) -> AudienceView:
        state = runtime.snapshot().state
        segment = state.segment
        deal = state.live_deal(segment.sku) if segment.sku else None
        # Every live deal, so the crowd pays the deal price for the right product.
        deals = {
            live.sku: DealView(live.deal_id, live.price, live.stock, live.stock_left)
            for live in state.live_deals
        }
        return AudienceView(state.segment_index, deal is not None, deals)

    return view


if __name__ == "__main__":
    sys.exit(_ingest_main())
