"""The show as data: what a show file says, frozen, with exact money.

Everything here is immutable so that one `Show` can be shared by the pipeline thread, the feeds
and the window without locks. Prices are `decimal.Decimal` because a float cannot hold 0.10 and
the sales ledger must add up to the cent. Paths (images, logo) are kept exactly as the file
writes them — relative to the show file — so that saving a show writes them back unchanged;
`Show.resolve()` turns them into real paths.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Literal

from anchordesk.core.printable import shows_as_nothing

SHOW_FORMAT_VERSION = 1
"""The one version of the show file this program reads and writes (`"format": 1`)."""

ThemeLook = Literal["dark", "light"]
THEME_LOOKS: tuple[ThemeLook, ...] = ("dark", "light")


@dataclass(frozen=True, slots=True)
class Theme:
    """The brand's look of the overlays."""

    accent: str = "#ff3355"  # "#rrggbb"
    logo: str | None = None  # relative to the show file, as written in it
    look: ThemeLook = "dark"  # card and ticker background: dark or light


def canonical_sku(sku: str) -> str:
    """A SKU as every part compares it, shows it and keeps it: Unicode NFKC. "CAFÉ" typed on
    one system (U+00C9) and pasted from another (E, then U+0301) look the same and are one
    product; so are "SKU-05" and "ＳＫＵ－０５" typed with a Chinese or Japanese input method
    left in full-width mode (a show listed them as two products, and a platform's order for one
    was "not in the show" for the other). A platform's order names a SKU any of these ways."""
    return unicodedata.normalize("NFKC", sku) if isinstance(sku, str) else sku


def ordered_sku(sku: str) -> str:
    """The SKU a platform's order (or refund) line names, as it is matched to the show's
    products: canonical (:func:`canonical_sku`), without the characters that show as nothing
    (core/printable.shows_as_nothing) and the white space around it. A show's SKU holds
    neither (show check refuses them), so an order for "MUG" + U+200B, a soft hyphen or a
    byte-order mark (a bridge copying SKUs from a web page or a spreadsheet's first cell)
    named no product: MUG's stock and units on air never moved for it, while everyone read
    "MUG" in the report's list of SKUs not in the show."""
    if not isinstance(sku, str):
        return sku
    visible = "".join(char for char in sku if not shows_as_nothing(char))
    return canonical_sku(visible).strip()


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    title: str
    price: Decimal  # list price, in `currency` (or the show's when None)
    stock: int  # units available at the start of the show
    image: str | None = None  # relative to the show file, as written in it
    points: tuple[str, ...] = ()  # talking points for the anchor
    currency: str | None = None  # None: the show's currency
    #: The SKU as the file or the CSV wrote it, when NFKC changed it ("㍿" is "株式会社"):
    #: a problem with its length says both counts. "" when it was written as kept.
    written_sku: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        canonical = canonical_sku(self.sku)
        if canonical != self.sku:
            object.__setattr__(self, "written_sku", self.sku)
        elif self.written_sku and canonical_sku(self.written_sku) != canonical:
            object.__setattr__(self, "written_sku", "")  # replace() gave another SKU
        object.__setattr__(self, "sku", canonical)


@dataclass(frozen=True, slots=True)
class DealPlan:
    """A flash deal planned for a segment: a lower price for `seconds`, `stock` units at most.

    `stock` None means the deal has no quota of its own: only the product's stock limits it.
    """

    price: Decimal
    seconds: int
    stock: int | None = None


@dataclass(frozen=True, slots=True)
class Segment:
    """One line of the run sheet (rundown)."""

    title: str
    seconds: int  # planned duration; autoplay moves on after it
    sku: str | None = None  # product talked about; its card shows during the segment
    script: str = ""  # teleprompter text, read on air
    notes: str = ""  # for the crew only, never on air nor checked for compliance
    deal: DealPlan | None = None

    def __post_init__(self) -> None:
        if self.sku is not None:
            object.__setattr__(self, "sku", canonical_sku(self.sku))


@dataclass(frozen=True)  # no slots: the sku index below is cached in __dict__
class Show:
    title: str
    currency: str  # ISO 4217, e.g. "CNY", "USD", "JPY"
    language: str  # e.g. "zh_CN", "en", "ja_JP"
    products: tuple[Product, ...] = ()
    rundown: tuple[Segment, ...] = ()
    theme: Theme = field(default_factory=Theme)
    banned_words: tuple[str, ...] = ()
    ticker: tuple[str, ...] = ()  # announcements that scroll along the bottom of the picture
    format: int = SHOW_FORMAT_VERSION
    # Folder that relative paths are resolved against; None for a show built in memory.
    base_dir: Path | None = field(default=None, compare=False)

    @cached_property
    def _products_by_sku(self) -> Mapping[str, Product]:
        by_sku: dict[str, Product] = {}
        for product in self.products:
            by_sku.setdefault(product.sku, product)  # the first wins, as validation reports
        return by_sku

    def product(self, sku: str | None) -> Product | None:
        if sku is None:
            return None
        return self._products_by_sku.get(canonical_sku(sku))

    def currency_of(self, product: Product) -> str:
        return product.currency or self.currency

    @property
    def planned_seconds(self) -> int:
        return sum(segment.seconds for segment in self.rundown)

    def segment_start_s(self, index: int) -> int:
        """When segment `index` starts in autoplay: the sum of the earlier segments' seconds."""
        return sum(segment.seconds for segment in self.rundown[:index])

    def resolve(self, relative: str | None) -> Path | None:
        """A path from the file (image, logo) as a real path, or None when there is none."""
        if not relative:
            return None
        path = Path(relative)
        if path.is_absolute() or self.base_dir is None:
            return path
        return self.base_dir / path

    def image_path(self, product: Product) -> Path | None:
        return self.resolve(product.image)

    def logo_path(self) -> Path | None:
        return self.resolve(self.theme.logo)
