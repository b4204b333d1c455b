"""Reading show files: every problem named by its JSON path, never a crash; writing them back."""

from __future__ import annotations

import json
import random
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from anchordesk.core.errors import UserError
from anchordesk.core.paths import resources_dir
from anchordesk.show.model import Product
from anchordesk.show.validate import Severity, validate_show
from anchordesk.show.validate import product_problems as validate_products
from anchordesk.showfile.files import (
    ShowError,
    dump_show,
    dump_show_text,
    load_show,
    parse_show,
    read_show_file,
)

CORPUS = Path(__file__).parent / "corpus"

# Every broken file of the corpus, with exactly the errors it must report (path: message).
EXPECTED_ERRORS: dict[str, list[str]] = {
    "invalid_json.json": ["line 3, column 2: invalid JSON: Expecting ',' delimiter"],
    "empty.json": ["$: the file is empty"],
    "future_format.json": [
        "$.format: unknown format version 2: this program reads format 1 "
        "(a newer AnchorDesk may read it)"
    ],
    "not_an_object.json": ["$: expected an object {...}, found a list"],
    "missing_fields.json": [
        "$.title: required field is missing",
        "$.currency: required field is missing",
        "$.language: required field is missing",
        "$.products[0].stock (product A): required field is missing",
        "$.products[0].title (product A): required field is missing",
        "$.rundown[0].seconds (segment 1, Open): required field is missing",
    ],
    "unknown_sku.json": ["$.rundown[0].sku (segment 1, Open): unknown sku 'B': no product has it"],
    "duplicate_sku.json": [
        "$.products[1].sku (product A, a2): duplicate sku 'A' (also in $.products[0])"
    ],
    "bad_prices.json": [
        "$.products[0].price (product A, a): the price must not be negative (got -10)",
        "$.products[1].price (product B, b): not a number: 'ten'",
        "$.products[2].price (product C, c): the price NaN is not a number",
        "$.products[3].price (product D, d): expected a price (a number), found true",
    ],
    "bad_deals.json": [
        "$.rundown[0].deal.price (segment 1, One): deal price CN¥100.00 is not below the "
        "list price CN¥100.00 of A",
        "$.rundown[1].deal.stock (segment 2, Two): deal stock 51 is above the stock 50 of A",
        # The file reader says a number's range (as written) before the show's rules run.
        "$.rundown[2].deal.seconds (segment 3, Three): must be above zero (got 0)",
        "$.rundown[2].deal (segment 3, Three): a deal needs the segment's product: set the "
        "segment's sku",
    ],
    "missing_image.json": [
        "$.theme.accent: 'red' is not a colour such as #ff3355",
        f"$.theme.logo: logo file not found: nologo.png (looked for {CORPUS / 'nologo.png'})",
        "$.products[0].image (product A, a): image file not found: images/none.png "
        f"(looked for {CORPUS / 'images/none.png'})",
        "$.products[1].image (product B, b): image not_an_image.png is not a PNG, JPEG, WebP or "
        "BMP image (.png)",
    ],
    "wrong_types.json": [
        "$.banned_words: expected a list of texts, found a text",
        "$.products: expected a list [...], found an object",
        "$.rundown[0].seconds (segment 1): expected a whole number, found '60'",
        "$.rundown[0].sku (segment 1): expected a sku (a text) or null, found a number",
        "$.rundown[0].title (segment 1): expected a text, found a number",
        "$.rundown[0].script (segment 1): expected a text, found a list",
        "$.rundown[1]: expected an object {...}, found a text",
        "$.rundown[2].seconds (segment 3, X): expected a whole number, found 1.5",
    ],
    "empty_rundown.json": ["$.rundown: the rundown needs at least one segment"],
}


@pytest.mark.parametrize("name", sorted(EXPECTED_ERRORS))
def test_corpus_reports_every_error(name: str) -> None:
    report = read_show_file(CORPUS / name)
    assert report.show is None
    assert [str(problem) for problem in report.errors] == EXPECTED_ERRORS[name]


def test_corpus_is_fully_covered() -> None:
    on_disk = {path.name for path in CORPUS.glob("*.json")}
    assert on_disk == set(EXPECTED_ERRORS) | {"unknown_fields.json"}


def test_unknown_fields_are_warnings_with_a_hint() -> None:
    report = read_show_file(CORPUS / "unknown_fields.json")
    assert report.show is not None
    assert [str(p) for p in report.warnings] == [
        "$.products[0].prise: unknown field 'prise' (ignored); did you mean 'price'?",
        "$.prodcts: unknown field 'prodcts' (ignored); did you mean 'products'?",
    ]


