"""Round fifteen of issue 10 (hunt15in): data from outside — show files, CSV imports, feeds,
the report, secrets in URLs (R15in.md)."""

from __future__ import annotations

import json
from pathlib import Path

from .show_inputs import anchordesk, assert_clean_output, valid_show, write_show

SIGNED = (
    "https://bucket.s3.amazonaws.com/mug.png?X-Amz-Credential=AKIAIOSFODNN7EXAMPLE"
    "&X-Amz-Signature=0123456789abcdef0123456789abcdef"
)


def test_a_signed_image_address_is_said_masked(tmp_path: Path) -> None:
    """F1: `show check` said "the image https://user:secret@cdn/…?X-Amz-Signature=… is a web
    address" with the password and the signature in the clear (a shop's export gives signed
    addresses): the one rule of core/redact masks them as it does every other URL."""
    show = valid_show()
    show["products"][0]["image"] = SIGNED
    show["products"][1]["image"] = "https://anchor:hunter2-pass@cdn.example.com/kettle.png"
    result = anchordesk("show", "check", write_show(tmp_path, show))
    assert result.returncode == 2
    assert_clean_output(result)
    output = result.stdout + result.stderr
    assert "is a web address" in output
    for secret in ("AKIAIOSFODNN7EXAMPLE", "0123456789abcdef0123456789abcdef", "hunter2-pass"):
        assert secret not in output
    assert "bucket.s3.amazonaws.com/mug.png" in output  # which picture is still said


KANJI_SHEET = (
    "sku,title,price,stock\n"
    "UJI-40,宇治抹茶 40g缶,2480,50\n"
    "SAKE-720,日本酒 純米大吟醸 720ml,3980,20\n"
    "SAIFU-01,本革 長財布 黒,12800,5\n"
)
HANZI_SHEET = (
    "sku,title,price,stock\n"
    "SERUM-30,玻尿酸保湿精华液 30ml,199.00,500\n"
    "CREAM-50,修护面霜 50g,259.00,300\n"
    "MASK-10,补水面膜 10片装,129.00,400\n"
)


def test_a_japanese_excel_sheet_of_kanji_titles_is_read_as_shift_jis(tmp_path: Path) -> None:
    """F2: a CSV saved by Excel on a Japanese Windows (Shift_JIS) whose titles hold no kana
    ("宇治抹茶 40g缶") was "read as GB18030 (Chinese Windows)": every title other characters
    ("塅帯枙拑 40g娛") and the new show guessed Chinese, in yuan. A Chinese sheet saved by a
    Chinese Windows (GBK) is still read as GB18030."""
    for sheet, encoding, said, language, currency in (
        (KANJI_SHEET, "cp932", "Shift_JIS", "ja_JP", "JPY"),
        (HANZI_SHEET, "gbk", "GB18030", "zh_CN", "CNY"),
    ):
        folder = tmp_path / encoding
        folder.mkdir()
        csv = folder / "products.csv"
        csv.write_bytes(sheet.encode(encoding))
        result = anchordesk("show", "import-csv", csv, "-o", folder / "show.json")
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"read as {said}" in result.stdout + result.stderr
        show = json.loads((folder / "show.json").read_text(encoding="utf-8"))
        expected = [line.split(",")[1] for line in sheet.splitlines()[1:]]
        assert [product["title"] for product in show["products"]] == expected
        assert (show["language"], show["currency"]) == (language, currency)
