"""The editor's file commands: new, open, save, save as (the built-in sample only this way),
recent shows, and importing products from a CSV under the rule of ``show import-csv``."""

from __future__ import annotations

import json
import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QEventLoop, Qt, QTimer, SignalInstance
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QTabWidget,
    QWidget,
)

from anchordesk.core import paths
from anchordesk.core.files import write_bytes_atomically
from anchordesk.core.printable import escape_controls
from anchordesk.live.settings import Settings, save_settings
from anchordesk.show.model import canonical_sku
from anchordesk.showfile.csv_import import CsvImport, read_products_csv
from anchordesk.showfile.files import ShowReport, dump_show
from anchordesk.showfile.samples import is_sample
from anchordesk.ui import crash, file_dialogs, i18n, workers
from anchordesk.ui.editor.draft import (
    Finding,
    UnreadableDraft,
    check_draft,
    new_show_data,
    number_or_text,
    read_draft,
    write_draft,
)
from anchordesk.ui.editor.locate import PRODUCTS_PAGE
from anchordesk.ui.editor.problems_dialog import ProblemsDialog
from anchordesk.ui.editor.products_page import ProductsPage
from anchordesk.ui.editor.show_page import ShowPage
from anchordesk.ui.words import disk_error_text, menu_text, say, say_problem

log = logging.getLogger(__name__)

# The window's strings keep the window's context ("ShowEditor"), where lupdate finds them.


def csv_problem_lines(imported: CsvImport) -> list[str]:
    """A CSV's problems as ``anchordesk show import-csv`` prints them (without the file name),
    in the window's language: "error: row 3, column price: not a number: 'abc'"."""
    return [
        (
            QCoreApplication.translate("ShowEditor", "error: %1")
            if problem.is_error
            else QCoreApplication.translate("ShowEditor", "warning: %1")
        ).replace("%1", say_problem(problem))
        for problem in imported.problems
    ]


def _write_new(folder: Path, name: str, text: str) -> Path:
    """``text`` in a new file ``name``.json in ``folder`` (made), never over a file there."""
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(1, 100):
        target = folder / (f"{name}.json" if number == 1 else f"{name} ({number}).json")
        try:
            with target.open("x", encoding="utf-8") as file:
                file.write(text)
        except FileExistsError:
            continue
        except OSError:
            target.unlink(missing_ok=True)  # a part-written draft is no draft
            raise
        return target
    raise FileExistsError(f"{folder / name} and 98 more exist")


def _copy_media(data: dict[str, Any], old_dir: Path | None, new_dir: Path) -> None:
    """Copy the logo and product images ``data`` names, found in ``old_dir``, to the same
    places under ``new_dir`` (a file already there is kept). Blocking: on a worker.

    Each picture is written whole or not at all: a copy cut short by a full disk left an empty
    logo.png behind, which the next save, room made, kept as the show's logo."""
    if old_dir is None:
        return
    theme = data.get("theme")
    relative = [theme.get("logo")] if isinstance(theme, dict) else []
    relative += [p.get("image") for p in data["products"] if isinstance(p, dict)]
    for name in relative:
        if not isinstance(name, str) or not name or Path(name).is_absolute():
            continue
        source = (old_dir / name).resolve()
        target = new_dir / name
        if not source.is_file() or not source.is_relative_to(old_dir.resolve()):
            continue
        if not target.exists():
            write_bytes_atomically(target, source.read_bytes())


