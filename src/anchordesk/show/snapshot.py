"""The show as the session keeps it, so a report needs only the session file.

The parts of a show the report needs (catalogue and rundown), JSON-ready, money as strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from anchordesk.show.model import DealPlan, Product, Segment, Show
from anchordesk.show.validate import MAX_SEGMENT_SECONDS, MAX_STOCK


def show_snapshot(show: Show) -> dict[str, Any]:
    """The parts of a show the report needs, JSON-ready, money as strings."""
    return {
        "title": show.title,
        "currency": show.currency,
        "language": show.language,
        "products": [
            {
                "sku": product.sku,
                "title": product.title,
                "price": str(product.price),
                "stock": product.stock,
                "currency": product.currency,
            }
            for product in show.products
        ],
        "rundown": [
            {
                "title": segment.title,
                "sku": segment.sku,
                "seconds": segment.seconds,
                "deal": None
                if segment.deal is None
                else {
                    "price": str(segment.deal.price),
                    "seconds": segment.deal.seconds,
                    "stock": segment.deal.stock,
                },
            }
            for segment in show.rundown
        ],
    }


def show_from_snapshot(data: Mapping[str, Any]) -> Show:
    return Show(
        title=str(data.get("title", "")),
        currency=str(data.get("currency", "")),
        language=str(data.get("language", "en")),
        products=tuple(
            Product(
                sku=str(p["sku"]),
                title=str(p.get("title", "")),
                price=Decimal(str(p.get("price", "0"))),
                stock=_bounded(p.get("stock", 0), MAX_STOCK, "stock"),
                currency=p.get("currency"),
            )
            for p in data.get("products", [])
        ),
        rundown=tuple(
            Segment(
                title=str(s.get("title", "")),
                seconds=_bounded(s.get("seconds", 0), MAX_SEGMENT_SECONDS, "seconds"),
                sku=s.get("sku"),
                deal=None
                if not s.get("deal")
                else DealPlan(
                    price=Decimal(str(s["deal"]["price"])),
                    seconds=_bounded(s["deal"]["seconds"], MAX_SEGMENT_SECONDS, "deal seconds"),
                    stock=None
                    if s["deal"].get("stock") is None
                    else _bounded(s["deal"]["stock"], MAX_STOCK, "deal stock"),
                ),
            )
            for s in data.get("rundown", [])
        ),
    )


def _bounded(value: object, limit: int, name: str) -> int:
    """A count the show file's limits allow: the show this program kept was checked against
    them, so anything else is a damaged or hand-edited file (a 401-digit stock ended the
    report in "OverflowError: int too large to convert to float")."""
    number: int = int(value)  # type: ignore[call-overload]
    if not 0 <= number <= limit:
        raise ValueError(f"{name} out of range ({str(number)[:20]})")
    return number


def carried_over(show: Show, kept: Show | None, sold: Iterable[str]) -> Show:
    """``show`` with the products of ``kept`` (the show a session file kept from its run
    before) that it no longer has and that the file's orders name (``sold``): a session
    continued after the show file was edited (a product taken out between two runs) still
    counts that product as the show's, by its name and its stock, as it was when it sold. Left
    out, the board, the remote and the report said it was "not in the show", with no name and no
    stock left. The new show's own products, prices and rundown stand as they are."""
    if kept is None:
        return show
    wanted = set(sold)
    own = {product.sku for product in show.products}
    # Priced as it sold: in the kept show's currency when it named none (the new show's may
    # be another).
    extra = tuple(
        replace(p, currency=kept.currency_of(p))
        if kept.currency_of(p) != show.currency_of(p)
        else p
        for p in kept.products
        if p.sku in wanted and p.sku not in own
    )
    return replace(show, products=(*show.products, *extra)) if extra else show
