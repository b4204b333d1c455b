"""Where a feed's token comes from: the system keyring, else the environment. Never argv.

Contract (issue 4): keyring service ``anchordesk``, user name = the feed KIND
(``youtube-chat``, ``shopify-orders``, ``json``); when the keyring has none, the environment
variable ``ANCHORDESK_<KIND>_TOKEN`` (upper case, ``-`` becomes ``_``). A machine without a
working keyring backend simply falls through to the environment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from anchordesk.core import secrets
from anchordesk.core.environment import environment

# Secrets that are not access tokens (an app's client id and secret for Shopify's
# client-credentials grant, Twitch's refresh token) keep their own name in the environment:
# ANCHORDESK_SHOPIFY_ORDERS_CLIENT_SECRET, ANCHORDESK_TWITCH_CHAT_REFRESH_TOKEN.
_NOT_TOKENS = ("-client-id", "-client-secret", "-refresh-token")


def token_env_name(kind: str) -> str:
    name = "ANCHORDESK_" + kind.upper().replace("-", "_")
    return name if kind.endswith(_NOT_TOKENS) else name + "_TOKEN"


# What a copy from a web page or a chat leaves around a token: white space (a no-break space
# too) and the invisible zero-width characters. An HTTP header cannot carry them: a token
# pasted with one made every request of the feed fail (UnicodeEncodeError).
_AROUND = re.compile(r"^[\s\u200b-\u200d\u2060\ufeff]+|[\s\u200b-\u200d\u2060\ufeff]+$")


def clean_token(value: str) -> str:
    return _AROUND.sub("", value)


def can_be_sent(token: str) -> bool:
    """Whether ``token`` can go in an HTTP header as it is: visible ASCII only (RFC 6750's
    token characters and more). A token a server hands out (a refresh, a client-credentials
    grant) is checked before it is used or kept: one holding a line break or a letter outside
    ASCII failed every request of the feed until it expired, the status telling the user to
    set again a token they never set."""
    return bool(token) and all("!" <= char <= "~" for char in token)


def feed_token(kind: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The token for ``kind`` or None. The value is never logged."""
    value = secrets.get_secret(kind)
    if value:
        return clean_token(value) or None
    if "/" in kind:  # a keyring entry of its own (``feed/<id>/token``): no variable names it
        return None
    env = environment() if environ is None else environ
    value = clean_token(env.get(token_env_name(kind), ""))
    return value or None


def keep_refreshed_tokens(
    kind: str, access_token: str, refresh_token: str, *, access_name: str | None = None
) -> None:
    """A feed refreshed its token: keep the new pair for the next run in the keyring when one
    works (the old refresh token may no longer be valid). Without a keyring (tokens from the
    environment) the feed keeps them in memory for this run only, and nothing is written."""
    if not secrets.keyring_available():
        return
    secrets.set_secret(access_name or kind, access_token)
    if refresh_token:
        secrets.set_secret(f"{kind}-refresh-token", refresh_token)
