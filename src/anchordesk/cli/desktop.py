"""``anchordesk desktop install``: put AnchorDesk in the desktop's menu and "Open with".

A distribution package installs the desktop entry, the MIME type and the icons system-wide; a
``pip``/``pipx`` install cannot (a wheel has no place for them). This command copies them into
the user's own data folder (``$XDG_DATA_HOME``, ``~/.local/share``), with ``Exec`` pointing at
this very ``anchordesk`` by its absolute path (a desktop session's ``PATH`` often lacks
``~/.local/bin``), and refreshes the caches the desktop reads. ``uninstall`` removes them.
Linux and other freedesktop systems only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from anchordesk.core import paths
from anchordesk.core.disk import describe_error, is_disk_fault
from anchordesk.core.errors import FatalError, UserError
from anchordesk.core.files import NotAllWritten, write_files_together
from anchordesk.core.printable import escape_controls

MIME_TYPE = "application/x-anchordesk-show+json"


def data_home() -> Path:
    """XDG_DATA_HOME when it is an absolute path; a relative one is invalid and ignored, as
    the XDG Base Directory spec says (a menu never reads it: "AnchorDesk is in the menu" was
    said of files written under ./rel of the current folder)."""
    given = os.environ.get("XDG_DATA_HOME") or ""
    if given and Path(given).is_absolute():
        return Path(given)
    return Path.home() / ".local" / "share"


def this_executable() -> Path:
    """The ``anchordesk`` command being run, by absolute path (the frozen app: itself)."""
    if getattr(sys, "frozen", False):
        return Path(sys.executable).absolute()
    started_as = Path(sys.argv[0])
    if started_as.name in ("anchordesk", "anchordesk-gui") and started_as.exists():
        return started_as.absolute()
    found = shutil.which("anchordesk")
    if found:
        return Path(found).absolute()
    raise UserError(
        "anchordesk desktop install: run it as the `anchordesk` command (not python -m), so "
        "the menu entry knows what to start"
    )


def installed_files(home: Path) -> dict[str, Path]:
    """Where each file goes, under the user's data folder."""
    app_id = paths.APP_ID
    files = {
        "desktop": home / "applications" / f"{app_id}.desktop",
        "mime": home / "mime" / "packages" / f"{app_id}.xml",
        "metainfo": home / "metainfo" / f"{app_id}.metainfo.xml",
        "svg": home / "icons" / "hicolor" / "scalable" / "apps" / f"{app_id}.svg",
    }
    for png in (paths.resources_dir() / "icons" / "hicolor").glob("*/apps/*.png"):
        size = png.parent.parent.name
        files[f"png {size}"] = home / "icons" / "hicolor" / size / "apps" / png.name
    return files


# The Desktop Entry spec's "Exec key": an argument holding one of these is quoted, and inside
# the quotes these four are escaped with a backslash; "%" is a field code unless doubled.
_EXEC_RESERVED = frozenset(" \t\n\"'\\><~|&;$*?#()`")
_EXEC_ESCAPED = frozenset('"`$\\')


def _string_value(text: str) -> str:
    r"""``text`` as a desktop entry's string value (its escapes: ``\\``, ``\n``, ``\t``, ``\r``)."""
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")


def exec_argument(argument: str) -> str:
    """One argument of an ``Exec`` line, as the spec reads it: quoted with its reserved
    characters escaped, ``%`` doubled, then written as a string value. An install path with a
    ``%``, a ``"`` or a ``$`` gave a menu entry no launcher could read (desktop-file-validate
    and ``gio launch`` refused it)."""
    if any(char in _EXEC_RESERVED for char in argument):
        argument = '"' + "".join("\\" + c if c in _EXEC_ESCAPED else c for c in argument) + '"'
    return _string_value(argument.replace("%", "%%"))


def desktop_entry(executable: Path) -> str:
    """The packaged desktop entry with ``Exec`` and ``TryExec`` at ``executable``."""
    source = paths.desktop_files_dir() / f"{paths.APP_ID}.desktop"
    lines = []
    for line in source.read_text(encoding="utf-8").splitlines():
        if line.startswith("Exec="):
            line = f"Exec={exec_argument(str(executable))} %f"
        elif line.startswith("TryExec="):
            line = f"TryExec={_string_value(str(executable))}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def _refresh_caches(home: Path) -> list[str]:
    """Run the cache tools that exist here; a missing one only means the desktop rescans."""
    done = []
    for command in (
        ["update-mime-database", str(home / "mime")],
        ["update-desktop-database", str(home / "applications")],
        ["gtk-update-icon-cache", "--force", "--ignore-theme-index", str(home / "icons/hicolor")],
    ):
        if shutil.which(command[0]) is None:
            continue
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode == 0:
            done.append(command[0])
    return done


