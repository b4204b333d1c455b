"""``anchordesk live --to``: a saved destination by name, or a URL, with the key kept out of the
process arguments.

A key on the command line is readable by every user of the machine (``ps``, ``/proc/*/cmdline``)
and lands in the shell history. So, besides ``--to rtmp://HOST/APP/KEY``:

- ``--to NAME`` takes a destination saved in the window's settings (its name, id or platform,
  such as ``youtube``): the server from the settings, the key from the system keyring;
- ``--to-key-stdin`` reads the key from standard input (typed without echo at a terminal, or
  piped from a password manager);
- ``ANCHORDESK_STREAM_KEY`` holds the key in the environment (readable only by the same user).

The key then applies to the one ``--to``: a saved destination's server, or a server URL given
without its key (``--to rtmp://a.rtmp.youtube.com/live2``). Every key is registered with the
log's masking, so no line of the log can print it.
"""

from __future__ import annotations

import codecs
import contextlib
import getpass
import os
import re
import select
from collections.abc import Callable, Mapping, Sequence
from typing import TextIO
from urllib.parse import urlsplit

from anchordesk.core import logs
from anchordesk.core.environment import environment
from anchordesk.core.errors import UserError
from anchordesk.core.printable import printable_message
from anchordesk.core.redact import mask_pasted_address
from anchordesk.live.options import check_destination
from anchordesk.live.settings import (
    PRESETS,
    Destination,
    Settings,
    destination_url,
    load_settings,
    server_url_holds_key,
    split_pasted_url,
)
from anchordesk.show.validate import shown, shown_literal

KEY_ENVIRONMENT_VARIABLE = "ANCHORDESK_STREAM_KEY"


#: ``scheme:`` followed by a ``/`` or a ``\`` (``rtmp:\\host\\app\\KEY``, ``rtmp:///app/KEY``): an
#: address, however mistyped, and refused as one (its key masked); read as a saved name, it
#: was quoted whole. A one-letter scheme is a Windows drive (``C:\\``), not an address.
_URL_START = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:[/\\]")


def is_url(target: str) -> bool:
    return "://" in target or _URL_START.match(target.strip()) is not None


def find_destination(settings: Settings, name: str) -> Destination:
    """The saved destination called ``name`` (case does not matter), or with that id, or the one
    saved for that platform preset (``youtube``, ``twitch``...)."""
    wanted = name.strip().casefold()
    for destination in settings.destinations:
        if wanted in (destination.name.strip().casefold(), destination.destination_id):
            return destination
    by_platform = [d for d in settings.destinations if d.preset_id.casefold() == wanted]
    if len(by_platform) == 1:
        return by_platform[0]
    if by_platform:
        raise UserError(
            f"--to {shown_literal(name)}: {len(by_platform)} saved destinations are for that "
            f"platform ({_names(by_platform)}): give one of their names"
        )
    raise UserError(
        f"--to {shown_literal(mask_pasted_address(name))}: no saved destination of that name "
        f"(saved: {_names(settings.destinations) or 'none'}); add it in "
        "File → Settings → Destinations, or give rtmp://HOST/APP/<KEY>"
    )


_NAMES_LISTED = 10


def _names(destinations: Sequence[Destination]) -> str:
    """The saved names as an error lists them: each cut to ~40 characters, the first ten. A
    settings file (written by anything) with a name of 5,000,000 "x", or with 100,000 names,
    made the one line of the error 5 MB long."""
    names = ", ".join(shown(d.name) for d in destinations[:_NAMES_LISTED])
    left = len(destinations) - _NAMES_LISTED
    return f"{names} and {left:,} more" if left > 0 else names


class StoppedWaitingForKey(Exception):
    """A stop request (Ctrl+C, SIGTERM, SIGHUP) came while the key was awaited: nothing has
    started yet, nothing is left to finish."""


def _wait_until_readable(fd: int) -> None:
    """Return when ``fd`` has something to read (or its end); a stop request ends the wait.
    The stop signals only note the request (cli/stopping.py), and a blocking read, restarted
    after each, was deaf to them: a script that had not written the key yet, or a secret
    store that never answered, held the run for as long as the pipe stayed open, and Ctrl+C
    at the key's prompt did nothing."""
    from anchordesk.cli import stopping

    stops = stopping.current()
    # The wait sees a request within _STOP_CHECK_S and says what was awaited: the stop at
    # once of the start-up (which says less) waits meanwhile.
    at_once, stops.at_once = stops.at_once, None
    try:
        while True:
            if stops.requested:
                raise StoppedWaitingForKey(stops.reason)
            with contextlib.suppress(InterruptedError):
                if select.select([fd], [], [], _STOP_CHECK_S)[0]:
                    return
    finally:
        stops.at_once = at_once


