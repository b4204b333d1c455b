"""The remote-control API and the web remote, over ``live/``.

Served by AnchorDesk itself on the main thread's asyncio loop (qasync's in the window, asyncio's
in ``anchordesk live``): ``/api/v1/state``, ``/api/v1/commands``, ``/api/v1/events`` (WebSocket),
``/api/v1/program.jpg`` and the web remote at ``/``. Every figure comes from
``LiveShow.snapshot()``; every command is one of ``LiveShow``'s. See docs/control-api.md.
"""

from __future__ import annotations

TOKEN_ENVIRONMENT = "ANCHORDESK_CONTROL_TOKEN"
DEFAULT_PORT = 8750

__all__ = ["DEFAULT_PORT", "TOKEN_ENVIRONMENT"]
