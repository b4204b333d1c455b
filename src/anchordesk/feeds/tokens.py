"""Where a feed's token comes from: the system keyring, else the environment. Never argv.

Contract (issue 4): keyring service ``anchordesk``, user name = the feed KIND
(``youtube-chat``, ``shopify-orders``, ``json``); when the keyring has none, the environment
variable ``ANCHORDESK_<KIND>_TOKEN`` (upper case, ``-`` becomes ``_``). A machine without a
working keyring backend simply falls through to the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from anchordesk.core import secrets


def token_env_name(kind: str) -> str:
    return "ANCHORDESK_" + kind.upper().replace("-", "_") + "_TOKEN"


def feed_token(kind: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The token for ``kind`` or None. The value is never logged."""
    value = secrets.get_secret(kind)
    if value:
        return value.strip()
    env = os.environ if environ is None else environ
    value = env.get(token_env_name(kind), "").strip()
    return value or None
