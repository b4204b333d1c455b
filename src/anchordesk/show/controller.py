"""One object that holds the current `ShowState` and applies commands to it.

The app layer wraps calls in its own lock (the pipeline thread ticks, the Qt thread sends the
operator's commands, the feeds apply orders); this class has no lock, no thread and no clock.
`state` is an immutable snapshot that any thread may keep reading after the controller moved on.

Listeners get every event, in order, right after the state changed (the session store writes
them, the window refreshes). A listener that raises does not undo the change; the exception
propagates to the caller after the state is updated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

from anchordesk.show import state as rules
from anchordesk.show.events import ShowEvent
from anchordesk.show.model import Show
from anchordesk.show.state import OrderOutcome, RestockOutcome, ShowState, Transition

EventListener = Callable[[ShowEvent], None]


class ShowController:
    """The show being run. Every method takes `now_s` (the show clock) and returns its events.

    With `autoplay`, `tick()` follows the rundown by its seconds; moving the run sheet by hand
    (next, previous, jump) switches autoplay off, since the clock and the operator would
    otherwise fight over the current segment.
    """

    def __init__(
        self,
        show: Show,
        now_s: float,
        *,
        autoplay: bool = False,
        auto_start_deals: bool = True,
        listeners: tuple[EventListener, ...] = (),
    ) -> None:
        self.autoplay = autoplay
        self._listeners: list[EventListener] = list(listeners)
        self._state: ShowState
        first = rules.start_show(show, now_s, auto_start_deals=auto_start_deals, autoplay=autoplay)
        self._state = first.state
        self._initial_events = first.events
        self._publish(first.events)

    @property
    def state(self) -> ShowState:
        return self._state

    @property
    def show(self) -> Show:
        return self._state.show

    @property
    def initial_events(self) -> tuple[ShowEvent, ...]:
        """The events of the start (ShowStarted, SegmentStarted...), for listeners added late."""
        return self._initial_events

    def number_hand_deals_after(self, count: int) -> None:
        """The next deal started by hand is "deal-(count+1)": a session continued by a new
        run goes on from the deals its file holds, so no two deals of it share an id."""
        if count > self._state.hand_deals_started:
            self._state = replace(self._state, hand_deals_started=count)

    def add_listener(self, listener: EventListener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: EventListener) -> None:
        self._listeners.remove(listener)

    def tick(self, now_s: float) -> tuple[ShowEvent, ...]:
        if self._state.ended_at_s is not None:
            return ()  # an ended show stands still: no deal runs out, no segment moves
        if self.autoplay:
            return self._apply(rules.autoplay_tick(self._state, now_s))
        return self._apply(rules.tick(self._state, now_s))

    def next_segment(self, now_s: float) -> tuple[ShowEvent, ...]:
        self._manual(now_s)
        return self._apply(rules.next_segment(self._state, now_s))

    def previous_segment(self, now_s: float) -> tuple[ShowEvent, ...]:
        self._manual(now_s)
        return self._apply(rules.previous_segment(self._state, now_s))

    def jump_to_segment(self, index: int, now_s: float) -> tuple[ShowEvent, ...]:
        self._manual(now_s)
        return self._apply(rules.jump_to_segment(self._state, index, now_s))

    def hold_picture(self, on: bool, now_s: float) -> tuple[ShowEvent, ...]:
        events = self.tick(now_s)
        return events + self._apply(rules.hold_picture(self._state, on, now_s))

    def show_product(self, sku: str | None, now_s: float) -> tuple[ShowEvent, ...]:
        events = self.tick(now_s)
        return events + self._apply(rules.show_product(self._state, sku, now_s))

    def start_deal(
        self,
        now_s: float,
        *,
        sku: str | None = None,
        price: Decimal | None = None,
        seconds: int | None = None,
        stock: int | None = None,
    ) -> tuple[ShowEvent, ...]:
        events = self.tick(now_s)
        transition = rules.start_deal(
            self._state, now_s, sku=sku, price=price, seconds=seconds, stock=stock
        )
        return events + self._apply(transition)

    def stop_deal(self, now_s: float, *, sku: str | None = None) -> tuple[ShowEvent, ...]:
        events = self.tick(now_s)
        return events + self._apply(rules.stop_deal(self._state, now_s, sku=sku))

    def apply_order(
        self,
        sku: str,
        quantity: int,
        now_s: float,
        unit_price: Decimal | None = None,
        currency: str | None = None,
    ) -> OrderOutcome:
        """Take an order line's units from stock (see `state.apply_order` for the deal-line
        rule); the outcome says how many were taken, whether it was a deal line, and what was
        oversold."""
        self.tick(now_s)  # autoplay may have moved on; its events reach the listeners
        transition = rules.apply_order(self._state, sku, quantity, now_s, unit_price, currency)
        self._apply(transition)
        assert transition.order is not None
        return transition.order

    def end_show(self, now_s: float) -> tuple[ShowEvent, ...]:
        """End the session's show: live deals stop, the segment ends; nothing moves after."""
        self.tick(now_s)
        self.autoplay = False
        return self._apply(rules.end_show(self._state, now_s))

    @property
    def ended(self) -> bool:
        return self._state.ended_at_s is not None

    def restock(
        self, sku: str, quantity: int, now_s: float, *, deal_id: str | None = None
    ) -> RestockOutcome:
        """Give a cancelled or refunded line's units back (see `state.restock`)."""
        self.tick(now_s)
        transition = rules.restock(self._state, sku, quantity, now_s, deal_id=deal_id)
        self._apply(transition)
        assert transition.restock is not None
        return transition.restock

    # -- internals -------------------------------------------------------------------------------

    def _manual(self, now_s: float) -> None:
        if self.autoplay:
            # Catch up to now first so that segments due before the operator's command still
            # happen at their planned times.
            self.tick(now_s)
            self.autoplay = False

    def _apply(self, transition: Transition) -> tuple[ShowEvent, ...]:
        self._state = transition.state
        self._publish(transition.events)
        return transition.events

    def _publish(self, events: tuple[ShowEvent, ...]) -> None:
        for event in events:
            for listener in tuple(self._listeners):
                listener(event)
