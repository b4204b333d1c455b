"""The Shopify GraphQL orders queries, their page sizes and their requested cost.

Why this shape:
- Shopify refuses, before running it, any query whose *requested* cost is above 1000 points
  (``MAX_COST_EXCEEDED``, answered with HTTP 200 on every call). The requested cost counts
  every page as full: an object is 1 point, a scalar or an enum 0, a connection (or a list
  with ``first``) 2 plus ``first`` times one item's cost, nested ones multiplied. The query
  asked ``orders(first: 100)`` with ``lineItems(first: 100)``, ``refunds(first: 50)`` and
  ``refundLineItems(first: 100)``: over a million points, refused on every call, so the feed
  read no order for a whole show.
- The page sizes are variables of one query text, and :func:`requested_cost` computes the
  cost from them by that documented rule (one function, tested against the query text).
- A flash sale's orders have one to a few lines and rarely a refund: the orders query reads
  up to ``line_items`` lines and the first ``refunds`` refunds of each order, with
  ``pageInfo`` on the lines; an order with more (more lines, a refund, a refund's lines) is
  read again alone (:data:`ORDER_QUERY`, lines page by page) before it is counted: an order
  is never counted with lines missing.
- Shopify's own figures may differ from the documented rule: a refusal names Shopify's cost
  and its limit, and :func:`smaller` derives page sizes that fit from them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

#: Answers read at pages made smaller (a refusal for cost, a bucket too small, an answer past
#: the size cap) before larger ones are asked again.
GROW_AFTER_PAGES = 10

#: Shopify's documented single-query limit (the answer's ``maxCost`` wins when it names one).
SHOPIFY_MAX_QUERY_COST = 1000

#: The transactions asked of each refund where its refunds are counted (:data:`ORDER_QUERY`,
#: :func:`orders_by_id_query`): their kind and status say whether its money is returned yet
#: (shopify_graphql_orders.refund_unsettled, REST's rule). The orders query reads no refund
#: it counts (an order with one is read again), so it asks none.
REFUND_TRANSACTIONS = 3

_ORDER_FIELDS = """
      id
      legacyResourceId
      createdAt
      updatedAt
      cancelledAt
      currencyCode
      totalPriceSet { shopMoney { amount currencyCode } }
      lineItems(first: $lineItems, after: $linesAfter) {
        pageInfo { hasNextPage endCursor }
        nodes {
          id
          sku
          title
          quantity
          originalUnitPriceSet { shopMoney { amount currencyCode } }
        }
      }
      refunds(first: $refunds) {
        id
        createdAt
        totalRefundedSet { shopMoney { amount currencyCode } }
        refundLineItems(first: $refundLines) {
          pageInfo { hasNextPage }
          nodes { quantity lineItem { id sku } }
        }TRANSACTIONS
      }
