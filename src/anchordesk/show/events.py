"""What happened during a show, one typed event per change, for the session store and the UI.

Every event carries `at_s`, the show clock (the same seconds the commands were given) at which the
change took effect — for a deal that ran out of time that is its planned end, not the moment a
later tick noticed it. `event_record()` turns an event into plain JSON-ready data: the store
keeps it, the report reads it back; money is written as a decimal string, never a float.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar


class DealEndReason(StrEnum):
    ENDED = "ended"  # its seconds ran out
    SOLD_OUT = "sold_out"  # its own stock, or the product's, reached zero
    STOPPED = "stopped"  # the operator stopped it (or started another deal for the product)


@dataclass(frozen=True, slots=True)
class ShowStarted:
    kind: ClassVar[str] = "show_started"
    at_s: float
    title: str
    segments: int
    planned_s: int
    autoplay: bool


@dataclass(frozen=True, slots=True)
class SegmentStarted:
    kind: ClassVar[str] = "segment_started"
    at_s: float
    index: int
    title: str
    sku: str | None
    planned_s: int


@dataclass(frozen=True, slots=True)
class SegmentEnded:
    """The run sheet left a segment; `elapsed_s` against `planned_s` is the rehearsal's verdict."""

    kind: ClassVar[str] = "segment_ended"
    at_s: float
    index: int
    title: str
    elapsed_s: float
    planned_s: int


@dataclass(frozen=True, slots=True)
class ProductShown:
    """The product card on screen changed; `sku` None hides the card."""

    kind: ClassVar[str] = "product_shown"
    at_s: float
    sku: str | None
    by_operator: bool  # False when it follows the run sheet


@dataclass(frozen=True, slots=True)
class DealStarted:
    kind: ClassVar[str] = "deal_started"
    at_s: float
    deal_id: str
    sku: str
    price: Decimal
    list_price: Decimal
    seconds: int
    stock: int | None  # the deal's own quota; None: only the product's stock limits it
    segment_index: int | None  # the segment whose plan it comes from, None if started by hand


@dataclass(frozen=True, slots=True)
class DealEnded:
    kind: ClassVar[str] = "deal_ended"
    at_s: float
    deal_id: str
    sku: str
    reason: DealEndReason
    units_sold: int
    stock_left: int | None


@dataclass(frozen=True, slots=True)
class StockChanged:
    """Units were taken from a product's stock by an order line (`delta` < 0), or given back
    by a cancelled or refunded one (`delta` > 0)."""

    kind: ClassVar[str] = "stock_changed"
    at_s: float
    sku: str
    stock_left: int
    delta: int  # negative: units taken; positive: units returned
    deal_id: str | None  # the live deal the units were sold in (or returned to), if any
    deal_stock_left: int | None


@dataclass(frozen=True, slots=True)
class ProductSoldOut:
    kind: ClassVar[str] = "product_sold_out"
    at_s: float
    sku: str


@dataclass(frozen=True, slots=True)
class ShowFinished:
    """Autoplay reached the end of the rundown (the last segment's planned time is over)."""

    kind: ClassVar[str] = "show_finished"
    at_s: float
    elapsed_s: float


ShowEvent = (
    ShowStarted
    | SegmentStarted
    | SegmentEnded
    | ProductShown
    | DealStarted
    | DealEnded
    | StockChanged
    | ProductSoldOut
    | ShowFinished
)

EVENT_TYPES: dict[str, type[ShowEvent]] = {
    cls.kind: cls
    for cls in (
        ShowStarted,
        SegmentStarted,
        SegmentEnded,
        ProductShown,
        DealStarted,
        DealEnded,
        StockChanged,
        ProductSoldOut,
        ShowFinished,
    )
}


def event_record(event: ShowEvent) -> dict[str, object]:
    """The event as JSON-ready data: `{"kind": "deal_ended", "at_s": 12.0, ...}`.

    Decimals become strings ("129.00") so that no amount passes through a float.
    """
    record: dict[str, object] = {"kind": event.kind}
    for item in dataclasses.fields(event):
        value = getattr(event, item.name)
        if isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, StrEnum):
            value = value.value
        record[item.name] = value
    return record


def event_from_record(record: dict[str, object]) -> ShowEvent:
    """The inverse of `event_record`, for the report that reads events back from the store."""
    kind = record.get("kind")
    if not isinstance(kind, str) or kind not in EVENT_TYPES:
        raise ValueError(f"unknown show event kind {kind!r}")
    cls = EVENT_TYPES[kind]
    values: dict[str, object] = {}
    for item in dataclasses.fields(cls):
        if item.name not in record:
            raise ValueError(f"show event {kind!r} lacks {item.name!r}")
        value = record[item.name]
        if item.name in ("price", "list_price") and value is not None:
            value = Decimal(str(value))
        elif item.name == "reason":
            value = DealEndReason(str(value))
        values[item.name] = value
    return cls(**values)  # type: ignore[arg-type]
