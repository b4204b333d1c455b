"""Screenshots of the control room for review: 1366x768, English and Chinese, under Xvfb.

    .venv/bin/python scripts/screenshots.py [--out screenshots] [--seconds 6]

Starts its own Xvfb on a free display (so the real xcb platform draws the window, with the
system's fonts), opens the window on the sample show of each language in rehearsal mode (test
pattern, test tone, simulated audience), lets the show run a few seconds so comments and orders
arrive, puts the first product on screen, and saves ``main_window_en.png`` and
``main_window_zh_CN.png``.

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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_display() -> int:
    for number in range(90, 140):
        if not Path(f"/tmp/.X{number}-lock").exists():
            return number
    raise SystemExit("no free X display number between :90 and :139")


def start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    if shutil.which("Xvfb") is None:
        raise SystemExit("Xvfb is missing: apt-get install xvfb")
    display = f":{free_display()}"
    process = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1366x768x24", "-nolisten", "tcp"],
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


def shoot(language: str, out: Path, seconds: float) -> None:
    """Runs in a child process (one QApplication per language)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from anchordesk.live.settings import DeviceSettings, Settings
    from anchordesk.ui.controller import sample_show_path
    from anchordesk.ui.main_window import MainWindow, run_control_room

    settings = Settings(
        language=language, record=False, devices=DeviceSettings(camera="test", microphone="test")
    )
    show = sample_show_path("zh_CN" if language.startswith("zh") else "en")

    def ready(window: MainWindow) -> None:
        window.resize(1366, 768)
        window.move(0, 0)
        QTimer.singleShot(int(seconds * 500), lambda: window.controller.show_product_number(1))

        def grab() -> None:
            path = out / f"main_window_{language}.png"
            screen = window.screen()
            screen.grabWindow(0, 0, 0, 1366, 768).save(str(path))
            print(path)
            window.controller.shutdown()
            QApplication.closeAllWindows()

        QTimer.singleShot(int(seconds * 1000), grab)

    run_control_room(
        show, settings=settings, language=language, on_ready=ready,
        controller_options={"audience_rate_per_s": 4.0},
    )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.child:
        shoot(args.child, args.out, args.seconds)
        return 0
    xvfb, display = start_xvfb()
    # The window as a new user sees it: default layout, no saved settings, and no session files
    # of the reviewer's own left behind.
    home = Path(tempfile.mkdtemp(prefix="anchordesk-screenshots-"))
    try:
        environment = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb")
        environment.pop("WAYLAND_DISPLAY", None)
        for name in (
            "XDG_CONFIG_HOME",
            "XDG_DATA_HOME",
            "XDG_CACHE_HOME",
            "XDG_STATE_HOME",
            "XDG_VIDEOS_DIR",
        ):
            environment[name] = str(home / name.lower())
        for language in ("en", "zh_CN"):
            subprocess.run(
                [sys.executable, __file__, "--out", str(args.out), "--seconds",
                 str(args.seconds), "--child", language],
                env=environment, check=True, timeout=120,
            )  # fmt: skip
    finally:
        xvfb.terminate()
        xvfb.wait(5)
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
