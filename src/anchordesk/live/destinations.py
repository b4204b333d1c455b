"""A saved destination as a push URL: the server from the settings, the key from the keyring.

The only place where a stream key meets a URL; the URL goes to the network output and nowhere
else (logs and messages show it masked).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from anchordesk.core.secrets import get_secret, stream_key_name
from anchordesk.live.settings import Destination, destination_url


def password_name(destination_id: str) -> str:
    """The keyring name of a destination's login password (``rtmp://USER:PASSWORD@…``, which
    servers asking for Adobe or Limelight authentication need): kept there, never in the
    settings file, whose server URL keeps ``USER@`` only."""
    return f"destination/{destination_id}/password"


def split_password(url: str) -> tuple[str, str | None]:
    """(``url`` without the password of its user info, the password or None when it has none)."""
    scheme, sep, rest = url.strip().partition("://")
    if not sep:
        return url, None
    authority, slash, path = rest.partition("/")
    userinfo, at, host = authority.rpartition("@")
    user, colon, password = userinfo.partition(":")
    if not at or not colon:
        return url, None
    return f"{scheme}://{user}@{host}{slash}{path}", password


def with_password(url: str, password: str) -> str:
    """``url`` with ``password`` put back after the user name of its user info (a URL without
    a user name is left as it is: the password belongs to a user)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.username or parts.password is not None:
        return url
    scheme, _sep, rest = url.partition("://")
    userinfo, _at, after = rest.partition("@")
    return f"{scheme}://{userinfo}:{password}@{after}"


def stream_key_present(destination_id: str) -> bool:
    """Whether a key is stored for the destination (blocking: the keyring may ask D-Bus)."""
    return bool(get_secret(stream_key_name(destination_id)))


def push_url(destination: Destination) -> tuple[str, str]:
    """(URL with the key, the key) for a saved destination (blocking, as above)."""
    key = get_secret(stream_key_name(destination.destination_id)) or ""
    url = destination_url(destination, key)
    password = get_secret(password_name(destination.destination_id))
    return (with_password(url, password) if password else url), key
