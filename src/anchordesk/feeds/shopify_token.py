"""A shop's Admin API access token, for both Shopify adapters (GraphQL and legacy REST): a
static token, or the client-credentials grant with refresh before expiry — one implementation.

New Shopify apps get tokens that expire (24 h today): the app's client id and secret are
exchanged at ``POST https://SHOP/admin/oauth/access_token`` (``grant_type=client_credentials``);
the answer's ``expires_in`` decides when the token is fetched again — five minutes before it
expires (or at half its life if shorter), and at once when Shopify answers 401. The exchange
is a request like any other of the feed's (built here, sent by the poller with its timeouts
and backoff), so no secret is ever logged (the poller masks ``secrets()``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx

from anchordesk.feeds.parsing import as_text, number_as_float
from anchordesk.feeds.poller import FeedRequest, MalformedResponse
from anchordesk.feeds.shopify_graphql_orders import shop_words
from anchordesk.feeds.tokens import can_be_sent

log = logging.getLogger(__name__)

# Fetch an expiring token again this long before it expires (or at half its life if shorter).
TOKEN_REFRESH_MARGIN_S = 300.0
# Tokens replaced (refreshed, refused) still masked wherever a shop quotes them: the latest this
# many. Each is one more replace on every text masked; a shop whose tokens expire at once
# hands out one a call (R24 F6), 1,800 an hour.
PAST_TOKENS_MASKED = 100


class ShopifyAccessToken:
    """The token an adapter sends as ``X-Shopify-Access-Token``.

    ``client_id``/``client_secret`` switch to the client-credentials grant (they win over a
    static token). ``url`` is any address on the shop (the token endpoint is on its host).
    ``clock`` is monotonic seconds.
    """

    def __init__(
        self,
        url: str,
        token: str | None,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        parts = urlsplit(url)
        self.token_endpoint = urlunsplit(
            (parts.scheme, parts.netloc, "/admin/oauth/access_token", "", "")
        )
        self._client_id = (client_id or "").strip()
        self._client_secret = (client_secret or "").strip()
        self.uses_client_credentials = bool(self._client_id and self._client_secret)
        self.value = "" if self.uses_client_credentials else (token or "").strip()
        if not self.value and not self.uses_client_credentials:
            raise ValueError(
                "shopify-orders needs an access token (keyring user 'shopify-orders') or the "
                "app's client id and secret ('shopify-orders-client-id', "
                "'shopify-orders-client-secret')"
            )
        self._clock = clock
        self._expires_at: float | None = None
        self._unsent = False  # fetched, and no call sent with it yet
        self.fetched = 0  # tokens fetched with the client credentials
        self._past: dict[str, None] = {}  # tokens replaced, oldest first (PAST_TOKENS_MASKED)

    def secrets(self) -> tuple[str, ...]:
        """Every value to mask: the token, the client secret and the tokens replaced. Only the
        token in use was: a shop quoting the one it had refused (a 401, "token shpat_… was
        revoked") or the one before a refresh put it bare in the log, the feed's status, a
        rejected item's reason, the session file and the report."""
        return tuple(s for s in (self.value, self._client_secret, *self._past) if s)

    def _replaced(self) -> None:
        """The token in use is about to be replaced: kept among those masked."""
        if not self.value:
            return
        self._past.pop(self.value, None)
        self._past[self.value] = None
        while len(self._past) > PAST_TOKENS_MASKED:
            del self._past[next(iter(self._past))]

    def describe(self) -> str:
        """For the feed's status ("" for a static token)."""
        if not self.uses_client_credentials:
            return ""
        return f"client credentials ({self.fetched} tokens fetched)"

    def due(self) -> bool:
        """True when the next call must fetch a token first. A token fetched is sent once
        before another is fetched: one "expiring" at once (``expires_in`` 0 or below, or
        a life shorter than the refresh margin's half) was fetched again and again by the REST
        adapter, 52 in 3 s, and no order was ever read."""
        if not self.uses_client_credentials:
            return False
        if not self.value or self._expires_at is None:
            return True
        return not self._unsent and self._clock() >= self._expires_at

    def use(self) -> str:
        """The token, for a call about to be sent with it."""
        self._unsent = False
        return self.value

    def request(self) -> FeedRequest:
        body = urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": self._client_id,
                "client_secret": self._client_secret,
            }
        ).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        return FeedRequest(self.token_endpoint, {}, headers, method="POST", content=body)

    def refused_reason(self, response: httpx.Response) -> str | None:
        """The token endpoint's error answer: why the feed is over (None: retry later)."""
        status = response.status_code
        if status not in (400, 401, 403):
            return None
        code = ""
        try:
            body = json.loads(response.content)
            code = as_text(body.get("error")) if isinstance(body, dict) else ""
        except (ValueError, RecursionError):  # not JSON, or nested past the parser's depth
            pass
        # The shop's own words, masked, escaped and cut as every shop's words are: its error
        # of 300,000 characters was the feed's status (the window's, every phone's) and was
        # kept whole in the session's feed status.
        said = shop_words(code, self.secrets())
        detail = f"HTTP {status}" + (f": {said}" if said else "")
        return f"Shopify refused the app's client credentials ({detail})"

    def rejected(self) -> bool:
        """Shopify answered 401 to a call with the token: True when a new one will be fetched
        (client credentials: expired or revoked early), False for a static token."""
        if not self.uses_client_credentials:
            return False
        self._replaced()
        self.value = ""
        return True

    def accept(self, body: Mapping[str, Any]) -> None:
        """The token endpoint's answer."""
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise MalformedResponse("the token answer has no access_token")
        if not can_be_sent(token):
            # Not used (every call would fail until it expired, 24 h): asked for again.
            raise MalformedResponse(
                "the token answer's access_token holds a character HTTP cannot carry"
            )
        expires_in = body.get("expires_in")
        self._replaced()
        self.value = token
        self._unsent = True
        # A 401-digit integer is a token that does not expire (infinity), as 1e999 is:
        # float() raised OverflowError, so the token was fetched again and again and never
        # used (the feed "unexpected error (OverflowError)", no order counted).
        life_s = number_as_float(expires_in)
        if expires_in is None:
            self._expires_at = float("inf")  # a token that does not expire
        elif life_s is not None and life_s > 0:
            margin = min(TOKEN_REFRESH_MARGIN_S, life_s / 2)
            self._expires_at = self._clock() + life_s - margin
        else:
            # One rule for a life that is no positive number (0, -1, -1e999, NaN, "0"):
            # fetched again before the next call. -1e999 made the expiry time NaN, and NaN
            # or a string read as "never expires": only a 401 replaced the token.
            self._expires_at = self._clock()
        self.fetched += 1
