"""The session's side of the data board: what it keeps for the figures, and the prompts.

``SessionBoard`` belongs to one ``ShowSession``: the audience curve and the comments' times as
the store kept them, the questions nobody has answered yet, each deal's quota, and the prompt
desk. ``LiveShow.snapshot`` asks it for the figures (``show/board.py``, computed once) and the
prompts at one moment; a prompt that fires, and a dismissal, are kept in the session's events
(kinds ``prompt`` and ``prompt_dismissed``) so the report lists them with their time.
"""

from __future__ import annotations

import bisect
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from anchordesk.live.snapshot import DealView, SegmentView
from anchordesk.live.snapshot_parts import ProductTable
from anchordesk.show.board import (
    AudienceCurve,
    BoardFigures,
    OrderFigures,
    OrderTally,
    ProductFigures,
    RunSheet,
    UnitsRate,
    board_figures,
    product_figures,
)
from anchordesk.show.feed_items import Comment
from anchordesk.show.ledger import Ledger
from anchordesk.show.prompts import (
    DEAL_ENDING,
    PROMPT_DISMISSED_EVENT,
    PROMPT_EVENT,
    QUESTION_WAITING,
    STOCK_SHORT,
    DealSituation,
    Prompt,
    PromptDesk,
    PromptInputs,
    WaitingQuestion,
    prompt_data,
    prompt_from_data,
    rules_on,
)

if TYPE_CHECKING:  # the store loads only when a session keeps anything (live/show.py)
    from anchordesk.store.session import ShowEventRecord

log = logging.getLogger(__name__)

# The prompts about a situation of one run: a deal (its id is used again by the next run's
# planned deal) and a segment's visit.
_ENDS_WITH_ITS_RUN = frozenset({DEAL_ENDING, STOCK_SHORT})

# The figures are recomputed at most this often while nothing new arrived (the window polls
# the snapshot ten times a second; the rates only move by the second).
REFRESH_S = 0.5
QUESTION_KEEP_S = 600.0
ORDERS_REFRESH_S = 2.0


def prompt_record(prompt: Prompt) -> ShowEventRecord:
    from anchordesk.store.session import ShowEventRecord

    return ShowEventRecord(
        id=f"{PROMPT_EVENT}:{prompt.key}", kind=PROMPT_EVENT, at=prompt.at, data=prompt_data(prompt)
    )


