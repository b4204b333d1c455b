"""``anchordesk live --control HOST:PORT`` and ``anchordesk control COMMAND [NAME=VALUE …]``.

The token never travels on a command line (``ps`` shows arguments to every user): both read
it from ``ANCHORDESK_CONTROL_TOKEN``. ``anchordesk control`` speaks plain HTTP with httpx and
loads nothing of the show, so a shell script or a stream deck button runs it quickly.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import ssl
import stat
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from anchordesk.core.environment import environment
from anchordesk.core.errors import FatalError, UserError
from anchordesk.core.printable import escape_controls, masked_cut, terminal_json
from anchordesk.core.redact import mask_url

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
    # ASCII digits by the one rule (core/typed_numbers): "\d" took "index=１２" as 12.
    if name in _WHOLE_NUMBERS and re.fullmatch(r"-?[0-9]+", text.strip()):
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
# A refusal's reason as printed: a server that is not AnchorDesk's remote sent one of 7 MB, and
# the "one line" on stderr was as long.
MAX_ERROR_CHARS = 300


async def _read_capped(response: httpx.Response) -> bytes:
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
    async for chunk in response.aiter_raw():
        data += chunk
        if len(data) > MAX_ANSWER_BYTES:
            raise FatalError(
                f"anchordesk control: {response.url.host}:{response.url.port} answered more "
                f"than {MAX_ANSWER_BYTES // 1_048_576} MB: that is not AnchorDesk's remote control"
            )
    return bytes(data)


def _certificates(base: str) -> ssl.SSLContext | bool:
    """What an https:// remote's certificate is checked against: ``SSL_CERT_FILE`` /
    ``SSL_CERT_DIR`` when set (as OpenSSL's tools take them), else certifi's (httpx's own).
    A file that cannot be read is said in one line, naming its variable (it was a traceback).
    Read here, not by httpx's ``trust_env``: that also takes the proxies, and httpx 0.27 (our
    lowest) passed over a certificate file that is gone without a word."""
    if not base.lower().startswith("https:"):
        return True
    cafile = os.environ.get("SSL_CERT_FILE") or None
    capath = os.environ.get("SSL_CERT_DIR") or None
    if cafile is None and capath is None:
        return True
    for name, path, folder in (("SSL_CERT_FILE", cafile, False), ("SSL_CERT_DIR", capath, True)):
        if path is None:
            continue
        try:
            mode = os.stat(path).st_mode
        except OSError:
            continue  # (said below, as the ssl module says it)
        if stat.S_ISDIR(mode) != folder or not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
            # A pipe at its name held the command for good (its reading blocks, before any
            # deadline); a folder or a device is no certificate file either.
            from anchordesk.core.disk import not_a_file

            what = "a file" if stat.S_ISREG(mode) else not_a_file(mode)
            raise UserError(
                f"anchordesk control: {name}={path!r} is {what}, not a "
                f"{'folder' if folder else 'certificate file'}; fix or unset it"
            )
    try:
        return ssl.create_default_context(cafile=cafile, capath=capath)
    except OSError as error:  # (ssl.SSLError too)
        path = cafile or capath or ""
        reason = error.strerror or " ".join(str(error).split()) or type(error).__name__
        reason = re.sub(r"\s*\(_ssl\.c:\d+\)", "", reason)  # (OpenSSL's source line)
        raise UserError(
            f"anchordesk control: the certificates cannot be loaded from {path!r} "
            f"(SSL_CERT_FILE or SSL_CERT_DIR): {reason.lower()}; fix or unset it"
        ) from None


def _reason(answer: object) -> str:
    """A refusal's reason as one short line: the remote's own is one sentence; what another
    server answers may be anything (7 MB, an object, nothing), said as the JSON it came as
    (it was Python's spelling, ``{'nested': …}``, or "None")."""
    error = answer.get("error") if isinstance(answer, dict) else None
    if isinstance(error, str) and error.strip():
        message = escape_controls(error)
    elif error is not None:
        message = terminal_json(error, indent=None)
    elif isinstance(answer, dict):
        message = "no reason given"
    else:
        message = "an answer that is not a JSON object: " + terminal_json(answer, indent=None)
    # The remote's are one short line; this is not it. Masked whole, then cut (the one rule of
    # every shortening): cut first, a URL whose password ran past the cut lost its '@', and
    # the password's start was printed (the terminal's own masking came too late).
    return masked_cut(message, MAX_ERROR_CHARS + 1)


async def _exchange(
    base: str,
    command: str,
    pairs: Sequence[str],
    headers: dict[str, str],
    verify: ssl.SSLContext | bool,
) -> tuple[int, bytes]:
    """The request and its whole answer (status, body), within ``ANSWER_TIMEOUT_S`` in all:
    httpx's timeout is for each read, and a server sending its answer a byte every few
    seconds (a head or a body that never ends) held the command, and the stream deck button
    that ran it, for good."""
    import httpx

    # Straight to the remote, as a browser goes to its own machine: with the environment's
    # proxies (HTTP_PROXY, ALL_PROXY…, which VPN tools export) the request went to the proxy,
    # the token in its header, even for 127.0.0.1; a SOCKS one, or one mistyped, ended the
    # command with a traceback or blamed --url.
    async with asyncio.timeout(ANSWER_TIMEOUT_S):
        async with httpx.AsyncClient(
            timeout=ANSWER_TIMEOUT_S,
            headers=headers,
            trust_env=False,
            verify=verify,
        ) as client:
            if command == "state":
                request = client.build_request("GET", f"{base}/api/v1/state")
            else:
                # As JSON's escapes: a value read from a name in another encoding (a session
                # file named in Latin-1, a SKU from a GBK terminal) holds lone surrogates, which
                # UTF-8 cannot carry; the remote reads the escapes back as the same text.
                body = json.dumps(command_body(command, pairs), ensure_ascii=True).encode()
                request = client.build_request(
                    "POST",
                    f"{base}/api/v1/commands",
                    content=body,
                    headers={"Content-Type": "application/json"},
                )
            response = await client.send(request, stream=True)
            try:
                return response.status_code, await _read_capped(response)
            finally:
                await response.aclose()


def _not_connected(error: Exception) -> str:
    """Why no connection was made. TLS's reasons are said as such: a remote behind stunnel or
    Caddy with a certificate of its own, or https:// given for the remote's plain HTTP, was
    "nothing answers there (is AnchorDesk running…)" while something had answered."""
    cause: BaseException | None = error
    while cause is not None and not isinstance(cause, ssl.SSLError):
        cause = cause.__cause__ or cause.__context__
    if isinstance(cause, ssl.SSLCertVerificationError):
        why = cause.verify_message or "not trusted"
        return (
            f"its certificate is not trusted ({why}): name the authority that signed it with "
            "SSL_CERT_FILE"
        )
    if isinstance(cause, ssl.SSLError):
        why = re.sub(r"^\[SSL: [A-Z0-9_]+\]\s*|\s*\(_ssl\.c:\d+\)", "", str(cause)) or "TLS failed"
        return f"no TLS there ({why}): is it http:// rather than https://?"
    return (
        "nothing answers there (is AnchorDesk running with the remote control on, at this "
        "address and port?)"
    )


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
    # Named where it came from: a value of ANCHORDESK_CONTROL_URL was said to be --url's, an
    # option the user never gave.
    from_environment = not url and bool(os.environ.get(URL_ENVIRONMENT))
    # Masked by the one rule, in every line that quotes it: a token in the address (?token=)
    # was printed whole on stderr when the address had no scheme or a misspelt one, or a
    # space before its query (the printer's own masking takes a URL to its first space).
    shown = mask_url(base)
    where = f"{URL_ENVIRONMENT}={shown!r}" if from_environment else f"--url {shown!r}"
    if not re.match(r"^https?://[^/\s]+", base):
        raise UserError(f"anchordesk control {where}: expected http://HOST:PORT")
    if "?" in base or "#" in base:
        # The web remote's address (the QR code's, http://HOST:PORT/?token=…) given here had
        # the API's path put after its query: the page came back, "answered 200 without JSON".
        raise UserError(
            f"anchordesk control {where}: that is the web remote's page; give http://HOST:PORT "
            f"alone (the token goes in {TOKEN_ENVIRONMENT})"
        )
    try:
        parts = urlsplit(base)
    except ValueError:
        parts = None  # ("http://[::1": said as httpx says it, below)
    try:
        port = parts.port if parts is not None else None
    except ValueError:
        port = -1  # (99999, 65536: ended in a traceback from the socket's connect)
    if port is not None and not 1 <= port <= 65535:
        raise UserError(f"anchordesk control {where}: the port is not a number from 1 to 65535")
    verify = _certificates(base)  # here, not on the loop: a file that blocks held it
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}
    try:
        status, raw = asyncio.run(_exchange(base, command, pairs, headers, verify))
    except (httpx.TimeoutException, TimeoutError):
        raise FatalError(
            f"anchordesk control: {shown}: no answer within {ANSWER_TIMEOUT_S:.0f} s "
            "(is AnchorDesk running with the remote control on?)"
        ) from None
    except httpx.ConnectError as error:
        raise FatalError(f"anchordesk control: {shown}: {_not_connected(error)}") from None
    except httpx.HTTPError as error:
        said = " ".join(str(error).split()) or "the connection was cut before an answer came"
        raise FatalError(f"anchordesk control: {shown}: {type(error).__name__}: {said}") from None
    except httpx.InvalidURL as error:  # not an HTTPError: "http://[::1", a control character
        raise UserError(f"anchordesk control {where}: not a usable address ({error})") from None
    except UnicodeEncodeError:  # the header's text: never quoted, it holds the token
        raise UserError(
            f"anchordesk control: {TOKEN_ENVIRONMENT} holds a character HTTP cannot carry (a "
            "letter outside ASCII, an invisible character); copy the token again"
        ) from None
    try:
        answer = json.loads(raw)
    except (ValueError, RecursionError):
        raise FatalError(f"anchordesk control: {shown} answered {status} without JSON") from None
    if status != 200 or not isinstance(answer, dict):
        raise UserError(f"anchordesk control {command}: {status}: {_reason(answer)}")
    state = answer.get("state", answer)
    # As `anchordesk report --json` writes it: a show's title may hold a right-to-left override.
    sys.stdout.write(terminal_json(state) + "\n")
    return 0
