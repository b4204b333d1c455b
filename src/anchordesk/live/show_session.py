"""One session of a show: its store file, its run sheet, its ledger, its feeds.

Each rehearsal and each live show is its own ``ShowSession``: a new SQLite file, the run sheet
from the first segment (or from where the operator chose to continue), a ledger that starts at
zero, and its own feeds. A rehearsal's feeds are the simulated audience; a live session's are
the platforms' — never both, so no simulated comment or order can reach a live session.

Every item goes one way: feed page -> store (with its cursor) -> this session applies it to the
show (stock, deals) and to the ledger, with the same time the store kept. Show events go to the
store and the ledger together, under one lock, in one order. So the ledger here (what the
board, the picture's counters and the remote read) is the ledger ``anchordesk report`` rebuilds
from the file: the same numbers, by construction and by test.

Threads: orders and comments arrive on the event loop's thread; show events come from whichever
thread moved the show (the pipeline's tick ends a deal, the loop's command starts one).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from anchordesk.core.words import counted
from anchordesk.feeds.audience import AudienceView, DealView
from anchordesk.feeds.hub import FeedHub
from anchordesk.feeds.spec import FeedSpec
from anchordesk.live.board import SessionBoard
from anchordesk.live.runtime import ShowRuntime
from anchordesk.live.snapshot import FeedView, SessionMode
from anchordesk.show.events import ShowEvent, event_record
from anchordesk.show.feed_items import (
    Comment,
    CommentRemoval,
    FeedItem,
    Order,
    OrderUpdate,
    RejectedItem,
    ViewerStats,
)
from anchordesk.show.ledger import (
    Ledger,
    UpdateOutcome,
    show_snapshot,
)
from anchordesk.show.model import Show
from anchordesk.show.snapshot import carried_over
from anchordesk.store import ShowEventRecord, StoreWriter
from anchordesk.store.report import COMMENT_HIDDEN, ORDER_APPLIED, kept_show, replay_session
from anchordesk.store.report_clock import SteadyClock, in_era
from anchordesk.store.report_events import restore_missing_segment_starts, session_timings
from anchordesk.store.report_streams import STREAM_ENDED, reason_as_data
from anchordesk.store.session import (
    SessionStore,
    StoredComment,
    StoredCommentRemoval,
    StoredOrder,
    StoredOrderUpdate,
    StoredViewerSample,
)
from anchordesk.store.session_heartbeat import (
    HEARTBEAT_EVERY_S,
    HEARTBEAT_META,
    RUN_LAST_HEARD,
    Heartbeat,
    last_heartbeat,
)

#: A command the operator gave, kept with its origin ("remote" for the control API).
#: ``data``: {"command": name, "origin": str, "arguments": {...}}. The report ignores it.
COMMAND = "command"
#: A deal's end reason in the file when the run that kept it live stopped without ending it
#: (killed): the run continuing the file ends it so (``report``: "cut off: the program stopped").
INTERRUPTED = "interrupted"

if TYPE_CHECKING:  # media imports FFmpeg; a session file's tools need none of it
    from anchordesk.media.packets import OutputStatus

log = logging.getLogger(__name__)

# Comments kept in memory for pinning and hiding by id (the store keeps them all).
RECENT_COMMENTS = 5000
# Orders oversold (or with a SKU not in the show) named one by one in a call of apply_orders
# (a slice of a big page); the rest in one line.
_OVERSOLD_NAMED = 5
# Viewer samples kept in memory for the board (a sample a minute per platform is ~60 an hour;
# the rehearsal audience sends one every few seconds). The store keeps them all.
RECENT_VIEWER_SAMPLES = 20_000


@dataclass(frozen=True)
class CommentHidden:
    """A comment taken off the list (the operator's hide, or the platform's removal)."""

    key: str
    reason: str = ""


@dataclass(frozen=True)
class StoredOrderRow:
    """An order as the window's order list shows it: stored, then applied."""

    order: Order
    at: float


def comment_key(comment: Comment) -> str:
    return f"{comment.source}:{comment.id}"