_STOP_CHECK_S = 0.1
_MAX_KEY_LINE_BYTES = 64 * 1024  # far beyond any key (RTMP carries 1,024 bytes of URL)


def _read_line(fd: int, *, echo: bool = True) -> bytes:
    """One line read from ``fd`` a byte at a time (nothing read past it), a stop heard."""
    data = bytearray()
    while len(data) < _MAX_KEY_LINE_BYTES:
        _wait_until_readable(fd)
        chunk = os.read(fd, 1)
        if not chunk:
            break
        data += chunk
        utf16_le = data.startswith(codecs.BOM_UTF16_LE)
        if data.endswith(b"\n\x00" if utf16_le else b"\n") and (not utf16_le or len(data) % 2 == 0):
            break
    return bytes(data)


def _typed_key(prompt: str) -> str:
    """The key typed at the terminal, not shown (as getpass, whose read a stop could not end)."""
    try:
        import termios

        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except (ImportError, OSError):
        return getpass.getpass(prompt)
    try:
        before = termios.tcgetattr(fd)
        quiet = termios.tcgetattr(fd)
        quiet[3] &= ~termios.ECHO
        os.write(fd, prompt.encode())
        termios.tcsetattr(fd, termios.TCSAFLUSH, quiet)
        try:
            line = _read_line(fd)
        finally:
            termios.tcsetattr(fd, termios.TCSAFLUSH, before)
            os.write(fd, b"\n")
    finally:
        os.close(fd)
    return line.decode("utf-8", "surrogateescape")


def read_key_from_stdin(stdin: TextIO) -> str:
    # At a terminal the key is typed without echo (it would otherwise stay on screen).
    key = _bare_key(_typed_key("stream key: ") if stdin.isatty() else _first_line(stdin))
    if not key:
        raise UserError("--to-key-stdin: standard input gave no stream key")
    return _not_a_url(key, "--to-key-stdin: standard input")


def _first_line(stdin: TextIO) -> str:
    """The first line of ``stdin``, in the encoding its byte-order mark names: a key file
    Windows Notepad saved as "Unicode" (UTF-16) was read as UTF-8, a NUL after every letter,
    and refused as "the URL holds the control character U+0000" (a line break or a space?).
    Read a line at a time: a program that gives the key may keep the pipe open."""
    raw = getattr(stdin, "buffer", None)
    if raw is None:
        return stdin.readline()
    try:
        fd = stdin.fileno()
    except (OSError, ValueError):
        fd = None
    if fd is not None and os.name == "posix":
        line = _read_line(fd)  # a stop request heard while the key is awaited
    else:
        line = raw.readline()
        if line.startswith(codecs.BOM_UTF16_LE) and line.endswith(b"\n"):
            line += raw.read(1)  # the line break's second byte
    if line.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        with contextlib.suppress(UnicodeDecodeError):
            return line.decode("utf-16")
    # As Python reads its arguments: a byte that is not UTF-8 is kept and then said.
    return line.decode("utf-8", "surrogateescape")


def _bare_key(text: str) -> str:
    """The key without what a text file or a terminal put around it: the line break, and the
    byte-order mark a Windows editor writes at the start of a UTF-8 file (the server was sent
    it as the key's first character, and refused a right key)."""
    return text.strip().lstrip("\ufeff").strip()


def _not_a_url(key: str, source: str) -> str:
    """``key``, unless it is a whole push URL: pasted where the key goes, it was sent to the
    server as the stream name ('rtmp://host/live/KEY' under the --to server)."""
    if "://" in key:
        raise UserError(
            f"{source} gave a whole URL (…://…), not a stream key: give the key alone, or the "
            "whole URL with --to"
        )
    return key


