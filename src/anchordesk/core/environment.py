"""Secrets given in the environment (``ANCHORDESK_STREAM_KEY``, ``ANCHORDESK_<KIND>_TOKEN``,
``ANCHORDESK_CONTROL_TOKEN``, a client secret) are this program's, not its children's.

Every program a process starts inherits its environment: the browser or file manager the
window opens (QDesktopServices), the cache tools ``desktop install`` runs, and whatever those
start in turn, each of which then holds the stream key and the tokens for its whole life. So
the command's entry point (:func:`anchordesk.cli.main.main`, run as ``anchordesk``) moves the
secret variables out of the process environment into memory before anything else runs, and
the code that reads them reads :func:`environment`: the process environment, then what was
withheld. A test that sets a variable and calls ``main(argv)`` still finds it there (nothing
is withheld then). The network child gets its own allow-list on top
(:func:`anchordesk.media.network_output.child_environment`).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections import ChainMap
from collections.abc import Mapping, MutableMapping

# ANCHORDESK_STREAM_KEY, ANCHORDESK_JSON_TOKEN, ANCHORDESK_TWITCH_CHAT_REFRESH_TOKEN,
# ANCHORDESK_SHOPIFY_ORDERS_CLIENT_SECRET, ANCHORDESK_CONTROL_TOKEN; not ANCHORDESK_CONTROL_URL.
_SECRET_NAME = re.compile(r"ANCHORDESK_\w*_(?:TOKEN|KEY|SECRET|CLIENT_ID|PASSWORD)")

_withheld: dict[str, str] = {}


def is_secret_variable(name: str) -> bool:
    return _SECRET_NAME.fullmatch(name.upper()) is not None


def withhold_secret_variables(environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Move the secret variables out of ``environ`` (the process environment: ``os.environ``
    unsets them for the C library too, so no program started later inherits them) into this
    module's memory. Returns their names."""
    env = os.environ if environ is None else environ
    names = [name for name in env if is_secret_variable(name)]
    for name in names:
        _withheld[name] = env.pop(name)
    if environ is None and names:
        _blank_started_environment(set(names))
    return names


def _started_block(field: int, name: str) -> tuple[int, bytes]:
    """Where a block the process started with is in its memory, and its bytes: ``field`` is
    its start's place among /proc/self/stat's fields after the command name (which may hold
    spaces and parentheses), ``name`` the /proc/self file that shows it."""
    with open("/proc/self/stat", "rb") as stat:
        fields = stat.read().rsplit(b")", 1)[1].split()
    with open(f"/proc/self/{name}", "rb") as block:
        return int(fields[field]), block.read()


def _overwrite(start: int, changes: list[tuple[int, bytes]]) -> None:
    """Write each ``(offset, bytes)`` into the process's own memory at ``start + offset``."""
    with open("/proc/self/mem", "r+b", buffering=0) as memory:
        for offset, data in changes:
            memory.seek(start + offset)
            memory.write(data)


def _blank_started_environment(names: set[str]) -> None:
    """Overwrite ``NAME=value`` of ``names`` in the environment block the process started
    with (what ``/proc/self/environ`` shows), with NUL bytes. Nothing points at those bytes
    any more: ``os.environ.pop`` unset them for the C library, which drops its pointers.
    Linux only; where the block cannot be found or written, it stays as it was."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        # env_start is field 50 of the man page: the 48th after the command name's ")".
        start, block = _started_block(47, "environ")
        changes, offset = [], 0
        for entry in block.split(b"\0"):
            if entry.partition(b"=")[0].decode("utf-8", "replace") in names:
                changes.append((offset, b"\0" * len(entry)))
            offset += len(entry) + 1
        _overwrite(start, changes)


def blank_secrets_in_arguments(secrets: list[str]) -> None:
    """Overwrite each of ``secrets`` in the command line the process started with (what
    ``/proc/self/cmdline``, ``ps`` and a crash reporter show) with ``*``, byte for byte: a
    stream key given with ``--to`` (or a token in a ``--feed`` URL) was readable there by
    every user of the machine for the whole show. Python parsed its arguments from a copy;
    nothing reads these bytes again. Linux only; elsewhere they stay as they were."""
    # The bytes as given: an argument that is not UTF-8 came to Python with its bytes
    # escaped (surrogateescape), which str.encode() refuses.
    wanted = sorted({os.fsencode(secret) for secret in secrets if len(secret) >= 4}, key=len)
    if not wanted:
        return
    with contextlib.suppress(OSError, ValueError, IndexError):
        # arg_start is field 48 of the man page: the 46th after the command name's ")".
        start, block = _started_block(45, "cmdline")
        blanked = block
        for secret in reversed(wanted):  # longest first: a key inside a longer secret
            blanked = blanked.replace(secret, b"*" * len(secret))
        if blanked != block:
            _overwrite(start, [(0, blanked)])


def environment() -> Mapping[str, str]:
    """The environment as this program reads it: the process environment, then the secret
    variables withheld from it."""
    return ChainMap(os.environ, _withheld)
