"""Round twenty-four of issue 10, the leftovers of the round's other hunters (hunt24in2):
a feed token that is not text, titles that reorder or break lines, one rule per value kind."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from feed_servers import JsonFeedServer, Reply
from keyring.backend import KeyringBackend
from platform_servers import ShopifyGraphQLServer

from anchordesk.core import secrets
from anchordesk.core.printable import printable_message
from anchordesk.core.redact import mask_url
from anchordesk.feeds.hub import FeedHub
from anchordesk.live.settings import feed_specs, load_settings
from anchordesk.showfile.csv_import import parse_products_csv
from anchordesk.showfile.files import read_show_file
from anchordesk.store import StoreWriter
from anchordesk.store.report import build_report

from ..orders.test_round_24_shop import _run_until, _stored
from ..show_inputs import valid_show, write_show


class Utf8Keyring(KeyringBackend):
    """A keyring that stores UTF-8 bytes, as Secret Service, KWallet and macOS do."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], bytes] = {}

    def get_password(self, service: str, username: str) -> str | None:
        value = self.passwords.get((service, username))
        return None if value is None else value.decode("utf-8")

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password.encode("utf-8")

    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop((service, username), None)


@pytest.fixture
def utf8_keyring() -> Iterator[Utf8Keyring]:
    secrets.store().reset()
    previous = keyring.get_keyring()
    backend = Utf8Keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
        secrets.store().reset()


def test_a_feed_token_that_is_not_text_is_said_and_the_other_feeds_token_moves(
    tmp_path: Path, utf8_keyring: Utf8Keyring
) -> None:
    # JSON's "\ud800" in a token: moving it to the keyring raised UnicodeEncodeError out of
    # load_settings, and `anchordesk live` and the window ended with a traceback.
    path = tmp_path / "settings.json"
    feeds = [
        {"id": "f1", "kind": "json", "url": "https://h.example/a?token=S3cr3t\ud800x&n=1"},
        {"id": "f2", "kind": "json", "url": "https://h.example/b?token=G00dT0ken42"},
    ]
    path.write_text(json.dumps({"feeds": feeds}), "utf-8")
    settings = load_settings(path)
    assert utf8_keyring.passwords == {("anchordesk", "feed/f2/token"): b"G00dT0ken42"}
    assert secrets.store().persistent  # the keyring still keeps the others
    [bad] = [p for p in settings.problems if "cannot be kept or sent" in p]
    assert "feed json (https://h.example/a?token=****&n=1)" in bad
    assert "not text" in bad and "Token field" in bad and "\n" not in bad
    assert "S3cr3t" not in "".join(settings.problems)
    assert [f.url for f in settings.feeds][1] == "https://h.example/b"
    with pytest.raises(secrets.NotText):
        secrets.store().set("feed/f3/token", "x\udcff")  # a byte read as surrogateescape


def test_a_show_s_titles_that_would_turn_around_or_break_on_air_are_refused_by_field(
    tmp_path: Path,
) -> None:
    # Segment "Wel\u202ecome" went on air as "Welemoc"; a banned word written backwards after an
    # override ("\u202eeruc") read "cure" on the card while the compliance check found nothing;
    # a line separator broke a one-line title in two on the picture and in the remote's words.
    data = valid_show()
    data["banned_words"] = ["cure"]
    data["rundown"][0]["title"] = "Wel\u202ecome"
    data["products"][0]["title"] = "Mug that \u202eeruc"
    data["products"][1]["points"] = ["Pours \u2067slow\u2069"]
    data["ticker"] = ["Free\u2028shipping"]
    data["rundown"][1]["script"] = "Line one.\u2028Line \u202btwo."
    report = read_show_file(write_show(tmp_path, data))
    assert report.show is None
    assert [str(p) for p in report.errors] == [
        "$.ticker[0]: the announcement 'Free\\u2028shipping' holds the character \\u2028 at "
        "character 4: on air it would turn the text around or break its line",
        "$.products[0].title (product MUG, Mug that \\u202eeruc): the title 'Mug that "
        "\\u202eeruc' holds the character \\u202e at character 9: on air it would turn the text "
        "around or break its line",
        "$.products[1].points[0] (product KETTLE, Gooseneck kettle): the talking point 'Pours "
        "\\u2067slow\\u2069' holds the character \\u2067 at character 6: on air it would turn "
        "the text around or break its line",
        "$.rundown[0].title (segment 1, Wel\\u202ecome): the title 'Wel\\u202ecome' holds the "
        "character \\u202e at character 3: on air it would turn the text around or break its "
        "line",
        "$.rundown[1].script (segment 2, The mug): the script 'Line one.\\u2028Line "
        "\\u202btwo.' holds the character \\u202b at character 15: on air it would turn the text "
        "around or break its line",
    ]
    # A spreadsheet's product titles follow the same rule.
    imported = parse_products_csv("sku,title,price,stock\nA,Wel\u202ecome,1,1\n")
    assert [str(p) for p in imported.errors] == [
        "row 2, column title: the title 'Wel\\u202ecome' holds the character \\u202e at "
        "character 3: on air it would turn the text around or break its line"
    ]
    # Right-to-left text and its marks stay; a script may break its lines with U+2028.
    fine = valid_show()
    fine["rundown"][0]["title"] = "פתיחה\u200f Opening"
    fine["rundown"][1]["script"] = "Line one.\u2028Line two."
    assert read_show_file(write_show(tmp_path, fine, "fine.json")).errors == []


