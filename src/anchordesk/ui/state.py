"""What the window shows, as plain immutable values.

The controller turns the engine's snapshots (the show runtime, the pipeline's stats, the feeds'
events) into these values; the docks only ever read them. Keeping the widgets on this one small
vocabulary means a change in an engine class touches one adapter, not every dock, and lets the
docks be tested with values built by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from anchordesk.core.words import Words


@dataclass(frozen=True)
class DealPlan:
    """A flash deal as the show file plans it (prefills the "start deal" form)."""

    price: Decimal
    seconds: int
    stock: int


@dataclass(frozen=True)
class SegmentRow:
    index: int
    title: str
    planned_s: float
    elapsed_s: float  # time spent in the segment so far (0 when it has not started)
    sku: str | None
    script: str
    deal: DealPlan | None
    is_current: bool = False
    is_done: bool = False

    @property
    def over_run(self) -> bool:
        return self.elapsed_s > self.planned_s


@dataclass(frozen=True)
class ProductRow:
    sku: str
    title: str
    price: Decimal
    stock_left: int
    units_sold: int
    image_path: Path | None = None
    deal: DealPlan | None = None  # the first deal the rundown plans for this product
    currency: str = ""


@dataclass(frozen=True)
class DealRow:
    sku: str
    state: str  # "scheduled" | "live" | "ended" | "sold_out"
    price: Decimal
    seconds_left: float
    seconds_total: float
    stock_left: int
    stock_total: int
    title: str = ""
    units_sold: int = 0  # deal lines only
    currency: str = ""
    deal_id: str = ""

    @property
    def is_live(self) -> bool:
        return self.state == "live"


@dataclass(frozen=True)
class CommentRow:
    key: str  # unique across sources: "source:id"
    author: str
    text: str
    at_s: float  # wall-clock seconds since the epoch
    is_question: bool = False
    flagged: bool = False
    hits: tuple[str, ...] = ()
    source: str = ""  # the feed's source and the comment's id there (as the store keeps them)
    comment_id: str = ""
    simulated: bool = False  # from the rehearsal audience, labelled so wherever it is shown


@dataclass(frozen=True)
class OrderRow:
    key: str
    sku: str
    title: str
    quantity: int
    amount: Decimal
    currency: str
    at_s: float
    simulated: bool = False


@dataclass(frozen=True)
class ShowState:
    title: str = ""
    currency: str = ""
    language: str = ""
    segments: tuple[SegmentRow, ...] = ()
    current_index: int = 0
    products: tuple[ProductRow, ...] = ()
    on_screen_sku: str | None = None
    staged_sku: str | None = None  # studio mode: the card Take puts on air
    deal: DealRow | None = None  # the on-screen product's deal (live, else its latest)
    deals: tuple[DealRow, ...] = ()  # every live deal, whichever product is on screen
    pinned: CommentRow | None = None
    mode: str = "rehearsal"  # "rehearsal" | "live" | "ended"
    simulated: bool = False
    session_path: Path | None = None

    @property
    def current(self) -> SegmentRow | None:
        if 0 <= self.current_index < len(self.segments):
            return self.segments[self.current_index]
        return None

    @property
    def next(self) -> SegmentRow | None:
        if 0 <= self.current_index + 1 < len(self.segments):
            return self.segments[self.current_index + 1]
        return None

    def product(self, sku: str | None) -> ProductRow | None:
        return next((p for p in self.products if p.sku == sku), None)


@dataclass(frozen=True)
class OutputRow:
    name: str  # never carries a secret
    kind: str  # "recording" | "network"
    state: str  # connecting | live | reconnecting | stopped | failed
    attempt: int = 0
    next_retry_in_s: float | None = None
    bytes_written: int = 0
    bitrate_kbps: float = 0.0
    last_error: str | None = None
    fault: Words | None = None  # ``last_error`` as words, said in the window's language
    # What a working output has to say ("uplink too slow: dropped N frames…"), as words.
    notice: Words | None = None
    free_bytes: int | None = None  # a recording's disk
    stopped_for_space: bool = False
    # A recording's files (a new one after a stop for a full disk) and one line per stop.
    files: tuple[str, ...] = ()
    gaps: tuple[str, ...] = ()


@dataclass(frozen=True)
class HealthState:
    running: bool = False
    fps: float = 0.0
    video_kbps: float = 0.0
    cpu_percent: float = 0.0
    recording_bytes: int = 0
    recording_free_bytes: int | None = None  # free on the recording's disk, when recording
    # The recording's state (connecting | live | stuck | waiting | stopped | failed): "waiting"
    # after a stop for a full disk, until there is room for a new file.
    recording: str = "stopped"
    recording_files: tuple[str, ...] = ()  # in order; the last is the one being written
    recording_gaps: tuple[str, ...] = ()  # one line per stop for a full disk (media's words)
    dropped_by_stage: dict[str, int] = field(default_factory=dict)
    outputs: tuple[OutputRow, ...] = ()
    audio_level_dbfs: float | None = None
    camera_ok: bool = True
    microphone_ok: bool = True

    @property
    def network(self) -> OutputRow | None:
        return next((o for o in self.outputs if o.kind == "network"), None)


@dataclass(frozen=True)
class SalesState:
    gmv: Decimal = Decimal(0)
    currency: str = ""
    orders: int = 0
    orders_per_minute: float = 0.0
    units_by_product: tuple[tuple[str, int], ...] = ()  # (title, units)
    gmv_by_currency: tuple[tuple[str, Decimal], ...] = ()  # every currency, never added up
    simulated: bool = False
    rejected_items: int = 0  # not counted (the report lists them)
