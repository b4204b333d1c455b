"""Where the editor shows a problem: the page, and the row and column of its table, of a JSON
path (``$.rundown[2].deal.price`` -> run sheet, segment 3, the deal price column)."""

from __future__ import annotations

from anchordesk.ui.editor.draft import split_path
from anchordesk.ui.editor.products_page import FIELD_COLUMNS as PRODUCT_FIELD_COLUMNS
from anchordesk.ui.editor.products_page import P_SKU
from anchordesk.ui.editor.rundown_page import DEAL_COLUMNS, R_DEAL_PRICE, R_SCRIPT, R_TITLE
from anchordesk.ui.editor.rundown_page import FIELD_COLUMNS as SEGMENT_FIELD_COLUMNS

SHOW_PAGE, PRODUCTS_PAGE, RUNDOWN_PAGE = range(3)
Location = tuple[int, int, int]  # (page, row, column); row -1: the page or list as a whole


def locate(path: str) -> Location:
    """Which page, row and column a JSON path is shown at."""
    parts = split_path(path)
    if len(parts) >= 2 and parts[0] == "products" and isinstance(parts[1], int):
        name = str(parts[2]) if len(parts) > 2 else "sku"
        return PRODUCTS_PAGE, parts[1], PRODUCT_FIELD_COLUMNS.get(name, P_SKU)
    if len(parts) >= 2 and parts[0] == "rundown" and isinstance(parts[1], int):
        name = str(parts[2]) if len(parts) > 2 else "title"
        if name == "deal":
            sub = str(parts[3]) if len(parts) > 3 else "price"
            return RUNDOWN_PAGE, parts[1], DEAL_COLUMNS.get(sub, R_DEAL_PRICE)
        if name == "notes":
            return RUNDOWN_PAGE, parts[1], R_SCRIPT
        return RUNDOWN_PAGE, parts[1], SEGMENT_FIELD_COLUMNS.get(name, R_TITLE)
    if parts and parts[0] == "products":
        return PRODUCTS_PAGE, -1, -1
    if parts and parts[0] == "rundown":
        return RUNDOWN_PAGE, -1, -1
    return SHOW_PAGE, -1, -1
