"""Cost of reading and checking a show as it grows: N products and N segments with a deal each.

Validation used to look up each deal's product by scanning the product list (deals x products:
10,000 of each took 39 s); it is linear now. Figures are printed, never asserted.

Run: .venv/bin/python benchmarks/bench_show_validation.py [N ...]   (default 1000 10000 100000)
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from anchordesk.show.compliance import check_show
from anchordesk.show.validate import validate_show
from anchordesk.showfile.csv_import import parse_products_csv
from anchordesk.showfile.files import parse_show


def show_text(count: int) -> str:
    products: list[dict[str, Any]] = []
    rundown: list[dict[str, Any]] = []
    for index in range(count):
        sku = f"SKU-{index:06d}"
        products.append(
            {
                "sku": sku,
                "title": f"Product {index}",
                "price": 99.5,
                "stock": 1000,
                "points": ["Light", "For every day"],
            }
        )
        rundown.append(
            {
                "title": f"Segment {index}",
                "sku": sku,
                "seconds": 60,
                "script": "Say hello.",
                "deal": {"price": 79.0, "seconds": 30, "stock": 10},
            }
        )
    data = {
        "format": 1,
        "title": "Big",
        "currency": "USD",
        "language": "en",
        "products": products,
        "rundown": rundown,
    }
    return json.dumps(data)


def csv_text(count: int) -> str:
    rows = ["sku,title,price,stock,points"]
    rows += [
        f"SKU-{index:06d},Product {index},99.50,1000,Light|Every day" for index in range(count)
    ]
    return "\n".join(rows) + "\n"


def timed(action: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def main(counts: list[int]) -> None:
    print("N = products = segments with a deal each; seconds (and us per segment)")
    print(f"{'N':>8} {'parse_show':>11} {'validate':>9} {'compliance':>11} {'csv rows':>9}")
    for count in counts:
        text = show_text(count)
        parse_s, report = timed(lambda text=text: parse_show(text))
        assert report.show is not None, report.problems[:3]
        show = report.show
        validate_s, problems = timed(lambda show=show: validate_show(show))
        assert not problems, problems[:3]
        compliance_s, _hits = timed(lambda show=show: check_show(show))
        rows = csv_text(count)
        csv_s, imported = timed(lambda rows=rows: parse_products_csv(rows))
        assert not imported.problems and len(imported.products) == count
        print(
            f"{count:>8} {parse_s:>10.2f}s {validate_s:>8.2f}s {compliance_s:>10.2f}s "
            f"{csv_s:>8.2f}s   ({parse_s / count * 1e6:.0f} us/segment to read a file)"
        )


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [1000, 10_000, 100_000])
