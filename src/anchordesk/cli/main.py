"""The ``anchordesk`` command: gui (default), live (headless), devices, show, report, audience.

Every command returns an exit code: 0 on a clean stop, 2 with one line for a user's mistake,
1 with one line for a fatal error. No traceback reaches the user for a mistake of theirs.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from anchordesk import __version__
from anchordesk.core.errors import FatalError, UserError
from anchordesk.live.options import (
    LiveOptions,
    check_destination,
    parse_canvas,
    parse_feed,
)


class _Parser(argparse.ArgumentParser):
    """argparse prints a usage block then the error; users get one line instead."""

    def error(self, message: str) -> NoReturn:
        raise UserError(f"{self.prog}: {message}")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be above zero")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be above zero")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="anchordesk", description="The control room of a live-commerce show.")
    parser.add_argument("--version", action="version", version=f"anchordesk {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    gui = commands.add_parser("gui", help="open the control room window (the default)")
    gui.add_argument("--show", type=Path, help="show file to open (default: the sample show)")

    live = commands.add_parser("live", help="stream and record without a window")
    live.add_argument(
        "--to",
        action="append",
        default=[],
        metavar="URL",
        help="rtmp:// or rtmps:// destination with its key; repeat for several",
    )
    live.add_argument(
        "--record",
        type=Path,
        metavar="PATH",
        help="local recording (Matroska by default; default: a new file in the "
        "user's videos folder)",
    )
    live.add_argument("--no-record", action="store_true", help="do not record a local copy")
    live.add_argument(
        "--camera", metavar="SPEC", help="'test', a device index, or a video file / stream URL"
    )
    live.add_argument("--mic", metavar="SPEC", help="'test', 'none', or a device id or name")
    live.add_argument(
        "--canvas",
        default="1280x720",
        metavar="WxH",
        help="output size: 1280x720, 1920x1080, 720x1280, 1080x1920",
    )
    live.add_argument("--fps", type=_positive_int, default=30)
    live.add_argument("--video-kbps", type=_positive_int, default=2500)
    live.add_argument("--audio-kbps", type=_positive_int, default=128)
    live.add_argument("--audio-rate", type=int, choices=(44100, 48000), default=48000)
    live.add_argument("--encoder", default="libx264", metavar="NAME|auto")
    live.add_argument(
        "--seconds",
        type=_positive_float,
        metavar="N",
        help="stop cleanly after N seconds of output",
    )
    live.add_argument(
        "--stats",
        type=Path,
        metavar="PATH",
        help="write one JSON object of figures per second (JSON Lines)",
    )
    live.add_argument("--banner", metavar="TEXT", help="a text banner burnt into the picture")
    live.add_argument("--show", type=Path, metavar="FILE", help="show file to put on screen")
    live.add_argument(
        "--autoplay", action="store_true", help="follow the show's rundown by its seconds"
    )
    live.add_argument(
        "--feed",
        action="append",
        default=[],
        metavar="KIND=URL",
        help="comment/order feed: youtube-chat, shopify-orders, json, rehearsal",
    )
    live.add_argument(
        "--session",
        type=Path,
        metavar="PATH",
        help="session store (default: a new file in the user data folder)",
    )

    commands.add_parser("devices", help="list cameras and microphones with their ids")

    show = commands.add_parser("show", help="check or import show files")
    show_commands = show.add_subparsers(dest="show_command", parser_class=_Parser)
    check = show_commands.add_parser("check", help="validate a show file and summarise it")
    check.add_argument("file", type=Path)
    importer = show_commands.add_parser("import-csv", help="make or update a show from a CSV")
    importer.add_argument("csv", type=Path)
    importer.add_argument(
        "--into", type=Path, metavar="SHOW", help="existing show file whose products are replaced"
    )
    importer.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")

    report = commands.add_parser("report", help="post-show report of a session")
    report.add_argument("session", type=Path)
    report.add_argument("--json", action="store_true", help="print one JSON object")
    report.add_argument("--html", type=Path, metavar="PATH", help="write a page with charts")
    report.add_argument(
        "--lang",
        metavar="LANG",
        help="language of the text and the page: en, zh_CN or ja (default: your locale's "
        "language - LANGUAGE, LC_ALL, LC_MESSAGES or LANG - and with none set, the show's)",
    )

    audience = commands.add_parser("audience", help="run the rehearsal audience server alone")
    audience.add_argument("--show", type=Path, required=True, metavar="FILE")
    audience.add_argument("--port", type=int, default=0, metavar="N")
    audience.add_argument("--seed", type=int, default=1, metavar="N")
    audience.add_argument(
        "--rate", type=_positive_float, default=2.0, metavar="N", help="mean comments per second"
    )
    return parser


def live_options_from_args(args: argparse.Namespace) -> LiveOptions:
    width, height = parse_canvas(args.canvas)
    if args.record and args.no_record:
        raise UserError("anchordesk live: --record and --no-record exclude each other")
    if args.autoplay and not args.show:
        raise UserError("anchordesk live: --autoplay needs --show FILE")
    return LiveOptions(
        destinations=[check_destination(url) for url in args.to],
        record_path=args.record,
        record=not args.no_record,
        camera=args.camera,
        microphone=args.mic,
        canvas_width=width,
        canvas_height=height,
        fps=args.fps,
        video_kbps=args.video_kbps,
        audio_kbps=args.audio_kbps,
        audio_rate_hz=args.audio_rate,
        encoder=args.encoder,
        seconds=args.seconds,
        stats_path=args.stats,
        banner_text=args.banner,
        show_path=args.show,
        autoplay=args.autoplay,
        feeds=[parse_feed(text) for text in args.feed],
        session_path=args.session,
    )


def _dispatch(args: argparse.Namespace) -> int:
    # Imports are local so that `anchordesk --help` and `show check` stay fast and do not load
    # Qt or FFmpeg.
    command = args.command or "gui"
    if command == "gui":
        from anchordesk.cli.commands import run_gui

        return run_gui(getattr(args, "show", None))
    if command == "live":
        options = live_options_from_args(args)  # bad arguments fail before any heavy import
        from anchordesk.cli.commands import run_live

        return run_live(options)
    if command == "devices":
        from anchordesk.cli.commands import run_devices

        return run_devices()
    if command == "show":
        from anchordesk.cli import show as show_commands

        if args.show_command == "check":
            return show_commands.run_check(args.file)
        if args.show_command == "import-csv":
            return show_commands.run_import_csv(args.csv, args.into, args.output)
        raise UserError("anchordesk show: choose 'check' or 'import-csv'")
    if command == "report":
        from anchordesk.cli.commands import run_report

        return run_report(args.session, as_json=args.json, html_path=args.html, language=args.lang)
    if command == "audience":
        from anchordesk.cli.commands import run_audience

        return run_audience(args.show, port=args.port, seed=args.seed, rate=args.rate)
    raise UserError(f"anchordesk: unknown command {command!r}")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["--network-child"]:
        # A frozen app's network child (anchordesk.media.network_child.child_command): no -m
        # there, so the app's own executable runs it. Not a user command: no argparse, no logs.
        from anchordesk.media.network_child import run

        return run()
    try:
        args = build_parser().parse_args(argv)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    try:
        return _dispatch(args)
    except (UserError, FatalError) as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