class SessionBoard:
    def __init__(
        self,
        started_at: float,
        prompts_off: Iterable[str] = (),
        keep_events: Callable[[list[ShowEventRecord]], object] | None = None,
    ) -> None:
        self.started_at = started_at
        self.audience = AudienceCurve()
        self.comment_times: list[float] = []
        self.questions: OrderedDict[str, WaitingQuestion] = OrderedDict()
        self._answered: set[str] = set()
        self.deal_quotas: dict[str, tuple[str, int | None]] = {}
        self.prompts = PromptDesk(enabled=rules_on(prompts_off))
        self._keep_events = keep_events
        self._cache: tuple[tuple[object, ...], BoardFigures] | None = None
        self._orders: tuple[tuple[int, int, int], OrderFigures] | None = None
        self._orders_at = 0.0
        self._tally = OrderTally()  # the orders' figures, read anew only since the last
        self._rates = UnitsRate()  # each product's recent sales rate, as a sliding window
        # The products' rows of the last figures, with what they were made from: a deal's
        # start changes one product's "on sale" and made every product's row again (10,000
        # in a show at the limits, at each start).
        self._products: _KeptProducts | None = None
        # The run sheet's titles: each segment's visits in its row (show/board.RunSheet).
        self.rundown: RunSheet | None = None

    def follow_rundown(self, titles: Sequence[str]) -> None:
        """The run sheet of the show this session runs (its segments' titles, in order)."""
        self.rundown = RunSheet(titles)
        self._tally = OrderTally(self.rundown)
        self._orders = None
        self._cache = None

    # -- what arrives -------------------------------------------------------------------------

    def add_viewers(self, at: float, source: str, online: int) -> None:
        self.audience.add(at, source, online)

    def add_comments(self, comments: Sequence[tuple[str, Comment]], at: float) -> None:
        for key, comment in comments:
            if self.comment_times and at < self.comment_times[-1]:
                bisect.insort(self.comment_times, at)
            else:
                self.comment_times.append(at)
            if comment.is_question and not comment.flagged and key not in self._answered:
                self.questions[key] = WaitingQuestion(key, at, comment.author, comment.text)

    def answered(self, key: str) -> None:
        """A question pinned (answered on air) or hidden: no longer waiting."""
        self._answered.add(key)
        self.questions.pop(key, None)

    def restore_questions(
        self, kept: Sequence[tuple[str, Comment, float]], answered: Iterable[str]
    ) -> None:
        """A session file continued: its questions nobody answered wait again, from when they
        came (``kept``: key, comment, when the store kept it, oldest first). ``answered``:
        pinned or hidden in an earlier run; a question already prompted is no longer news.
        Without this, a question asked just before a kill -9 was on the phone's list but never
        on the board's waiting questions, and its prompt never came."""
        self._answered.update(answered)
        prompted = {
            prompt.value("comment")
            for prompt in self.prompts.fired.values()
            if prompt.rule == QUESTION_WAITING
        }
        for key, comment, at in kept:
            if (
                comment.is_question
                and not comment.flagged
                and key not in self._answered
                and key not in prompted
            ):
                self.questions[key] = WaitingQuestion(key, at, comment.author, comment.text)

    def show_event(self, kind: str, data: Mapping[str, Any]) -> None:
        if kind == "deal_started":
            stock = data.get("stock")
            self.deal_quotas[str(data.get("deal_id"))] = (
                str(data.get("sku")),
                int(stock) if isinstance(stock, int) else None,
            )

    def restore(self, events: Sequence[ShowEventRecord]) -> None:
        """A session file continued: the deals' quotas and the prompts already fired.

        A prompt about a deal or a segment's visit of the run before is not: that deal and
        that visit ended with the run (killed). Kept, they stayed on the board beside this
        run's own (four "sells out in ~1 min" after three restarts, with the stock of then),
        and this run's planned deal, of the same id, never had its "deal ending" prompt."""
        for event in events:
            self.show_event(event.kind, event.data)
            prompt = prompt_from_data(event.at, event.data) if event.kind == PROMPT_EVENT else None
            if prompt is not None:
                if prompt.rule not in _ENDS_WITH_ITS_RUN:
                    self.prompts.keep(prompt)
            elif event.kind == PROMPT_DISMISSED_EVENT:
                key = str(event.data.get("key", ""))
                if key.partition(":")[0] not in _ENDS_WITH_ITS_RUN:
                    self.prompts.dismissed.add(key)

    # -- reading ------------------------------------------------------------------------------

    def figures(
        self,
        ledger: Ledger,
        now: float,
        *,
        stock_left: Mapping[str, int],
        on_sale: Iterable[str],
        currency_of: Mapping[str, str],
    ) -> BoardFigures:
        selling = tuple(sorted(on_sale))
        key = (
            ledger.orders,
            len(ledger.updates),
            len(ledger.segments),
            ledger.segments[-1].ended_at if ledger.segments else None,
            # A deal's units change with the orders and updates above; its end, here.
            len(ledger.deals),
            ledger.deal_changes,
            len(self.comment_times),
            len(self.audience.times),
            selling,
            # The mapping itself: the same object while no stock moved (compared at once),
            # not its items sorted at every snapshot (10,000 products: at each poll).
            stock_left,
            int(now / REFRESH_S),
        )
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        # Buyers and GMV per segment read every order (~20 ms at 10,000): again only when one
        # arrived, and at most every ORDERS_REFRESH_S while they keep coming — at once when a
        # segment changes or the show has finished (the figures the report will show).
        orders_key = (ledger.orders, len(ledger.updates), len(ledger.segments))
        finished = bool(ledger.segments) and ledger.segments[-1].ended_at is not None
        kept = self._orders
        if kept is None or (
            kept[0] != orders_key
            and (
                finished or kept[0][2] != orders_key[2] or now - self._orders_at >= ORDERS_REFRESH_S
            )
        ):
            kept = self._orders = (orders_key, self._tally.figures(ledger))
            self._orders_at = now
        rates = self._rates.per_second(ledger, now, self.started_at)
        made_from = (ledger, ledger.orders, len(ledger.updates), stock_left, currency_of, rates)
        products = self._products.rows(made_from, selling) if self._products else None
        if products is None:
            products = product_figures(ledger, stock_left, selling, currency_of, rates)
            self._products = _KeptProducts(made_from, selling, products)
        figures = board_figures(
            ledger,
            self.audience,
            self.comment_times,
            now,
            started_at=self.started_at,
            stock_left=stock_left,
            on_sale=selling,
            deal_quotas=self.deal_quotas,
            currency_of=currency_of,
            orders=kept[1],
            rates=rates,
            products=products,
            rundown=self.rundown,
        )
        self._cache = (key, figures)
        return figures

    def prompt_now(self, inputs: PromptInputs) -> tuple[Prompt, ...]:
        """Fire what is due (kept in the session's events) and return what is on the board."""
        new = self.prompts.evaluate(inputs)
        for prompt in new:
            if prompt.rule == QUESTION_WAITING:
                self.questions.pop(prompt.value("comment"), None)  # prompted: no longer news
        while self.questions:  # a question unanswered for ten minutes is not coming back
            oldest = next(iter(self.questions.values()))
            if inputs.now - oldest.at < QUESTION_KEEP_S:
                break
            self.questions.popitem(last=False)
        if new:
            for prompt in new:
                log.info("prompt: %s", prompt.english)
            if self._keep_events is not None:
                self._keep_events([prompt_record(prompt) for prompt in new])
        return self.prompts.active(inputs.now)

    def dismiss(self, key: str, now: float) -> bool:
        if not self.prompts.dismiss(key):
            return False
        if self._keep_events is not None:
            from anchordesk.store.session import ShowEventRecord

            self._keep_events(
                [
                    ShowEventRecord(
                        id=f"{PROMPT_DISMISSED_EVENT}:{key}",
                        kind=PROMPT_DISMISSED_EVENT,
                        at=now,
                        data={"key": key},
                    )
                ]
            )
        return True

    def set_rules_off(self, off: Iterable[str]) -> None:
        self.prompts.enabled = rules_on(off)

    def recent_audience(self, now: float, window_s: float) -> list[tuple[float, int]]:
        return self.audience.between(now - window_s, now)


