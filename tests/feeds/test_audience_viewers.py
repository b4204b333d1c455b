"""The rehearsal crowd's size follows the show: it fills up at the start, people leave during
long talk without a deal, a deal starting brings a wave of arrivals; the same seed gives the
same curve (show time is injected: ``advance(show_s)``)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from anchordesk.feeds.adapters import JsonFeedAdapter
from anchordesk.feeds.audience import AudienceSimulator, AudienceView, DealView
from anchordesk.show.feed_items import ViewerStats
from anchordesk.show.model import Product, Segment, Show

SHOW = Show(
    title="Night",
    currency="USD",
    language="en",
    products=(Product("MUG", "Mug", Decimal("24.00"), 500),),
    rundown=(Segment("Talk", 600, "MUG"), Segment("Deal", 600, "MUG")),
)
DEAL_AT_S = 600.0


def operator_view(show_s: float) -> AudienceView:
    """Ten minutes of talk, then a deal on the mug."""
    if show_s < DEAL_AT_S:
        return AudienceView(0, False, {})
    return AudienceView(1, True, {"MUG": DealView("d1", Decimal("18.00"), None)})


def curve(seed: int, view: Callable[[float], AudienceView] = operator_view) -> dict[float, int]:
    simulator = AudienceSimulator(SHOW, seed=seed, view=view, run_id="r")
    simulator.advance(DEAL_AT_S + 120.0)
    return dict(simulator.viewer_counts)


def test_the_crowd_grows_leaves_during_long_talk_and_comes_back_for_a_deal() -> None:
    counts = curve(seed=7)
    peak_before_talk_drags = max(online for at, online in counts.items() if at <= 120.0)
    assert peak_before_talk_drags >= 40  # the opening wave filled the room
    before_deal = counts[DEAL_AT_S - 5.0]
    assert before_deal < peak_before_talk_drags * 2 / 3  # long talk: a third and more left
    after_wave = counts[DEAL_AT_S + 30.0]
    assert after_wave > before_deal * 1.3  # the deal brought people in


def test_the_same_seed_gives_the_same_curve_and_the_items_read_as_viewers() -> None:
    assert curve(seed=3) == curve(seed=3)
    assert curve(seed=3) != curve(seed=4)
    simulator = AudienceSimulator(SHOW, seed=3, view=operator_view, run_id="r")
    page = simulator.page(None, 30.0, 500, from_start=True)
    raw = [item for item in page["items"] if item["type"] == "viewers"]
    assert len(raw) == 7  # at 0, 5, …, 30 s
    adapter = JsonFeedAdapter("http://127.0.0.1/feed", None, "rehearsal")
    sample = adapter._item(raw[-1])
    assert isinstance(sample, ViewerStats) and sample.id == "r-v300"
    assert sample.online == raw[-1]["online"] and sample.entered >= sample.online  # type: ignore[operator]