def test_load_show_raises_a_user_error_with_every_problem() -> None:
    with pytest.raises(ShowError) as caught:
        load_show(CORPUS / "bad_prices.json")
    error = caught.value
    assert isinstance(error, UserError)
    assert len(error.problems) == 4
    assert str(error).endswith("(and 3 more problems)")
    assert "\n" not in str(error)


def test_missing_and_unreadable_files_are_problems_not_crashes(tmp_path: Path) -> None:
    assert str(read_show_file(tmp_path / "nope.json").errors[0]).startswith("$: no such file")
    assert "is a folder" in str(read_show_file(tmp_path).errors[0])
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes('{"title": "caf\xe9"}'.encode("latin-1"))
    assert "not UTF-8 text: byte 0xe9 at offset 14" in str(read_show_file(latin1).errors[0])


def test_bom_and_exact_money_are_kept() -> None:
    text = (CORPUS / "unknown_fields.json").read_text(encoding="utf-8")
    report = parse_show(("\ufeff" + text.replace('"price": 10', '"price": 0.10')).encode())
    assert report.show is not None
    assert report.show.products[0].price == Decimal("0.10")


def test_sample_shows_are_valid_without_warnings() -> None:
    for language in ("zh", "en", "ja"):
        report = read_show_file(resources_dir() / "shows" / language / "show.json")
        assert report.show is not None, [str(p) for p in report.problems]
        assert report.problems == []
        show = report.show
        assert len(show.products) >= 4 and any(s.deal for s in show.rundown)
        for product in show.products:
            path = show.image_path(product)
            assert path is not None and path.is_file()


def test_dump_then_load_gives_the_same_show(tmp_path: Path) -> None:
    source = resources_dir() / "shows" / "zh"
    show = load_show(source / "show.json")
    target = tmp_path / "saved" / "copy.json"
    written = dump_show(show, target)
    # Saved elsewhere, image paths now point back at the same files.
    new_image = written.image_path(written.products[0])
    old_image = show.image_path(show.products[0])
    assert new_image is not None and old_image is not None
    assert new_image.resolve() == old_image.resolve()
    assert written.products[0].image is not None
    assert written.products[0].image.startswith("../")
    again = load_show(target)
    assert again.products == written.products
    assert again.rundown == show.rundown
    assert again.title == show.title and again.ticker == show.ticker
    assert again.products[2].price == Decimal("89.9")
    assert '"price": 89.9' in target.read_text(encoding="utf-8")
    assert "秋季护肤之夜" in target.read_text(encoding="utf-8")  # not \u escapes


def test_dump_in_place_keeps_paths_and_is_idempotent(tmp_path: Path) -> None:
    folder = tmp_path / "show"
    shutil.copytree(resources_dir() / "shows" / "en", folder)
    show = load_show(folder / "show.json")
    dump_show(show, folder / "show.json")
    first = (folder / "show.json").read_text(encoding="utf-8")
    dump_show(load_show(folder / "show.json"), folder / "show.json")
    assert (folder / "show.json").read_text(encoding="utf-8") == first
    assert json.loads(first)["products"][0]["image"] == "images/mug.png"
    assert not list(folder.glob(".show.json.*"))  # no temporary file left behind


def test_validate_show_on_an_edited_model_names_the_field() -> None:
    show = load_show(resources_dir() / "shows" / "en" / "show.json")
    from dataclasses import replace

    edited = replace(show, products=(*show.products, Product("MUG-350", "Again", Decimal("-1"), 1)))
    problems = [str(p) for p in validate_show(edited) if p.severity is Severity.ERROR]
    assert problems == [
        "$.products[4].sku (product MUG-350, Again): duplicate sku 'MUG-350' (also in "
        "$.products[0])",
        "$.products[4].price (product MUG-350, Again): the price must not be negative (got -1)",
    ]


def _mutations(text: str, rng: random.Random) -> str:
    choice = rng.randrange(5)
    position = rng.randrange(len(text))
    if choice == 0:  # cut the file short
        return text[:position]
    if choice == 1:  # drop a character
        return text[:position] + text[position + 1 :]
    if choice == 2:  # insert a random character
        return text[:position] + rng.choice('{}[]",:0-9.aé最\x00 ') + text[position:]
    if choice == 3:  # swap a value for another type
        data = json.loads(text)
        targets = [data, *data["products"], *data["rundown"]]
        target = rng.choice(targets)
        key = rng.choice(list(target))
        target[key] = rng.choice([None, -1, 1.5, "x", [], {}, True, 10**30, "1e999"])
        return json.dumps(data, ensure_ascii=False)
    return text.replace(rng.choice(['"SERUM-30"', '"format": 1', "199.0", '"seconds"']), "")


