"""The ``anchordesk`` command: gui (default), live (headless), devices, show, report, audience.

Every command returns an exit code: 0 on a clean stop, 2 with one line for a user's mistake,
1 with one line for a fatal error; ``live`` also 3 when the show went on but a file stopped
being written (:data:`anchordesk.core.disk.FAULT_EXIT_CODE`). No traceback reaches the user for
a mistake of theirs.

``anchordesk SHOW.json`` (what a file manager runs through the desktop entry's ``Exec``) is
``anchordesk gui SHOW.json``. Every run logs to the rotating file of :mod:`anchordesk.core.logs`.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import os
import re
import stat
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from anchordesk.core import logs
from anchordesk.core.environment import withhold_secret_variables
from anchordesk.core.errors import FatalError, UserError
from anchordesk.core.printable import printable_message
from anchordesk.core.typed_numbers import decimal_number, digits_of_another_kind, whole_number

if TYPE_CHECKING:  # loaded when `live` runs: the stop handlers go in before any heavy import
    from _typeshed import SupportsWrite

    from anchordesk.live.options import LiveOptions


class _Parser(argparse.ArgumentParser):
    """argparse prints a usage block then the error; users get one line instead."""

    def error(self, message: str) -> NoReturn:
        raise UserError(f"{self.prog}: {message}")

    def _print_message(self, message: str, file: SupportsWrite[str] | None = None) -> None:
        """argparse drops a failed write of ``--help`` (its ``except OSError: pass``): with
        unbuffered output (PYTHONUNBUFFERED) ``--help > /dev/full`` exited 0 having written
        nothing. The error goes up, to be said as for every other output (main)."""
        if message:
            if file is sys.stdout or file is None:
                _refuse_closed_output(self.prog, "the help")
            (file or sys.stderr).write(message)


def _not_a_number(text: str, what: str) -> argparse.ArgumentTypeError:
    """The one line refusing a number that is not written with the digits 0-9."""
    if digits_of_another_kind(text):
        return argparse.ArgumentTypeError(f"{text!r} is not {what} written with the digits 0-9")
    return argparse.ArgumentTypeError(f"{text!r} is not {what}")


def _whole(text: str) -> int:
    """Any whole number typed here, by the one rule (core/typed_numbers): int() took
    ``--port １２`` as 12 and ``--seed 1_000`` as 1000."""
    value = whole_number(text)
    if value is None:
        raise _not_a_number(text, "a whole number")
    return value


def _positive_int(text: str) -> int:
    value = _whole(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be above zero")
    return value


def _whole_number_from(low: int, high: int, why: str) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high``. Beyond them FFmpeg gave a
    traceback-like line and exit 1 (``--video-kbps 99999999999``) or silently made something
    else (``--fps 100000`` recorded 6.5 frames a second)."""

    def parse(text: str) -> int:
        value = _positive_int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text!r} must be from {low:,} to {high:,} ({why})")
        return value

    return parse


def _positive_float(text: str) -> float:
    # By the one rule (core/typed_numbers): float() read "nan" (said "must be above zero"),
    # "1_000" (1000 s) and full-width digits.
    value = decimal_number(text)
    if value is None:
        raise _not_a_number(text, "a number")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be above zero")
    return value


def _file_to_read(text: str) -> Path:
    """The path of a file a command reads: ``""`` is not ``.`` (it was said ". is a folder")."""
    if not text.strip():
        raise argparse.ArgumentTypeError("a file's path is needed, not an empty text")
    return Path(text)


def _file_to_write(text: str) -> Path:
    """The path of a file a command writes. ``Path`` drops a trailing slash: ``--record dir/``
    (a folder meant, perhaps not made yet) wrote a file named ``dir``."""
    path = _file_to_read(text)
    if text == "-":
        # "-" reads as standard output in Unix tools: here it made a file named "-" (and
        # "--2" beside it). Standard output is named as a file: /dev/stdout.
        raise argparse.ArgumentTypeError(
            "'-' would be a file named '-': give a file's path (or /dev/stdout for standard output)"
        )
    if text.endswith(("/", os.sep)) or (os.altsep is not None and text.endswith(os.altsep)):
        raise argparse.ArgumentTypeError(
            f"{text!r} ends with {text[-1]!r}, so it names a folder: give a file's path in it"
        )
    return path


