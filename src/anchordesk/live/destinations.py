"""A saved destination as a push URL: the server from the settings, the key from the keyring.

The only place where a stream key meets a URL; the URL goes to the network output and nowhere
else (logs and messages show it masked).
"""

from __future__ import annotations

from anchordesk.core.secrets import get_secret, stream_key_name
from anchordesk.live.settings import Destination, destination_url


def stream_key_present(destination_id: str) -> bool:
    """Whether a key is stored for the destination (blocking: the keyring may ask D-Bus)."""
    return bool(get_secret(stream_key_name(destination_id)))


def push_url(destination: Destination) -> tuple[str, str]:
    """(URL with the key, the key) for a saved destination (blocking, as above)."""
    key = get_secret(stream_key_name(destination.destination_id)) or ""
    return destination_url(destination, key), key