class _QuantityAsText(ShopifyGraphQLServer):
    """Shopify GraphQL (a proxy in between) whose order lines say their quantity as text."""

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        reply = super().handle(method, path, query, headers, body)
        answer = json.loads(reply.body)
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, dict):
            return reply
        orders = data.get("orders")
        nodes = orders["nodes"] if isinstance(orders, dict) else list(data.values())
        for node in nodes:
            for line in ((node or {}).get("lineItems") or {}).get("nodes") or []:
                line["quantity"] = "2"
        return Reply(reply.status, json.dumps(answer).encode(), reply.headers)


def test_a_graphql_line_whose_quantity_is_text_is_rejected_quoting_it_as_rest_does(
    tmp_path: Path,
) -> None:
    # GraphQL's reader said "bad quantity" whatever the shop had sent; the JSON and REST
    # readers quote it (one rule: parsing.quantity_as_sent).
    session = tmp_path / "s.adsession"
    with _QuantityAsText() as graphql:
        graphql.add_order([("MUG", 2, "2.00")])
        _run_until(graphql.shop_url, graphql.static_token, session, lambda: _stored(session))
    report = build_report(session)
    assert report.orders == 0
    [rejected] = report.rejected
    assert 'bad quantity: "2"' in rejected.detail, rejected.detail


def test_a_settings_switch_written_as_text_is_said_and_its_default_taken(tmp_path: Path) -> None:
    # "enabled": "false" (a string) read as enabled without a word: bool() of any text but "".
    path = tmp_path / "settings.json"
    destination = {"id": "d1", "preset": "custom", "server_url": "rtmp://h/a", "enabled": "false"}
    feed = {"id": "f1", "kind": "rehearsal", "url": "", "enabled": 0}
    data = {
        "destinations": [destination],
        "feeds": [feed],
        "record": "no\u202e",
        "remote": {"enabled": "true", "allow_lan": [1, "\x1b[2J"]},
    }
    path.write_text(json.dumps(data), "utf-8")
    settings = load_settings(path)
    assert settings.problems == [
        'settings: destinations[0].enabled is "false", not true or false; true taken',
        "settings: feeds[0].enabled is 0, not true or false; true taken",
        'settings: record is "no\\u202e", not true or false; true taken',
        'settings: remote.enabled is "true", not true or false; false taken',
        'settings: remote.allow_lan is [1, "\\u001b[2J"], not true or false; false taken',
    ]
    assert settings.destinations[0].enabled and settings.feeds[0].enabled and settings.record
    assert not settings.remote.enabled and not settings.remote.allow_lan
    # Switches written as JSON's true and false are read as written, without a word.
    data = {"destinations": [{**destination, "enabled": False}], "record": False}
    path.write_text(json.dumps(data), "utf-8")
    settings = load_settings(path)
    assert settings.problems == []
    assert not settings.destinations[0].enabled and not settings.record


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        # An escaped CR after the port (a CRLF file's value, said by `anchordesk control`)
        ("http://127.0.0.1:1\\r", "http://127.0.0.1:1\\r"),
        ("http://user:pw@h.example:8\\x?token=S3cr3t", "http://****@h.example:8\\x?token=****"),
        (
            "rtmp://ingest.example\\live\\sk_live_51Round5KEYc0ffee",
            "rtmp://ingest.example\\live\\****",
        ),
    ],
)
def test_a_backslash_after_a_urls_host_is_said_as_written_its_secrets_masked(
    url: str, shown: str
) -> None:
    # The one masking rule reads a backslash after the host as a "/" (to find the key behind
    # it) and wrote it so: "…:1\r" was said "…:1/r", naming another character than the wrong
    # one.
    assert printable_message(f"cannot reach {url}: refused") == f"cannot reach {shown}: refused"
    assert mask_url(url) == shown


