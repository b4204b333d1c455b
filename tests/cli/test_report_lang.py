"""``anchordesk report --lang`` takes a language as ``LANG`` names it (``ja_JP.UTF-8``), and still
refuses a language the report is not written in, in one line."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from anchordesk.cli import main as cli_main
from anchordesk.show.feed_items import Order, OrderLine
from anchordesk.show.ledger import show_snapshot
from anchordesk.show.model import Product, Segment, Show
from anchordesk.store import SessionStore

SHOW = Show(
    title="Night",
    currency="JPY",
    language="en",
    products=(Product("TEA", "Tea", Decimal("1200"), 50),),
    rundown=(Segment("Tea", 60, "TEA"),),
)


@pytest.fixture
def session(tmp_path: Path) -> Path:
    path = tmp_path / "night.adsession"
    store = SessionStore(path)
    store.set_meta("show", json.dumps(show_snapshot(SHOW)))
    line = OrderLine("TEA", 3, Decimal("1200"))
    store.write_batch("json", [Order("json", "o1", "JPY", line.amount, (line,))], "1", 1.7e9)
    store.close()
    return path


def report(session: Path, capsys: pytest.CaptureFixture[str], *lang: str) -> tuple[int, str, str]:
    code = cli_main(["report", str(session), *lang])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("locale", "language"),
    [
        ("ja_JP.UTF-8", "ja"),
        ("ja_JP", "ja"),
        ("ja-JP", "ja"),
        ("zh_CN.UTF-8", "zh_CN"),
        ("zh_CN.GB18030", "zh_CN"),
        ("en_US.UTF-8", "en"),
        ("en_GB@euro", "en"),
    ],
)
def test_a_posix_locale_name_is_read_as_lang_is(
    session: Path, capsys: pytest.CaptureFixture[str], locale: str, language: str
) -> None:
    code, out, err = report(session, capsys, "--lang", locale)
    assert (code, err) == (0, "")
    assert out == report(session, capsys, "--lang", language)[1]
    other = "en" if language != "en" else "ja"
    assert out != report(session, capsys, "--lang", other)[1]


@pytest.mark.parametrize("locale", ["fr_FR.UTF-8", "C", "klingon", ""])
def test_a_language_the_report_is_not_written_in_is_one_line(
    session: Path, capsys: pytest.CaptureFixture[str], locale: str
) -> None:
    code, out, err = report(session, capsys, "--lang", locale)
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"error: anchordesk report --lang {locale}: choose one of en, zh_CN, ja "
        "(or a locale name such as ja_JP.UTF-8)"
    ]
