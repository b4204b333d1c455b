"""CSV import of many rows: time and peak memory of `anchordesk show import-csv`.

A show holds at most 10,000 products; a CSV of more product rows is refused as it is read.
Before that rule a CSV of 1,000,000 short rows (14 MB, under the 20 MB cap) was made into a
million products and a show, and refused only when the show was to be written (221 MB of
JSON): 43 s and 3.1 GB. Each size runs in a child process (its own peak RSS).

Rows that are blank (",,,": a spreadsheet writes one for every row it once formatted below the
data) are counted, not kept: before, a 20 MB file of blank lines took 17 s and 1.75 GB to import
its one product (``--blank``: one product, then that many blank rows).

Prints, per row count: the command's answer, wall seconds and peak RSS (MB).

    .venv/bin/python benchmarks/csv_rows.py [--rows 10000 1000000] [--blank 5000000]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _one(rows: int, folder: Path, *, blank: bool = False) -> tuple[int, float, float, str]:
    csv_path = folder / f"rows_{rows}_{blank}.csv"
    with csv_path.open("w", encoding="utf-8") as out:
        out.write("sku,title,price,stock\n")
        if blank:
            out.write("S0,M,1,1\n" + ",,,\n" * rows)
        for n in range(0 if blank else rows):
            out.write(f"S{n},M,1,1\n")
    command = [sys.executable, "-m", "anchordesk", "show", "import-csv", str(csv_path)]
    command += ["-o", str(folder / f"rows_{rows}.json")]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    said = (done.stdout + done.stderr).strip().splitlines()
    return done.returncode, seconds, peak_mb, said[0] if said else ""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--blank", type=int, nargs="*", default=[5_000_000])
    args = parser.parse_args()
    runs = [(rows, False) for rows in args.rows] + [(rows, True) for rows in args.blank]
    with tempfile.TemporaryDirectory() as folder:
        for rows, blank in sorted(runs):  # RUSAGE_CHILDREN keeps the largest child so far
            code, seconds, peak_mb, said = _one(rows, Path(folder), blank=blank)
            kind = "blank rows" if blank else "rows"
            print(f"{rows:>9,} {kind}: exit {code}, {seconds:6.2f} s, peak {peak_mb:7.1f} MB")
            print(f"           {said[:150]}")


if __name__ == "__main__":
    main()