#: The longest run --seconds asks for: a year. Beyond it a number is a typo, and a finite one
#: as large as 1e308 overflowed all the same (seconds times the frame rate: an OverflowError
#: traceback once the recording was made).
MAX_RUN_SECONDS = 365 * 24 * 3600


def _seconds(text: str) -> float:
    """A run's length: finite ("1e400" became frames by round(), an OverflowError)."""
    value = _positive_float(text)
    if math.isinf(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    if value > MAX_RUN_SECONDS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is more than a year ({MAX_RUN_SECONDS:,} s); leave --seconds out to run "
            "until stopped"
        )
    return value


def _port(text: str) -> int:
    """A TCP port, 0 for any free one: bind() raised OverflowError (a traceback) beyond 65535."""
    value = _whole(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} must be from 0 to 65535 (0: any free port)")
    return value


def _rate(text: str) -> float:
    """Comments a second: finite and at most 1,000 (``inf`` made a room that never spoke)."""
    value = _positive_float(text)
    if not value <= 1000:
        raise argparse.ArgumentTypeError(f"{text!r} must be at most 1,000")
    return value


class _VersionAction(argparse.Action):
    """``--version``: the versions a bug report needs (Qt, PyAV/FFmpeg, OpenCV, Python), which
    cost an import each, so only when asked."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        from anchordesk.core.about import version_report

        _refuse_closed_output(parser.prog, "the versions")
        print(version_report())
        parser.exit()


LIVE_EPILOG = """\
stopping:
  Ctrl+C (SIGINT), SIGTERM, SIGHUP or --seconds end the run within 2 s, with every file
  finished (the recording playable to its end, the session file closed).

recordings:
  A recording never overwrites a file: when the --record file (or the default name) exists,
  the recording goes to NAME-2.mkv (then -3...) and the run says so. A folder that cannot be
  written is refused before anything starts. The recording stops, closed and playable, while
  its disk still has 500 MB free (a twentieth of a smaller disk), so the disk never fills;
  the show and the push go on (exit code 3).

exit codes:
  0  the run ended and every file is whole
  1  the run could not go on (the picture failed)
  2  a mistake in the command (one line says what and where); nothing was started
  3  the show went on, but something was lost: a file stopped being written (a full, nearly
     full or read-only disk: the recording, --stats, the session store or the log), or a
     destination never went live; the last lines say which and why
