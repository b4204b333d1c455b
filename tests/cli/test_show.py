"""`anchordesk show check` and `anchordesk show import-csv` as a user runs them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from anchordesk.core.paths import resources_dir

CORPUS = Path(__file__).parents[1] / "showfile" / "corpus"


def anchordesk(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "anchordesk", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_prints_one_line_per_problem_and_exits_2() -> None:
    result = anchordesk("show", "check", CORPUS / "bad_deals.json")
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stdout.splitlines()
    file = CORPUS / "bad_deals.json"
    assert lines == [
        f"{file}: error: $.rundown[0].deal.price (segment 1, One): deal price CN¥100.00 is not "
        "below the list price CN¥100.00 of A",
        f"{file}: error: $.rundown[1].deal.stock (segment 2, Two): deal stock 51 is above the "
        "stock 50 of A",
        # The file reader says a number's range (as written) before the show's rules run.
        f"{file}: error: $.rundown[2].deal.seconds (segment 3, Three): must be above zero (got 0)",
        f"{file}: error: $.rundown[2].deal (segment 3, Three): a deal needs the segment's "
        "product: set the segment's sku",
        f"{file}: 4 errors, 0 warnings: the show cannot be used as it is",
    ]


def test_check_invalid_json_names_line_and_column() -> None:
    result = anchordesk("show", "check", CORPUS / "invalid_json.json")
    assert result.returncode == 2
    assert result.stdout.splitlines()[0] == (
        f"{CORPUS / 'invalid_json.json'}:3:2: error: invalid JSON: Expecting ',' delimiter"
    )


def test_check_every_corpus_file_without_traceback() -> None:
    for path in sorted(CORPUS.glob("*.json")):
        result = anchordesk("show", "check", path)
        assert result.returncode in (0, 2), path
        assert "Traceback" not in result.stdout + result.stderr, path


def test_check_valid_show_prints_a_summary_and_compliance_warnings(tmp_path: Path) -> None:
    result = anchordesk("show", "check", resources_dir() / "shows" / "en" / "show.json")
    assert result.returncode == 0
    out = result.stdout
    assert "Cozy Kitchen Live  (en, USD)" in out
    assert "4 products, 7 segments, 17:00 planned, 3 flash deals" in out
    assert "deal $54.99 for 02:00, 30 units" in out
    assert len(out.splitlines()) <= 25  # one screen
    assert out.rstrip().endswith("OK: the show is valid")

    folder = tmp_path / "show"
    shutil.copytree(resources_dir() / "shows" / "en", folder)
    data = json.loads((folder / "show.json").read_text(encoding="utf-8"))
    data["rundown"][1]["script"] = "The best mug, guaranteed."
    (folder / "show.json").write_text(json.dumps(data), encoding="utf-8")
    result = anchordesk("show", "check", folder / "show.json")
    assert result.returncode == 0
    warnings = [line for line in result.stdout.splitlines() if ": warning: " in line]
    assert [line.split(": warning: ")[1] for line in warnings] == [
        "$.rundown[1].script: absolute term 'best' at character 4",
        "$.rundown[1].script: absolute term 'guaranteed' at character 14",
    ]


def test_check_missing_file() -> None:
    result = anchordesk("show", "check", "/nonexistent/show.json")
    assert result.returncode == 2
    assert "no such file: /nonexistent/show.json" in result.stdout


def test_import_csv_makes_a_valid_new_show(tmp_path: Path) -> None:
    folder = tmp_path / "new"
    folder.mkdir()
    output = folder / "show.json"
    csv = resources_dir() / "shows" / "zh" / "products.csv"
    result = anchordesk("show", "import-csv", csv, "-o", output)
    assert result.returncode == 0, result.stdout
    assert "wrote 4 products" in result.stdout
    assert "zh_CN" in result.stdout and "CNY" in result.stdout
    assert anchordesk("show", "check", output).returncode == 0
    # An existing file is not overwritten without --into.
    again = anchordesk("show", "import-csv", csv, "-o", output)
    assert again.returncode == 2 and "the file exists" in again.stdout


def test_import_csv_into_an_existing_show(tmp_path: Path) -> None:
    folder = tmp_path / "show"
    shutil.copytree(resources_dir() / "shows" / "en", folder)
    csv = folder / "products.csv"
    csv.write_text(
        csv.read_text(encoding="utf-8").replace("24.00,200", "21.00,250"), encoding="utf-8"
    )
    result = anchordesk(
        "show", "import-csv", csv, "--into", folder / "show.json", "-o", folder / "show.json"
    )
    assert result.returncode == 0, result.stdout
    data = json.loads((folder / "show.json").read_text(encoding="utf-8"))
    assert data["products"][0]["price"] == 21.0 and data["products"][0]["stock"] == 250
    assert data["rundown"][1]["deal"]["price"] == 18.0
    assert data["theme"]["logo"] == "logo.png"


def test_import_csv_with_bad_rows_writes_nothing(tmp_path: Path) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text("sku,title,price,stock\nA,a,-1,5\nB,b,2,x\n", encoding="utf-8")
    output = tmp_path / "show.json"
    result = anchordesk("show", "import-csv", csv, "-o", output)
    assert result.returncode == 2
    assert result.stdout.splitlines() == [
        f"{csv}: error: row 2, column price: the price must not be negative (got -1)",
        f"{csv}: error: row 3, column stock: not a whole number: 'x'",
        f"{csv}: nothing written: fix the rows 2, 3 and import again",
    ]
    assert not output.exists()


def test_check_speaks_english_whatever_the_locale() -> None:
    """The window translates show problems; the command's lines (read by scripts, pasted into
    tickets) are the same under a Japanese or Chinese locale."""
    import os

    english = anchordesk("show", "check", CORPUS / "bad_deals.json").stdout
    for locale in ("ja_JP.UTF-8", "zh_CN.UTF-8"):
        result = subprocess.run(
            [sys.executable, "-m", "anchordesk", "show", "check", str(CORPUS / "bad_deals.json")],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "LANG": locale, "LC_ALL": locale, "LANGUAGE": locale[:2]},
        )
        assert result.stdout == english
        assert "must be above zero (got 0)" in result.stdout