""".rstrip()
_TRANSACTIONS = f"""
        transactions(first: {REFUND_TRANSACTIONS}) {{ nodes {{ kind status }} }}""".rstrip()
_COUNTED_FIELDS = _ORDER_FIELDS.replace("TRANSACTIONS", _TRANSACTIONS)
_ORDER_FIELDS = _ORDER_FIELDS.replace("TRANSACTIONS", "")

_SIZE_VARIABLES = "$lineItems: Int!, $linesAfter: String, $refunds: Int!, $refundLines: Int!"

ORDERS_QUERY = f"""
query AnchorDeskOrders($first: Int!, $after: String, $query: String!, {_SIZE_VARIABLES}) {{
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{{_ORDER_FIELDS}
    }}
  }}
}}
""".strip()

ORDER_QUERY = f"""
query AnchorDeskOrder($id: ID!, {_SIZE_VARIABLES}) {{
  order(id: $id) {{{_COUNTED_FIELDS}
  }}
}}
""".strip()


#: The orders of a page by id only (``first`` 1, 4 points): where even one order with one line
#: is past the size cap, the order that is (read then alone, to be kept as rejected), and an
#: order kept so that sits where a window starts (passed over by its id).
ORDER_IDS_QUERY = """
query AnchorDeskOrderIds($first: Int!, $after: String, $query: String!) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes { id legacyResourceId updatedAt }
  }
}
""".strip()


def orders_by_id_query(count: int) -> str:
    """:data:`ORDER_QUERY` for ``count`` orders at once, each ``order(id: $idN)`` under the
    alias ``oN``: an order of 6 to 10 lines, or refunded, cost a call of its own (a flash sale
    of bundles read at one call per order, ~1,000 calls per 1,000 orders)."""
    ids = ", ".join(f"$id{n}: ID!" for n in range(count))
    orders = "\n".join(f"  o{n}: order(id: $id{n}) {{{_COUNTED_FIELDS}\n  }}" for n in range(count))
    return f"query AnchorDeskOrdersById({ids}, {_SIZE_VARIABLES}) {{\n{orders}\n}}"


@dataclass(frozen=True)
class PageSizes:
    """``first`` of each connection of the query: ``orders`` (unused by the one-order query),
    each order's ``line_items``, its ``refunds`` and each refund's ``refund_lines``."""

    orders: int
    line_items: int
    refunds: int
    refund_lines: int

    def variables(self) -> dict[str, int]:
        return {
            "first": self.orders,
            "lineItems": self.line_items,
            "refunds": self.refunds,
            "refundLines": self.refund_lines,
        }


#: The orders query: 25 orders of up to 5 lines a page, 778 points by the documented rule.
#: An order with a refund is read again alone (its first refund shows there are refunds).
ORDERS_PAGE = PageSizes(orders=25, line_items=5, refunds=1, refund_lines=1)
#: One order read again: 100 lines a page, its first 10 refunds of up to 10 lines (and up to
#: 3 transactions), 618 points.
ORDER_PAGE = PageSizes(orders=1, line_items=100, refunds=10, refund_lines=10)
#: Orders read again together (``orders_by_id_query``): up to 12 at once, each with up to 10
#: lines and its first 2 refunds of up to 5 lines, 80 points an order, 960 by the documented
#: rule. One with more is read alone (:data:`ORDER_PAGE`, its lines page after page).
ORDERS_BY_ID_PAGE = PageSizes(orders=12, line_items=10, refunds=2, refund_lines=5)
#: Orders of more lines than that (up to 50) read again together in a second call: up to 5 at
#: once, 200 points an order, 1000 by the documented rule. One of 11 to 50 lines cost a call
#: of its own (1,120 calls per 1,000 orders of 12 lines, 320 so).
ORDERS_BY_ID_WIDE = PageSizes(orders=5, line_items=50, refunds=2, refund_lines=5)
#: One order read again at the least that can be asked (after a page past the size cap).
ORDER_SMALLEST = PageSizes(orders=1, line_items=1, refunds=1, refund_lines=1)


def order_cost(sizes: PageSizes, *, counted: bool = True) -> int:
    """The requested cost of one order as the queries ask it, by Shopify's documented rule:
    the order 1, ``totalPriceSet`` and its ``shopMoney`` 2; ``lineItems`` 2 + ``pageInfo`` 1
    + per line (the line 1, its price set 2); ``refunds`` 2 + per refund (the refund 1, its
    amount 2, ``refundLineItems`` 2 + ``pageInfo`` 1 + per line (the line 1, its
    ``lineItem`` 1), and where its refunds are ``counted`` (:data:`ORDER_QUERY`,
    :func:`orders_by_id_query`) ``transactions`` 2 + 1 per transaction)."""
    line = 1 + 2
    refund_line = 1 + 1
    refund = 1 + 2 + 2 + 1 + sizes.refund_lines * refund_line
    if counted:
        refund += 2 + REFUND_TRANSACTIONS
    return 1 + 2 + (2 + 1 + sizes.line_items * line) + (2 + sizes.refunds * refund)


def requested_cost(sizes: PageSizes, *, one_order: bool = False) -> int:
    """The requested cost of :data:`ORDERS_QUERY` (``orders``: 2 + ``pageInfo`` 1 + per
    order) or, ``one_order``, of :data:`ORDER_QUERY` (the order alone) with these sizes."""
    if one_order:
        return order_cost(sizes)
    return 2 + 1 + sizes.orders * order_cost(sizes, counted=False)


# How the page sizes come down, in turn, each halved down to its floor: the orders query gives
# up orders per page first, then the lines read with each order (an order with more is read
# again alone, page after page: more calls, nothing lost); the one-order query its lines per
# page first, then refunds and their lines (past those an order's refunds are kept as
# rejected, not counted: the last resort).
_SHRINK_ORDERS = (("orders", 5), ("line_items", 2), ("orders", 1), ("line_items", 1))
_SHRINK_ORDER = (
    ("line_items", 10),
    ("refunds", 2),
    ("refund_lines", 2),
    ("line_items", 1),
    ("refunds", 1),
    ("refund_lines", 1),
)


def smaller(
    sizes: PageSizes, *, one_order: bool, shop_cost: object, shop_max: object
) -> PageSizes | None:
    """Page sizes whose cost fits where Shopify refused ``sizes`` (it named its cost of them,
    ``shop_cost``, and its limit, ``shop_max``), or None when nothing smaller can be asked.

    Shopify's own count may differ from the documented rule: the new sizes must cost at most
    the same share of the old ones by the rule as Shopify's limit is of its cost, with a tenth
    to spare; without usable figures, half."""
    ours = requested_cost(sizes, one_order=one_order)
    if (
        isinstance(shop_cost, int | float)
        and isinstance(shop_max, int | float)
        and not isinstance(shop_cost, bool)
        and not isinstance(shop_max, bool)
        and 0 < shop_max < shop_cost < float("inf")
    ):
        budget = int(ours * (shop_max / shop_cost) * 0.9)
    else:
        budget = ours // 2
    current = sizes
    for name, floor in _SHRINK_ORDER if one_order else _SHRINK_ORDERS:
        while requested_cost(current, one_order=one_order) > budget:
            value = getattr(current, name)
            if value <= floor:
                break
            current = dataclasses.replace(current, **{name: max(floor, value // 2)})
    return None if current == sizes else current
