"""``anchordesk live --control HOST:PORT`` and ``anchordesk control COMMAND [NAME=VALUE …]``.

The token never travels on a command line (``ps`` shows arguments to every user): both read
it from ``ANCHORDESK_CONTROL_TOKEN``. ``anchordesk control`` speaks plain HTTP with httpx and
loads nothing of the show, so a shell script or a stream deck button runs it quickly.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from anchordesk.core.environment import environment
from anchordesk.core.errors import FatalError, UserError
from anchordesk.core.printable import escape_controls

if TYPE_CHECKING:
    import httpx

    from anchordesk.control.server import ControlServer
    from anchordesk.live.show import LiveShow

TOKEN_ENVIRONMENT = "ANCHORDESK_CONTROL_TOKEN"  # the same name as anchordesk.control's
URL_ENVIRONMENT = "ANCHORDESK_CONTROL_URL"
DEFAULT_URL = "http://127.0.0.1:8750"
# Arguments that are whole numbers; every other value goes as text (a price stays "89.00").
_WHOLE_NUMBERS = {"index", "seconds", "stock"}
_SWITCHES = frozenset({"on"})
_SWITCH_WORDS = {"true": True, "false": False, "on": True, "off": False, "1": True, "0": False}


@dataclass(frozen=True)
class ControlAddress:
    host: str
    port: int
    token: str

    def __repr__(self) -> str:  # never the token, even in a traceback's locals
        return f"ControlAddress({self.host!r}, {self.port})"


def control_address(text: str) -> ControlAddress:
    """``--control HOST:PORT`` with the token from the environment; one line when wrong."""
    match = re.fullmatch(r"\s*(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})\s*", text)
    if not match or not 0 < int(match.group(2)) < 65536:
        raise UserError(f"--control {text!r}: expected HOST:PORT, for example 127.0.0.1:8750")
    token = environment().get(TOKEN_ENVIRONMENT, "").strip()
    if not token:
        raise UserError(
            f"--control: set {TOKEN_ENVIRONMENT} to the remote's token first (the API never "
            "runs without one)"
        )
    if len(token) < 16:
        raise UserError(f"--control: {TOKEN_ENVIRONMENT} is too short (16 characters at least)")
    if not token.isascii() or not token.isprintable():
        # The phone's page sends the token in a header, which carries printable ASCII only (as
        # `anchordesk control` found): the run started, and its remote could never be used.
        raise UserError(
            f"--control: {TOKEN_ENVIRONMENT} holds a character HTTP cannot carry (a letter "
            "outside ASCII, an invisible character): use letters, digits and signs, for "
            "example python3 -c 'import secrets; print(secrets.token_urlsafe(24))'"
        )
    return ControlAddress(match.group(1).strip("[]"), int(match.group(2)), token)


async def start_control(show: LiveShow, address: ControlAddress) -> ControlServer:

    from anchordesk.control.server import ControlServer

    server = ControlServer(lambda: show, address.token, address.host, address.port)
    await server.start()
    print(f"Remote control: {server.url} (token from {TOKEN_ENVIRONMENT})", flush=True)
    return server


_MAX_DIGITS = 18


def _value(name: str, text: str) -> object:
    if text == "null":
        return None
    if name in _WHOLE_NUMBERS and re.fullmatch(r"-?\d+", text.strip()):
        if len(text.strip().lstrip("-")) > _MAX_DIGITS:
            # int() of 4,300 digits or more raised ValueError: a traceback. No index, stock or
            # second count is that long.
            raise UserError(
                f"anchordesk control: {name}={escape_controls(text.strip())[:24]}…: more than "
                f"{_MAX_DIGITS} digits"
            )
        return int(text)
    if name in _SWITCHES and text.strip().lower() in _SWITCH_WORDS:
        return _SWITCH_WORDS[text.strip().lower()]  # studio_mode on=true (or on=off)
    return text


def command_body(command: str, pairs: Sequence[str]) -> dict[str, object]:
    body: dict[str, object] = {"command": command}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name:
            raise UserError(f"anchordesk control: {pair!r}: expected NAME=VALUE, e.g. sku=SERUM-30")
        if name in body:  # index=1 index=2 went to 2, command=… replaced the command
            raise UserError(f"anchordesk control: {name!r} given twice (or as the command)")
        body[name] = _value(name, value)
    return body


ANSWER_TIMEOUT_S = 10.0
MAX_ANSWER_BYTES = 8 * 1024 * 1024  # a state is a few KB; what else answers is not AnchorDesk


def _read_capped(response: httpx.Response) -> bytes:
    # Asked for as it is (Accept-Encoding: identity), and read raw: httpx would inflate each
    # received chunk whole before the cap is looked at (64 KB of gzip is 64 MB).
    coding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if coding not in ("", "identity"):
        raise FatalError(
            f"anchordesk control: {response.url.host}:{response.url.port} answered compressed "
            f"({coding[:40]!r}) although asked not to: that is not AnchorDesk's "
            "remote control"
        )
    data = bytearray()
    for chunk in response.iter_raw():
        data += chunk
        if len(data) > MAX_ANSWER_BYTES:
            raise FatalError(
                f"anchordesk control: {response.url.host}:{response.url.port} answered more "
                f"than {MAX_ANSWER_BYTES // 1_048_576} MB: that is not AnchorDesk's remote control"
            )
    return bytes(data)


def run_control(url: str | None, command: str, pairs: Sequence[str]) -> int:
    """Send one command (``state``: only read the state) and print the state as JSON."""
    import httpx

    if command == "state" and pairs:  # sent as a command, it came back "unknown command"
        raise UserError(
            f"anchordesk control state: takes no NAME=VALUE (got {escape_controls(pairs[0])[:60]})"
        )
    token = environment().get(TOKEN_ENVIRONMENT, "").strip()
    if not token:
        raise UserError(f"anchordesk control: set {TOKEN_ENVIRONMENT} to the remote's token")
    base = (url or os.environ.get(URL_ENVIRONMENT) or DEFAULT_URL).rstrip("/")
    if not re.match(r"^https?://[^/\s]+", base):
        raise UserError(f"anchordesk control --url {base!r}: expected http://HOST:PORT")
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}
    try:
        status, raw = _within_deadline(lambda: _exchange(base, headers, command, pairs))
    except httpx.TimeoutException:
        raise FatalError(
            f"anchordesk control: {base}: no answer within {ANSWER_TIMEOUT_S:.0f} s "
            "(is AnchorDesk running with the remote control on?)"
        ) from None
    except httpx.ConnectError:
        raise FatalError(
            f"anchordesk control: {base}: nothing answers there (is AnchorDesk running with the "
            "remote control on, at this address and port?)"
        ) from None
    except httpx.HTTPError as error:
        raise FatalError(f"anchordesk control: {base}: {type(error).__name__}: {error}") from None
    except httpx.InvalidURL as error:  # not an HTTPError: "http://[::1", a control character
        raise UserError(
            f"anchordesk control --url {base!r}: not a usable address ({error})"
        ) from None
    except UnicodeEncodeError:  # the header's text: never quoted, it holds the token
        raise UserError(
            f"anchordesk control: {TOKEN_ENVIRONMENT} holds a character HTTP cannot carry (a "
            "letter outside ASCII, an invisible character); copy the token again"
        ) from None
    try:
        answer = json.loads(raw)
    except (ValueError, RecursionError):
        raise FatalError(f"anchordesk control: {base} answered {status} without JSON") from None
    if status != 200 or not isinstance(answer, dict):
        message = answer.get("error") if isinstance(answer, dict) else None
        # The remote's own errors are one short sentence; what else answers may say anything
        # (5 MB of it was printed whole, as one line).
        said = message if isinstance(message, str) else json.dumps(message, ensure_ascii=False)
        if len(said) > _MESSAGE_CHARS:
            said = said[: _MESSAGE_CHARS - 1] + "…"
        raise UserError(f"anchordesk control {command}: {status}: {said}")
    state = answer.get("state", answer)
    from anchordesk.cli.output import printable_json

    sys.stdout.write(printable_json(state) + "\n")
    return 0


_MESSAGE_CHARS = 300


def _exchange(
    base: str, headers: dict[str, str], command: str, pairs: Sequence[str]
) -> tuple[int, bytes]:
    import httpx

    with httpx.Client(timeout=ANSWER_TIMEOUT_S, headers=headers) as client:
        if command == "state":
            request = client.build_request("GET", f"{base}/api/v1/state")
        else:
            body = command_body(command, pairs)
            request = client.build_request("POST", f"{base}/api/v1/commands", json=body)
        response = client.send(request, stream=True)
        try:
            return response.status_code, _read_capped(response)
        finally:
            response.close()


_T = TypeVar("_T")


def _within_deadline(work: Callable[[], _T]) -> _T:
    """``work``'s result, or ``httpx.ReadTimeout`` when it takes more than
    :data:`ANSWER_TIMEOUT_S` in all. httpx's timeout is for each read: a server that sent its
    answer (or its headers) a byte every few seconds held the command for ever, a script's
    stream-deck button with it. The exchange runs on a thread of its own, left behind at the
    deadline (the command ends just after)."""
    import httpx

    outcome: list[tuple[bool, object]] = []

    def run() -> None:
        try:
            outcome.append((True, work()))
        except BaseException as error:  # raised again on the caller's thread
            outcome.append((False, error))

    thread = threading.Thread(target=run, name="control exchange", daemon=True)
    thread.start()
    thread.join(ANSWER_TIMEOUT_S)
    if not outcome:
        raise httpx.ReadTimeout("the whole answer did not come in time")
    done, value = outcome[0]
    if not done:
        assert isinstance(value, BaseException)
        raise value
    return value  # type: ignore[return-value]