class EditorFiles:
    """File commands of :class:`anchordesk.ui.editor.editor.ShowEditor` (a mixin: the window
    holds the draft, its pages and its checking)."""

    if TYPE_CHECKING:
        # What the window provides.
        settings: Settings | None
        _settings_file: Path | None
        path: Path | None
        base_dir: Path | None
        read_only: bool
        is_sample_file: bool
        report: ShowReport | None
        findings: list[Finding]
        _modified: bool
        tabs: QTabWidget
        show_page: ShowPage
        products: ProductsPage
        recent_menu: QMenu
        last_dialog: ProblemsDialog
        problem_summary: QLabel
        show_saved: SignalInstance
        show_opened: SignalInstance
        _reading: Path | None

        def check_now(self) -> list[Finding]: ...
        def load_data(
            self, data: dict[str, Any], path: Path | None, *, check_now: bool = True
        ) -> None: ...
        def take_check(self, checked: tuple[ShowReport, list[Finding]]) -> list[Finding]: ...
        def data(self) -> dict[str, Any]: ...
        def _edited(self) -> None: ...
        def _update_title(self) -> None: ...
        def counted(self, which: str, count: int) -> str: ...

    def _widget(self) -> QWidget:
        """The window, as the parent of the dialogs it opens."""
        assert isinstance(self, QWidget)
        return self

    def new_show(self) -> None:
        if self._confirm_discard():
            self.load_data(new_show_data(i18n.current_language()), None)

    def open_show(self, path: Path) -> bool:
        """Open a show file; a file that breaks rules opens with its problems shown."""
        try:
            data = read_draft(path)
        except ValueError as error:
            self._refuse_open(error)
            return False
        self._show_read(path, data)
        return True

    def open_show_later(self, path: Path) -> None:
        """Open a show file the user chose, read in a worker: read here, a file on a disk that
        does not answer (a hung network share, a dying stick) held the window in its read, 8 s
        a read on a slow one, for good on a hung one, deaf to closing signals (R13ui F2).
        Meanwhile the editor says what it reads; a later choice replaces this one."""
        self._reading = path
        widget = self._widget()
        widget.setCursor(Qt.CursorShape.BusyCursor)
        assert isinstance(widget, QMainWindow)
        widget.statusBar().showMessage(
            QCoreApplication.translate("ShowEditor", "Reading %1…").replace("%1", path.name)
        )
        workers.run_task(
            lambda: read_draft(path),
            lambda data: self._read_later(path, data),
            lambda error: self._read_later(path, error),
            owner=widget,
            pool=workers.file_reads(),  # never the window's own pool (R15ui F6)
            waits_on=str(path),
        )

    def _read_later(self, path: Path, result: dict[str, Any] | BaseException) -> None:
        if self._reading != path:
            return  # another file was chosen meanwhile: that one is opened
        self._reading = None
        widget = self._widget()
        widget.unsetCursor()
        assert isinstance(widget, QMainWindow)
        widget.statusBar().clearMessage()
        if isinstance(result, ValueError):
            self._refuse_open(result)
        elif isinstance(result, BaseException):
            log.error("reading %s failed", path, exc_info=result)
        else:
            # Checked by a worker: the check reads every picture of the show, on the window's
            # thread a 400-picture show froze the whole window for 9 s after it was read.
            self._show_read(path, result, check_now=False)

    def _refuse_open(self, error: ValueError) -> None:
        # Plain text: the file's name is in it, and a name is text. Qt's static box reads its
        # text as markup when it looks like some: "<i>broken.json" showed an italic
        # "broken.json: invalid JSON …" (R15ui F5).
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            QCoreApplication.translate("ShowEditor", "Open show"),
            # A line break or an escape in the file's name written out, as in the problems.
            escape_controls(say(error.words) if isinstance(error, UnreadableDraft) else str(error)),
            QMessageBox.StandardButton.Ok,
            self._widget(),
        )
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.exec()
        box.deleteLater()

    def _show_read(self, path: Path, data: dict[str, Any], *, check_now: bool = True) -> None:
        self.load_data(data, path, check_now=check_now)
        self._remember(path)
        self.show_opened.emit(path)

    def _choose_and_open(self) -> None:
        if not self._confirm_discard():
            return
        path = file_dialogs.get_open_file_name(
            self._widget(),
            QCoreApplication.translate("ShowEditor", "Open show"),
            str(self.base_dir or Path.home()),
            QCoreApplication.translate("ShowEditor", "Show files (*.json);;All files (*)"),
        )
        if path:
            self.open_show_later(Path(path))

    def save(self) -> bool:
        if self.path is None or self.read_only:
            return self.save_as()  # the built-in sample is never written over
        return self.save_to(self.path)

    def save_as(self) -> bool:
        start = Path.home() / "show.json" if self.path is None or self.read_only else self.path
        path = file_dialogs.get_save_file_name(
            self._widget(),
            QCoreApplication.translate("ShowEditor", "Save show as"),
            str(start),
            QCoreApplication.translate("ShowEditor", "Show files (*.json)"),
        )
        if not path:
            return False
        target = Path(path)
        if target.suffix.lower() != ".json":
            target = target.with_suffix(".json")
        return self.save_to(target)

    def save_to(self, path: Path, *, confirm_errors: bool = True) -> bool:
        """Write the show. A show with errors is saved as typed (after asking), so no work is
        lost; the program refuses to go live with it until the errors are fixed.

        The disk is touched off the window's thread, with a deadline: Ctrl+S of a show whose
        network share went away since it was opened froze the whole window (picture still,
        no key answered) for as long as the share did not answer (R17ui)."""
        if getattr(self, "_saving", False):
            return False  # a save already waits for its disk
        self._saving = True
        try:
            return self._save_to(path, confirm_errors)
        finally:
            self._saving = False
            if getattr(self, "_close_when_saved", False):
                self._close_when_saved = False
                QTimer.singleShot(0, self._widget().close)

    def _save_to(self, path: Path, confirm_errors: bool) -> bool:
        from_sample = self.path is not None and self.is_sample_file  # known: the disk not asked
        old_dir = self.base_dir
        draft = self.data()
        # What the save's first step has found so far, and the folder it waits on: the target
        # (is it a sample, its real folder), then the show's own folder (its pictures, for the
        # check). A save waiting on the folder of a show whose share went away said the target
        # did not answer; Save as onto a good disk was refused so.
        progress: dict[str, Any] = {"waits_on": path}

        def facts() -> tuple[bool, Path, tuple[ShowReport, list[Finding]]]:
            found = is_sample(path), path.resolve().parent
            progress.update(facts=found, waits_on=old_dir)
            return (*found, check_draft(draft, old_dir))

        answered, found = self._on_disk(path, facts)
        checked: tuple[ShowReport, list[Finding]] | None = None
        if answered and not isinstance(found, BaseException):
            into_sample, new_dir, checked = found
        elif not answered and "facts" in progress:
            # The target answered; the show's pictures do not: saved as typed, unchecked.
            into_sample, new_dir = progress["facts"]
        else:
            return self._not_saved(path, found)
        if into_sample:
            QMessageBox.warning(
                self._widget(),
                QCoreApplication.translate("ShowEditor", "Save show"),
                QCoreApplication.translate(
                    "ShowEditor",
                    "The built-in sample show cannot be changed. Use Save as… to keep a copy.",
                ),
            )
            return False
        show = None
        if checked is not None:
            self.take_check(checked)
            show = self.report.show if self.report is not None else None
        if show is None and checked is not None:
            errors = [f for f in self.findings if f.is_error]
            if confirm_errors and errors:
                answer = QMessageBox.question(
                    self._widget(),
                    QCoreApplication.translate("ShowEditor", "Save show"),
                    self.counted("errors left", len(errors)),
                )
                if answer != QMessageBox.StandardButton.Yes:
                    return False
        data = self.data()
        read_back = self.base_dir != new_dir or self.read_only

        def write() -> dict[str, Any] | None:
            base = old_dir
            if from_sample and base != new_dir:
                # A copy of the sample takes its pictures along: paths into the installed
                # package would break with the next upgrade and warn as outside the show.
                _copy_media(data, base, new_dir)
                base = new_dir
            if show is not None:
                dump_show(replace(show, base_dir=base), path)
            else:
                write_draft(data, path, base)
            if not read_back:
                return None
            # Image paths were rewritten relative to the new folder: show what the file says.
            try:
                return read_draft(path)
            except ValueError as error:
                log.warning("re-reading %s: %s", path, error)
                return None

        answered, written = self._on_disk(
            path, write, late=lambda result: self._saved_late(path, result)
        )
        if not answered or isinstance(written, BaseException):
            return self._not_saved(path, written)
        if isinstance(written, dict):
            # Its pictures, renamed for the new folder, checked again by a worker (on the
            # window's thread the whole window froze as long as at an open).
            self.load_data(written, path, check_now=False)
        self.path = path
        self.base_dir = new_dir
        self.is_sample_file = False  # samples are never written
        self._modified = False
        self._update_title()
        self._remember(path)
        self.show_saved.emit(path)
        if checked is None:
            self._say_saved_unchecked(path, old_dir)
        return True

    def _say_saved_unchecked(self, path: Path, pictures: Path | None) -> None:
        # The last check's words ("No problems found.") stay until a check answers: never,
        # while the pictures' share is gone.
        self.problem_summary.setText(
            QCoreApplication.translate(
                "ShowEditor", "Not checked: the pictures' folder %1 does not answer."
            ).replace("%1", str(pictures))
        )
        self.problem_summary.setStyleSheet("color: #a65300;")
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            QCoreApplication.translate("ShowEditor", "Save show"),
            QCoreApplication.translate(
                "ShowEditor",
                "The show was saved to %1 as typed. Its pictures, in %2, were not checked: "
                "that folder does not answer (a network disk whose server went away?).",
            )
            .replace("%1", str(path))
            .replace("%2", str(pictures)),
            QMessageBox.StandardButton.Ok,
            self._widget(),
        )
        box.setTextFormat(Qt.TextFormat.PlainText)  # names are text, never markup
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _on_disk(
        self, path: Path, work: Callable[[], Any], late: Callable[[Any], None] | None = None
    ) -> tuple[bool, Any]:
        """``work`` (which touches the disk holding ``path``) on the file-reading pool; the
        window goes on meanwhile. (False, None) when it has not ended within the deadline;
        ``late`` then gets its result (or error) should it end after all."""
        outcome: list[Any] = []
        given_up: list[bool] = []
        loop = QEventLoop()

        def ended(result: Any) -> None:
            if given_up:
                if late is not None:
                    late(result)
                return
            outcome.append(result)
            loop.quit()

        widget = self._widget()
        workers.run_task(
            work, ended, ended, owner=widget, pool=workers.file_reads(), waits_on=str(path)
        )
        deadline = QTimer(loop)
        deadline.setSingleShot(True)
        deadline.timeout.connect(loop.quit)
        deadline.start(int(file_dialogs.FILE_ANSWER_TIMEOUT_S * 1000))
        if not outcome:
            held = file_dialogs.InputHeld(widget)
            app = QApplication.instance()
            if app is not None:
                app.installEventFilter(held)
            widget.setCursor(Qt.CursorShape.BusyCursor)
            try:
                loop.exec()
            finally:
                if app is not None:
                    app.removeEventFilter(held)
                widget.unsetCursor()
        if not outcome:
            given_up.append(True)
        return (True, outcome[0]) if outcome else (False, None)

    def _saved_late(self, path: Path, result: Any) -> None:
        """A save said "not saved" at its deadline has ended after all: said what it did."""
        if isinstance(result, BaseException):
            reason = disk_error_text(path, result) if isinstance(result, OSError) else str(result)
            text = QCoreApplication.translate(
                "ShowEditor", "%1 answered at last, but the show could not be saved there: %2"
            ).replace("%2", reason)
        else:
            text = QCoreApplication.translate(
                "ShowEditor",
                "%1 answered at last: the show is saved there as it was when you saved it; "
                "changes made since then are not saved yet.",
            )
        log.warning("a late save of %s ended: %s", path, result)
        box = QMessageBox(
            QMessageBox.Icon.Information,
            QCoreApplication.translate("ShowEditor", "Save show"),
            text.replace("%1", str(path)),
            QMessageBox.StandardButton.Ok,
            self._widget(),
        )
        box.setTextFormat(Qt.TextFormat.PlainText)  # names are text, never markup
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _not_saved(self, path: Path, error: BaseException | None) -> bool:
        if error is None:
            text = QCoreApplication.translate(
                "ShowEditor",
                "%1 does not answer (a network disk whose server went away?): the show was "
                "not saved. Save it on another disk with Save as…",
            ).replace("%1", str(path))
        elif isinstance(error, OSError):
            text = QCoreApplication.translate(
                "ShowEditor", "The show could not be saved: %1"
            ).replace("%1", disk_error_text(path, error))
        else:
            log.error("saving %s failed", path, exc_info=error)
            text = QCoreApplication.translate(
                "ShowEditor", "The show could not be saved: %1"
            ).replace("%1", str(error))
        # Plain text: a name is text, never markup.
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            QCoreApplication.translate("ShowEditor", "Save show"),
            text,
            QMessageBox.StandardButton.Ok,
            self._widget(),
        )
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return False

    def _choose_and_import_csv(self) -> None:
        path = file_dialogs.get_open_file_name(
            self._widget(),
            QCoreApplication.translate("ShowEditor", "Import products from CSV"),
            str(self.base_dir or Path.home()),
            QCoreApplication.translate("ShowEditor", "CSV files (*.csv);;All files (*)"),
        )
        if path:
            self.import_csv_later(Path(path))

    def _csv_reader(self, path: Path) -> Callable[[], CsvImport]:
        """Reading ``path`` as this show's products (the currencies as they are now)."""
        currency = self.show_page.values().get("currency") or None
        priced_in = {
            canonical_sku(str(row.get("sku") or "").strip()): str(row["currency"])
            for row in self.products.model.rows()
            if row.get("currency")
        }
        show_dir = self.base_dir
        return lambda: read_products_csv(
            path, show_dir=show_dir, show_currency=currency, priced_in=priced_in
        )

    def import_csv(self, path: Path) -> int:
        """Add or replace (same sku) products from a spreadsheet export; returns how many.

        The rule of ``anchordesk show import-csv``: a file with a bad row is refused whole,
        each problem listed as the command prints it, so the sheet is fixed and imported again
        (taking the good rows would leave the show silently short of products).
        """
        return self._apply_csv(path, self._csv_reader(path)())

    def import_csv_later(self, path: Path) -> None:
        """:meth:`import_csv` of a file the user chose, read in a worker: read here, a file on
        a disk that never answers (a hung network share) held the window in its read for good,
        the picture still, deaf even to SIGKILL (R15ui F7), as File → Open did before R13ui F2.
        Meanwhile the editor says what it reads."""
        widget = self._widget()
        widget.setCursor(Qt.CursorShape.BusyCursor)
        assert isinstance(widget, QMainWindow)
        widget.statusBar().showMessage(
            QCoreApplication.translate("ShowEditor", "Reading %1…").replace("%1", path.name)
        )

        def read(result: CsvImport | BaseException) -> None:
            widget.unsetCursor()
            widget.statusBar().clearMessage()
            if isinstance(result, BaseException):
                log.error("reading %s failed", path, exc_info=result)
            else:
                self._apply_csv(path, result, check_now=False)

        workers.run_task(
            self._csv_reader(path),
            read,
            read,
            owner=widget,
            pool=workers.file_reads(),
            waits_on=str(path),
        )

    def _apply_csv(self, path: Path, imported: CsvImport, *, check_now: bool = True) -> int:
        title = QCoreApplication.translate("ShowEditor", "Import products from CSV")
        if imported.errors:
            rows = ", ".join(map(str, imported.bad_rows))
            heading = (
                self.counted("fix rows", len(imported.bad_rows))
                .replace("%1", path.name)
                .replace("%2", rows)
                if rows
                else QCoreApplication.translate(
                    "ShowEditor", "Nothing was imported from %1: fix the file and import again."
                ).replace("%1", path.name)
            )
            self.last_dialog = ProblemsDialog(
                title, heading, csv_problem_lines(imported), self._widget()
            )
            self.last_dialog.open()
            return 0
        model = self.products.model
        rows_by_sku = {sku: row for row, (sku, _title) in enumerate(self.products.choices())}
        for product in imported.products:
            data = {
                "sku": product.sku,
                "title": product.title,
                "price": number_or_text(format(product.price, "f")),
                "stock": product.stock,
                "image": product.image,
                "points": list(product.points),
            }
            if product.currency:
                data["currency"] = product.currency
            row = rows_by_sku.get(product.sku)
            if row is None:
                model.insert(model.rowCount(), data)
            else:
                model.remove(row)
                model.insert(row, data)
        self.tabs.setCurrentIndex(PRODUCTS_PAGE)
        self._edited()
        if check_now:
            self.check_now()
        # Else the check of the edit, by a worker: it looks at the new products' pictures.
        if imported.problems:  # warnings only (an unknown column, an image outside the show)
            heading = self.counted("imported", len(imported.products)).replace("%1", path.name)
            self.last_dialog = ProblemsDialog(
                title, heading, csv_problem_lines(imported), self._widget()
            )
            self.last_dialog.open()
        return len(imported.products)

    def _remember(self, path: Path) -> None:
        if self.settings is None or is_sample(path):
            return
        self.settings.add_recent_show(path)
        try:
            save_settings(self.settings, self._settings_file)
        except OSError as error:
            log.warning("could not save the recent shows: %s", error)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent_shows if self.settings else []
        if not recent:
            action = self.recent_menu.addAction(
                QCoreApplication.translate("ShowEditor", "No recent shows")
            )
            action.setEnabled(False)
            return
        for text in recent:
            action = self.recent_menu.addAction(menu_text(text))
            action.triggered.connect(lambda _checked=False, p=text: self._open_recent(Path(p)))

    def _open_recent(self, path: Path) -> None:
        if self._confirm_discard():
            self.open_show_later(path)

    def is_modified(self) -> bool:
        return self._modified

    def discard_changes(self) -> None:
        """Forget that the draft changed (closing then asks nothing)."""
        self._modified = False
        self._update_title()

    def _confirm_discard(self) -> bool:
        if not self._modified:
            return True
        if crash.termination_requested():
            # A logout, a kill or Ctrl+C in the terminal: nobody answers "Save them?". The
            # question waited for ever, and the whole window stayed open with it, recording
            # and streaming, until the system killed it mid-write.
            self._keep_unsaved_draft()
            return True
        answer = QMessageBox.question(
            self._widget(),
            QCoreApplication.translate("ShowEditor", "Unsaved changes"),
            QCoreApplication.translate(
                "ShowEditor", "The show has changes that are not saved. Save them?"
            ),
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        if answer != QMessageBox.StandardButton.Discard and crash.termination_requested():
            # The signal came while asked: it closed the question (as Cancel).
            self._keep_unsaved_draft()
            return True
        return answer == QMessageBox.StandardButton.Discard

    def _keep_unsaved_draft(self) -> Path | None:
        """The draft as it is, in the user data folder ("unsaved shows"): never written over
        the show without its author's word, never lost either. Its place is logged.

        Where that folder cannot be written (its disk full or read-only, a file of its
        name), the draft goes beside the show, then to the system's temporary folder: the
        changes were lost with one error line. A draft is never written over another."""
        stem = self.path.stem if self.path is not None else "new show"
        stamp = time.strftime("%Y-%m-%d_%H-%M-%S")
        try:
            text = json.dumps(self.data(), ensure_ascii=False, indent=2)
        except ValueError as error:
            log.error("the show editor's unsaved changes could not be kept: %s", error)
            return None
        places: list[tuple[Callable[[], Path], str]] = [
            (lambda: paths.user_data_dir() / "unsaved shows", f"{stem} {stamp}"),
        ]
        if self.path is not None and not self.read_only:
            show_folder = self.path.parent
            places.append((lambda: show_folder, f"{stem} (unsaved {stamp})"))
        places.append((lambda: Path(tempfile.gettempdir()), f"{stem} (unsaved {stamp})"))
        for where, name in places:
            try:
                target = _write_new(where(), name, text)
            except (OSError, ValueError) as error:
                log.error("the show editor's unsaved changes could not be kept there: %s", error)
                continue
            log.warning(
                "closing: the show editor's unsaved changes%s are kept in %s",
                f" to {self.path}" if self.path is not None else "",
                target,
            )
            return target
        return None

    def closeEvent(self, event: QCloseEvent) -> None:
        if getattr(self, "_saving", False):
            # Closed (the window manager's button, Ctrl+Q of the control room, a logout)
            # while a save waits for its disk (3 s at most): closed once the save has ended.
            # Closed at once, the editor was deleted under its own save, which then failed
            # with "Internal C++ object already deleted" in the crash dialog.
            self._close_when_saved = True
            event.ignore()
            return
        if self._confirm_discard():
            event.accept()
        else:
            event.ignore()