def test_mutated_files_never_crash() -> None:
    text = (resources_dir() / "shows" / "zh" / "show.json").read_text(encoding="utf-8")
    rng = random.Random(20241122)
    for _ in range(400):
        mutated = _mutations(text, rng)
        report = parse_show(mutated.encode("utf-8", "surrogatepass"), base_dir=Path("/nonexistent"))
        for problem in report.problems:
            assert str(problem)  # every problem can be printed
            assert problem.path.startswith("$") or problem.line is not None
        if report.show is not None:
            dump_show_text(report.show)


def test_random_json_values_never_crash() -> None:
    rng = random.Random(7)

    def value(depth: int) -> object:
        kind = rng.randrange(8 if depth < 4 else 5)
        if kind == 0:
            return None
        if kind == 1:
            return rng.choice([True, False, 0, -3, 2.5, 10**20])
        if kind == 2:
            return rng.choice(["", "x", "SERUM-30", "最", "images/serum.png"])
        if kind == 3:
            return rng.choice([1, "1", 1.0])
        if kind == 4:
            return []
        if kind == 5:
            return [value(depth + 1) for _ in range(rng.randrange(3))]
        keys = [
            "format",
            "title",
            "products",
            "rundown",
            "sku",
            "price",
            "deal",
            "stock",
            "seconds",
            "theme",
            "logo",
            "points",
            "image",
            "currency",
            "language",
        ]
        return {rng.choice(keys): value(depth + 1) for _ in range(rng.randrange(6))}

    for _ in range(300):
        data = value(0)
        if isinstance(data, dict) and rng.random() < 0.7:
            data["format"] = 1
        parse_show(json.dumps(data))
    assert parse_show("[" * 100_000).errors  # nesting beyond Python's recursion limit


def test_schema_names_the_same_fields_as_the_reader() -> None:
    from anchordesk.showfile import files

    schema = json.loads((resources_dir() / "show.schema.json").read_text(encoding="utf-8"))
    definitions = schema["$defs"]
    assert set(schema["properties"]) == {*files.SHOW_KEYS, "$schema"}
    assert set(schema["properties"]["theme"]["properties"]) == set(files._THEME_KEYS)
    assert set(definitions["product"]["properties"]) == set(files._PRODUCT_KEYS)
    assert set(definitions["segment"]["properties"]) == set(files._SEGMENT_KEYS)
    assert set(definitions["deal"]["properties"]) == set(files._DEAL_KEYS)


def test_a_well_formed_but_unknown_currency_is_an_error_and_a_language_a_warning() -> None:
    # "BTC" and "USB" pass [A-Z]{3} but are no ISO 4217 currency (a typo of USD would be
    # shown as "USB 24.00" all show long); "xx_YY" is a tag no locale data exists for. Since
    # round 34 a currency is an ISO 4217 code by one rule for shows, CSVs and feeds (a feed's
    # "RMB" was counted as its own currency while a show's was a warning): an error.
    folder = resources_dir() / "shows" / "en"
    data = json.loads((folder / "show.json").read_text("utf-8"))
    data.update(currency="USB", language="xx_YY")
    data["products"][1]["currency"] = "BTC"
    report = parse_show(json.dumps(data), base_dir=folder)
    assert report.show is None
    assert [str(p) for p in report.errors] == [
        "$.currency: 'USB' is not an ISO 4217 code such as CNY, USD or JPY",
        "$.products[1].currency (product KETTLE-GN, Gooseneck Pour-Over Kettle): 'BTC' is not "
        "an ISO 4217 code such as CNY",
    ]
    assert [str(p) for p in report.warnings] == [
        "$.language: 'xx_YY' is no language this program knows: prices and times are written "
        "as in English, and the rehearsal audience speaks English",
    ]


def test_a_sku_with_an_invisible_character_is_refused_not_a_second_product() -> None:
    # "MU\u200bG" and "MUG" imported as two products; orders for MUG never reach the first.
    products = [
        Product("MU\u200bG", "Mug", Decimal(1), 1),
        Product("MUG", "Mug", Decimal(1), 1),
        Product("TEA\u00ad", "Tea", Decimal(1), 1),
    ]
    assert [str(p) for p in validate_products(products, "USD")] == [
        "$.products[0].sku (product MU\\u200bG, Mug): the sku 'MU\\u200bG' holds the invisible "
        "character U+200B at character 2: orders name their product by the visible characters "
        "only",
        "$.products[2].sku (product TEA\\xad, Tea): the sku 'TEA\\xad' holds the invisible "
        "character U+00AD at character 3: orders name their product by the visible characters "
        "only",
    ]
