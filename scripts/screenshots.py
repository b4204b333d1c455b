"""Screenshots of AnchorDesk for review: 1366x768, in English, Chinese and Japanese, under Xvfb.

    .venv/bin/python scripts/screenshots.py [--out screenshots] [--seconds 6]
        [--languages en zh_CN ja] [--screen 1366x768] [--scale 1]

``--screen 1280x720 --scale 1.25`` checks the smaller laptop the window must fit too (Qt's scale
factor as a desktop set to 125 % gives it).

Starts its own Xvfb (1366x768) on a free display and, when it is installed, the openbox window
manager (so windows have the title bars and frames a user sees, and the window is fitted under
them as on a laptop). For each language it opens the control room on the sample show in
rehearsal mode (test pattern, test tone, simulated audience), lets the show run a few seconds so
comments and orders arrive, then drives it with the same actions the keys trigger and saves
the whole screen after each step:

- ``main_window_<lang>.png``: the control room, the first product on screen;
- ``data_board_<lang>.png``: the data board dock in front (viewers, rates, forecasts, prompts);
- ``studio_mode_<lang>.png``: studio mode, the next segment staged beside the program;
- ``teleprompter_<lang>.png``: the teleprompter dock in front, a deal running, a question pinned;
- ``go_live_<lang>.png``: the go-live pre-flight dialog;
- ``settings_<lang>.png``: the settings dialog;
- ``editor_<lang>.png``: the show editor on the sample show.

    .venv/bin/python scripts/screenshots.py --out docs/screenshots

refreshes the screenshots the AppStream metainfo (packaging/) points to: software centres show
them on the program's page.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("en", "zh_CN", "ja")
SCREEN = (1366, 768)


def free_display() -> int:
    for number in range(90, 140):
        if not Path(f"/tmp/.X{number}-lock").exists():
            return number
    raise SystemExit("no free X display number between :90 and :139")


def start_xvfb(screen: tuple[int, int]) -> tuple[subprocess.Popen[bytes], str]:
    if shutil.which("Xvfb") is None:
        raise SystemExit("Xvfb is missing: apt-get install xvfb")
    display = f":{free_display()}"
    process = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", f"{screen[0]}x{screen[1]}x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{display[1:]}").exists():
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise SystemExit("Xvfb did not start")
        time.sleep(0.1)
    return process, display


def start_window_manager(display: str) -> subprocess.Popen[bytes] | None:
    """openbox when installed: without a window manager there are no title bars to check."""
    if shutil.which("openbox") is None:
        print("openbox is not installed: windows have no frames (apt-get install openbox)")
        return None
    process = subprocess.Popen(
        ["openbox"],
        env=dict(os.environ, DISPLAY=display),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)  # it takes over the root window; the first window must come after
    return process


class Steps:
    """Runs ``(delay_s, step)`` one after the other on the Qt event loop."""

    def __init__(self, steps: list[tuple[float, Callable[[], object]]]) -> None:
        self._steps = steps

    def run(self) -> None:
        from PySide6.QtCore import QTimer

        if not self._steps:
            return
        delay_s, step = self._steps.pop(0)

        def go() -> None:
            try:
                step()
            finally:
                self.run()

        QTimer.singleShot(int(delay_s * 1000), go)


def shoot(language: str, out: Path, seconds: float) -> None:
    """Runs in a child process (one QApplication per language)."""
    from PySide6.QtWidgets import QApplication, QDialog, QWidget

    from anchordesk.live.settings import DeviceSettings, Settings
    from anchordesk.show.feed_items import Comment
    from anchordesk.ui.controller import sample_show_path
    from anchordesk.ui.main_window import MainWindow, run_control_room

    settings = Settings(
        language=language,
        record=False,
        record_asked=True,
        devices=DeviceSettings(camera="test", microphone="test"),
    )
    show = sample_show_path(language)
    opened: list[QWidget] = []

    def grab(name: str) -> None:
        path = out / f"{name}_{language}.png"
        screen = QApplication.primaryScreen()
        screen.grabWindow(0).save(str(path))  # the whole screen: frames and title bars too
        print(path)

    def close_opened() -> None:
        for widget in opened:
            if isinstance(widget, QDialog):
                widget.reject()
            widget.close()
        opened.clear()

    def ready(window: MainWindow) -> None:
        controller = window.controller
        hotkeys = window.hotkeys.actions

        def first_product() -> None:
            hotkeys["product_1"].trigger()

        def board() -> None:
            window.docks["board"].show()
            window.docks["board"].raise_()

        def studio() -> None:
            window.studio_action.setChecked(True)
            hotkeys["next_segment"].trigger()

        def leave_studio() -> None:
            hotkeys["take"].trigger()
            window.studio_action.setChecked(False)

        def prompter() -> None:
            if not any(deal.is_live for deal in controller.show_state.deals):
                hotkeys["toggle_deal"].trigger()
            question = "？" if language != "en" else "?"
            controller.add_comments(
                [
                    Comment(
                        "screenshot",
                        "q1",
                        "Mia",
                        f"Does it suit dry skin{question}",
                        is_question=True,
                    )
                ]
            )
            controller.flush_feeds()
            hotkeys["pin_latest_question"].trigger()
            hotkeys["teleprompter"].trigger()

        def go_live() -> None:
            window.docks["run_sheet"].raise_()
            opened.append(window.open_go_live())

        def settings_dialog() -> None:
            from anchordesk.ui.settings import SettingsDialog

            dialog = SettingsDialog(controller.settings, window)
            dialog.open()
            opened.append(dialog)

        def editor() -> None:
            from anchordesk.ui.editor import open_editor

            opened.append(open_editor(controller.show_path, window, settings=controller.settings))

        def finish() -> None:
            controller.shutdown()
            QApplication.closeAllWindows()

        Steps(
            [
                (seconds / 2, first_product),
                (seconds / 2, lambda: grab("main_window")),
                (0.1, board),
                (1.5, lambda: grab("data_board")),
                (0.1, studio),
                (2.0, lambda: grab("studio_mode")),
                (0.1, leave_studio),
                (0.5, prompter),
                (2.0, lambda: grab("teleprompter")),
                (0.1, go_live),
                (2.0, lambda: grab("go_live")),
                (0.1, close_opened),
                (0.3, settings_dialog),
                (1.5, lambda: grab("settings")),
                (0.1, close_opened),
                (0.3, editor),
                (2.0, lambda: grab("editor")),
                (0.1, close_opened),
                (0.3, finish),
            ]
        ).run()

    run_control_room(
        show, settings=settings, language=language, on_ready=ready,
        controller_options={"audience_rate_per_s": 4.0},
    )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--languages", nargs="+", default=list(LANGUAGES), choices=LANGUAGES)
    parser.add_argument("--screen", default=f"{SCREEN[0]}x{SCREEN[1]}", help="WIDTHxHEIGHT")
    parser.add_argument("--scale", type=float, default=1.0, help="Qt's scale factor (1.25: 125 %%)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.child:
        shoot(args.child, args.out, args.seconds)
        return 0
    width, _x, height = args.screen.partition("x")
    xvfb, display = start_xvfb((int(width), int(height)))
    window_manager = start_window_manager(display)
    # The window as a new user sees it: default layout, no saved settings, and no session files
    # of the reviewer's own left behind.
    home = Path(tempfile.mkdtemp(prefix="anchordesk-screenshots-"))
    try:
        environment = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb")
        if args.scale != 1.0:
            environment["QT_SCALE_FACTOR"] = str(args.scale)
        environment.pop("WAYLAND_DISPLAY", None)
        for name in (
            "XDG_CONFIG_HOME",
            "XDG_DATA_HOME",
            "XDG_CACHE_HOME",
            "XDG_STATE_HOME",
            "XDG_VIDEOS_DIR",
        ):
            environment[name] = str(home / name.lower())
        for language in args.languages:
            subprocess.run(
                [sys.executable, __file__, "--out", str(args.out), "--seconds",
                 str(args.seconds), "--child", language],
                env=environment, check=True, timeout=180,
            )  # fmt: skip
    finally:
        for process in (window_manager, xvfb):
            if process is not None:
                process.terminate()
                process.wait(5)
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
