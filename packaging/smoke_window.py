"""Smoke test of an installed AnchorDesk's window: run it with the *installed* Python, from a
folder outside the checkout, with ``LANG=zh_CN.UTF-8`` (packaging/smoke_wheel.sh does).

Checks what a Chinese-speaking user sees first: the package and its data come from the
installation (not a checkout), the window opens offscreen on the embedded sample show in
Chinese, with the menus translated and the sample products listed. Prints one line per check;
exits 1 on the first failure.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

CJK = re.compile(r"[\u4e00-\u9fff]")


def fail(message: str) -> None:
    print(f"smoke window FAILED: {message}", file=sys.stderr)
    raise SystemExit(1)


def main() -> int:
    import anchordesk
    from anchordesk.core import paths

    package = Path(anchordesk.__file__).resolve().parent
    if "site-packages" not in package.parts:
        fail(f"anchordesk imported from {package}, not from an installation")
    for name, folder in (
        ("resources", paths.resources_dir()),
        ("translations", paths.translations_dir()),
    ):
        if not folder.resolve().is_relative_to(package):
            fail(f"{name} found at {folder}, outside the installed package")
    qm_files = sorted(p.name for p in paths.translations_dir().glob("*.qm"))
    if qm_files != ["anchordesk_en.qm", "anchordesk_ja.qm", "anchordesk_zh_CN.qm"]:
        fail(f"compiled translations in the package: {qm_files}")
    print(f"package, resources and translations ({', '.join(qm_files)}) from {package}")

    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QApplication, QLabel

    from anchordesk.live.settings import DeviceSettings, Settings
    from anchordesk.ui.main_window import MainWindow, run_control_room

    texts: list[str] = []

    def collect(window: MainWindow) -> None:
        texts.append(window.windowTitle())
        texts.extend(action.text() for action in window.findChildren(QAction))
        texts.extend(label.text() for label in window.findChildren(QLabel))
        texts.extend(button.text() for button in window.findChildren(QAbstractButton))
        for view in window.findChildren(QAbstractItemView):
            model = view.model()
            if model is None:
                continue
            for row in range(min(model.rowCount(), 50)):
                for column in range(model.columnCount()):
                    value = model.data(model.index(row, column), Qt.ItemDataRole.DisplayRole)
                    if value is not None:
                        texts.append(str(value))
        QTimer.singleShot(0, QApplication.closeAllWindows)

    settings = Settings(record=False, devices=DeviceSettings(camera="test", microphone="test"))
    run_control_room(None, settings=settings, on_ready=collect)  # language: the system's (LANG)
    if not texts:
        fail("the window never started its session")
    menus = [text for text in texts if CJK.search(text)]
    if not any("文件" in text for text in menus):
        fail(f"no Chinese menu (File = 文件) among {len(texts)} texts: {texts[:20]}")
    sample = json.loads((paths.resources_dir() / "shows" / "zh" / "show.json").read_text("utf-8"))
    titles = [product["title"] for product in sample["products"]]
    missing = [title for title in titles if not any(title in text for text in texts)]
    if missing:
        fail(f"sample products not shown: {missing}")
    print(f"window in Chinese ({len(menus)} Chinese texts), sample products shown: {titles}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
