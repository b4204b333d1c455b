"""The remote control in the window: runs the control API on qasync's loop for the window's
current LiveShow, with a token kept in the keyring.

The server follows the controller's LiveShow (the window builds a new one when the settings
change the picture). Without a keyring the token lasts for this run only, and the settings page
says so.

Signals:
    changed(): the server started, stopped or could not start (``error``).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import secrets as random_tokens
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, Signal

from anchordesk.core import secrets
from anchordesk.core.errors import UserError
from anchordesk.live.settings import RemoteSettings

if TYPE_CHECKING:
    from anchordesk.control.server import ControlServer, ListenError
    from anchordesk.live.show import LiveShow

log = logging.getLogger(__name__)

TOKEN_NAME = "remote-control-token"  # its name in the keyring (service "anchordesk")


def lan_address() -> str:
    """This computer's address on the local network (the route a phone would use)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # a UDP "connect" sends nothing: it picks a route
            return str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def listen_error_text(error: ListenError) -> str:
    """Why the remote control is not listening, in the window's language: the settings page and
    the window said the server's English line (with Python's tuple of the address) in every
    language, and only the settings page said it."""
    if error.errno == errno.EADDRINUSE:
        text = QCoreApplication.translate(
            "RemoteControl",
            "The remote control is off: another program already uses port %1. Choose another "
            "port in Settings → Remote control.",
        )
    elif error.errno in (errno.EACCES, errno.EPERM):
        text = QCoreApplication.translate(
            "RemoteControl",
            "The remote control is off: this computer does not allow it to use port %1. Choose "
            "another port in Settings → Remote control.",
        )
    else:
        text = QCoreApplication.translate(
            "RemoteControl",
            "The remote control is off: it cannot listen on port %1 (%2).",
        ).replace("%2", os.strerror(error.errno) if error.errno else str(error))
    return text.replace("%1", str(error.port))


class RemoteControl(QObject):
    changed = Signal()

    def __init__(
        self,
        show: Callable[[], LiveShow | None],
        store: secrets.SecretStore | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._show = show
        self._store = store or secrets.store()
        self._token: str | None = None
        self.server: ControlServer | None = None
        self.settings = RemoteSettings()
        self.error: str | None = None
        self._lock = asyncio.Lock()
        self._task: asyncio.Future[None] | None = None

    # -- the token ---------------------------------------------------------------------------

    def token(self) -> str:
        """The keyring's token, made (random, 192 bits) and kept there the first time."""
        if self._token is None:
            token = self._store.get(TOKEN_NAME)
            if not token:
                token = random_tokens.token_urlsafe(24)
                self._store.set(TOKEN_NAME, token)
            self._token = token
        return self._token

    @property
    def token_persistent(self) -> bool:
        """False: no keyring, the token is for this run only."""
        return self._store.persistent

    def new_token(self) -> str:
        """Replace the token (a phone that should no longer drive the show): running servers
        restart with the new one."""
        self._token = random_tokens.token_urlsafe(24)
        self._store.set(TOKEN_NAME, self._token)
        if self.server is not None:
            self.apply(self.settings, restart=True)
        return self._token

    # -- the server --------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.server is not None and self.server.running

    def address(self, settings: RemoteSettings | None = None) -> str:
        """The web remote's address with its token, as the QR code carries it."""
        chosen = settings or self.settings
        host = lan_address() if chosen.allow_lan else "127.0.0.1"
        port = self.server.port if self.server is not None else chosen.port
        return f"http://{host}:{port}/?token={self.token()}"

    def apply(
        self, settings: RemoteSettings, *, restart: bool = False
    ) -> asyncio.Future[None] | None:
        """Start, move or stop the server as ``settings`` say (on the window's loop)."""
        self.settings = RemoteSettings(settings.enabled, settings.port, settings.allow_lan)
        if self.server is None and not settings.enabled:
            return None  # off, and nothing listens: nothing to do
        work = self._apply(restart)
        try:
            self._task = asyncio.ensure_future(work)
        except RuntimeError:  # no event loop (a settings dialog opened on its own)
            work.close()
            self.error = QCoreApplication.translate(
                "RemoteControl", "The remote control runs only in the control room window."
            )
            self.changed.emit()
            return None
        return self._task

    async def _apply(self, restart: bool) -> None:
        async with self._lock:
            wanted = self.settings
            host = "0.0.0.0" if wanted.allow_lan else "127.0.0.1"
            server = self.server
            if server is not None and (
                restart or not wanted.enabled or (server.host, server.port) != (host, wanted.port)
            ):
                self.server = None
                await server.stop()
            self.error = None
            if wanted.enabled and self.server is None:
                from anchordesk.control.server import ControlServer, ListenError

                server = ControlServer(self._show, self.token(), host, wanted.port)
                try:
                    await server.start()
                except ListenError as error:
                    self.error = listen_error_text(error)
                    log.warning("%s", error)
                except UserError as error:
                    self.error = str(error)
                    log.warning("%s", error)
                else:
                    self.server = server
        self.changed.emit()

    def close(self) -> None:
        """The window closing: stop listening (scheduled on the loop, bounded by its end)."""
        server, self.server = self.server, None
        if server is not None:
            with contextlib.suppress(RuntimeError):  # the loop is gone already
                self._task = asyncio.ensure_future(server.stop())
