"""``POST /api/v1/commands``: one JSON object naming a ``LiveShow`` command and its arguments.

Every argument is checked here (its name, its type) before the command runs, so a bad request
is a 400 with one line naming what is wrong; a command the show refuses now is ``LiveShow``'s
own ``CommandRejected`` (400 or 409). An applied command is kept in the session's events with
its origin.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from anchordesk.core.money import DECIMAL_TEXT, WrittenAmount
from anchordesk.live.show import CommandRejected, LiveShow
from anchordesk.show.model import canonical_sku


class BadCommand(Exception):
    """The request itself is wrong (HTTP 400): unknown command or argument, wrong type."""


@dataclass(frozen=True)
class _Argument:
    name: str
    kind: str  # "int", "bool", "sku", "text", "price", "comment"
    required: bool = False
    nullable: bool = False


def _int(command: str, name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadCommand(f"{command}: {name} must be a whole number")
    return value


def _bool(command: str, name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise BadCommand(f"{command}: {name} must be true or false")
    return value


def _text(command: str, name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadCommand(f"{command}: {name} must be a non-empty string")
    if len(value) > 200:
        raise BadCommand(f"{command}: {name} is longer than 200 characters")
    return value


# A comment's id is "source:id", and a feed's id may have up to 512 characters
# (feeds.hub.MAX_ID_CHARS): a question with an id of 250 was listed on the phone with Pin and
# Hide that could only answer "id is longer than 200 characters", in English.
MAX_COMMENT_KEY_CHARS = 1024


def _comment_key(command: str, name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadCommand(f"{command}: {name} must be a non-empty string")
    if len(value) > MAX_COMMENT_KEY_CHARS:
        raise BadCommand(f"{command}: {name} is longer than {MAX_COMMENT_KEY_CHARS} characters")
    return value


def _sku(command: str, name: str, value: object) -> str:
    return canonical_sku(_text(command, name, value))


def _price(command: str, name: str, value: object) -> Decimal:
    """Decimal text ("89.00") or a JSON number (read as the Decimal it is written as: the
    server parses a body's fractions so); never a float's binary noise."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise BadCommand(f'{command}: {name} must be an amount such as "89.00"')
    if isinstance(value, float) and not math.isfinite(value):
        raise BadCommand(f"{command}: {name} must be a finite amount")
    if isinstance(value, str) and not DECIMAL_TEXT.fullmatch(value.strip()):
        # Decimal() also reads "1_0" as ten and "１２" as twelve: the show file's rule instead.
        raise BadCommand(f"{command}: {name} {value[:40]!r} is not an amount")
    try:
        # The text as sent is kept: a refusal of the price quotes it (core/money.WrittenAmount).
        amount = value if isinstance(value, WrittenAmount) else WrittenAmount(str(value).strip())
    except InvalidOperation:
        raise BadCommand(f"{command}: {name} {str(value)[:40]!r} is not an amount") from None
    if not amount.is_finite():
        raise BadCommand(f"{command}: {name} must be a finite amount")
    # "-0" is the zero: kept signed it went on air as "-¥0.00".
    return amount.copy_abs() if amount.is_zero() else amount


_CONVERT: dict[str, Callable[[str, str, object], object]] = {
    "int": _int,
    "bool": _bool,
    "sku": _sku,
    "text": _text,
    "price": _price,
    "comment": _comment_key,
}

# name -> its arguments, as docs/control-api.md lists them.
COMMANDS: dict[str, tuple[_Argument, ...]] = {
    "next_segment": (),
    "previous_segment": (),
    "goto_segment": (_Argument("index", "int", required=True),),
    "show_product": (_Argument("sku", "sku", required=True),),
    "hide_product": (),
    "stage_product": (_Argument("sku", "sku", required=True, nullable=True),),
    "take": (),
    "studio_mode": (_Argument("on", "bool", required=True),),
    "start_deal": (
        _Argument("sku", "sku"),
        _Argument("price", "price"),
        _Argument("seconds", "int"),
        _Argument("stock", "int"),
    ),
    "stop_deal": (_Argument("sku", "sku"),),
    "pin_comment": (_Argument("id", "comment", required=True),),
    "pin_latest_question": (),
    "unpin": (),
    "hide_comment": (_Argument("id", "comment", required=True),),
    "reconnect_now": (),
    "dismiss_prompt": (_Argument("key", "comment", required=True),),  # "rule:comment key"
}


# Every command may name the session it was meant for (the state's ``session.id``): a tap sent
# from a page still showing the rehearsal, in the moment before it heard the show went live,
# applied to the live session (a deal started, a segment changed on air).
SESSION = "session"


# A session's id is its file's name (the stem), up to 255 bytes on the file systems a session
# is kept on: the SKU's limit of 200 characters refused every tap of the phone, for the whole
# show, on a session named longer ("session is longer than 200 characters").
MAX_SESSION_CHARS = 1024


def _session_id(command: str, value: object) -> str:
    # Any text: a session kept as "   .sqlite" has the id "   ", and every tap of the phone was
    # refused as not "a non-empty string".
    if not isinstance(value, str):
        raise BadCommand(f"{command}: {SESSION} must be a string")
    if len(value) > MAX_SESSION_CHARS:
        raise BadCommand(f"{command}: {SESSION} is longer than {MAX_SESSION_CHARS} characters")
    return value


def parse_command(body: object) -> tuple[str, dict[str, Any]]:
    """The command's name and its checked arguments (``session`` among them when given);
    ``BadCommand`` otherwise."""
    if not isinstance(body, dict):
        raise BadCommand('the body must be a JSON object such as {"command": "next_segment"}')
    name = body.get("command")
    if not isinstance(name, str):
        raise BadCommand('"command" is missing or not a string')
    spec = COMMANDS.get(name)
    if spec is None:
        shown = name if len(name) <= 40 else name[:40] + "…"
        raise BadCommand(f"unknown command {shown!r}: see GET /api/v1/ for the list")
    known = {argument.name for argument in spec}
    for key in body:
        if key not in ("command", SESSION) and key not in known:
            shown = str(key)[:40]
            allowed = ", ".join(sorted(known)) or "none"
            raise BadCommand(f"{name}: unknown argument {shown!r} (arguments: {allowed})")
    arguments: dict[str, Any] = {}
    for argument in spec:
        if argument.name not in body:
            if argument.required:
                raise BadCommand(f"{name}: {argument.name} is required")
            continue
        value = body[argument.name]
        if value is None:
            if argument.nullable or not argument.required:
                arguments[argument.name] = None
                continue
            raise BadCommand(f"{name}: {argument.name} must not be null")
        arguments[argument.name] = _CONVERT[argument.kind](name, argument.name, value)
    if body.get(SESSION) is not None:
        arguments[SESSION] = _session_id(name, body[SESSION])
    return name, arguments


def _stop_deals(show: LiveShow, sku: str | None, origin: str) -> None:
    """The deal on ``sku``; without one, every live deal (docs/control-api.md).
    ``LiveShow.stop_deal(None)`` stops one, the window's Stop (the product on air's deal, else
    the one started last): a stream deck's "stop deals" left the others on air, a $0.00 one
    among them. Each is kept in the session as stopped by its SKU."""
    runtime = show.runtime
    live = [] if sku is not None or runtime is None else runtime.snapshot().state.live_deals
    if not live:  # one named, or none live: the show's own answer ("no live deal to stop")
        show.stop_deal(sku, origin=origin)
    for each in dict.fromkeys(deal.sku for deal in live):
        show.stop_deal(each, origin=origin)


def run_command(show: LiveShow, name: str, arguments: dict[str, Any], origin: str) -> None:
    """Apply a parsed command (the show keeps it with ``origin``); ``CommandRejected`` when the
    show refuses it now."""
    if name == "next_segment":
        show.next_segment(origin=origin)
    elif name == "previous_segment":
        show.previous_segment(origin=origin)
    elif name == "goto_segment":
        show.goto_segment(arguments["index"], origin=origin)
    elif name == "show_product":
        show.show_product(arguments["sku"], origin=origin)
    elif name == "hide_product":
        show.hide_product(origin=origin)
    elif name == "stage_product":
        show.stage_product(arguments["sku"], origin=origin)
    elif name == "take":
        show.take(origin=origin)
    elif name == "studio_mode":
        show.set_studio_mode(arguments["on"], origin=origin)
    elif name == "start_deal":
        show.start_deal(
            arguments.get("sku"),
            price=arguments.get("price"),
            seconds=arguments.get("seconds"),
            stock=arguments.get("stock"),
            origin=origin,
        )
    elif name == "stop_deal":
        _stop_deals(show, arguments.get("sku"), origin)
    elif name == "pin_comment":
        show.pin_comment(arguments["id"], origin=origin)
    elif name == "pin_latest_question":
        show.pin_latest_question(origin=origin)
    elif name == "unpin":
        show.unpin(origin=origin)
    elif name == "hide_comment":
        show.hide_comment(arguments["id"], origin=origin)
    elif name == "reconnect_now":
        show.reconnect_now(origin=origin)
    elif name == "dismiss_prompt":
        show.dismiss_prompt(arguments["key"], origin=origin)
    else:  # parse_command knows the same names
        raise CommandRejected(f"unknown command {name!r}", 400)
