"""Round twenty-one of issue 10, inputs: show files, CSV, feeds, report (hunt21in)."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

import pytest
from feed_servers import JsonFeedServer

from anchordesk.feeds.adapters import JsonFeedAdapter
from anchordesk.show.feed_items import Comment, RejectedItem
from anchordesk.store.report import build_report

from ..feed_parts import ingest
from ..show_inputs import anchordesk
from .test_round_03_feeds import MARK, RawPageServer, _poll


@pytest.mark.parametrize(
    ("online", "detail"),
    [
        # Was "online <anchordesk.feeds.parsing.UnreadableNumb is not a count".
        (b"1e999999999999999999999", "online 1e999999999999999999999 is not a count"),
        # Was "Exceeds the limit (4300 digits) for integer string conversion: value has …".
        (b'"' + b"7" * 40_000 + b'"', 'online "' + "7" * 39 + "… is not a count"),
        (b'"0x10"', 'online "0x10" is not a count'),  # was Python's '0x10'
    ],
)
def test_a_hostile_viewer_count_is_rejected_in_the_words_the_feed_wrote(
    online: bytes, detail: str
) -> None:
    server = RawPageServer(b'{"type": "viewers", "online": ' + online + b', "at": "2026-11-28"}')
    with server:
        server.add_raw({"type": "comment", "id": "c1", "author": "ann", "text": MARK})
        server.items[-1] = MARK  # type: ignore[call-overload]
        sink, _ = _poll(JsonFeedAdapter(server.url, None), 1)
    [rejected] = [item for item in sink.items if isinstance(item, RejectedItem)]
    assert rejected.detail == detail


@pytest.mark.parametrize(
    ("quantity", "detail"),
    [
        (b"1.5", "bad quantity: 1.5"),
        (b'"2"', 'bad quantity: "2"'),
        (b"1e999999999999999999999", "bad quantity: 1e999999999999999999999"),
        (b"true", "bad quantity: true"),
    ],
)
def test_an_order_line_s_quantity_that_is_no_count_is_quoted_in_its_rejection(
    quantity: bytes, detail: str
) -> None:
    # Every one was rejected as "bad quantity": the report did not say what the feed had sent.
    order = (
        b'{"type": "order", "id": "o1", "currency": "USD", "total": "10.00",'
        b' "lines": [{"sku": "A", "quantity": ' + quantity + b', "price": "10.00"}]}'
    )
    server = RawPageServer(order)
    with server:
        server.add_raw({"type": "comment", "id": "c1", "author": "ann", "text": MARK})
        server.items[-1] = MARK  # type: ignore[call-overload]
        sink, _ = _poll(JsonFeedAdapter(server.url, None), 1)
    [rejected] = [item for item in sink.items if isinstance(item, RejectedItem)]
    assert rejected.detail == detail


@pytest.mark.parametrize(
    ("literal", "said"),
    [
        ("-1", "unknown format version -1: this program reads format 1"),
        ("0", "unknown format version 0: this program reads format 1"),
        # Was "version 0 … (a newer AnchorDesk may read it)": its literal lost, and a lie.
        ("0e9999999", "unknown format version 0e9999999: this program reads format 1"),
        ("2", "unknown format version 2: this program reads format 1 (a newer AnchorDesk may"),
    ],
)
def test_a_show_of_format_0_or_below_is_not_said_to_be_for_a_newer_program(
    tmp_path: Path, literal: str, said: str
) -> None:
    path = tmp_path / "show.json"
    path.write_text(
        f'{{"format": {literal}, "title": "t", "currency": "USD", "language": "en",'
        ' "products": [], "rundown": [{"title": "a", "seconds": 5}]}',
        encoding="utf-8",
    )
    result = anchordesk("show", "check", path)
    assert result.returncode == 2
    output = result.stdout + result.stderr
    [line] = [line for line in output.splitlines() if "$.format" in line]
    assert line.endswith(said) if literal != "2" else said in line


def test_an_id_shaped_as_the_digest_of_another_long_id_is_not_taken_for_it() -> None:
    # The poller remembers an id longer than 256 characters as "#" + its SHA-256: an item
    # whose own id was that text was taken for the long one seen again and dropped, not
    # stored, not rejected, not counted.
    long_id = "L" * 300
    server = JsonFeedServer(poll_ms=10)
    with server:
        server.add_raw({"type": "comment", "id": long_id, "author": "a", "text": "first"})
        digest = "#" + hashlib.sha256(long_id.encode()).hexdigest()
        server.add_raw({"type": "comment", "id": digest, "author": "b", "text": "second"})
        server.add_comment("c", "third")
        sink, _ = _poll(JsonFeedAdapter(server.url, None), 2)
    texts = [item.text for item in sink.items if isinstance(item, Comment)]
    assert texts == ["first", "second", "third"]


@pytest.mark.parametrize(
    ("refund_id", "second_refund", "gmv"),
    [
        ("10", "10.00", Decimal("10.00")),  # was 20.00: "o1:refund:10" twice
        ("all", None, Decimal("0.00")),  # was 20.00: the whole-order refund was "all" too
    ],
)
def test_a_refund_id_shaped_as_an_amount_is_not_taken_for_a_refund_without_one(
    tmp_path: Path, refund_id: str, second_refund: str | None, gmv: Decimal
) -> None:
    server = JsonFeedServer(poll_ms=10)
    with server:
        server.add_raw(
            {
                "type": "order", "id": "o1", "currency": "USD", "total": "30.00",
                "lines": [{"sku": "A", "quantity": 3, "price": "10.00"}],
            }
        )  # fmt: skip
        server.add_update("o1", "refunded", "10.00", refund_id=refund_id)
        server.add_update("o1", "refunded", second_refund)
        ingest(server, tmp_path / "s.adsession")
    report = build_report(tmp_path / "s.adsession")
    assert report.ledger.gmv_by_currency == {"USD": gmv}


def test_a_comment_text_sent_as_an_object_is_shown_as_the_feed_wrote_it() -> None:
    # Was "{'a': 1, 'b': [True, None]}": Python's spelling, words the feed never sent.
    server = RawPageServer(b'{"a": 1, "b": [true, null]}')
    with server:
        server.add_raw({"type": "comment", "id": "c1", "author": "ann", "text": MARK})
        sink, _ = _poll(JsonFeedAdapter(server.url, None), 1)
    [comment] = [item for item in sink.items if isinstance(item, Comment)]
    assert comment.text == '{"a": 1, "b": [true, null]}'
