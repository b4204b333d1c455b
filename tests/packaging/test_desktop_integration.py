"""The desktop entry, the MIME type and the AppStream file pass the freedesktop validators, and
``anchordesk desktop install`` makes a file manager open ``*.show.json`` with AnchorDesk."""

from __future__ import annotations

import configparser
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from anchordesk.cli import desktop
from anchordesk.core import paths

ROOT = Path(__file__).resolve().parents[2]
DESKTOP_FILE = paths.desktop_files_dir() / f"{paths.APP_ID}.desktop"
METAINFO = paths.desktop_files_dir() / f"{paths.APP_ID}.metainfo.xml"
MIME_XML = paths.desktop_files_dir() / f"{paths.APP_ID}.xml"


def need(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        pytest.skip(f"{tool} is not installed (dev.sh installs it)")
    return found


def read_desktop_entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def test_the_desktop_entry_passes_desktop_file_validate() -> None:
    result = subprocess.run(
        [need("desktop-file-validate"), str(DESKTOP_FILE)], capture_output=True, text=True
    )
    assert result.returncode == 0 and result.stdout.strip() == "", result.stdout
    entry = read_desktop_entry(DESKTOP_FILE)
    assert entry["Exec"] == "anchordesk %f"
    assert entry["MimeType"] == f"{desktop.MIME_TYPE};"
    assert entry["Icon"] == paths.APP_ID


def test_the_metainfo_passes_appstreamcli_validate_pedantic() -> None:
    result = subprocess.run(
        [need("appstreamcli"), "validate", "--pedantic", "--no-net", str(METAINFO)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout
    problems = [line for line in result.stdout.splitlines() if line[:2] in ("E:", "W:")]
    assert problems == []


def test_the_metainfo_names_what_a_software_centre_shows() -> None:
    root = ElementTree.parse(METAINFO).getroot()
    assert root.findtext("id") == paths.APP_ID
    assert root.find("launchable").text == DESKTOP_FILE.name  # type: ignore[union-attr]
    assert {url.get("type") for url in root.iter("url")} >= {"homepage", "bugtracker"}
    assert root.find("developer/name") is not None
    assert root.find("content_rating") is not None
    assert root.find("releases/release").get("version") == "0.1.0"  # type: ignore[union-attr]
    images = [image.text or "" for image in root.iter("image")]
    assert images
    for url in images:  # each screenshot is a file of this repository
        assert (ROOT / url.split("/main/", 1)[1]).is_file(), url


def test_packaging_links_to_the_desktop_files_for_distribution_packagers() -> None:
    for source in (DESKTOP_FILE, METAINFO, MIME_XML):
        link = ROOT / "packaging" / source.name
        assert link.resolve() == source.resolve(), link


def test_every_icon_png_is_the_size_its_folder_says() -> None:
    pngs = sorted((paths.resources_dir() / "icons" / "hicolor").glob("*/apps/*.png"))
    assert len(pngs) >= 8
    for png in pngs:
        size = int(png.parent.parent.name.split("x")[0])
        image = QImage(str(png))
        assert (image.width(), image.height()) == (size, size), png
        assert image.hasAlphaChannel()


@pytest.fixture
def installed(tmp_path: Path) -> Path:
    home = tmp_path / "share"
    desktop.install(home=home, executable=Path(sys.executable).parent / "anchordesk")
    return home


def test_desktop_install_makes_show_files_open_with_anchordesk(installed: Path) -> None:
    need("update-mime-database")
    entry_path = installed / "applications" / DESKTOP_FILE.name
    result = subprocess.run(
        [need("desktop-file-validate"), str(entry_path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout
    assert read_desktop_entry(entry_path)["Exec"].endswith("/anchordesk %f")
    globs = (installed / "mime" / "globs2").read_text(encoding="utf-8")
    assert f"{desktop.MIME_TYPE}:*.show.json" in globs
    if shutil.which("update-desktop-database"):
        cache = (installed / "applications" / "mimeinfo.cache").read_text(encoding="utf-8")
        assert f"{desktop.MIME_TYPE}={DESKTOP_FILE.name};" in cache
    # What a file manager asks: Qt's MIME database, reading the user's data folder.
    probe = (
        "from PySide6.QtCore import QMimeDatabase as D; d = D(); m = D.MatchMode.MatchExtension;"
        "print(d.mimeTypeForFile('/x/spring.show.json', m).name());"
        "print(d.mimeTypeForFile('/x/other.json', m).name())"
    )
    env = {**os.environ, "XDG_DATA_HOME": str(installed), "QT_QPA_PLATFORM": "offscreen"}
    output = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    ).stdout.split()
    assert output == [desktop.MIME_TYPE, "application/json"]  # not every JSON file


def test_uninstall_removes_what_install_wrote(installed: Path) -> None:
    removed = desktop.uninstall(home=installed)
    assert len(removed) >= 12
    assert not (installed / "applications" / DESKTOP_FILE.name).exists()
    assert not list(installed.rglob(f"{paths.APP_ID}.png"))


def test_the_exec_line_opens_the_window_on_the_file(
    installed: Path, tmp_path: Path, isolated_user_dirs: Path
) -> None:
    """What a file manager runs for "Open with AnchorDesk": Exec with %f, then the window."""
    show = tmp_path / "spring sale.show.json"  # a space, as users name files
    shutil.copytree(paths.resources_dir() / "shows" / "en", tmp_path / "show")
    shutil.copyfile(tmp_path / "show" / "show.json", show)
    shutil.copytree(tmp_path / "show" / "images", tmp_path / "images")
    shutil.copyfile(tmp_path / "show" / "logo.png", tmp_path / "logo.png")
    exec_line = read_desktop_entry(installed / "applications" / DESKTOP_FILE.name)["Exec"]
    command = [str(show) if word == "%f" else word for word in shlex.split(exec_line)]
    log_file = isolated_user_dirs / "state" / "AnchorDesk" / "log" / "anchordesk.log"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        # The window has loaded the show and started its rehearsal session (test pattern, the
        # simulated audience that comments on this show's products).
        deadline = time.monotonic() + 60
        text = ""
        while "feed rehearsal: polling" not in text:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, text
            text = log_file.read_text(encoding="utf-8") if log_file.exists() else ""
            time.sleep(0.1)  # polling a file another process writes
        assert f"window on {show}" in text
        process.send_signal(signal.SIGTERM)  # a logout: closes the window cleanly
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    text = log_file.read_text(encoding="utf-8")
    assert "SIGTERM: closing the window" in text
    assert "ERROR" not in text and "Traceback" not in text
    assert not list(log_file.parent.glob("crash-*.txt"))  # a clean exit leaves no crash report


def test_an_install_path_with_quotes_dollars_and_backslashes_is_started_from_the_menu(
    tmp_path: Path,
) -> None:
    """Before: the Exec line quoted such a path but left ``$`` and backquotes bare, and wrote
    ``\\"`` where the entry's own string escapes come first: desktop-file-validate refused the
    entry and GNOME's launcher (``gio launch``) could not load it, so "Open with AnchorDesk"
    did nothing for a user whose folder is named ``Tom's "live" $hop (2)``. Now the entry
    passes the validator and GLib starts that program with the show's path."""
    folder = tmp_path / 'Tom\'s "live" $hop `x` back\\slash (2) #1 & more'
    folder.mkdir()
    program = folder / "anchordesk"
    said = tmp_path / "argv"
    program.write_text(f'#!/bin/sh\nprintf "%s\\n" "$0" "$@" > {shlex.quote(str(said))}\n')
    program.chmod(0o755)
    entry = tmp_path / f"{paths.APP_ID}.desktop"
    entry.write_text(desktop.desktop_entry(program), encoding="utf-8")
    checked = subprocess.run(
        [need("desktop-file-validate"), str(entry)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    show = tmp_path / "spring sale.show.json"
    launched = subprocess.run(
        [need("gio"), "launch", str(entry), str(show)], capture_output=True, text=True
    )
    assert launched.returncode == 0, launched.stderr
    deadline = time.monotonic() + 30
    while not said.exists() or not said.read_text().endswith("\n"):
        assert time.monotonic() < deadline
        time.sleep(0.05)  # gio launch does not wait for the program it started
    assert said.read_text().splitlines() == [str(program), str(show)]


def test_a_percent_sign_in_the_install_path_is_not_read_as_a_field_code() -> None:
    """``%`` starts a field code in an Exec line (``%f``): a path holding ``100%`` made
    desktop-file-validate refuse the entry ("invalid field code"). It is written ``%%``, as the
    spec says (GLib 2.74 still looks for the program under the doubled name: the install says
    so in a note)."""
    entry = desktop.desktop_entry(Path("/opt/100% sale/anchordesk"))
    exec_line = next(line for line in entry.splitlines() if line.startswith("Exec="))
    assert exec_line == 'Exec="/opt/100%% sale/anchordesk" %f'
