"""Comments from strangers: plain one-line text, capped, flagged, questions marked."""

from __future__ import annotations

from pathlib import Path

import pytest

from anchordesk.feeds.hub import FeedHub
from anchordesk.feeds.tokens import feed_token, token_env_name
from anchordesk.show.feed_items import MAX_COMMENT_CHARS, Comment, clean_text, is_question
from anchordesk.store import StoreWriter


def test_control_and_invisible_characters_are_stripped_and_markup_is_kept_as_typed() -> None:
    assert clean_text("\x07beep\x1b[31m red \u202egnp.exe") == "beep[31m red gnp.exe"
    assert clean_text("line one\nline two\t!") == "line one line two !"
    assert clean_text("<b>x</b><img src=a.png>") == "<b>x</b><img src=a.png>"
    assert clean_text("👩\u200d👩\u200d👧") == "👩\u200d👩\u200d👧"  # emoji sequences survive


def test_long_comments_are_capped() -> None:
    text = clean_text("好" * 5000)
    assert len(text) == MAX_COMMENT_CHARS and text.endswith("…")


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("多少钱？", True),
        ("这个有货吗", True),
        ("敏感肌能不能用", True),
        ("已下单", False),
        ("How much is it", True),
        ("is it waterproof", True),
        ("just ordered!", False),
        ("いくらですか", True),
        ("在庫ありますか?", True),
        ("かわいい", False),
    ],
)
def test_questions_are_recognised_in_chinese_english_and_japanese(
    text: str, question: bool
) -> None:
    assert is_question(text) is question


def test_the_hub_cleans_flags_and_marks_before_storing(tmp_path: Path) -> None:
    writer = StoreWriter(tmp_path / "s.adsession")
    try:
        hub = FeedHub([], writer, flag_terms=lambda text: ["最"] if "最" in text else [])
        raw = Comment("json", "1", "a\x00b", "全网最低价吗？\x07<b>!</b>")
        prepared = hub._prepare(raw)
        assert isinstance(prepared, Comment)
        assert prepared.text == "全网最低价吗？<b>!</b>"
        assert prepared.author == "ab"
        assert prepared.flagged_terms == ("最",) and prepared.flagged
        assert prepared.is_question
    finally:
        writer.close()


def test_tokens_come_from_the_keyring_then_the_environment(memory_keyring: object) -> None:
    import keyring

    env = {"ANCHORDESK_SHOPIFY_ORDERS_TOKEN": "shpat_env"}
    assert token_env_name("shopify-orders") == "ANCHORDESK_SHOPIFY_ORDERS_TOKEN"
    assert feed_token("shopify-orders", env) == "shpat_env"
    keyring.set_password("anchordesk", "shopify-orders", "shpat_keyring")
    assert feed_token("shopify-orders", env) == "shpat_keyring"
    assert feed_token("youtube-chat", {}) is None


def test_no_keyring_backend_falls_back_to_the_environment() -> None:
    import keyring
    from keyring.backends.fail import Keyring as FailKeyring

    from anchordesk.core import secrets

    previous = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())
    try:
        assert feed_token("json", {"ANCHORDESK_JSON_TOKEN": "t0k3n"}) == "t0k3n"
    finally:
        keyring.set_keyring(previous)
        secrets.store().reset()
