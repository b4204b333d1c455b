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

# Secrets that are not tokens (an app's client id and secret for Shopify's client-credentials
# grant) keep their own name in the environment: ANCHORDESK_SHOPIFY_ORDERS_CLIENT_SECRET.
_NOT_TOKENS = ("-client-id", "-client-secret")


def token_env_name(kind: str) -> str:
    name = "ANCHORDESK_" + kind.upper().replace("-", "_")
    return name if kind.endswith(_NOT_TOKENS) else name + "_TOKEN"


def feed_token(kind: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The token for ``kind`` or None. The value is never logged."""
    value = secrets.get_secret(kind)
    if value:
        return value.strip()
    if "/" in kind:  # a keyring entry of its own (``feed/<id>/token``): no variable names it
        return None
    env = os.environ if environ is None else environ
    value = env.get(token_env_name(kind), "").strip()
    return value or None
