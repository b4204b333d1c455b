"""The API's command parser: every name and argument checked, one line naming what is wrong."""

from __future__ import annotations

from decimal import Decimal

import pytest

from anchordesk.control.commands import COMMANDS, BadCommand, parse_command


def test_every_command_of_the_contract_is_known() -> None:
    assert set(COMMANDS) == {
        "next_segment", "previous_segment", "goto_segment", "show_product", "hide_product",
        "studio_mode", "stage_product", "take", "start_deal", "stop_deal", "pin_comment",
        "pin_latest_question", "unpin", "hide_comment", "reconnect_now", "dismiss_prompt",
    }  # fmt: skip


def test_arguments_are_converted_and_missing_optional_ones_left_to_the_show() -> None:
    assert parse_command({"command": "start_deal", "sku": "SERUM-30"}) == (
        "start_deal",
        {"sku": "SERUM-30"},
    )
    _, arguments = parse_command(
        {"command": "start_deal", "sku": "A", "price": "89.90", "seconds": 60, "stock": 5}
    )
    assert arguments == {"sku": "A", "price": Decimal("89.90"), "seconds": 60, "stock": 5}
    # A JSON number is taken by its text, never through a float's binary value.
    assert parse_command({"command": "start_deal", "price": 0.1})[1]["price"] == Decimal("0.1")
    assert parse_command({"command": "stage_product", "sku": None}) == (
        "stage_product",
        {"sku": None},
    )
    assert parse_command({"command": "goto_segment", "index": 0})[1] == {"index": 0}
    assert parse_command({"command": "studio_mode", "on": True}) == ("studio_mode", {"on": True})


_PRICE = 'start_deal: price must be an amount such as "89.00"'
_LONG = "x" * 100


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("next_segment", 'the body must be a JSON object such as {"command": "next_segment"}'),
        ({}, '"command" is missing or not a string'),
        ({"command": _LONG}, f"unknown command '{_LONG[:40]}…': see GET /api/v1/ for the list"),
        ({"command": "goto_segment"}, "goto_segment: index is required"),
        ({"command": "goto_segment", "index": 1.5}, "goto_segment: index must be a whole number"),
        ({"command": "goto_segment", "index": None}, "goto_segment: index must not be null"),
        ({"command": "show_product", "sku": ""}, "show_product: sku must be a non-empty string"),
        ({"command": "show_product", "sku": ["A"]}, "show_product: sku must be a non-empty string"),
        ({"command": "pin_comment", "id": "c" * 1025}, "pin_comment: id is longer than 1024 ch"
         "aracters"),
        ({"command": "start_deal", "price": True}, _PRICE),
        ({"command": "start_deal", "price": "Infinity"}, "start_deal: price 'Infinity' is not"
         " an amount"),
        # Decimal() reads both (ten, twelve): the feeds' and the show file's rule refuses them.
        ({"command": "start_deal", "price": "1_0"}, "start_deal: price '1_0' is not an amount"),
        ({"command": "start_deal", "price": "１２"}, "start_deal: price '１２' is not an amount"),
        ({"command": "start_deal", "price": "1,5"}, "start_deal: price '1,5' is not an amount"),
        ({"command": "studio_mode"}, "studio_mode: on is required"),
        ({"command": "studio_mode", "on": "yes"}, "studio_mode: on must be true or false"),
        ({"command": "studio_mode", "on": 1}, "studio_mode: on must be true or false"),
        ({"command": "unpin", "id": "x"}, "unpin: unknown argument 'id' (arguments: none)"),
    ],
)  # fmt: skip
def test_bad_commands_say_what_is_wrong_in_one_line(body: object, message: str) -> None:
    with pytest.raises(BadCommand) as raised:
        parse_command(body)
    assert str(raised.value) == message