class ShowSession:
    """The parts of one session. Built and ended by ``LiveShow``; never shared between two."""

    def __init__(
        self,
        *,
        mode: SessionMode,
        runtime: ShowRuntime | None,
        writer: StoreWriter,
        feeds: Sequence[FeedSpec],
        simulated: bool,
        flag_terms: Callable[[str], Sequence[str]] | None = None,
        audience_rate_per_s: float = 2.0,
        wall_clock: Callable[[], float] = time.time,
        prompts_off: Sequence[str] = (),
    ) -> None:
        self.mode = mode
        self.runtime = runtime
        self.writer = writer
        self.id = writer.path.stem
        self.simulated = simulated
        self._wall_clock = wall_clock
        self._event_run = secrets.token_hex(4)
        self._streams_recorded = False
        self._event_seq = 0
        # Re-entrant: applying an order moves the show, whose events come back here at once.
        self._lock = threading.RLock()
        show = runtime.show if runtime is not None else None
        self.ledger = Ledger(show.products if show else (), show.currency if show else "")
        self.comments: OrderedDict[str, Comment] = OrderedDict()
        self.comment_count = 0
        # The items the store kept as rejected (this session's file, resumed ones too).
        self.rejected_kept = 0
        self.hidden: set[str] = set()
        self._new_comments: deque[Comment] = deque()
        self._new_orders: deque[StoredOrderRow] = deque()
        # Viewer counts as stored (oldest first), and the latest count of each source.
        self.viewer_samples: deque[StoredViewerSample] = deque(maxlen=RECENT_VIEWER_SAMPLES)
        self._latest_viewers: dict[str, StoredViewerSample] = {}
        # What the platforms took down: comment keys deleted, (source, author id) banned; a
        # comment that comes after its removal is hidden as it arrives.
        self._removed_keys: set[str] = set()
        self._banned_authors: set[tuple[str, str]] = set()
        self._new_removed: deque[str] = deque()
        # LiveShow's hook: keys of comments just taken down (it unpins the pinned one).
        self.on_comments_removed: Callable[[Sequence[str]], None] | None = None
        self.segment_seconds: dict[int, float] = {}  # time spent in each segment left so far
        # LiveShow.feed_listeners: told of each new comment and applied order (quick calls).
        self.listeners: list[Callable[[Comment | StoredOrderRow | CommentHidden], None]] = []
        self._command_seq = 0
        self.ended = False
        self.hub: FeedHub | None = None
        self._stop = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._heard_at_s: float | None = None  # the show clock of the last heartbeat kept
        # The data board's figures and prompts (live/board.py).
        self.board = SessionBoard(wall_clock(), prompts_off, writer.submit_show_events)
        if show is not None:
            self.board.follow_rundown([segment.title for segment in show.rundown])
        # The show this session keeps in its file (the report's catalogue): the runtime's, with
        # the products an earlier run of the file sold and this run's show file no longer has.
        self.show = show
        resumed = self._resume_from_store()
        if feeds:
            self.hub = FeedHub(
                feeds,
                writer,
                on_stored=self._stored,
                on_rejected=self._rejected_arrived,
                flag_terms=flag_terms,
                show=show,
                audience_rate_per_s=audience_rate_per_s,
                wall_clock=wall_clock,
            )
            if runtime is not None and self.hub.audience is not None:
                self.hub.audience.simulator.follow(audience_view(runtime))
        if self.show is not None:
            snapshot = json.dumps(show_snapshot(self.show), ensure_ascii=False)
            mode_text = str(mode)

            def keep(store: SessionStore) -> None:
                store.set_meta("show", snapshot)
                store.set_meta("mode", mode_text)
                store.set_meta("simulated", "1" if simulated else "0")

            writer.call(keep)
        if runtime is not None:
            # from_start: the start events may have gone out already (to the picture's
            # listeners); the first segment must be kept anyway.
            runtime.add_listener(self.record_event, from_start=True)
            runtime.time_listeners.append(self._heartbeat)
            if resumed:
                self._carry_stock_over(runtime)

    # -- resuming (``anchordesk live --session`` with a file that already has items) ----------

    def _resume_from_store(self) -> bool:
        """Continue from what the file holds; True when it held orders or show events."""

        def read(
            store: SessionStore,
        ) -> tuple[
            list[ShowEventRecord],
            list[StoredOrder],
            list[StoredOrderUpdate],
            list[StoredViewerSample],
            list[float],
            list[StoredComment],
            list[StoredCommentRemoval],
            str | None,
            int,
            str | None,
        ]:
            # The comments' times (the board's counts and rates) and the newest comments only:
            # a long show's million comments read whole took 16 s and 1 GB here, on the loop
            # (a stop asked meanwhile took as long).
            return (
                store.show_events(),
                store.orders(),
                store.order_updates(),
                store.viewer_samples(),
                store.comment_times(),
                store.newest_comments(RECENT_COMMENTS),
                store.comment_removals(),
                store.meta(HEARTBEAT_META),
                # After the orders and updates: those found against the rule as read, too.
                len(store.rejected_items()),
                store.meta("show"),
            )

        (
            events,
            orders,
            updates,
            samples,
            times,
            comments,
            removals,
            heartbeat,
            self.rejected_kept,
            kept_text,
        ) = self.writer.call(read).result()
        for sample in samples:
            self._keep_viewers(sample)
        comment_times = sorted(times)
        self.board.comment_times.extend(comment_times)
        # The newest comments are the lists' again (the remote's questions, Pin and Hide by
        # id): after a kill -9 and the same command, a question asked before it could not be
        # pinned ("no comment 'json:q1'"), "no question to pin yet" with one waiting.
        for kept in comments:
            self.comments[comment_key(kept.comment)] = kept.comment
        self.comment_count = len(times)
        self.board.restore(events)
        # What was hidden stays hidden, and what the platforms took down stays down: a comment
        # of a banned author that arrives after the restart is hidden as it arrives.
        for event in events:
            if event.kind == COMMENT_HIDDEN:
                source, comment_id = event.data.get("source"), event.data.get("comment_id")
                if isinstance(source, str) and isinstance(comment_id, str):
                    self.hidden.add(f"{source}:{comment_id}")
        for kept_removal in removals:
            removal = kept_removal.removal
            if removal.reason == "deleted" and removal.comment_id:
                self._removed_keys.add(f"{removal.source}:{removal.comment_id}")
            elif removal.reason == "banned" and removal.author_id:
                self._banned_authors.add((removal.source, removal.author_id))
        # The questions nobody answered wait on the board again (pinned or hidden ones do not).
        answered = set(self.hidden)
        for event in events:
            arguments = event.data.get("arguments")
            if (
                event.kind == COMMAND
                and event.data.get("command") in ("pin_comment", "pin_latest_question")
                and isinstance(arguments, dict)
                and isinstance(arguments.get("id"), str)
            ):
                answered.add(arguments["id"])
        self.board.restore_questions(
            [(comment_key(kept.comment), kept.comment, kept.received_at) for kept in comments],
            answered,
        )
        if not orders and not events:
            return False
        show = self.runtime.show if self.runtime is not None else None
        if show is not None:
            # A product the file's orders bought, taken out of the show file since: still the
            # show's (its name, its stock), here and in the show this run keeps for the report.
            show = carried_over(
                show,
                kept_show(kept_text, []),
                (line.sku for kept in orders for line in kept.order.lines),
            )
            self.show = show
        # The same replay as the report's: the board continues from the report's numbers.
        self.ledger = replay_session(
            show.products if show else (), show.currency if show else "", events, orders, updates
        )
        # The killed run was last heard of before this run began: a row kept at a later time
        # (a damaged one, a hand edit: year 2150) ended its deals a century on here, while the
        # report, reading the rows in time order, had this run's start stop them.
        now = self._wall_clock()
        # The killed run's heartbeat, when it is that run's: kept by an older AnchorDesk's run
        # in between, it laid that run's clock from the other's wall time. On the run's own
        # clocks it counts even when later than now (the wall clock set back between runs):
        # then the deal it kept live was never ended, "still running at the end".
        last_alive = last_heartbeat(heartbeat, events, now)
        # Rows up to the heartbeat's next beat are that run's too.
        latest = now if last_alive is None else max(now, last_alive.at + HEARTBEAT_EVERY_S)

        def before_now(at: float) -> bool:
            return in_era(at) and at <= latest

        # The comments' times are sorted: the newest before now is found from the end.
        newest_comment = next((at for at in reversed(comment_times) if before_now(at)), None)
        heard = [
            at
            for at in (
                *(event.at for event in events),
                *(kept.received_at for kept in orders),
                *(kept.received_at for kept in updates),
                *(sample.received_at for sample in samples),
                *(() if newest_comment is None else (newest_comment,)),
            )
            if before_now(at)
        ]
        if last_alive is not None:
            self._keep_last_heard(last_alive)
            heard.append(last_alive.at)
        interrupted = self._end_interrupted_deals(max(heard)) if heard else []
        if show is not None:
            self._restore_segment_seconds(show, events, last_alive, interrupted)
        if self.runtime is not None:
            # Deals started by hand are "deal-N" in each run: this run's go on from the file's,
            # or a "deal-1" of each run shared one quota on the board and in the report.
            numbers = [
                int(deal.deal_id[len("deal-") :])
                for deal in self.ledger.deals
                if deal.deal_id.startswith("deal-")
                and deal.deal_id[len("deal-") :].isdecimal()
                and len(deal.deal_id) <= 15  # a damaged file's id of 5,000 digits is no count
            ]
            self.runtime.number_hand_deals_after(max(numbers, default=0))
        log.info(
            "session %s: continuing (%s already kept, taken from the stock on screen)",
            self.path,
            counted(len(orders), "order"),
        )
        return True

    def _restore_segment_seconds(
        self,
        show: Show,
        events: Sequence[ShowEventRecord],
        last_alive: Heartbeat | None,
        interrupted: Sequence[ShowEventRecord],
    ) -> None:
        """The time the runs before spent in each segment, as the report's timing table will
        count it once this run is in the file too (each run until it was last heard of, on the
        report's steady clock): the run sheet and the remote's segment clock go on from it.
        They counted this run's time only: "Mug 0:30" and the cup "not reached" on screen,
        "Mug 1:30" and "Cup 4:00" in the report of the same file. This run's start is read as
        the report will read it: a segment start of no row of the run sheet."""
        played = list(events)
        if last_alive is not None:
            played.append(_last_heard_record(last_alive, self._event_run))
        played += interrupted  # kept as the killed run's last rows, in this order
        now = self._wall_clock()
        for kind, data in (("show_started", {}), ("segment_started", {"index": -1})):
            record_data: dict[str, object] = {"kind": kind, "at_s": 0.0, **data}
            played.append(ShowEventRecord(f"this-run:{kind}", kind, now, record_data))
        clock = SteadyClock(played)
        played = restore_missing_segment_starts(clock.events(played), show)
        timings = session_timings(show, played, None)
        self.segment_seconds = {t.index: t.actual_s for t in timings if t.visited}

    def _keep_last_heard(self, beat: Heartbeat) -> None:
        """The killed run's last heartbeat as a show event (the report's clocks), and the
        heartbeat cleared: this run, killed before its own first one, must not lay its clock
        from the run before's."""
        record = _last_heard_record(beat, self._event_run)

        # As a show event (kept in the order of the others, before this run's start), not
        # inside the call: a call runs after the writes queued with it.
        self.writer.submit_show_events([record])

        def clear(store: SessionStore) -> None:
            store.set_meta(HEARTBEAT_META, "")

        self.writer.call(clear)

    def _heartbeat(self, now_s: float) -> None:
        """A runtime time listener (the pipeline thread, every frame): every
        ``HEARTBEAT_EVERY_S`` of show clock, the session keeps that it is alive (queued to
        the writer, never waited for)."""
        last = self._heard_at_s
        if self.ended or (last is not None and 0.0 <= now_s - last < HEARTBEAT_EVERY_S):
            return
        self._heard_at_s = now_s
        value = json.dumps({"run": self._event_run, "at": self._wall_clock(), "at_s": now_s})

        def keep(store: SessionStore) -> None:
            store.set_meta(HEARTBEAT_META, value)

        self.writer.call(keep)

    def _end_interrupted_deals(self, last_heard: float) -> list[ShowEventRecord]:
        """The deals the file holds as live died with the run that kept them (killed, or a
        power cut): each ends, reason "interrupted", when that run was last heard of (its last
        row). Left open, the report said "still running at the end" of a deal the screen and
        the remote no longer had, or "stopped by the operator" at this run's start when this
        run started a deal on the same product, its time counting the minutes nothing ran."""
        records = [
            ShowEventRecord(
                id=f"interrupted:{self._event_run}:{deal.deal_id}",
                kind="deal_ended",
                at=max(last_heard, deal.started_at),
                data={
                    "kind": "deal_ended",
                    "deal_id": deal.deal_id,
                    "sku": deal.sku,
                    "reason": INTERRUPTED,
                },
            )
            for deal in self.ledger.live_deals()
        ]
        if not records:
            return records
        self.writer.submit_show_events(records)
        for record in records:
            self.ledger.apply_event(record.kind, record.data, record.at)
        log.info("session %s: %d deal(s) cut off by the run before ended", self.path, len(records))
        return records

    def _carry_stock_over(self, runtime: ShowRuntime) -> None:
        """The stock on screen goes on from the report's count of the file (the ledger just
        replayed): what the kept orders took, less what their cancellations gave back.

        It was once rebuilt by applying every kept order to the new run's show and then every
        give-back: out of the order they happened, so an order that sold the last units after
        a cancellation gave them back was refused its units and the give-back then made them
        up (5 left on screen, none in the report); and applied to the new run's deals (its
        planned deal started again with the old run's units in its quota, which the report
        counts in the old deal), with the events that caused (a deal sold out) kept nowhere.
        Taken here as units without a price (never a deal line), after the session's listener
        is on: a product with nothing left ends its live deal sold out, and the file says so.
        """
        for product in runtime.show.products:
            left = self.ledger.stock_left(product.sku)
            shown = runtime.snapshot().state.stock_left(product.sku)
            if left is None or shown is None or left >= shown:
                continue
            runtime.apply_order(product.sku, shown - left)

    # -- feeds -------------------------------------------------------------------------------

    def start_feeds(self) -> bool:
        """Poll the feeds on the running event loop; False when there is none (tests)."""
        if self.hub is None:
            return True
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            try:
                loop = asyncio.get_event_loop()
            except RuntimeError:
                return False
            if not loop.is_running():
                return False
        self._loop = loop
        self._loop_thread = threading.get_ident()
        self._task = loop.create_task(self.hub.run(self._stop))
        return True

    async def stop_feeds(self, timeout_s: float | None = None) -> None:
        """Stop polling; the audience server (if any) is gone when this returns.

        A poller waiting for a slow server would hold the stop for its whole request timeout:
        after ``timeout_s`` the task is cancelled (its page is not stored, nor its cursor, so
        the next run asks for it again)."""
        self._stop.set()
        if self._task is not None:
            done, _ = await asyncio.wait({self._task}, timeout=timeout_s)
            if not done:
                log.info("feeds: a request was still waiting for its server; cancelled")
                self._task.cancel()
                # Its request ends at once; asyncio.run ends the task anyway if it lingers.
                await asyncio.wait({self._task}, timeout=0.2)
            if self._task.done() and not self._task.cancelled():
                with contextlib.suppress(Exception):
                    self._task.result()
        elif self.hub is not None and self.hub.audience is not None:
            await asyncio.to_thread(self.hub.audience.stop)
            self.hub.audience = None

    def stop_feeds_now(self) -> None:
        """Without awaiting, from any thread (shutdown): the hub's task ends on its loop; the
        audience server stops now."""
        loop = self._loop
        if self._stop.is_set():
            pass
        elif loop is None or self._loop_thread == threading.get_ident():
            self._stop.set()
        elif not loop.is_closed():
            # asyncio.Event is not thread-safe: set it on its own loop.
            loop.call_soon_threadsafe(self._stop.set)
        if self.hub is not None and self.hub.audience is not None:
            self.hub.audience.stop()

    @property
    def feed_task(self) -> asyncio.Task[None] | None:
        return self._task

    def _stored(self, source: str, items: Sequence[FeedItem], at: float) -> None:
        """A page's new items, just committed with ``at`` as their time (loop thread)."""
        del source
        if self.ended:
            return
        # In the page's order, a run of one kind at a time: [order A, A cancelled, order B]
        # gave B the units A gave back; applied all orders first, B sold a deal of 5 out
        # (2 + 4) that A's cancellation could no longer refill, and the page's split decided.
        for kind, run in itertools.groupby(items, key=_kind):
            group = list(run)
            if kind is Comment:
                self.add_comments(cast("list[Comment]", group), at)
            elif kind is Order:
                self.apply_orders(cast("list[Order]", group), at)
            elif kind is OrderUpdate:
                self.apply_updates(cast("list[OrderUpdate]", group), at)
            elif kind is ViewerStats:
                self.add_viewer_samples(cast("list[ViewerStats]", group), at)
            elif kind is CommentRemoval:
                self.apply_removals(cast("list[CommentRemoval]", group))

    def ingest(self, items: Sequence[FeedItem]) -> list[FeedItem]:
        """Store items as a feed page would (once, by source and id) and apply the new ones: the
        hub's path for items that arrive another way (tests, an import). Blocking: waits for
        the commit."""
        by_source: dict[str, list[FeedItem]] = {}
        for item in items:
            by_source.setdefault(item.source, []).append(item)
        kept: list[FeedItem] = []
        for source, group in by_source.items():
            at = self._wall_clock()
            new = self.writer.submit_batch(source, group, None, at).result()
            rejected = sum(isinstance(item, RejectedItem) for item in new)
            self._rejected_arrived(source, rejected - new.withdrawn)
            if new:
                self._stored(source, new, at)
            kept += new
        return kept

    # -- comments ----------------------------------------------------------------------------

    def add_comments(self, comments: Sequence[Comment], at: float | None = None) -> None:
        """Stored comments (``at``: when the store kept them; default: now)."""
        taken_down: list[tuple[str, Comment, str]] = []
        with self._lock:
            for comment in comments:
                key = comment_key(comment)
                self.comments[key] = comment
                if comment.flagged:
                    log.info("comment flagged (%s)", ", ".join(comment.flagged_terms))
                if key in self._removed_keys:
                    taken_down.append((key, comment, "deleted"))
                elif comment.author_id and (comment.source, comment.author_id) in (
                    self._banned_authors
                ):
                    taken_down.append((key, comment, "banned"))
                else:
                    self._new_comments.append(comment)
                    self._tell(comment)
            # Every comment counts in the rates, as in the report; one taken down is no
            # waiting question (hide_comment below marks it answered).
            self.board.add_comments(
                [(comment_key(comment), comment) for comment in comments],
                self._wall_clock() if at is None else at,
            )
            while len(self.comments) > RECENT_COMMENTS:
                self.comments.popitem(last=False)
            self.comment_count += len(comments)
        for key, comment, reason in taken_down:
            self.hide_comment(key, comment, reason=reason)

    def _tell(self, item: Comment | StoredOrderRow | CommentHidden) -> None:
        for listener in list(self.listeners):
            try:
                listener(item)
            except Exception:
                log.exception("a feed listener failed")

    def recent_comments(self, limit: int) -> list[tuple[str, Comment, bool]]:
        with self._lock:
            newest = list(self.comments.items())[-limit:] if limit > 0 else []
            return [(key, comment, key in self.hidden) for key, comment in newest]

    def take_new_comments(self) -> list[Comment]:
        with self._lock:
            taken = list(self._new_comments)
            self._new_comments.clear()
        return taken

    def take_new_orders(self) -> list[StoredOrderRow]:
        with self._lock:
            taken = list(self._new_orders)
            self._new_orders.clear()
        return taken

    def hide_comment(self, key: str, comment: Comment | None, *, reason: str = "") -> None:
        """Keep a ``comment_hidden`` event naming the comment (once per comment). ``reason``
        is "" for the operator's hide, else why the platform took it down ("deleted",
        "banned")."""
        with self._lock:
            if key in self.hidden and reason:
                return  # hidden already (by the operator or an earlier removal)
            self.hidden.add(key)
            self.board.answered(key)
        source, _, comment_id = key.partition(":")
        data = {
            "source": comment.source if comment else source,
            "comment_id": comment.id if comment else comment_id,
            "author": comment.author if comment else "",
            "text": comment.text if comment else "",
        }
        if reason:
            data["reason"] = reason
        record = ShowEventRecord(
            id=f"hidden:{key}", kind=COMMENT_HIDDEN, at=self._wall_clock(), data=data
        )
        self.writer.submit_show_events([record])
        self._tell(CommentHidden(key, reason))
        with self._lock:
            # The window's list drops it whoever hid it: a platform, or the operator from the
            # phone (a hide from the window's own list is gone from it already).
            self._new_removed.append(key)
        if reason:
            hook = self.on_comments_removed
            if hook is not None:
                try:
                    hook([key])
                except Exception:
                    log.exception("a consumer of removed comments failed")

    def apply_removals(self, removals: Sequence[CommentRemoval]) -> None:
        """The platform deleted a comment or banned its author: hide what it names, as the
        operator's hide does (off the list, off the picture if pinned, never pinned again)."""
        taken_down: list[tuple[str, Comment | None, str]] = []
        with self._lock:
            for removal in removals:
                if removal.reason == "deleted" and removal.comment_id:
                    key = f"{removal.source}:{removal.comment_id}"
                    self._removed_keys.add(key)
                    if key in self.comments:
                        taken_down.append((key, self.comments[key], "deleted"))
                elif removal.reason == "banned" and removal.author_id:
                    self._banned_authors.add((removal.source, removal.author_id))
                    taken_down += [
                        (key, comment, "banned")
                        for key, comment in self.comments.items()
                        if comment.source == removal.source
                        and comment.author_id == removal.author_id
                    ]
                log.info(
                    "feed %s: %s comment(s) taken down (%s)",
                    removal.source,
                    len(taken_down),
                    removal.reason,
                )
        for key, comment, reason in taken_down:
            self.hide_comment(key, comment, reason=reason)
        self._take_down_stored(removals)

    def _take_down_stored(self, removals: Sequence[CommentRemoval]) -> None:
        """The comments a removal names that are no longer in memory — kept before a restart
        (``--session``) or pushed out of the recent ones — are found in the session file.

        The look-up runs on the writer thread (where every earlier write is visible); on a
        running loop its answer comes back to the loop without blocking it."""
        wanted = [
            removal
            for removal in removals
            if (removal.reason == "banned" and removal.author_id)
            or (
                removal.reason == "deleted"
                and removal.comment_id
                and f"{removal.source}:{removal.comment_id}" not in self.comments
            )
        ]
        if not wanted:
            return

        def find(store: SessionStore) -> list[tuple[StoredComment, str]]:
            found: list[tuple[StoredComment, str]] = []
            for removal in wanted:
                if removal.reason == "banned":
                    kept = store.comments_of(removal.source, author_id=removal.author_id)
                else:
                    kept = store.comments_of(removal.source, comment_id=removal.comment_id)
                found += [(stored, removal.reason) for stored in kept]
            return found

        def hide(found: list[tuple[StoredComment, str]]) -> None:
            for stored, reason in found:
                key = comment_key(stored.comment)
                if key not in self.hidden:
                    self.hide_comment(key, stored.comment, reason=reason)
            if found:
                log.info("%s taken down from the session file", counted(len(found), "kept comment"))

        future = self.writer.call(find)
        loop = self._loop
        if loop is None or loop.is_closed() or self._loop_thread != threading.get_ident():
            # No loop of ours to come back to (ingest from a test, an import): wait here.
            try:
                hide(future.result(timeout=10.0))
            except Exception:
                log.exception("cannot look up the comments a removal names")
            return

        def done(answer: Future[list[tuple[StoredComment, str]]]) -> None:
            try:
                found = answer.result()
            except Exception:
                log.exception("cannot look up the comments a removal names")
                return
            if not self.ended and not loop.is_closed():
                loop.call_soon_threadsafe(hide, found)

        future.add_done_callback(done)

    def take_removed_comments(self) -> list[str]:
        """Keys of the comments hidden since the last call, by a platform (deleted, banned) or
        by the operator anywhere (the remote, the window): the window's comment list drops
        them, so every front end lists the same comments."""
        with self._lock:
            taken = list(self._new_removed)
            self._new_removed.clear()
        return taken

    # -- viewers -----------------------------------------------------------------------------

    def add_viewer_samples(self, samples: Sequence[ViewerStats], at: float) -> None:
        """Stored viewer counts (``at``: when the store kept them)."""
        with self._lock:
            for sample in samples:
                self._keep_viewers(StoredViewerSample(sample, at))

    def _keep_viewers(self, stored: StoredViewerSample) -> None:
        self.viewer_samples.append(stored)
        self._latest_viewers[stored.sample.source] = stored
        self.board.add_viewers(stored.received_at, stored.sample.source, stored.sample.online)

    def feed_views(self) -> tuple[FeedView, ...]:
        """Every feed's status now (state, items, errors, quota spent, its note)."""
        hub = self.hub
        if hub is None:
            return ()
        return tuple(
            FeedView(
                source=health.source,
                state=health.state,
                items=health.items,
                errors=health.errors,
                quota_units=health.quota_units,
                note=health.note,
                last_error=health.last_error,
                fault=hub.failure_words if health.state == "stopped" else health.fault,
            )
            for health in hub.health()
        )

    def viewers_online(self) -> int | None:
        """The audience now: the latest count of each source that sends counts, added up
        (each platform counts its own viewers); None when no feed counts viewers."""
        with self._lock:
            if not self._latest_viewers:
                return None
            return sum(kept.sample.online for kept in self._latest_viewers.values())

    def record_command(self, name: str, arguments: dict[str, object], origin: str) -> None:
        """Keep an applied command and its origin ("remote", "window") in the show events."""
        with self._lock:
            self._command_seq += 1
            record = ShowEventRecord(
                id=f"command:{self._event_run}-{self._command_seq}",
                kind=COMMAND,
                at=self._wall_clock(),
                data={"command": name, "origin": origin, "arguments": arguments},
            )
        self.writer.submit_show_events([record])

    # -- orders ------------------------------------------------------------------------------

    def apply_orders(self, orders: Sequence[Order], at: float) -> None:
        """Apply stored orders to the show (stock, deals) and to the ledger, in that order.

        Their ``order_applied`` events go to the store together, and their warnings name the
        first few orders, then one line the rest: one store write and one log line per order
        (250 in a slice of a big page) each had the loop's thread hand the GIL to the store's
        or the log's write and wait to get it back (a slice of 50 ms took 0.4-0.9 s). The
        report reads those events by order, not by their place in the file."""
        applied: list[ShowEventRecord] = []
        oversold_unnamed: dict[str, int] = {}  # SKU -> units oversold, of the orders not named
        said = [0, 0]  # orders oversold: named, not named
        with self._lock:
            try:
                for order in orders:
                    applied.append(self._apply_order(order, at, oversold_unnamed, said))
            finally:
                if applied:
                    self.writer.submit_show_events(applied)
                if said[1]:
                    log.warning(
                        "%s oversold or with SKUs not in the show (kept in the session): %s",
                        counted(said[1], "more order"),
                        ", ".join(
                            f"{sku} oversold by {counted(n, 'unit')}" if n else sku
                            for sku, n in oversold_unnamed.items()
                        ),
                    )

    def _apply_order(
        self, order: Order, at: float, oversold_unnamed: dict[str, int], said: list[int]
    ) -> ShowEventRecord:
        deals: dict[str, str | None] = {}
        # Each line's deal by its index in the order (a line the show did not apply, of no
        # units, was sold in none): two lines of one SKU, one at the deal's price and one at
        # the full price, are one deal line and one not.
        line_deals: dict[int, str | None] = dict.fromkeys(range(len(order.lines)))
        accepted: dict[str, int] = {}
        oversold: dict[str, int] = {}
        unknown: dict[str, None] = {}
        runtime = self.runtime
        lines = [(index, line) for index, line in enumerate(order.lines) if line.quantity > 0]
        outcomes = []
        if runtime is not None:
            # Its price and currency decide whether a line is a deal line (show/state.py);
            # the order's lines as one command of the show (an order may have 100,000).
            outcomes = runtime.apply_order_lines(
                [(line.sku, line.quantity, line.unit_price) for _, line in lines],
                order.currency or None,
            )
        for (index, line), outcome in zip(lines, outcomes, strict=False):  # (no runtime)
            deals[line.sku] = outcome.deal_id
            line_deals[index] = outcome.deal_id
            accepted[line.sku] = accepted.get(line.sku, 0) + outcome.accepted_units
            if not outcome.known_sku:
                unknown[line.sku] = None
            elif outcome.accepted_units < line.quantity:
                # Each SKU's units over all its lines: the last line's alone was kept
                # (and a warning logged for each line, 100,000 for one order).
                over = line.quantity - outcome.accepted_units
                oversold[line.sku] = oversold.get(line.sku, 0) + over
        if (oversold or unknown) and said[0] < _OVERSOLD_NAMED:
            said[0] += 1
            for sku in unknown:
                log.warning(
                    "order %s: SKU %r is not in the show (kept in the session)", order.id, sku
                )
            for sku, units in oversold.items():
                log.warning("order %s: %s oversold by %s", order.id, sku, counted(units, "unit"))
        elif oversold or unknown:
            said[1] += 1
            for sku in unknown:
                oversold_unnamed[repr(sku) + " not in the show"] = 0
            for sku, units in oversold.items():
                oversold_unnamed[sku] = oversold_unnamed.get(sku, 0) + units
        data: dict[str, object] = {
            "source": order.source,
            "order_id": order.id,
            # By SKU (its last line's deal) for the readers before round 27; the report reads
            # "line_deals": the lines sold in a deal, by index.
            "deals": deals,
            "line_deals": {
                str(index): deal for index, deal in line_deals.items() if deal is not None
            },
            "accepted": accepted,
        }
        if oversold:
            data["oversold"] = oversold
        waiting = self.ledger.add_order(
            order,
            at,
            line_deals if runtime is not None else None,
            accepted if runtime is not None else None,
        )
        for came_first in waiting:  # a cancellation that came before its order
            self._restock(came_first)
        row = StoredOrderRow(order, at)
        self._new_orders.append(row)
        self._tell(row)
        # Which deal each line went to, as the show decided it: the report's figures.
        return ShowEventRecord(
            id=f"applied:{order.source}:{order.id}", kind=ORDER_APPLIED, at=at, data=data
        )

    def _rejected_arrived(self, source: str, count: int) -> None:
        """``count`` items of a page just kept as rejected (the hub delivers them no further),
        less those kept as rejected before that count now (``NewItems.withdrawn``)."""
        del source
        with self._lock:
            self.rejected_kept += count

    @property
    def rejected_items(self) -> int:
        """The items of this session that are not counted, as the report counts them
        (store/report_rejected.rejected_entries): those the store kept as rejected, and what
        the ledger does not count by its one rule (``Ledger.not_counted``)."""
        with self._lock:
            return self.rejected_kept + self.ledger.not_counted_count()

    def apply_updates(self, updates: Sequence[OrderUpdate], at: float) -> None:
        """Stored cancellations and refunds: out of the ledger once, their units back in stock."""
        with self._lock:
            for update in updates:
                outcome = self.ledger.apply_update(update, at)
                if outcome.status == "rejected":
                    log.warning("order %s %s: %s", update.order_id, update.status, outcome.reason)
                elif outcome.status == "pending":
                    log.info("order %s %s before the order: kept", update.order_id, update.status)
                self._restock(outcome)

    def _restock(self, outcome: UpdateOutcome) -> None:
        if outcome.status != "applied" or self.runtime is None:
            return
        for restock in outcome.restocks:
            self.runtime.restock(restock.sku, restock.units, deal_id=restock.deal_id)

    # -- show events -------------------------------------------------------------------------

    def record_event(self, event: ShowEvent) -> None:
        """A show runtime listener (any thread): the store and the ledger, same time, same order."""
        with self._lock:
            self._event_seq += 1
            at = self._wall_clock()
            runtime = self.runtime
            if runtime is not None:
                # Kept with the wall time of the moment the event names, not of its delivery:
                # the show's start events wait for the first picture after the store opened
                # and the images were decoded (a quarter second), while their show clock is
                # the session's start. Stamped late, the first segment began after the first
                # orders (counted in no segment) and the report's Duration came out shorter
                # than its segments' sum.
                at -= max(0.0, runtime.now_s - event.at_s)
            record = ShowEventRecord(
                id=f"{self._event_run}-{self._event_seq}",
                kind=event.kind,
                at=at,
                data=event_record(event),
            )
            self.writer.submit_show_events([record])
            self.ledger.apply_event(record.kind, record.data, record.at)
            self.board.show_event(record.kind, record.data)
            if record.kind == "segment_ended":
                index = int(record.data["index"])
                elapsed = float(record.data.get("elapsed_s", 0.0))
                self.segment_seconds[index] = self.segment_seconds.get(index, 0.0) + elapsed

    def read_ledger(self, read: Callable[[Ledger], object]) -> object:
        with self._lock:
            return read(self.ledger)

    @property
    def path(self) -> Path:
        """The session file as it is now (written again under a numbered name when it was
        deleted mid-show and its name then led to another file)."""
        return self.writer.path

    # -- the end -----------------------------------------------------------------------------

    def record_streams(self, statuses: Sequence[OutputStatus]) -> bool:
        """How each stream destination of this session went, kept for the report as the
        session ends (store/report_streams.py): the destination as the logs name it (its key
        masked), time live, connections made again, time down at the end and why. Once per
        session: the window's Stop detaches its destination before the session ends. True
        when these are the ones kept."""
        if self.ended or self._streams_recorded or not statuses:
            return False
        self._streams_recorded = True
        now = self._wall_clock()
        self.writer.submit_show_events(
            [
                ShowEventRecord(
                    id=f"stream:{self._event_run}:{number}",
                    kind=STREAM_ENDED,
                    at=now,
                    data={
                        "kind": STREAM_ENDED,
                        "destination": status.name,
                        "live_s": round(status.live_s, 1),
                        "live_again": status.live_again,
                        "down_at_end_s": round(status.down_at_stop_s, 1),
                        "last_error": status.last_error or "",
                        # The same, as words: said in the report's language.
                        "last_error_words": reason_as_data(status.fault),
                    },
                )
                for number, status in enumerate(statuses)
            ]
        )
        return True

    def end_show(self, now_s: float | None = None) -> None:
        """Stop the run sheet and every deal (their end events are kept); idempotent."""
        if self.runtime is not None and not self.runtime.ended:
            self.runtime.end(now_s)

    def close_store(self, timeout_s: float = 10.0) -> None:
        """Commit what is queued and close the file (blocking: call it off the loop)."""
        self.ended = True
        if self.runtime is not None:
            with contextlib.suppress(ValueError):
                self.runtime.remove_listener(self.record_event)
            with contextlib.suppress(ValueError):
                self.runtime.time_listeners.remove(self._heartbeat)
        self.writer.close(timeout_s)


