"""The ``anchordesk`` command line (the top layer: it only parses and calls ``anchordesk.live``)."""

from anchordesk.cli.main import build_parser, gui_main, live_options_from_args, main

__all__ = ["build_parser", "gui_main", "live_options_from_args", "main"]