def install(home: Path | None = None, executable: Path | None = None) -> list[Path]:
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        raise UserError("anchordesk desktop install: for Linux desktops (freedesktop.org) only")
    home = home or data_home()
    executable = executable or this_executable()
    sources = {
        "mime": paths.desktop_files_dir() / f"{paths.APP_ID}.xml",
        "metainfo": paths.desktop_files_dir() / f"{paths.APP_ID}.metainfo.xml",
        "svg": paths.icon_path(),
    }
    contents: dict[Path, bytes] = {}
    for key, target in installed_files(home).items():
        try:
            if key == "desktop":
                data = desktop_entry(executable).encode("utf-8")
            elif key.startswith("png "):
                data = paths.icon_path(int(key.split()[1].split("x")[0])).read_bytes()
            else:
                data = sources[key].read_bytes()
        except OSError as error:  # a broken installation of AnchorDesk itself
            raise FatalError(
                f"anchordesk desktop install: AnchorDesk's own {key} file cannot be read "
                f"({error.strerror or error}); nothing was installed"
            ) from None
        contents[target] = data
    # Each file replaced whole: written in place, a FIFO at the menu entry's name held the
    # command for ever, and one at the MIME file's name was a traceback (SpecialFileError).
    # And all or none: a full disk halfway left a menu entry without its icons (4 files of
    # 13 kept, "cannot write" said of the fifth).
    try:
        write_files_together(contents)
    except NotAllWritten as failed:
        said = describe_error(failed.path, failed.error)
        left = (
            f"; {len(failed.placed)} of the files written before it could not be put back "
            "as they were (anchordesk desktop uninstall removes them)"
            if failed.placed
            else "; nothing was installed"
        )
        raise (FatalError if is_disk_fault(failed.error) else UserError)(
            f"anchordesk desktop install: {said}{left}"
        ) from None
    written = list(contents)
    _refresh_caches(home)
    return written


def uninstall(home: Path | None = None, folders: list[Path] | None = None) -> list[Path]:
    """Remove what ``install`` wrote; returns what was removed. A folder at one of its files'
    names is not AnchorDesk's (install refuses to write there): it is left, added to
    ``folders``, and the rest is removed (uninstall stopped at it, the rest left installed)."""
    home = home or data_home()
    removed: list[Path] = []
    for target in installed_files(home).values():
        if target.is_dir() and not target.is_symlink():
            if folders is not None:
                folders.append(target)
            continue
        try:
            target.unlink()
        except FileNotFoundError:
            continue
        except OSError as error:
            # A read-only disk: it was a traceback (exit 1).
            raise UserError(
                f"anchordesk desktop uninstall: cannot remove {target} "
                f"({error.strerror or error})"
                + (f"; {len(removed)} files removed before it" if removed else "")
            ) from None
        removed.append(target)
    _refresh_caches(home)
    return removed


def run_desktop(action: str) -> int:
    if action == "install":
        written = install()
        print(f"AnchorDesk is in the menu and opens *.show.json files ({len(written)} files):")
        print(f"  {escape_controls(str(written[0]))}")  # XDG_DATA_HOME may hold anything
        print("  undo with: anchordesk desktop uninstall")
        if "%" in str(this_executable()):
            # Written as the spec says ("%%"), but GLib (2.74) looks for the program under the
            # doubled name before it expands it: GNOME's menu cannot start it.
            print(
                "  note: the program's path holds a '%': GNOME's menu cannot start it from "
                "there; install AnchorDesk in a folder without one"
            )
        return 0
    if action == "uninstall":
        folders: list[Path] = []
        removed = uninstall(folders=folders)
        print(f"removed {len(removed)} files of AnchorDesk's desktop integration")
        for folder in folders:
            print(f"  left {escape_controls(str(folder))}: a folder, not AnchorDesk's file")
        return 0
    raise UserError("anchordesk desktop: choose 'install' or 'uninstall'")