def _last_heard_record(beat: Heartbeat, event_run: str) -> ShowEventRecord:
    """The killed run's last heartbeat as the show event the continuing run keeps."""
    return ShowEventRecord(
        id=f"last-heard:{event_run}",
        kind=RUN_LAST_HEARD,
        at=beat.at,
        data={"kind": RUN_LAST_HEARD, "run": beat.run, "at_s": beat.at_s},
    )


def audience_view(runtime: ShowRuntime) -> Callable[[float], AudienceView]:
    """What the simulated audience reacts to: the show as the operator runs it."""

    def view(_show_s: float) -> AudienceView:
        state = runtime.snapshot().state
        deal = state.live_deal(state.on_screen_sku) or state.live_deal(state.segment.sku)
        # Every live deal with its price: the crowd pays it for that product, list price else.
        deals = {
            live.sku: DealView(live.deal_id, live.price, live.stock, live.stock_left)
            for live in state.live_deals
        }
        return AudienceView(state.segment_index, deal is not None, deals, state.on_screen_sku)

    return view


_APPLIED_KINDS = (Comment, Order, OrderUpdate, ViewerStats, CommentRemoval)


def _kind(item: FeedItem) -> type | None:
    """Which of the kinds the show applies ``item`` is (a rejected item is none of them)."""
    return next((kind for kind in _APPLIED_KINDS if isinstance(item, kind)), None)