class _KeptProducts:
    """The board's product rows and what they were made from (the ledger and its counts, the
    stock, the currencies and the sales rates): while these are the same, the rows are the
    same but for the products that came on or went off sale, made again alone."""

    def __init__(
        self,
        made_from: tuple[object, ...],
        selling: Iterable[str],
        rows: tuple[ProductFigures, ...],
    ) -> None:
        self._made_from = made_from
        self._selling = set(selling)
        self._rows = rows
        self._places = {row.sku: place for place, row in enumerate(rows)}

    def rows(
        self, made_from: tuple[object, ...], selling: Iterable[str]
    ) -> tuple[ProductFigures, ...] | None:
        """The rows for ``made_from`` and ``selling``; None when they must all be made."""
        if len(made_from) != len(self._made_from) or any(
            new is not old and new != old
            for new, old in zip(made_from, self._made_from, strict=True)
        ):
            return None
        now_selling = set(selling)
        if now_selling != self._selling:
            rows = list(self._rows)
            for sku in now_selling ^ self._selling:
                place = self._places.get(sku)
                if place is not None:
                    rows[place] = replace(rows[place], on_sale=sku in now_selling)
            self._rows, self._selling = tuple(rows), now_selling
        return self._rows


def deal_situations(deals: Iterable[DealView]) -> tuple[DealSituation, ...]:
    """The snapshot's live deals (``DealView``) as the prompt rules read them."""
    return tuple(
        DealSituation(d.deal_id, d.sku, d.title, d.remaining_s, d.units_left, d.units_total)
        for d in deals
        if d.is_live
    )


def board_now(
    board: SessionBoard,
    read_ledger: Callable[[Callable[[Ledger], object]], object],
    now: float,
    products: ProductTable,
    deals: Sequence[DealView],
    segment: SegmentView | None,
    on_screen_sku: str | None,
    *,
    ended: bool,
) -> tuple[BoardFigures, tuple[Prompt, ...]]:
    """The board's figures at ``now`` and the prompts on the board (none once ended)."""
    stock_left = products.stock_left
    on_sale = {d.sku for d in deals if d.is_live}
    if on_screen_sku:
        on_sale.add(on_screen_sku)
    currency_of = products.currency_of
    figures = read_ledger(
        lambda ledger: board.figures(
            ledger, now, stock_left=stock_left, on_sale=on_sale, currency_of=currency_of
        )
    )
    assert isinstance(figures, BoardFigures)
    if ended:
        return figures, ()
    product = products.product(on_screen_sku)
    selling = figures.product(on_screen_sku)
    inputs = PromptInputs(
        now=now,
        audience=board.recent_audience(now, board.prompts.thresholds.viewers_drop_window_s),
        live_deals=deal_situations(deals),
        on_screen_sku=product.sku if product else None,
        on_screen_title=product.title if product else "",
        on_screen_stock_left=product.stock_left if product else None,
        on_screen_sells_out_in_s=selling.sells_out_in_s if selling else None,
        segment_started_at=figures.visit_started_at,
        segment_title=segment.title if segment else "",
        segment_left_s=(segment.planned_s - segment.elapsed_s) if segment else None,
        questions=tuple(board.questions.values()),
    )
    return figures, board.prompt_now(inputs)
