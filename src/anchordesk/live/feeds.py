"""The feeds-only runner.

The runner (``python -m anchordesk.live.feeds --session PATH --feed KIND=URL``) pulls feeds
into a session with no camera and no encoder: the crash tests and the benchmark use it, and it
is handy to record a platform's chat and orders on a machine that does not stream.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from anchordesk.core.errors import UserError
from anchordesk.feeds.hub import FeedHub, FeedSetupError, describe_feed
from anchordesk.live.options import FeedSpec, parse_feed
from anchordesk.show.model import Show
from anchordesk.showfile.files import load_show
from anchordesk.store import StoreError, StoreWriter, default_session_path

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)


# -- the feeds-only runner ---------------------------------------------------------------------


def open_session(session_path: Path | None) -> tuple[StoreWriter, Path]:
    """The session's writer; a new file in the user data folder when no path is given."""
    from anchordesk.core.paths import user_data_dir

    path = session_path or default_session_path(user_data_dir())
    try:
        return StoreWriter(path), path
    except StoreError as error:
        raise UserError(f"--session: {error}") from None
    except OSError as error:
        raise UserError(f"--session {path}: cannot open ({error.strerror or error})") from None


def comment_flagger(show: Show) -> Callable[[str], list[str]]:
    from anchordesk.show.compliance import terms_flagger

    return terms_flagger(show.banned_words)


async def ingest(
    feeds: Sequence[FeedSpec],
    writer: StoreWriter,
    stop: asyncio.Event,
    show: Show | None = None,
    seconds: float | None = None,
) -> FeedHub:
    """Pull ``feeds`` into the session until ``stop`` (or ``seconds``)."""
    options: dict[str, object] = {"show": show}
    if show is not None:
        options["flag_terms"] = comment_flagger(show)
    hub = FeedHub(feeds, writer, **options)  # type: ignore[arg-type]
    if show is not None:
        hub.record_show(show)
    if seconds is not None:
        asyncio.get_running_loop().call_later(seconds, stop.set)
    await hub.run(stop)
    return hub


def _ingest_main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m anchordesk.live.feeds")
    parser.add_argument("--session", type=Path)
    parser.add_argument("--feed", action="append", default=[])
    parser.add_argument("--show", type=Path)
    parser.add_argument("--seconds", type=float)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        feeds = [parse_feed(text) for text in args.feed]
        show = load_show(args.show) if args.show else None
        writer, path = open_session(args.session)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    print(f"Session: {path}", flush=True)
    for feed in feeds:
        print(f"Feed: {describe_feed(feed)}", flush=True)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await ingest(feeds, writer, stop, show, args.seconds)

    try:
        asyncio.run(main())
    except FeedSetupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        writer.close()
    return 0


if __name__ == "__main__":
    sys.exit(_ingest_main())