@pytest.mark.parametrize("bad_url", ["http://[::1/feed", "http://127.0.0.1:9/f\ud800x"])
def test_a_settings_feed_no_client_could_ask_is_said_and_the_other_feeds_run(
    tmp_path: Path, bad_url: str
) -> None:
    # A settings file's feed URL was never checked as --feed and the Feeds page check theirs:
    # "http://[::1/feed" (ValueError) or JSON's "\ud800" (UnicodeEncodeError) raised out of
    # the feeds' start, and every other feed of the show went with it: no order counted.
    path = tmp_path / "settings.json"
    with JsonFeedServer(poll_ms=50) as server:
        server.add_order("MUG", 1, "2.00")
        feeds = [
            {"id": "a", "kind": "json", "url": bad_url},
            {"id": "b", "kind": "json", "url": server.url},
        ]
        path.write_text(json.dumps({"feeds": feeds}), "utf-8")
        settings = load_settings(path)
        [said] = settings.problems
        assert said.startswith("settings: feed json (") and "is not used: " in said
        assert "\ud800" not in said and said.endswith("correct its URL in Settings, Feeds")
        session = tmp_path / "s.adsession"
        writer = StoreWriter(session)
        hub = FeedHub(feed_specs(settings), writer, token_lookup=lambda _kind: None)

        async def run() -> None:
            stop = asyncio.Event()
            task = asyncio.create_task(hub.run(stop))
            for _ in range(1000):
                await asyncio.sleep(0.01)
                if _stored(session):
                    break
            stop.set()
            await task

        try:
            asyncio.run(run())
        finally:
            writer.close()
    assert build_report(session).orders == 1


def test_a_url_whose_query_name_is_not_text_is_masked_and_said_not_a_traceback(
    tmp_path: Path,
) -> None:
    # The one masking rule percent-encoded a query's name (or a harmless value) as UTF-8: a
    # lone surrogate there raised UnicodeEncodeError out of printable_message, whatever line
    # named the URL (here the settings loader saying the feed is not used).
    assert printable_message("cannot read http://h.example/f?\ud800=1&token=S3cr3t now") == (
        "cannot read http://h.example/f?%ED%A0%80=1&token=**** now"
    )
    path = tmp_path / "settings.json"
    feed = {"id": "a", "kind": "json", "url": "http://h.example/f?\ud800=1"}
    path.write_text(json.dumps({"feeds": [feed]}), "utf-8")
    [said] = load_settings(path).problems
    assert said.startswith("settings: feed json (http://h.example/f?%ED%A0%80=1) is not used")


def test_the_settings_problems_quote_a_url_or_a_name_with_its_controls_escaped(
    tmp_path: Path,
) -> None:
    # The window says these lines in its notice over the picture and in the status bar, as
    # they are: a feed URL's U+202E turned the line around, its U+2028 broke it in two, an
    # ESC was kept raw (the messages' log alone escaped them).
    path = tmp_path / "settings.json"
    destination = {
        "id": "d1",
        "name": "Main\u202e\x1b[2J",
        "preset": "custom",
        "server_url": "rtmp://h.example/live/sk_live_51Round5KEYc0ffee",
    }
    feeds = [
        {"id": "a", "kind": "json", "url": "http://h.example/\u202e\u2028x/f?token=S3cr3t"},
        {"id": "b", "kind": "twitch-chat", "url": "http://h.example/\x1b]0;t\x07"},
    ]
    path.write_text(json.dumps({"destinations": [destination], "feeds": feeds}), "utf-8")
    problems = load_settings(path).problems
    assert len(problems) == 3, problems
    for problem in problems:
        assert not any(char in problem for char in "\u202e\u2028\x1b\x07"), ascii(problem)
    assert "'Main\\u202e\\x1b[2J'" in problems[0]
    assert "http://h.example/\\u202e\\u2028x/f" in problems[1]
    assert "(http://h.example/\\x1b]0;t\\x07)" in problems[2]
