"""Refused commands name what the caller gave, as the remote API and ``anchordesk control`` send
it: ``goto_segment -1`` is not "no segment 0", and a deal with nothing on screen is not "no
product with SKU None"."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from anchordesk.control.commands import parse_command, run_command
from anchordesk.live.factory import build_live_show
from anchordesk.live.options import LiveOptions
from anchordesk.live.show import CommandRejected, LiveShow, LiveShowPlan
from anchordesk.live.snapshot import SessionMode
from anchordesk.show.model import Product, Segment, Show

SHOW = Show(
    title="Night",
    currency="USD",
    language="en",
    products=(Product("SERUM", "Serum", Decimal("39.00"), 50),),
    rundown=(Segment("Opening", 60), Segment("Serum", 120, "SERUM"), Segment("Bye", 30)),
)


@pytest.fixture
def show(tmp_path: Path) -> Iterator[LiveShow]:
    options = LiveOptions(camera="test", microphone="none", canvas_width=320, canvas_height=180)
    live = build_live_show(
        options,
        LiveShowPlan(show=SHOW, sessions_dir=tmp_path / "sessions", rehearsal_feeds=[]),
        switched=True,
    )
    live.begin_session(SessionMode.REHEARSAL)
    yield live
    live.media.stop()


def refusal(show: LiveShow, body: dict[str, object]) -> CommandRejected:
    name, arguments = parse_command(body)
    with pytest.raises(CommandRejected) as refused:
        run_command(show, name, arguments, "remote")
    return refused.value


@pytest.mark.parametrize("index", [-1, 3, 99])
def test_goto_segment_names_the_index_it_was_given(show: LiveShow, index: int) -> None:
    refused = refusal(show, {"command": "goto_segment", "index": index})
    assert str(refused) == f"no segment at index {index}: the rundown's segments are 0 to 2"
    assert refused.status == 400
    assert show.snapshot().current_index == 0  # nothing moved


def test_a_deal_with_nothing_on_screen_says_so(show: LiveShow) -> None:
    assert show.snapshot().on_screen_sku is None  # the opening has no product
    refused = refusal(show, {"command": "start_deal"})
    assert str(refused) == "no product on screen to start a deal on"
    assert "None" not in str(refused) and refused.status == 409
    assert show.snapshot().deals == ()


def test_next_at_the_last_segment_and_previous_at_the_first_are_refused_not_kept(
    show: LiveShow,
) -> None:
    """R8ctl L6: ``next_segment`` at the last segment answered 200, did nothing, and the session
    kept it as a command the operator gave."""
    refused = refusal(show, {"command": "previous_segment"})
    assert (str(refused), refused.status) == (
        "Opening is the first segment: there is no previous one",
        409,
    )
    show.goto_segment(2, origin="remote")
    refused = refusal(show, {"command": "next_segment"})
    assert str(refused) == "Bye is the last segment: there is no next one"
    assert show.snapshot().current_index == 2  # nothing moved
