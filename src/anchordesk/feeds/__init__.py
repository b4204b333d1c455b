"""Comment and order feeds pulled over HTTP (httpx on asyncio), and the rehearsal audience.

No widgets here: the feeds yield typed ``Comment``/``Order`` values into the session store and
then to whoever the app wires (the show's stock, the window). See hub.py for the guarantees.
"""

from anchordesk.feeds.audience import AudienceServer, AudienceSimulator
from anchordesk.feeds.hub import FeedHub, FeedSetupError, run_feeds
from anchordesk.feeds.poller import BackoffPolicy, FeedHealth, Page, Poller
from anchordesk.show.feed_items import Comment, Order, OrderLine, OrderUpdate

__all__ = [
    "AudienceServer",
    "AudienceSimulator",
    "BackoffPolicy",
    "Comment",
    "FeedHealth",
    "FeedHub",
    "FeedSetupError",
    "Order",
    "OrderLine",
    "OrderUpdate",
    "Page",
    "Poller",
    "run_feeds",
]
