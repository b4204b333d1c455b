"""The show as the session keeps it, so a report needs only the session file.

The parts of a show the report needs (catalogue and rundown), JSON-ready, money as strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from anchordesk.show.model import DealPlan, Product, Segment, Show


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
                stock=int(p.get("stock", 0)),
                currency=p.get("currency"),
            )
            for p in data.get("products", [])
        ),
        rundown=tuple(
            Segment(
                title=str(s.get("title", "")),
                seconds=int(s.get("seconds", 0)),
                sku=s.get("sku"),
                deal=None
                if not s.get("deal")
                else DealPlan(
                    price=Decimal(str(s["deal"]["price"])),
                    seconds=int(s["deal"]["seconds"]),
                    stock=s["deal"].get("stock"),
                ),
            )
            for s in data.get("rundown", [])
        ),
    )
