"""Chart label placement: lanes, then numbers only, then nothing; never an overlap."""

from __future__ import annotations

from anchordesk.store.report_svg import fit_text, nice_ticks, place_in_lanes, text_width


def test_crowded_labels_shrink_to_their_number_then_stay_out_never_overlapping() -> None:
    crowded = [(10.0 + 3 * n, f"{n + 1} 第{n + 1}个环节的标题", str(n + 1)) for n in range(40)]
    boxes = place_in_lanes(crowded, 3, 14.0, 18.0, 400.0, 12.0, 180.0)
    texts = [box.text for box in boxes]
    assert texts[:3] == ["1", "2", "3"], "3 px apart: no room for a title, each gets its number"
    assert all(text.isdigit() for text in texts[:-3]), "the last ones may have room after them"
    assert 12 <= len(boxes) < len(crowded), "numbers while they fit, then nothing"
    for position, box in enumerate(boxes):
        assert box.right <= 400.0
        for other in boxes[position + 1 :]:
            assert not box.overlaps(other), (box, other)


def test_roomy_labels_keep_their_titles() -> None:
    roomy = [(10.0 + 60 * n, f"{n + 1} 第{n + 1}个环节的标题", str(n + 1)) for n in range(6)]
    boxes = place_in_lanes(roomy, 3, 14.0, 18.0, 400.0, 12.0, 180.0)
    assert [box.text for box in boxes][:2] == ["1 第1个环节的标题", "2 第2个环节的标题"]
    assert len(boxes) == 6


def test_fit_text_cuts_with_an_ellipsis_within_the_room() -> None:
    cut = fit_text("Travel Tumbler 500 ml, vacuum insulated", 100.0, 12.0)
    assert cut.endswith("…") and text_width(cut, 12.0) <= 100.0
    assert fit_text("Mug", 100.0, 12.0) == "Mug"
    assert fit_text("精华液", 5.0, 12.0) == ""


def test_ticks_are_round_and_reach_the_top() -> None:
    assert nice_ticks(1_260_119.4) == [0.0, 500_000.0, 1_000_000.0, 1_500_000.0]
    assert nice_ticks(9.0, 3) == [0.0, 5.0, 10.0]
    assert nice_ticks(0.0) == [0.0, 1.0]