def resolve_destinations(
    targets: Sequence[str],
    *,
    key_from_stdin: bool = False,
    stdin: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
    settings_loader: Callable[[], Settings] = load_settings,
    keyring_lookup: Callable[[str], str | None] | None = None,
) -> list[str]:
    """The push URLs (server + key) for the ``--to`` values. Never echoes a key in an error."""
    environ = environment() if environ is None else environ
    given_key: str | None = None
    source = ""
    if key_from_stdin:
        if len(targets) != 1:
            raise UserError("--to-key-stdin: give exactly one --to (the key is for that one)")
        import sys

        given_key = read_key_from_stdin(stdin or sys.stdin)
        source = "--to-key-stdin"
    elif environ.get(KEY_ENVIRONMENT_VARIABLE, ""):
        given_key = _bare_key(environ[KEY_ENVIRONMENT_VARIABLE])
        if not given_key:
            # Spaces, a line break, a byte-order mark (a quoted variable that was itself
            # unset, a paste of nothing): the stream went out with no key at all, unsaid.
            # Empty is unset, as shells write it.
            raise UserError(
                f"{KEY_ENVIRONMENT_VARIABLE} is set but blank: set the stream key in it, "
                "or unset it"
            )
        if len(targets) > 1:
            raise UserError(
                f"{KEY_ENVIRONMENT_VARIABLE} holds one key: give exactly one --to with it"
            )
        given_key = _not_a_url(given_key, KEY_ENVIRONMENT_VARIABLE)
        source = KEY_ENVIRONMENT_VARIABLE
    if given_key is not None:
        logs.register_secret(given_key)

    settings: Settings | None = None
    urls = []
    for target in targets:
        if is_url(target):
            if given_key is not None:
                _no_key_in(target, source)
                url = destination_url(Destination("", "", server_url=target), given_key)
                urls.append(_checked(url, f"--to with {source}"))
            else:
                urls.append(check_destination(target))
                if not _names_a_stream(target):
                    # A forgotten key: the stream went out with no name (nginx took it and the
                    # run said "live"; a platform refused every attempt), where a saved
                    # destination without its key and the window's go-live check refuse it.
                    raise UserError(
                        f"--to {mask_pasted_address(target.strip())}: the address names no "
                        "stream key (rtmp://HOST/APP/<KEY>): add it, or give it with "
                        f"--to-key-stdin or {KEY_ENVIRONMENT_VARIABLE}"
                    )
            continue
        if settings is None:
            settings = settings_loader()
        destination = find_destination(settings, target)
        key = given_key if given_key is not None else _keyring_key(destination, keyring_lookup)
        if not key:
            raise UserError(
                f"--to {target}: no stream key saved for {shown(destination.name)} (the system "
                "keyring has none, or no keyring works here); save it in File → Settings → "
                f"Destinations, or give it with --to-key-stdin or {KEY_ENVIRONMENT_VARIABLE}"
            )
        logs.register_secret(key)
        if not (destination.server_url.strip() or destination.preset.servers):
            raise UserError(
                f"--to {target}: {shown(destination.name)} has no server URL; set it in File → "
                "Settings → Destinations"
            )
        urls.append(_checked(destination_url(destination, key), f"--to {target}"))
    return urls


def _no_key_in(target: str, source: str) -> None:
    """Refuse a ``--to`` address that holds a key when ``source`` gives one too.

    The key would be put after the one there (``rtmp://HOST/live/KEY/KEY2``): the server refuses
    an application it does not know, and its words point at the application, not at the two
    keys. An ``ANCHORDESK_STREAM_KEY`` left in a shell's profile does it to a full address
    pasted from the platform. What is a key follows the rule of a pasted address in the window
    (``split_pasted_url``): what follows a platform's server, or a second path segment; and
    the window's rule for a server URL (``server_url_holds_key``): a key or a signing token
    in its query (``?key=``, ``token=``, ``txSecret=``), which was pushed with the other."""
    holding = _keys_in(target)
    if holding:
        raise UserError(
            f"--to {mask_pasted_address(target.strip())}: the address holds a stream key "
            f"already and {source} gives one too: give the server without its key "
            f"({printable_message(holding[0])}), or leave {source} out"
        )


def _keys_in(target: str) -> list[str]:
    """The server part of ``target`` for each way it is read as holding a stream key (none:
    it holds none), by the rule ``_no_key_in`` says."""
    pasted = (split_pasted_url(preset, target) for preset in PRESETS.values())
    holding = [server for server, key in pasted if key]
    if not holding and server_url_holds_key(PRESETS["custom"], target):
        holding = [target.strip().partition("?")[0]]
    return holding


def _names_a_stream(target: str) -> bool:
    """Whether a push address names the stream (its key) after its application, as FFmpeg
    reads it: ``rtmp://HOST/APP/KEY``, ``rtmp://HOST//KEY`` (application "", stream KEY), or
    a key in its query. ``rtmp://HOST/APP`` and ``rtmp://HOST/APP/`` name none."""
    if _keys_in(target):
        return True
    _application, _slash, stream = urlsplit(target.strip()).path[1:].partition("/")
    return bool(stream.strip("/"))


def _keyring_key(
    destination: Destination, keyring_lookup: Callable[[str], str | None] | None
) -> str | None:
    from anchordesk.core import secrets

    lookup = keyring_lookup or secrets.get_secret
    return lookup(secrets.stream_key_name(destination.destination_id))


def _checked(url: str, where: str) -> str:
    try:
        return check_destination(url)
    except UserError as error:
        # check_destination's message is about --to URLs; say which destination it was, and
        # keep its reason (a key with a space read only "do not make an address").
        message = str(error)
        reason = message.split(": ", 1)[1] if message.startswith("--to ") else message
        raise UserError(
            f"{where}: the server and key do not make an rtmp://HOST/APP/<KEY> or "
            f"rtmps://HOST/APP/<KEY> address: {reason}"
        ) from None
