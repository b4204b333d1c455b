"""Build step for the translations: compile ``translations/*.ts`` to ``.qm`` with lrelease.

    python -m anchordesk.ui.i18n_build            # compile (dev.sh runs this after install)
    python -m anchordesk.ui.i18n_build --update   # first re-scan the sources with lupdate

The ``.qm`` files are written next to the ``.ts`` files, in the folder
:func:`anchordesk.core.paths.translations_dir` returns (the checkout's ``translations/`` or the
PyInstaller bundle's), where :mod:`anchordesk.ui.i18n` looks for them.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from anchordesk.core import paths

PACKAGE_DIR = Path(__file__).resolve().parent
# The layers below the window mark their messages too (``anchordesk.core.words``): the whole
# package is scanned.
SOURCE_ROOT = PACKAGE_DIR.parent
LANGUAGES = ("zh_CN", "ja")
# English's plural forms ("1 new comment", "2 new comments"): as Qt documents for a source
# language with plurals, a catalogue of the numerus messages only (``lupdate -pluralonly``).
PLURAL_ONLY_LANGUAGES = ("en",)


def find_tool(name: str) -> str | None:
    """``pyside6-<name>`` next to this Python (a venv), else on PATH, else Qt's own binary."""
    candidates = [
        Path(sys.executable).parent / f"pyside6-{name}",
        Path(sys.executable).parent / f"pyside6-{name}.exe",
    ]
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    found = shutil.which(f"pyside6-{name}") or shutil.which(name)
    if found:
        return found
    try:
        import PySide6

        for binary in (name, f"{name}.exe"):
            path = Path(PySide6.__file__).parent / binary
            if path.is_file():
                return str(path)
    except ImportError:
        pass
    return None


def source_files() -> list[Path]:
    """Python files that call tr()/translate() or mark texts with QT_TRANSLATE_NOOP: the
    widgets, and the messages of the layers below them (show problems, refused commands)."""
    files = []
    for path in sorted(SOURCE_ROOT.rglob("*.py")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if ".tr(" in text or "translate(" in text or "QT_TRANSLATE_NOOP" in text:
            files.append(path)
    return files


def update(ts_dir: Path) -> int:
    lupdate = find_tool("lupdate")
    if lupdate is None:
        print("i18n_build: pyside6-lupdate not found (pip install PySide6-Essentials)")
        return 1
    targets = [str(ts_dir / f"anchordesk_{lang}.ts") for lang in LANGUAGES]
    sources = [str(p) for p in source_files()]
    command = [lupdate, "-locations", "relative", *sources, "-ts", *targets]
    code = subprocess.run(command, check=False).returncode
    if code:
        return code
    plural_targets = [str(ts_dir / f"anchordesk_{lang}.ts") for lang in PLURAL_ONLY_LANGUAGES]
    command = [lupdate, "-pluralonly", "-locations", "relative", *sources, "-ts", *plural_targets]
    return subprocess.run(command, check=False).returncode


def compile_all(ts_dir: Path, out_dir: Path | None = None) -> int:
    lrelease = find_tool("lrelease")
    ts_files = sorted(ts_dir.glob("anchordesk_*.ts"))
    if not ts_files:
        print(f"i18n_build: no anchordesk_*.ts in {ts_dir}")
        return 1
    if lrelease is None:
        print("i18n_build: pyside6-lrelease not found; the .ts files will be read directly")
        return 1
    out_dir = out_dir or ts_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    failures = 0
    for ts_file in ts_files:
        qm_file = out_dir / (ts_file.stem + ".qm")
        result = subprocess.run(
            [lrelease, "-silent", str(ts_file), "-qm", str(qm_file)],
            check=False,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0 or not qm_file.is_file():
            failures += 1
            print(f"i18n_build: {ts_file.name}: {result.stderr.strip() or 'lrelease failed'}")
        else:
            print(f"i18n_build: {qm_file}")
    return 1 if failures else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m anchordesk.ui.i18n_build")
    parser.add_argument("--update", action="store_true", help="re-scan sources with lupdate first")
    parser.add_argument("--ts-dir", type=Path, default=None, help="folder of the .ts files")
    parser.add_argument("--out-dir", type=Path, default=None, help="where to write the .qm files")
    args = parser.parse_args(argv)
    ts_dir = args.ts_dir or paths.translations_dir()
    if args.update:
        code = update(ts_dir)
        if code:
            return code
    return compile_all(ts_dir, args.out_dir)


if __name__ == "__main__":
    raise SystemExit(main())