"""

COMMANDS = ("gui", "live", "devices", "show", "report", "audience", "desktop", "control")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="anchordesk",
        description="The control room of a live-commerce show. "
        "`anchordesk SHOW.json` opens a show in the window.",
    )
    parser.add_argument(
        "--version",
        action=_VersionAction,
        nargs=0,
        help="print the versions of AnchorDesk, Qt, PyAV/FFmpeg, OpenCV and Python, then exit",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log debug messages (to the log file too)"
    )
    # Each command accepts -v as well (`anchordesk live -v`); SUPPRESS keeps a command's default
    # from overwriting a -v given before the command.
    verbose = _Parser(add_help=False)
    verbose.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
    )
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    gui = commands.add_parser(
        "gui", parents=[verbose], help="open the control room window (the default)"
    )
    gui.add_argument(
        "file",
        nargs="?",
        type=_file_to_read,
        metavar="SHOW",
        help="show file to open (default: the sample)",
    )
    gui.add_argument("--show", type=_file_to_read, help="the same as SHOW")

    live = commands.add_parser(
        "live",
        parents=[verbose],
        help="stream and record without a window",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=LIVE_EPILOG,
    )
    live.add_argument(
        "--to",
        action="append",
        default=[],
        metavar="NAME|URL",
        help="a destination saved in the settings (its name, or the platform such as 'youtube': "
        "server and key from the settings and the keyring), or rtmp(s)://HOST/APP/KEY; repeat "
        "for several. A key written here is visible to other users of this machine (ps) while "
        "the program starts (it then masks it there) and stays in the shell history: prefer a "
        "saved destination, --to-key-stdin or ANCHORDESK_STREAM_KEY",
    )
    live.add_argument(
        "--to-key-stdin",
        action="store_true",
        help="read the stream key of the one --to (a saved name, or a server URL without the "
        "key) from standard input",
    )
    live.add_argument(
        "--record",
        type=_file_to_write,
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
    live.add_argument("--fps", type=_whole_number_from(1, 120, "frames a second"), default=30)
    live.add_argument(
        "--video-kbps",
        type=_whole_number_from(100, 100_000, "kbit/s; platforms take up to about 50,000"),
        default=2500,
    )
    live.add_argument(
        "--audio-kbps", type=_whole_number_from(32, 512, "kbit/s of AAC"), default=128
    )
    live.add_argument("--audio-rate", type=_whole, choices=(44100, 48000), default=48000)
    live.add_argument("--encoder", default="libx264", metavar="NAME|auto")
    live.add_argument(
        "--seconds",
        type=_seconds,
        metavar="N",
        help="stop cleanly after N seconds of output",
    )
    live.add_argument(
        "--stats",
        type=_file_to_write,
        metavar="PATH",
        help="write one JSON object of figures per second (JSON Lines)",
    )
    live.add_argument("--banner", metavar="TEXT", help="a text banner burnt into the picture")
    live.add_argument(
        "--show", type=_file_to_read, metavar="FILE", help="show file to put on screen"
    )
    live.add_argument(
        "--autoplay", action="store_true", help="follow the show's rundown by its seconds"
    )
    live.add_argument(
        "--feed",
        action="append",
        default=[],
        metavar="KIND=URL",
        help="feed: youtube-chat, shopify-orders, twitch-chat, json, rehearsal",
    )
    live.add_argument(
        "--session",
        type=_file_to_write,
        metavar="PATH",
        help="session store (default: a new file in the user data folder)",
    )

    live.add_argument(
        "--control",
        metavar="HOST:PORT",
        help="serve the remote-control API and the web remote there (token from "
        "ANCHORDESK_CONTROL_TOKEN; 127.0.0.1 keeps it on this machine)",
    )
    live.add_argument(
        "--studio",
        action="store_true",
        help="start in studio mode: segment changes and stage_product stage a card, the "
        "remote's take puts it on air (needs --show and --control)",
    )

    commands.add_parser(
        "devices", parents=[verbose], help="list cameras and microphones with their ids"
    )
    control = commands.add_parser(
        "control",
        parents=[verbose],
        help="send one command to a running show's remote-control API; print its state as JSON",
    )
    control.add_argument(
        "--url",
        metavar="URL",
        help="the API (default: ANCHORDESK_CONTROL_URL or http://127.0.0.1:8750)",
    )
    control.add_argument("name", metavar="COMMAND", help="e.g. next_segment, start_deal, state")
    control.add_argument("arguments", nargs="*", metavar="NAME=VALUE")

    show = commands.add_parser("show", parents=[verbose], help="check or import show files")
    show_commands = show.add_subparsers(dest="show_command", parser_class=_Parser)
    check = show_commands.add_parser("check", help="validate a show file and summarise it")
    check.add_argument("file", type=_file_to_read)
    importer = show_commands.add_parser("import-csv", help="make or update a show from a CSV")
    importer.add_argument("csv", type=_file_to_read)
    importer.add_argument(
        "--into",
        type=_file_to_read,
        metavar="SHOW",
        help="existing show file whose products are replaced",
    )
    importer.add_argument("-o", "--output", type=_file_to_write, required=True, metavar="FILE")

    report = commands.add_parser("report", parents=[verbose], help="post-show report of a session")
    report.add_argument("session", type=_file_to_read)
    report.add_argument("--json", action="store_true", help="print one JSON object")
    report.add_argument(
        "--html", type=_file_to_write, metavar="PATH", help="write a page with charts"
    )
    report.add_argument(
        "--lang",
        metavar="LANG",
        help="language of the text and the page: en, zh_CN or ja, or a locale name such as "
        "ja_JP.UTF-8 (default: your locale's "
        "language - LANGUAGE, LC_ALL, LC_MESSAGES or LANG - and with none set, the show's)",
    )

    audience = commands.add_parser(
        "audience", parents=[verbose], help="run the rehearsal audience server alone"
    )
    audience.add_argument("--show", type=_file_to_read, required=True, metavar="FILE")
    audience.add_argument("--port", type=_port, default=0, metavar="N")
    audience.add_argument("--seed", type=_whole, default=1, metavar="N")
    audience.add_argument(
        "--rate", type=_rate, default=2.0, metavar="N", help="mean comments per second"
    )
    desktop = commands.add_parser(
        "desktop",
        parents=[verbose],
        help="add AnchorDesk to the desktop menu and 'Open with' for *.show.json (Linux)",
    )
    desktop.add_argument("action", choices=("install", "uninstall"))
    return parser


def _file_with_data(descriptor: int, *, unless_appended: bool = False) -> bool:
    """Whether ``descriptor`` is a regular file that is not empty (a shell's ``>`` empties it);
    with ``unless_appended``, one opened to be written over (``<>``), not appended to (``>>``)."""
    try:
        status = os.fstat(descriptor)
        if unless_appended:
            import fcntl

            if fcntl.fcntl(descriptor, fcntl.F_GETFL) & os.O_APPEND:
                return False
    except (OSError, ImportError):
        return False
    return stat.S_ISREG(status.st_mode) and status.st_size > 0


def _descriptor_holding_data(descriptor: int | None) -> str | None:
    """``standard output`` or ``descriptor N`` when ``descriptor`` (a path's, see
    ``core.disk.own_descriptor``) is a regular file holding data already (``>>``, ``<>``)."""
    if descriptor is None or not _file_with_data(descriptor):
        return None
    return "standard output" if descriptor == 1 else f"descriptor {descriptor}"


def live_options_from_args(args: argparse.Namespace) -> LiveOptions:
    from anchordesk.live.options import LiveOptions, parse_canvas, parse_feed

    width, height = parse_canvas(args.canvas)
    if args.record and args.no_record:
        raise UserError("anchordesk live: --record and --no-record exclude each other")
    if args.record is not None:
        from anchordesk.core.disk import own_descriptor

        descriptor = own_descriptor(args.record)
        if descriptor == 2:
            # The log's lines go there too: they would land in the middle of the recording.
            raise UserError(
                f"anchordesk live: --record {args.record}: the run's messages go to standard "
                "error; record to /dev/stdout or a file"
            )
        if where := _descriptor_holding_data(descriptor):
            # ``>> old.mkv`` put the recording after an old one (players showed the old one
            # only), ``1<> old.mkv`` over its start (a mix of both), "Recording kept", exit 0.
            raise UserError(
                f"anchordesk live: --record {args.record}: {where} is a file that holds data "
                "already (>> or <>): a recording never goes over or after another file's "
                "data; send it to a new file (> FILE)"
            )
    if args.session is not None:
        from anchordesk.core.disk import own_descriptor

        descriptor = own_descriptor(args.session)
        if descriptor is None and (stream := _written_by_a_standard_stream(args.session)):
            # ``--session s.adsession > s.adsession``: SQLite wrote its pages there and the
            # run's lines ("Session: …", "Recording kept …") went over them: "not a usable
            # session file (unsupported file format)" after "Session kept", exit 0.
            raise UserError(
                f"anchordesk live: --session {args.session}: {stream} goes into this same "
                "file: the run's lines would land in the session; send them elsewhere"
            )
        if where := _descriptor_holding_data(descriptor):
            # ``--session /dev/stdout >> old.adsession``: SQLite opens the file behind the
            # descriptor by its name, and the run went on in the old session (its orders,
            # its figures) as if it had been named: a ``>>`` meant "after it", never "in it".
            raise UserError(
                f"anchordesk live: --session {args.session}: {where} is a file that holds "
                "data already (>> or <>): a session is continued only by naming its file "
                "(--session FILE); send a new one to a new file (> FILE)"
            )
    if args.stats is not None:
        from anchordesk.core.disk import own_descriptor

        descriptor = own_descriptor(args.stats)
        if descriptor is not None and _file_with_data(descriptor, unless_appended=True):
            # ``1<> old.jsonl``: the samples went over the old ones, and the file was cut
            # after them (the old figures gone), exit 0. ``>>`` appends them: kept.
            where = "standard output" if descriptor == 1 else f"descriptor {descriptor}"
            raise UserError(
                f"anchordesk live: --stats {args.stats}: {where} is a file that holds data "
                "already, opened to be written over (<>): the figures never overwrite a file; "
                "append them (>>) or send them to a new file (> FILE)"
            )
    for option, path in (
        ("--record", None if args.no_record else args.record),
        ("--stats", args.stats),
        ("--session", args.session),
    ):
        if path is not None and (closed := _closed_descriptor(path)) is not None:
            # It was put on the null device: the recording went nowhere, "finished: 0 bytes",
            # exit 0.
            how = {0: "<&-", 1: ">&-"}.get(closed, f"{closed}>&-")
            raise UserError(
                f"anchordesk live: {option} {path}: this program was started with it closed "
                f"({how}): nothing written there would be kept; give a file"
            )
        if path is not None and _shares_standard_error(path):
            raise UserError(
                f"anchordesk live: {option} {path}: standard error is the same file (2>&1), "
                "and the run's messages would land in it; send standard error elsewhere"
            )
        if path is not None and option != "--stats" and _names_a_terminal(path):
            # Matroska or SQLite on a screen: bytes that move the cursor and retitle the
            # window, and "Recording kept in /dev/stdout" of a recording kept nowhere.
            raise UserError(
                f"anchordesk live: {option} {path}: a terminal; redirect it to a file (> FILE)"
                + (" or a player (| ffplay -)" if option == "--record" else "")
            )
    if args.autoplay and not args.show:
        raise UserError("anchordesk live: --autoplay needs --show FILE")
    if args.studio and not (args.show and args.control):
        # Without a show nothing can be staged; without the API nothing could ever Take.
        raise UserError("anchordesk live: --studio needs --show FILE and --control HOST:PORT")
    if args.to_key_stdin and not args.to:
        raise UserError("anchordesk live: --to-key-stdin needs one --to NAME or --to SERVER_URL")
    from anchordesk.cli.destinations import resolve_destinations

    return LiveOptions(
        destinations=resolve_destinations(args.to, key_from_stdin=args.to_key_stdin),
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


def _shares_standard_error(path: Path) -> bool:
    """Whether ``path`` names a descriptor of this process (``/dev/stdout``) that is the same
    file or pipe as standard error: ``--record /dev/stdout > show.mkv 2>&1`` wrote the run's
    lines into the recording (exit 0, and no player found a stream in it); ``--session``
    was refused as "not a database" after the recording had started; ``--stats`` held log
    lines among its JSON. A terminal may take both (it only shows them)."""
    import stat

    from anchordesk.core.disk import own_descriptor

    descriptor = own_descriptor(path)
    if descriptor is None:
        return False
    try:
        named, errors = os.fstat(descriptor), os.fstat(2)
    except OSError:
        return False
    return (named.st_dev, named.st_ino) == (errors.st_dev, errors.st_ino) and not (
        stat.S_ISCHR(named.st_mode)
    )


def _written_by_a_standard_stream(path: Path) -> str | None:
    """Which of standard output and error is the file ``path`` names (a regular file), if
    either: a session is written in place, at offsets, and lines written there too land over
    its pages."""
    import stat

    try:
        named = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(named.st_mode):
        return None
    for descriptor, name in ((1, "standard output"), (2, "standard error")):
        try:
            stream = os.fstat(descriptor)
        except OSError:
            continue
        if (stream.st_dev, stream.st_ino) == (named.st_dev, named.st_ino):
            return name
    return None


def _closed_descriptor(path: Path) -> int | None:
    """The standard descriptor ``path`` names when the program was started without it."""
    from anchordesk.core.disk import own_descriptor

    descriptor = own_descriptor(path)
    return descriptor if descriptor in _closed_at_start else None


def _names_a_terminal(path: Path) -> bool:
    """Whether ``path`` names a terminal: a descriptor of this process that is one, or a
    terminal's device (``/dev/tty``, ``/dev/pts/3``: 300 kB a second of Matroska went to the
    screen, "Recording kept in /dev/tty", exit 0)."""
    import stat

    from anchordesk.core.disk import own_descriptor

    descriptor = own_descriptor(path)
    if descriptor is not None:
        return os.isatty(descriptor)
    try:
        if not stat.S_ISCHR(os.stat(path).st_mode):
            return False
        # Opened, never written: a device tells whether it is a terminal only once open.
        device = os.open(path, os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError:
        return False
    try:
        return os.isatty(device)
    finally:
        os.close(device)


def _hold_closing_signals() -> list[int]:
    """SIGTERM, SIGINT and SIGHUP noted in a list (the window closes at once when it sees one)
    instead of Python's KeyboardInterrupt, which can be lost inside an import, and the default
    kill. One the program was started to ignore (``nohup``) stays ignored (cli/stopping.py)."""
    import signal

    held: list[int] = []
    for name in ("SIGTERM", "SIGINT", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None and signal.getsignal(number) is not signal.SIG_IGN:
            signal.signal(number, lambda number, _frame: held.append(number))
    return held


def _dispatch(args: argparse.Namespace) -> int:
    # Imports are local so that `anchordesk --help` and `show check` stay fast and do not load
    # Qt or FFmpeg.
    command = args.command or "gui"
    if command == "gui":
        from anchordesk.cli.commands import run_gui

        show_path = _gui_show_path(args)
        logging.getLogger("anchordesk").info(
            "window on %s", show_path or "the sample show", extra={logs.FILE_ONLY: True}
        )
        held = getattr(args, "held_signals", None)
        return run_gui(show_path) if held is None else run_gui(show_path, held=held)
    if command == "live":
        from anchordesk.cli.destinations import StoppedWaitingForKey

        try:
            options = live_options_from_args(args)  # bad arguments fail before any heavy import
        except StoppedWaitingForKey as stop:
            logging.getLogger("anchordesk").info(
                "%s while the stream key was awaited on standard input: stopped before "
                "anything started",
                stop,
            )
            return 0
        control = None
        if args.control:
            from anchordesk.cli.control import control_address

            control = control_address(args.control)
        from anchordesk.cli.commands import run_live

        return run_live(options, control=control, studio=args.studio)
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
    if command == "control":
        from anchordesk.cli.control import run_control

        return run_control(args.url, args.name, args.arguments)
    if command == "desktop":
        from anchordesk.cli.desktop import run_desktop

        return run_desktop(args.action)
    raise UserError(f"anchordesk: unknown command {command!r}")


def _gui_show_path(args: argparse.Namespace) -> Path | None:
    given: list[Path] = [p for p in (getattr(args, "file", None), getattr(args, "show", None)) if p]
    if len(given) == 2 and given[0] != given[1]:
        raise UserError("anchordesk gui: give the show file once (SHOW or --show SHOW)")
    if not given:
        return None
    # A missing file or a folder is not refused here: the window says so in its problems dialog
    # (as for a broken show) with the sample running, where a user who opened it from the file
    # manager, with no console, can see it.
    return given[0]


def with_default_command(arguments: list[str]) -> list[str]:
    """``anchordesk SHOW.json [-v]`` -> ``anchordesk gui SHOW.json [-v]``.

    argparse cannot mix a positional file with sub-commands, so the first word that is not an
    option and not a command is taken as the show file of ``gui``. A word that is neither a
    command nor an existing file is a mistake: say both possibilities in one line.
    """
    for index, word in enumerate(arguments):
        if word == "--":
            return [*arguments[:index], "gui", *arguments[index:]]
        if word.startswith("-"):
            continue
        if word in COMMANDS:
            return arguments
        if not Path(word).exists() and not word.lower().endswith(".json"):
            raise UserError(
                f"anchordesk: {word!r} is neither a command ({', '.join(COMMANDS)}) nor a show file"
            )
        return [*arguments[:index], "gui", *arguments[index:]]
    return arguments


_BROKEN_PIPE_EXIT_CODE = 128 + 13  # 128 + SIGPIPE


def _printable(error: Exception) -> str:
    """An error's one line as the terminal may show it: it often quotes what came from outside
    (a path, a server's answer), so control characters and lone surrogates are escaped here,
    for every error; and every URL in it is masked by the one rule (a stream key typed in a
    misspelt ``--to`` is still a key)."""
    return printable_message(str(error))


#: The standard descriptors this process was started without (put on the null device).
_closed_at_start: set[int] = set()


def _standard_streams_on_null() -> None:
    """Started with stdin, stdout or stderr closed (`anchordesk live >&-`, a service manager),
    the first files this program opens would take descriptors 0-2: FFmpeg's and x264's log
    lines (written to descriptor 2) would land in the recording or the session file, and
    Python has no ``sys.stdout`` to print the closing line to (a traceback, exit 1, after a
    show that went well). Closed ones are opened on the null device first."""
    for descriptor in (0, 1, 2):
        try:
            os.fstat(descriptor)
        except OSError:
            _closed_at_start.add(descriptor)
            flags = os.O_RDONLY if descriptor == 0 else os.O_WRONLY
            opened = os.open(os.devnull, flags)
            if opened != descriptor:
                os.dup2(opened, descriptor)
                os.close(opened)
    if sys.stdin is None:
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - for the whole run
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the whole run
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the whole run


def _escape_what_the_console_cannot_show() -> None:
    """A console whose encoding cannot show a character (``PYTHONIOENCODING=latin-1``, a
    Latin-1 locale, a cp1252 console) made the report's own narrow no-break space a
    UnicodeEncodeError traceback, and dropped ``live``'s "Recording kept in r€1.mkv" without a
    word: one rule for every command and every line, such a character is written as its
    backslash escape (as Python already does on standard error)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(OSError, ValueError, TypeError):
                reconfigure(errors="backslashreplace")


#: The commands whose product is what they print, and what that is; a sub-command by its
#: command's name and its own (``show import-csv`` writes its product to its -o file, and its
#: one printed line is a summary: it was refused with standard output closed).
_PRINTED = {
    "report": "the report",
    "devices": "the device list",
    "show check": "what it finds",
    "control state": "the show's state",
}


def _refuse_closed_output(command: str, printed: str) -> None:
    """Started with standard output closed (``anchordesk report S >&-``), a command whose
    product is what it prints wrote it to the null device put there at start and exited 0:
    refused before it does anything, as a mistake in the command (``live`` and the window go
    on: a service manager may start them so, and their record is the files and the log)."""
    if 1 in _closed_at_start:
        raise UserError(
            f"{command}: standard output is closed (>&-): nowhere to print {printed}; send it "
            "to a file, or to /dev/null to drop it"
        )


def _time_zone_or_utc(log: logging.Logger) -> None:
    """A ``TZ`` nothing can read (``TZ=:/etc/passwd``, a typo in a service file) made Babel's
    import fail with a traceback, in ``report`` and wherever a time is formatted. Such a zone
    is said once, and this run's times are in UTC."""
    zone = os.environ.get("TZ")
    if not zone:
        return
    try:
        import babel.localtime  # noqa: F401  (reads the zone at its import)
    except (ValueError, LookupError, OSError) as error:
        log.warning(
            "the time zone TZ=%s cannot be read (%s): times are shown in UTC",
            printable_message(zone)[:80],
            printable_message(str(error))[:120],
        )
        os.environ["TZ"] = "UTC"
        time.tzset()


_URL_IN_ARGUMENT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")


def _blank_secrets_in_arguments(arguments: Sequence[str]) -> None:
    """The secrets of every URL on the command line (a stream key in ``--to``, a token in a
    ``--feed`` URL) overwritten in the process's own command line, where ``ps`` showed them
    to every user of the machine for as long as the show ran; parsed already from a copy."""
    from anchordesk.core.environment import blank_secrets_in_arguments
    from anchordesk.core.redact import url_secrets

    secrets = [
        secret
        for argument in arguments
        for url in _URL_IN_ARGUMENT.findall(argument)
        for secret in url_secrets(url)
        if secret != url
    ]
    blank_secrets_in_arguments(secrets)


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:
        # Run as the command: the secrets given in the environment stay in this process and
        # reach no program it starts (core/environment.py). Before anything can start one.
        withhold_secret_variables()
    _standard_streams_on_null()
    _escape_what_the_console_cannot_show()
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["--network-child"]:
        # A frozen app's network child (anchordesk.media.network_child.child_command): no -m
        # there, so the app's own executable runs it. Not a user command: no argparse, no logs.
        from anchordesk.media.network_child import run

        return run()
    if argv is None:
        _blank_secrets_in_arguments(arguments)
    try:
        args = build_parser().parse_args(with_default_command(arguments))
    except UserError as error:
        print(f"error: {_printable(error)}", file=sys.stderr)
        return error.exit_code
    except SystemExit as done:
        # --help and --version print their text, then exit: into /dev/full that was a
        # traceback (--version) or exit 0 with nothing written (--help); into a pipe whose
        # reader went away, a BrokenPipeError traceback. Said as for every other command.
        try:
            if done.code == 0:
                sys.stdout.flush()
        except OSError as error:
            return _output_failed(error)
        raise
    except OSError as error:
        return _output_failed(error)
    command = " ".join(filter(None, (args.command, getattr(args, "show_command", None))))
    if args.command == "control" and args.name == "state":
        # Only read, so what it prints is all it does (exit 0 into nothing); a command that
        # acts still acts, its printed state the answer's echo.
        command = "control state"
    if (printed := _PRINTED.get(command)) is not None:
        try:
            _refuse_closed_output(f"anchordesk {args.command}", printed)
        except UserError as error:
            print(f"error: {_printable(error)}", file=sys.stderr)
            return error.exit_code
    if args.command == "live":
        # First thing, before the imports that take a second (PyAV, OpenCV, Qt) and before any
        # file exists: a stop request from now on is never lost (cli/stopping.py).
        from anchordesk.cli import stopping

        stopping.install(program=argv is None)
    elif (args.command or "gui") == "gui" and argv is None:
        # The same for the window: a Ctrl+C while the window's command module loaded (0.36 to
        # 0.44 s after start under Xvfb, 5 runs of 18) raised a KeyboardInterrupt that a C call
        # inside an import swallowed; the window then opened, recorded and never closed.
        args.held_signals = _hold_closing_signals()
    logs.setup_logging(verbose=getattr(args, "verbose", False))
    logs.install_exception_hooks()
    log = logging.getLogger("anchordesk")
    log.info("command: %s", args.command or "gui", extra={logs.FILE_ONLY: True})
    _time_zone_or_utc(log)
    if args.command == "live":
        from anchordesk.cli import stopping

        # A stop from here on ends the process at once, as soon as the log says it: the
        # options' and the command's modules took 0.6 s more to load at a low priority on a
        # loaded machine, and a stop during them waited for the first check after them.
        stopping.end_at_once_from_now_on()
    standard_output = sys.stdout
    if standard_output is not None and not isinstance(standard_output, _WatchedOutput):
        sys.stdout = _WatchedOutput(standard_output)
    try:
        code = _dispatch(args)
        sys.stdout.flush()  # here, where a reader that went away is caught (not at exit)
        return code
    except (UserError, FatalError) as error:
        # One line for the user on stderr; the log file keeps it too (started from the desktop
        # menu, stderr goes nowhere).
        log.error("%s", error, extra={logs.FILE_ONLY: True})
        # After the log's own console lines (written by a thread of their own), never before.
        logs.console_write(f"error: {_printable(error)}\n", sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError as error:
        return _output_failed(error)
    except _OutputFault as fault:
        return _output_failed(fault.error, log)
    finally:
        sys.stdout = standard_output
        if args.command == "live":
            from anchordesk.cli import stopping

            # Called as the program (not from a test): it exits now, late signals are moot.
            stopping.forget(keep_handlers=argv is None)


class _OutputFault(OSError):
    """Standard output could not be written (a full disk, /dev/full, an I/O error); a reader
    that went away stays a BrokenPipeError. An OSError still, for the code that expects one
    from a print (a run whose terminal closed goes on)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(error.errno, error.strerror)
        self.error = error


class _WatchedOutput:
    """Standard output whose write faults are told apart from every other OSError: a print
    that fails is the output's fault, not the program's."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as error:
            raise _OutputFault(error) from error

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as error:
            raise _OutputFault(error) from error

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def _output_failed(error: OSError, log: logging.Logger | None = None) -> int:
    """Standard output could not be written: the exit code, the reason said once.

    A reader that went away (`anchordesk report s.adsession | head`) is not a fault to show
    with a traceback: Python would raise again flushing stdout at exit, so stdout goes to
    /dev/null (the recipe of Python's signal docs); the code a program killed by SIGPIPE
    gives. A full disk (`anchordesk report S > report.txt`, /dev/full) is said once in words
    (was a traceback), like every other writer's fault."""
    broken = isinstance(error, BrokenPipeError)
    message = None
    if not broken:
        from anchordesk.core.disk import describe_error

        message = describe_error(_standard_output_name(), error)
    devnull = os.open(os.devnull, os.O_WRONLY)
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(devnull, sys.stdout.fileno())
    if message is None:
        return _BROKEN_PIPE_EXIT_CODE
    if log is not None:
        log.error("%s", message, extra={logs.FILE_ONLY: True})
    logs.console_write(f"error: the output is incomplete: {message}\n", sys.stderr)
    return 1


def _standard_output_name() -> str:
    """The file standard output goes to, for a message ("the disk holding report.txt")."""
    try:
        return os.readlink(f"/proc/self/fd/{sys.stdout.fileno()}")
    except (OSError, ValueError, AttributeError):
        return "the standard output"


def gui_main() -> int:
    """The ``anchordesk-gui`` launcher (a gui-script: no console window on Windows).

    Under pythonw there is no stdout or stderr at all (``None``): a print would raise, so both
    go to the null device and the log file is the record of the run.
    """
    import os

    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the whole run
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the whole run
    return main()
