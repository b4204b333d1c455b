"""The control room window: program preview in the middle, docks around it, the show's keys.

The window only observes (the controller's signals and snapshots) and commands (the
controller's methods); it never touches the engine nor waits for it. Layout, dock positions and
the window geometry are remembered in ``window.ini`` in the user config directory; the first
run fits the window to the screen's available area, and View → Reset the layout goes back to
that. Every key either acts or says in one line why it cannot, over the picture (where the
operator looks) and in the status bar.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QMargins, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QDockWidget,
    QFrame,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QToolBar,
    QWidget,
)

from anchordesk.core import paths
from anchordesk.core.printable import BIDI_CONTROLS
from anchordesk.live.settings import Settings
from anchordesk.show.timing import format_duration, stopwatch_text
from anchordesk.ui import collector, crash, file_dialogs, window_ini
from anchordesk.ui.controller import Controller
from anchordesk.ui.docks.board import BoardPanel
from anchordesk.ui.docks.comments import CommentPanel
from anchordesk.ui.docks.health import AudioPanel, HealthPanel
from anchordesk.ui.docks.orders import OrdersPanel
from anchordesk.ui.docks.products import ProductPanel
from anchordesk.ui.docks.run_sheet import RunSheetPanel
from anchordesk.ui.golive import GoLiveDialog
from anchordesk.ui.hotkeys import HotkeyDialog, Hotkeys
from anchordesk.ui.messages import MessageLog, MessagesDialog
from anchordesk.ui.on_air_check import OnAirCheck
from anchordesk.ui.preview import FramePreview
from anchordesk.ui.recording_parts import RecordingIndicator, RecordingQuestion
from anchordesk.ui.report_dialog import RehearsalReportDialog
from anchordesk.ui.state import HealthState, ProductRow, ShowState
from anchordesk.ui.teleprompter import TeleprompterPanel
from anchordesk.ui.window_parts import (
    DEFAULT_FRAME_MARGINS,
    NoticeBanner,
    PreviewPair,
    fitted_geometry,
)
from anchordesk.ui.words import menu_text, plain_tooltip, say, title_text

log = logging.getLogger(__name__)

LAYOUT_VERSION = 2  # 2: the teleprompter became a dock
DEFAULT_SIZE = QSize(1366, 768)


def window_settings() -> QSettings:
    return QSettings(str(paths.user_config_dir() / "window.ini"), QSettings.Format.IniFormat)


class MainWindow(QMainWindow):
    def __init__(self, controller: Controller, settings: QSettings | None = None) -> None:
        super().__init__()
        self.setObjectName("main_window")
        self.controller = controller
        self.qsettings = settings if settings is not None else window_settings()
        self._quitting = False
        self._mode = "rehearsal"
        # The remote-control API (Settings → Remote control), on the controller's LiveShow.
        from anchordesk.ui.remote import RemoteControl

        self.remote = RemoteControl(lambda: self.controller.live, parent=self)
        self._remote_error_said: str | None = None
        self.remote.changed.connect(self._say_remote_error)
        if controller.settings.remote.enabled:
            self.remote.apply(controller.settings.remote)

        # -- centre: program preview, and the staged preview in studio mode ---------------------
        self.program = FramePreview(self, fps=30, border="#e53935")
        self.program.setObjectName("program_preview")
        self.staged = FramePreview(self, fps=10, border="#43a047")
        self.staged.setObjectName("staged_preview")
        self.staged.hide()
        self.previews = PreviewPair(self.staged, self.program, self)
        self.setCentralWidget(self.previews)
        self.notice = NoticeBanner(self.program)

        # -- docks -------------------------------------------------------------------------------
        self.run_sheet = RunSheetPanel(self)
        self.products = ProductPanel(self)
        self.comments = CommentPanel(self)
        self.orders = OrdersPanel(self)
        self.health = HealthPanel(self)
        self.audio = AudioPanel(self)
        self.teleprompter = TeleprompterPanel(self)
        self.board = BoardPanel(self)
        self.docks: dict[str, QDockWidget] = {}
        self.panels: dict[str, QWidget] = {}
        left = Qt.DockWidgetArea.LeftDockWidgetArea
        self._add_dock("run_sheet", self.run_sheet, left, scroll=True)
        self._add_dock("products", self.products, left, scroll=True)
        self._add_dock("comments", self.comments, Qt.DockWidgetArea.RightDockWidgetArea)
        self._add_dock("orders", self.orders, Qt.DockWidgetArea.RightDockWidgetArea)
        self._add_dock("health", self.health, Qt.DockWidgetArea.BottomDockWidgetArea, scroll=True)
        self._add_dock("audio", self.audio, Qt.DockWidgetArea.BottomDockWidgetArea, scroll=True)
        self._add_dock("teleprompter", self.teleprompter, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.tabifyDockWidget(self.docks["comments"], self.docks["orders"])
        self.tabifyDockWidget(self.docks["run_sheet"], self.docks["teleprompter"])
        self._add_dock("board", self.board, Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.docks["orders"], self.docks["board"])
        self.docks["comments"].raise_()
        self.docks["run_sheet"].raise_()
        self.splitDockWidget(self.docks["health"], self.docks["audio"], Qt.Orientation.Horizontal)
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.docks["teleprompter"].topLevelChanged.connect(self._teleprompter_floated)
        self._side_widths: tuple[int, int] | None = None  # dock widths before studio mode

        # -- actions, menus, toolbar ---------------------------------------------------------------
        self.hotkeys = Hotkeys(self, self.qsettings)
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self.mode_label = QLabel(self)
        self.mode_label.setTextFormat(Qt.TextFormat.PlainText)
        self.clock_label = QLabel(self)
        self.clock_label.setTextFormat(Qt.TextFormat.PlainText)
        self.mode_label.setContentsMargins(16, 0, 6, 0)
        self.recording_indicator = RecordingIndicator(self)
        self.recording_question: RecordingQuestion | None = None
        self.start_dialog: QDialog | None = None  # the start-up show's problems, when refused
        self.show_to_fix: Path | None = None  # that show, opened in the editor from there
        self.statusBar().addPermanentWidget(self.recording_indicator)
        self.statusBar().addPermanentWidget(self.clock_label)
        self.statusBar().addPermanentWidget(self.mode_label)

        self._connect()
        self.retranslate()
        self._product_names: tuple[tuple[str, str], ...] | None = None
        self._name_product_actions(())
        self._frame_margins = DEFAULT_FRAME_MARGINS
        self._fitted_once = False
        self.fit_to_screen()
        self._apply_default_sizes()
        self._default_state = self.saveState(LAYOUT_VERSION)
        self._restore_layout()
        self.settings_box: QMessageBox | None = None
        if controller.settings.file_problem is not None:
            QTimer.singleShot(0, self._say_settings_unusable)
        if controller.settings.field_problems:
            QTimer.singleShot(0, self._say_settings_problems)

    # -- construction ------------------------------------------------------------------------------

    def _say_settings_unusable(self) -> None:
        """The settings file could not be used at all: said once, as the window opens, not
        only in the log (the defaults looked like a first start: destinations gone)."""
        problem = self.controller.settings.file_problem
        if problem is None:
            return
        self.settings_box = QMessageBox(
            QMessageBox.Icon.Warning,
            self.tr("Settings"),
            self.tr(
                "Your settings could not be read: %1. AnchorDesk started with the default settings."
            ).replace("%1", say(problem)),
            QMessageBox.StandardButton.Ok,
            self,
        )
        self.settings_box.setTextFormat(Qt.TextFormat.PlainText)  # a path is text
        self.settings_box.open()

    def _say_settings_problems(self) -> None:
        """Settings of the file that could not be used one by one (a destination or a feed
        skipped, a canvas replaced, a key found in a URL): said as the window opens, in its
        language, and kept in Help → Messages. Only the English log said them: a destination
        gone from the list looked like a setting the program had lost."""
        for problem in self.controller.settings.field_problems:
            self.notify(self.tr("Settings: %1.").replace("%1", say(problem)))

    def _add_dock(
        self, name: str, panel: QWidget, area: Qt.DockWidgetArea, *, scroll: bool = False
    ) -> None:
        dock = QDockWidget(self)
        dock.setObjectName(f"dock_{name}")
        if scroll:
            # A form-like panel scrolls on a small screen instead of pushing the window past
            # it (1280×720 at 125 % leaves about 1024×500 for the whole control room).
            holder = QScrollArea(dock)
            holder.setObjectName(f"scroll_{name}")
            holder.setWidgetResizable(True)
            holder.setFrameShape(QFrame.Shape.NoFrame)
            holder.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
            holder.setWidget(panel)
            holder.setMinimumSize(120, 60)
            dock.setWidget(holder)
        else:
            dock.setWidget(panel)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(area, dock)
        self.docks[name] = dock
        self.panels[name] = panel

    def _build_actions(self) -> None:
        self.open_show_action = QAction(self)
        self.open_show_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_show_action.triggered.connect(self.open_show)
        self.edit_show_action = QAction(self)
        self.edit_show_action.triggered.connect(self.edit_show)
        self.settings_action = QAction(self)
        # The platform's Preferences key (Ctrl+, on macOS and KDE); most Linux desktops have
        # none, and Settings (where a destination is set up) had no key at all: Ctrl+, there.
        preferences = QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences)
        self.settings_action.setShortcuts(preferences or [QKeySequence("Ctrl+,")])
        self.settings_action.triggered.connect(self.open_settings)
        self.quit_action = QAction(self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.triggered.connect(self.close)
        hk = self.hotkeys.actions
        self.record_action = hk["record"]
        self.record_action.setCheckable(True)
        self.record_action.setChecked(self.controller.recording_wanted)
        self.record_action.toggled.connect(self.controller.set_recording)
        self.reconnect_action = QAction(self)
        self.reconnect_action.triggered.connect(self.reconnect_now)
        self.studio_action = hk["studio_mode"]
        self.studio_action.setCheckable(True)
        self.studio_action.toggled.connect(self.set_studio_mode)
        self.controller.studio_mode_changed.connect(self.studio_action.setChecked)
        self.end_rehearsal_action = hk["end_rehearsal"]
        self.end_rehearsal_action.triggered.connect(self.end_rehearsal)
        self.rehearse_again_action = QAction(self)
        self.rehearse_again_action.triggered.connect(self.controller.rehearse_again)
        self.rehearse_again_action.setEnabled(False)
        self.reset_layout_action = QAction(self)
        self.reset_layout_action.triggered.connect(self.reset_layout)
        # The keyboard's way to a panel. Orders and the data board sit behind Comments, the
        # teleprompter behind the run sheet, and a dock's toggle in the View menu hides a panel
        # that is open behind another instead of bringing it forward (found walking the
        # window by keyboard). Alt+1…8, in the View menu's order.
        self.go_to_actions: dict[str, QAction] = {}
        for number, name in enumerate(self.docks, start=1):
            action = QAction(self)
            action.setShortcut(QKeySequence(f"Alt+{number}"))
            action.triggered.connect(functools.partial(self.go_to_panel, name))
            self.go_to_actions[name] = action
        self.messages = MessageLog(self)
        self.messages_dialog: MessagesDialog | None = None
        hk["messages"].triggered.connect(self.show_messages)
        self.shortcuts_action = QAction(self)
        self.shortcuts_action.triggered.connect(self.edit_shortcuts)
        self.about_action = QAction(self)
        self.about_action.triggered.connect(self.about)
        self.language_group = QActionGroup(self)
        self.language_actions: dict[str, QAction] = {}
        for code, name in (("system", ""), ("en", "English"), ("zh_CN", "简体中文"),
                           ("ja", "日本語")):  # fmt: skip
            action = QAction(name, self)
            action.setCheckable(True)
            action.setData(code)
            action.triggered.connect(lambda _c=False, code=code: self.set_language(code))
            self.language_group.addAction(action)
            self.language_actions[code] = action

        hk["next_segment"].triggered.connect(self.controller.next_segment)
        hk["previous_segment"].triggered.connect(self.controller.previous_segment)
        for number in range(1, 10):
            hk[f"product_{number}"].triggered.connect(
                lambda _c=False, n=number: self.controller.show_product_number(n)
            )
        hk["clear_product"].triggered.connect(self.clear_product)
        hk["toggle_deal"].triggered.connect(self.products.toggle_deal)
        hk["pin_comment"].triggered.connect(self.pin_selected_comment)
        hk["unpin_comment"].triggered.connect(self.unpin_comment)
        hk["pin_latest_question"].triggered.connect(self.controller.pin_latest_question)
        hk["mark_answered"].triggered.connect(self.mark_answered)
        hk["take"].triggered.connect(self.take)
        hk["take"].setEnabled(False)  # studio mode only
        # A disabled action's key would do nothing, silently: these say why instead.
        self.hotkeys.explain_when_disabled(
            "take",
            lambda: self.tr("Take works in studio mode: press %1 to switch it on.").replace(
                "%1", self._key_text("studio_mode")
            ),
        )
        self.hotkeys.explain_when_disabled("end_rehearsal", self._why_no_end_rehearsal)
        self.hotkeys.explain_when_disabled(
            "record", lambda: self.tr("The recording cannot be switched off while live.")
        )
        for number in range(1, 10):
            self.hotkeys.explain_when_disabled(
                f"product_{number}", functools.partial(self._why_no_product, number)
            )
        hk["go_live"].triggered.connect(self.toggle_live)
        hk["teleprompter"].triggered.connect(self.show_teleprompter)
        hk["focus_comments"].triggered.connect(self._focus_comment_search)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.file_menu = bar.addMenu("")
        self.file_menu.addAction(self.open_show_action)
        self.recent_menu = self.file_menu.addMenu("")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.file_menu.addAction(self.edit_show_action)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.settings_action)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.quit_action)
        hk = self.hotkeys.actions
        self.show_menu = bar.addMenu("")
        self.show_menu.addAction(hk["previous_segment"])
        self.show_menu.addAction(hk["next_segment"])
        self.show_menu.addSeparator()
        self.products_menu = self.show_menu.addMenu("")
        for number in range(1, 10):
            self.products_menu.addAction(hk[f"product_{number}"])
        self.products_menu.addSeparator()
        self.products_menu.addAction(hk["clear_product"])
        self.show_menu.addAction(hk["toggle_deal"])
        self.show_menu.addSeparator()
        self.show_menu.addAction(hk["pin_latest_question"])
        self.show_menu.addAction(hk["pin_comment"])
        self.show_menu.addAction(hk["mark_answered"])
        self.show_menu.addAction(hk["unpin_comment"])
        self.show_menu.addAction(hk["focus_comments"])
        self.show_menu.addSeparator()
        self.show_menu.addAction(self.studio_action)
        self.show_menu.addAction(hk["take"])
        self.show_menu.addSeparator()
        self.show_menu.addAction(self.end_rehearsal_action)
        self.show_menu.addAction(self.rehearse_again_action)
        self.stream_menu = bar.addMenu("")
        self.stream_menu.addAction(hk["go_live"])
        self.stream_menu.addAction(self.record_action)
        self.stream_menu.addAction(self.reconnect_action)
        self.view_menu = bar.addMenu("")
        for action in self.go_to_actions.values():
            self.view_menu.addAction(action)
        self.panels_menu = self.view_menu.addMenu("")
        for dock in self.docks.values():
            self.panels_menu.addAction(dock.toggleViewAction())
        self.view_menu.addSeparator()
        self.view_menu.addAction(hk["teleprompter"])
        self.view_menu.addAction(self.reset_layout_action)
        self.language_menu = self.view_menu.addMenu("")
        for action in self.language_actions.values():
            self.language_menu.addAction(action)
        self.help_menu = bar.addMenu("")
        self.help_menu.addAction(hk["messages"])
        self.help_menu.addAction(self.shortcuts_action)
        self.help_menu.addAction(self.about_action)

    def _build_toolbar(self) -> None:
        self.toolbar = QToolBar(self)
        self.toolbar.setObjectName("main_toolbar")
        self.toolbar.setMovable(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        hk = self.hotkeys.actions
        self.toolbar.addAction(hk["go_live"])
        self.go_live_button = self.toolbar.widgetForAction(hk["go_live"])
        self.go_live_button.setObjectName("go_live_button")
        self.toolbar.addAction(self.record_action)
        self.toolbar.addSeparator()
        self.toolbar.addAction(hk["previous_segment"])
        self.toolbar.addAction(hk["next_segment"])
        self.toolbar.addAction(hk["toggle_deal"])
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.studio_action)
        self.toolbar.addAction(hk["take"])
        self.toolbar.addAction(hk["teleprompter"])
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.end_rehearsal_action)
        self.toolbar.addAction(self.rehearse_again_action)

    def _connect(self) -> None:
        c = self.controller
        c.show_changed.connect(self._show_changed)
        c.health_changed.connect(self.health.update_health)
        c.health_changed.connect(
            lambda h: self.audio.set_level(h.audio_level_dbfs, h.microphone_ok)
        )
        c.sales_changed.connect(self.orders.update_sales)
        c.comments_arrived.connect(self.comments.add_comments)
        c.comments_removed.connect(self.comments.remove_comments)
        c.orders_arrived.connect(self.orders.add_orders)
        c.live_changed.connect(self._live_changed)
        c.session_started.connect(self._session_started)
        c.session_changed.connect(self.comments.start_session)
        c.session_changed.connect(self.orders.start_session)
        c.message.connect(self.notify)
        c.health_changed.connect(self._health_changed)
        c.health_changed.connect(self.recording_indicator.update_health)
        c.recording_question.connect(self._ask_to_record)
        c.recording_changed.connect(self._show_record_state)
        self.record_action.toggled.connect(self._close_recording_question)
        self.products.notice.connect(self.notify)
        self.hotkeys.explained.reason.connect(self.notify)
        c.rehearsal_finished.connect(self.show_rehearsal_report)
        c.show_refused.connect(self._show_refused)
        c.start_refused.connect(self._start_refused)
        c.on_air_check = OnAirCheck(self, lambda: c.live.show if c.live is not None else None)
        c.board_changed.connect(self.board.update_snapshot)
        self.board.dismiss_requested.connect(c.dismiss_prompt)
        self.board.prompt_fired.connect(self._prompt_fired)
        self.board.newest_prompt_changed.connect(self.teleprompter.set_prompt)
        self.board.set_rules_off(c.settings.prompts_off)
        self.board.rules_off_changed.connect(c.set_prompt_rules_off)
        self.run_sheet.next_requested.connect(c.next_segment)
        self.run_sheet.previous_requested.connect(c.previous_segment)
        self.run_sheet.jump_requested.connect(c.jump_to_segment)
        self.products.show_product_requested.connect(self._product_clicked)
        self.products.clear_product_requested.connect(lambda: c.show_product(None))
        self.products.start_deal_requested.connect(c.start_deal)
        self.products.stop_deal_requested.connect(lambda sku: c.stop_deal(sku or None))
        self.comments.pin_requested.connect(c.pin_comment)
        self.comments.unpin_requested.connect(c.unpin_comment)
        self.comments.hide_requested.connect(c.hide_comment)
        self.health.reconnect_requested.connect(c.reconnect_now)
        self.audio.mute_changed.connect(c.set_muted)
        self.audio.gain_changed.connect(c.set_gain_db)

    # -- language --------------------------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        titles = {
            "run_sheet": self.tr("Run sheet"),
            "products": self.tr("Products"),
            "comments": self.tr("Comments"),
            "orders": self.tr("Orders and sales"),
            "health": self.tr("Stream health"),
            "audio": self.tr("Audio"),
            "teleprompter": self.tr("Teleprompter"),
            "board": self.tr("Data board"),
        }
        for name, dock in self.docks.items():
            dock.setWindowTitle(titles[name])
            dock.toggleViewAction().setText(titles[name])
            self.go_to_actions[name].setText(titles[name])
        self.panels_menu.setTitle(self.tr("Show or hide &panels"))
        for panel in (self.run_sheet, self.products, self.comments, self.orders, self.health,
                      self.audio, self.teleprompter, self.board):  # fmt: skip
            panel.retranslate()
        self.hotkeys.retranslate()
        self._product_names = None  # the hotkeys' labels came back: name the products again
        self._name_product_actions(self.controller.show_state.products)
        self.file_menu.setTitle(self.tr("&File"))
        self.recent_menu.setTitle(self.tr("Open &recent"))
        self.show_menu.setTitle(self.tr("&Show"))
        self.products_menu.setTitle(self.tr("Pr&oducts"))
        self.stream_menu.setTitle(self.tr("S&tream"))
        self.view_menu.setTitle(self.tr("&View"))
        self.language_menu.setTitle(self.tr("&Language"))
        self.help_menu.setTitle(self.tr("&Help"))
        self.open_show_action.setText(self.tr("&Open show…"))
        self.edit_show_action.setText(self.tr("&Edit show…"))
        self.settings_action.setText(self.tr("&Settings…"))
        self.quit_action.setText(self.tr("&Quit"))
        self.record_action.setToolTip(
            self.tr("Record a local copy (%1)").replace("%1", self._key_text("record"))
        )
        self.reconnect_action.setText(self.tr("Re&connect now"))
        self.studio_action.setToolTip(
            self.tr("Stage the next card in a preview, then take it (%1)").replace(
                "%1", self._key_text("studio_mode")
            )
        )
        self.rehearse_again_action.setText(self.tr("Rehearse a&gain"))
        # The toolbar says it short (the menus keep the whole sentence): it must fit 1366
        # pixels in Chinese and Japanese too, with no "»" hiding Take or End rehearsal.
        hk = self.hotkeys.actions
        for action_id, short in (
            ("previous_segment", self.tr("◀ Previous")),
            ("next_segment", self.tr("Next ▶")),
            ("toggle_deal", self.tr("Flash deal")),
            ("studio_mode", self.tr("Studio")),
            ("take", self.tr("Take")),
            ("teleprompter", self.tr("Teleprompter")),
            ("end_rehearsal", self.tr("End rehearsal")),
        ):
            hk[action_id].setIconText(short)
        self.record_action.setIconText(self.tr("Record"))
        self.rehearse_again_action.setIconText(self.tr("Rehearse again"))
        self.reset_layout_action.setText(self.tr("&Reset the layout"))
        self.shortcuts_action.setText(self.tr("&Keyboard shortcuts…"))
        self.about_action.setText(self.tr("&About AnchorDesk"))
        self.language_actions["system"].setText(self.tr("System language"))
        self.program.setAccessibleName(self.tr("Program preview"))
        self.staged.setAccessibleName(self.tr("Staged preview"))
        self.program.set_label(self.tr("PROGRAM"))
        self.staged.set_label(
            self.tr("STAGED — %1 takes it on air").replace("%1", self._key_text("take"))
        )
        self.toolbar.setWindowTitle(self.tr("Main toolbar"))
        self._live_changed(self.controller.is_live)
        self._update_title()
        self.recording_indicator.retranslate()
        self._retranslate_qt_parts()

    def _retranslate_qt_parts(self) -> None:
        """Qt names the buttons it adds itself (a dock's float and close, the tab bar's scroll
        arrows) once, when it makes them; a screen reader would keep the old language."""
        translate = QCoreApplication.translate
        for object_name, context, text in (
            ("qt_dockwidget_closebutton", "QDockWidget", "Close"),
            ("qt_dockwidget_floatbutton", "QDockWidget", "Float"),
            ("ScrollLeftButton", "QTabBar", "Scroll Left"),
            ("ScrollRightButton", "QTabBar", "Scroll Right"),
        ):
            for button in self.findChildren(QAbstractButton, object_name):
                button.setAccessibleName(translate(context, text))
        for button in self.findChildren(QAbstractButton, "qt_toolbar_ext_button"):
            # The toolbar's "»" on a narrow screen: Qt gives it no name at all.
            button.setAccessibleName(self.tr("More toolbar buttons"))

    def _update_title(self) -> None:
        # Isolated (ui/snapshots.py): a right-to-left override the title leaves open
        # ("Sale \u202e…") turned the rest of the title bar around ("… — AnchorDesk" read
        # "kseDrohcnA — …").
        # As text: Qt took a "[*]" in it for its unsaved mark and dropped it ("Sale  Night").
        show = title_text(self.controller.show_state.title)
        self.setWindowTitle(f"{show} — AnchorDesk" if show else "AnchorDesk")

    # -- state from the controller -----------------------------------------------------------------

    def _show_changed(self, state: ShowState) -> None:
        self.run_sheet.update_state(state)
        self.products.update_state(state)
        self.comments.set_pinned(state.pinned)
        self._name_product_actions(state.products)
        if self.teleprompter.isVisible():
            self.teleprompter.update_state(state)
        current = state.current
        if current is not None:
            self.clock_label.setText(
                f"{current.index + 1}/{len(state.segments)} · {self._clock_title(current.title)}"
                f" · {stopwatch_text(current.elapsed_s)} / {format_duration(current.planned_s)}"
            )
            self.clock_label.setToolTip(plain_tooltip(current.title))
        if state.title and not self.windowTitle().startswith(state.title):
            self._update_title()
        if state.mode != self._mode:
            self._mode = state.mode
            self._live_changed(self.controller.is_live)

    def _clock_title(self, title: str) -> str:
        """The segment's title as the status bar's clock shows it: at most about 20 wide
        letters. Whole, a long one (200 CJK letters, as a show may have) pushed the segment's
        time ("0:04 / 5:00") off the screen at 1366x768 (R13ui F4). A cut title keeps no bidi
        control: one the cut left open would turn the time after it around."""
        metrics = self.clock_label.fontMetrics()
        most = metrics.horizontalAdvance("\u6c49") * 20
        elided = metrics.elidedText(title, Qt.TextElideMode.ElideRight, most)
        if elided == title:
            return title
        return "".join(char for char in elided if char not in BIDI_CONTROLS)

    def _prompt_fired(self, line: str) -> None:
        """A new prompt: a notice over the picture and in the status bar (the teleprompter
        shows the newest one while it is on the board)."""
        self.notify(self.tr("Prompt: %1").replace("%1", line))

    def _ask_to_record(self, folder: str, bytes_per_hour: int) -> None:
        """The first rehearsal: record or not, asked once (the answer is kept)."""
        if self.recording_question is not None:
            return
        if self.start_dialog is not None and self.start_dialog.isVisible():
            # One question at a time: the refused show's problems first (they say the sample
            # is running); the recording question when that dialog is closed.
            self.start_dialog.finished.connect(
                lambda _result: self._ask_to_record(folder, bytes_per_hour)
            )
            return
        box = RecordingQuestion(folder, bytes_per_hour, self._key_text("record"), self)
        box.answered.connect(self._recording_answered)
        self.recording_question = box
        box.open()

    def _recording_answered(self, record: bool) -> None:
        self.recording_question = None
        self.controller.answer_recording_question(record)
        self._show_record_state(self.controller.recording_wanted)

    def _close_recording_question(self) -> None:
        """Record pressed while the question is open: that is the answer."""
        box, self.recording_question = self.recording_question, None
        if box is not None:
            box.answered.disconnect(self._recording_answered)
            box.close()

    def _show_record_state(self, on: bool) -> None:
        self.record_action.blockSignals(True)
        self.record_action.setChecked(on)
        self.record_action.blockSignals(False)

    def _session_started(self) -> None:
        self.program.set_source(self.controller.frame_source())
        if self.studio_action.isChecked():
            self.staged.set_source(self.controller.staged_frame_source())

    def _live_changed(self, live: bool) -> None:
        action = self.hotkeys.actions["go_live"]
        action.setText(self.tr("Stop streaming") if live else self.tr("Go live…"))
        action.setToolTip(action.text())
        self.go_live_button.setStyleSheet(
            "background: #c62828; color: white; font-weight: bold" if live else "font-weight: bold"
        )
        self.go_live_button.setAccessibleName(action.text())
        ended = self._mode == "ended" and not live
        self._render_mode_label()
        self.rehearse_again_action.setEnabled(ended)
        # While live, nothing that would restart the pipeline may be used.
        self.settings_action.setEnabled(not live)
        self.open_show_action.setEnabled(not live)
        self.recent_menu.setEnabled(not live)
        self.end_rehearsal_action.setEnabled(not live and not ended)
        self.record_action.setEnabled(not live)
        # The go-live dialog may have switched the recording on.
        self.record_action.blockSignals(True)
        self.record_action.setChecked(self.controller.recording_wanted)
        self.record_action.blockSignals(False)

    def _health_changed(self, health: HealthState) -> None:
        network = health.network
        attempt = network.attempt if network is not None and network.state == "reconnecting" else 0
        if attempt != self._reconnect_attempt:
            self._reconnect_attempt = attempt
            self._render_mode_label()

    _reconnect_attempt = 0

    def _render_mode_label(self) -> None:
        live = self.controller.is_live
        ended = self._mode == "ended" and not live
        style = ""
        if live and self._reconnect_attempt:
            # Not a red LIVE while viewers see nothing: amber, with the attempt.
            mode_text = self.tr("LIVE — reconnecting (attempt %1)").replace(
                "%1", str(self._reconnect_attempt)
            )
            style = "color: #ef6c00; font-weight: bold"
        elif live:
            mode_text = self.tr("LIVE")
            style = "color: #c62828; font-weight: bold"
        elif ended:
            mode_text = self.tr("Session ended — rehearse again or go live")
        else:
            mode_text = self.tr("Rehearsal — simulated audience, nothing is pushed")
        self.mode_label.setText(mode_text)
        self.mode_label.setStyleSheet(style)

    def _name_product_actions(self, products: tuple[ProductRow, ...]) -> None:
        """The Products menu lists the show's products by name, and only as many as it has;
        in studio mode their keys stage the card instead of putting it on air."""
        studio = self.studio_action.isChecked()
        names = tuple((p.sku, p.title) for p in products[:9])
        key = (*names, ("studio", str(studio)))
        if key == self._product_names:
            return
        self._product_names = key
        for number in range(1, 10):
            action = self.hotkeys.actions[f"product_{number}"]
            if number <= len(names):
                title = names[number - 1][1].replace("&", "&&")
                text = (self.tr("Stage “%1”") if studio else self.tr("Put “%1” on screen")).replace(
                    "%1", title
                )
                action.setText(f"&{number}  {text}")
                action.setEnabled(True)
                action.setVisible(True)
            else:
                action.setEnabled(False)
                action.setVisible(False)

    # -- commands --------------------------------------------------------------------------------

    def notify(self, text: str) -> None:
        """A message the operator must see: over the picture and in the status bar, and kept
        with its time in Help → Messages (the banner and the status bar forget it)."""
        self.statusBar().showMessage(text, 8000)
        self.notice.notify(text)
        self.messages.add(text)

    def _say_remote_error(self) -> None:
        """The remote control could not start: said once over the picture. Only the settings
        page said it, to whoever opened it; a phone set up for the show just got no answer."""
        error = self.remote.error
        if error and error != self._remote_error_said:
            self.notify(error)
        self._remote_error_said = error

    def _key_text(self, action_id: str) -> str:
        return (
            self.hotkeys.actions[action_id]
            .shortcut()
            .toString(QKeySequence.SequenceFormat.NativeText)
        )

    def _why_no_product(self, number: int) -> str:
        return self.tr(
            "This show has %Ln product(s): there is no product %1.",
            "",
            len(self.controller.show_state.products),
        ).replace("%1", str(number))

    def _why_no_end_rehearsal(self) -> str:
        if self.controller.is_live:
            return self.tr("The show is live: stop streaming to end it.")
        return self.tr("The session has ended already: rehearse again or go live.")

    def _product_clicked(self, sku: str) -> None:
        if self.studio_action.isChecked():
            self.controller.stage_product(sku)
        else:
            self.controller.show_product(sku)

    def clear_product(self) -> None:
        if self.studio_action.isChecked():
            self.controller.stage_product(None)
        elif self.controller.show_state.on_screen_sku is None:
            self.notify(self.tr("No product is on screen."))
        else:
            self.controller.show_product(None)

    def pin_selected_comment(self) -> None:
        if self.comments.selected() is None:
            self.notify(
                self.tr(
                    "Select a comment to pin first, or press %1 to pin the latest question."
                ).replace("%1", self._key_text("pin_latest_question"))
            )
            return
        self.comments.pin_selected()

    def unpin_comment(self) -> None:
        if self.controller.show_state.pinned is None:
            self.notify(self.tr("No comment is pinned."))
            return
        self.controller.unpin_comment()

    def mark_answered(self) -> None:
        """The pinned question is answered: marked ✓ in the list and taken off the picture."""
        pinned = self.controller.show_state.pinned
        if pinned is None:
            self.notify(
                self.tr("No question is pinned: press %1 to pin the latest one.").replace(
                    "%1", self._key_text("pin_latest_question")
                )
            )
            return
        self.comments.mark_answered(pinned.key)
        self.controller.unpin_comment()
        self.statusBar().showMessage(self.tr("Answered: %1").replace("%1", pinned.text), 8000)

    def reconnect_now(self) -> None:
        if not self.controller.is_live:
            self.notify(self.tr("Nothing is being streamed: there is nothing to reconnect."))
            return
        self.controller.reconnect_now()

    def set_studio_mode(self, on: bool) -> None:
        left, right = self.docks["run_sheet"], self.docks["comments"]
        if on:
            self._side_widths = (left.width(), right.width())
        self.staged.setVisible(on)
        self.controller.set_studio_mode(on)
        self.staged.set_source(self.controller.staged_frame_source() if on else None)
        self.hotkeys.actions["take"].setEnabled(on)
        self._name_product_actions(self.controller.show_state.products)
        if not on and self._side_widths is not None:
            # The docks get back the width the staged preview took from them.
            self.resizeDocks([left, right], list(self._side_widths), Qt.Orientation.Horizontal)
            self._side_widths = None
        self.previews.arrange()

    def take(self) -> None:
        self.controller.take()

    def toggle_live(self) -> None:
        if self.controller.is_live:
            self.confirm_stop_live()
        else:
            self.open_go_live()

    def open_go_live(self) -> GoLiveDialog:
        settings = self.controller.settings
        dialog = GoLiveDialog(
            settings.destinations,
            settings.active_destination_id,
            self.controller.recording_wanted,
            self.controller.preflight_facts,
            self.controller.stream_key_present,
            self.controller.executor,
            self,
            edit_stream_key=self._open_settings_on_key,
        )
        dialog.go_live_requested.connect(self.controller.go_live)
        dialog.settings_changed.connect(self.controller.reload_settings)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def confirm_stop_live(self) -> None:
        answer = QMessageBox.question(
            self,
            self.tr("Stop streaming"),
            self.tr("Stop the stream now? Viewers will see the stream end."),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.controller.stop_live()

    def go_to_panel(self, name: str) -> None:
        """Bring a panel forward (shown again if it was closed) and put the keyboard in it."""
        dock = self.docks[name]
        dock.show()
        dock.raise_()
        panel = self.panels[name]
        typing = (Qt.FocusPolicy.TabFocus, Qt.FocusPolicy.StrongFocus, Qt.FocusPolicy.WheelFocus)
        # A panel's focus proxy first (the orders list, not the scroll area around the orders
        # panel's figures), else its first widget that takes keys.
        proxy = panel.focusProxy()
        target = next(
            (
                widget
                for widget in (proxy, panel, *panel.findChildren(QWidget))
                if widget is not None
                if widget.focusPolicy() in typing
                and widget.isEnabled()
                and widget.isVisibleTo(dock)
            ),
            None,
        )
        if target is not None:  # the data board is figures only: shown, nothing to type into
            target.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def show_teleprompter(self) -> None:
        """Show (and raise) the teleprompter dock; detached, it goes to the screen it was last
        detached on, when that screen is still there."""
        dock = self.docks["teleprompter"]
        self.teleprompter.update_state(self.controller.show_state)
        dock.show()
        dock.raise_()
        if dock.isFloating():
            name = self.qsettings.value("teleprompter/screen")
            screen = next((s for s in QApplication.screens() if s.name() == name), None)
            if screen is not None and dock.screen() is not screen:
                dock.setGeometry(screen.availableGeometry())
            dock.activateWindow()

    def _teleprompter_floated(self, floating: bool) -> None:
        if floating:
            QTimer.singleShot(0, self._remember_teleprompter_screen)

    def _remember_teleprompter_screen(self) -> None:
        dock = self.docks["teleprompter"]
        if dock.isFloating() and window_ini.free_to_write(self.qsettings):
            self.qsettings.setValue("teleprompter/screen", dock.screen().name())
            self.qsettings.sync()

    def _focus_comment_search(self) -> None:
        self.docks["comments"].show()
        self.docks["comments"].raise_()
        self.comments.search.setFocus()
        self.comments.search.selectAll()

    def open_show(self) -> None:
        path = file_dialogs.get_open_file_name(
            self, self.tr("Open show"), str(Path.home()), self.tr("Show files (*.json)")
        )
        if path:
            self.controller.open_show(Path(path))

    def _show_refused(self, path: Path, problems: list[str], editable: bool) -> None:
        """A show that cannot run: its problems in full, and the rehearsal goes on."""
        from anchordesk.ui.editor.problems_dialog import ProblemsDialog

        if editable:
            heading = self.tr(
                "%1 cannot be opened: it has the problems below. The current show goes on; "
                "fix the file in the show editor and open it again."
            )
        else:
            # Not a show the editor can open (a named pipe, a folder, not JSON, no file at all:
            # a recent show moved away): no editing fixes it (R8ui L4: a FIFO was sent to the
            # editor). Said without naming why: "it is not a show file" for a show deleted
            # since, picked from File → Open recent, was not so.
            heading = self.tr(
                "%1 cannot be opened as a show (see below). The current show goes on; open a "
                "show file."
            )
        heading = heading.replace("%1", str(path))
        self.refused_dialog = ProblemsDialog(self.tr("Open show"), heading, problems, self)
        self.refused_dialog.open()

    def _start_refused(self, path: Path, problems: list[str], editable: bool) -> None:
        """The show named at start-up cannot run: its problems, the sample said to be running,
        and the next steps (the editor on that file, another show, or the sample)."""
        from anchordesk.ui.start_refused import StartRefusedDialog

        self.start_dialog = StartRefusedDialog(path, problems, editable, self)
        self.start_dialog.edit_requested.connect(self._edit_refused_show)
        self.start_dialog.open_requested.connect(self.open_show)
        self.start_dialog.open()
        self.statusBar().showMessage(
            self.tr("%1 cannot be opened: the sample show is running.").replace("%1", path.name)
        )

    def _edit_refused_show(self, path: Path) -> None:
        from anchordesk.ui.editor import open_editor

        # Saved without errors, the fixed show replaces the sample (see _show_saved).
        self.show_to_fix = path
        editor = open_editor(path, self, settings=self.controller.settings)
        editor.show_saved.connect(self._show_saved)
        self._front_after_question(editor)

    def _front_after_question(self, window: QWidget) -> None:
        """A window opened while the first-rehearsal question is open comes back to the front
        once it is answered. The refused show's "Edit in the show editor" closes its dialog,
        which opens the question over the control room; answering it left the control room
        in front and in focus, the editor asked for hidden behind it (R25hunt25ui F3)."""
        box = self.recording_question
        if box is None:
            return

        def to_front(_result: int) -> None:
            if shiboken6.isValid(window) and window.isVisible():
                window.raise_()
                window.activateWindow()

        box.finished.connect(to_front)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for text in self.controller.settings.recent_shows:
            action = self.recent_menu.addAction(menu_text(text))
            action.triggered.connect(lambda _c=False, t=text: self.controller.open_show(Path(t)))
        if not self.controller.settings.recent_shows:
            self.recent_menu.addAction(self.tr("No recent shows")).setEnabled(False)

    def edit_show(self) -> None:
        from anchordesk.ui.editor import open_editor

        editor = open_editor(self.controller.show_path, self, settings=self.controller.settings)
        editor.show_saved.connect(self._show_saved)
        self._front_after_question(editor)

    def _show_saved(self, path: Path) -> None:
        # A rehearsal picks up the edited show at once; a live show is never swapped under the
        # operator's hands (the stream would jump), the edit applies to the next run.
        if self.controller.is_live:
            self.statusBar().showMessage(
                self.tr("Show saved. It will be used the next time the show is opened."), 8000
            )
        elif self.controller.show_path is not None and Path(path) == Path(
            self.controller.show_path
        ):
            self.controller.open_show(Path(path))
        elif self.show_to_fix is not None and Path(path) == self.show_to_fix:
            self.show_to_fix = None
            self.controller.open_show(Path(path))

    def open_settings(self) -> None:
        from anchordesk.ui.settings import open_settings

        if open_settings(self, self.remote):
            self.controller.reload_settings()
            self.board.set_rules_off(self.controller.settings.prompts_off)

    def _open_settings_on_key(self, parent: QWidget, destination_id: str) -> bool:
        from anchordesk.ui.settings import open_settings

        return open_settings(parent, self.remote, stream_key_for=destination_id)

    def set_language(self, code: str) -> None:
        self.controller.set_language(code)

    def show_messages(self) -> None:
        """The run's messages; one dialog, brought forward if it is open already."""
        if self.messages_dialog is None:
            self.messages_dialog = MessagesDialog(self.messages, self)
            # The show's keys (window-wide) work while the messages are read, too.
            self.messages_dialog.addActions(list(self.hotkeys.actions.values()))
        self.messages_dialog.show()
        self.messages_dialog.raise_()
        self.messages_dialog.activateWindow()

    def edit_shortcuts(self) -> None:
        HotkeyDialog(self.hotkeys, self).exec()

    def about(self) -> None:
        from anchordesk import __version__

        QMessageBox.about(
            self,
            self.tr("About AnchorDesk"),
            self.tr("AnchorDesk %1 — the control room of a live-commerce show.").replace(
                "%1", __version__
            ),
        )

    def end_rehearsal(self) -> None:
        self.controller.end_rehearsal()

    def show_rehearsal_report(self, report: object) -> None:
        dialog = RehearsalReportDialog(report, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(self.controller.rehearse_again)
        dialog.open()
        self.report_dialog = dialog

    # -- layout ----------------------------------------------------------------------------------

    def _apply_default_sizes(self) -> None:
        """The default dock sizes, as fractions of the window (a 1366×768 laptop gives run
        sheet and products about 330 px, comments about 360 px, the health row 180 px)."""
        width, height = max(800, self.width()), max(500, self.height())
        left = max(self.run_sheet.minimumSizeHint().width() + 24, min(380, width // 4))
        right = max(self.comments.minimumSizeHint().width() + 8, min(400, width // 4 + 20))
        room = width - 260  # the previews keep at least this much
        if left + right > room:  # a small screen: the docks share what there is (they scroll)
            left, right = left * room // (left + right), right * room // (left + right)
        self.resizeDocks(
            [self.docks["run_sheet"], self.docks["comments"]],
            [left, right],
            Qt.Orientation.Horizontal,
        )
        self.resizeDocks(
            [self.docks["run_sheet"], self.docks["products"]],
            [height * 2 // 5, height * 3 // 5],
            Qt.Orientation.Vertical,
        )
        self.resizeDocks([self.docks["health"]], [max(120, height // 4)], Qt.Orientation.Vertical)

    def fit_to_screen(self) -> None:
        """Size the window to the screen's available area (title bar and status bar on
        screen), at most 1366×768 of content."""
        screen = self.screen() or QApplication.primaryScreen()
        if screen is None:
            self.resize(DEFAULT_SIZE)
            return
        rect = fitted_geometry(screen.availableGeometry(), DEFAULT_SIZE, self._frame_margins)
        self.setGeometry(rect)

    def fits_screen(self) -> bool:
        screen = self.screen() or QApplication.primaryScreen()
        if screen is None:
            return True
        return screen.availableGeometry().contains(self.frameGeometry())

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._fitted_once:
            self._fitted_once = True
            QTimer.singleShot(0, self._check_fit)

    def _check_fit(self) -> None:
        """Once shown, the window manager's real frame is known: a window whose frame runs
        past the screen (a restored geometry from a bigger screen, a guess too small) is
        fitted again."""
        if self.isMaximized() or self.isFullScreen():
            return
        frame, client = self.frameGeometry(), self.geometry()
        margins = QMargins(
            client.left() - frame.left(),
            client.top() - frame.top(),
            frame.right() - client.right(),
            frame.bottom() - client.bottom(),
        )
        if margins.top() > 0:
            self._frame_margins = margins
        if not self.fits_screen():
            self.fit_to_screen()

    def _restore_layout(self) -> None:
        geometry = self.qsettings.value("window/geometry")
        state = self.qsettings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state, LAYOUT_VERSION)

    def save_layout(self) -> None:
        if not window_ini.free_to_write(self.qsettings):
            return  # the layout of this run is not kept; the close goes on
        self.qsettings.setValue("window/geometry", self.saveGeometry())
        self.qsettings.setValue("window/state", self.saveState(LAYOUT_VERSION))
        self.qsettings.sync()

    def reset_layout(self) -> None:
        """The first-run layout: every dock back in place and shown, the window fitted."""
        if self.isMaximized() or self.isFullScreen():
            self.showNormal()
        for dock in self.docks.values():
            dock.setFloating(False)
        self.restoreState(self._default_state, LAYOUT_VERSION)
        for dock in self.docks.values():
            dock.show()
        self.docks["comments"].raise_()
        self.docks["run_sheet"].raise_()
        self.fit_to_screen()
        self._apply_default_sizes()

    def closeEvent(self, event: QCloseEvent) -> None:
        asked = not self._quitting and not crash.termination_requested()
        if self.controller.is_live and asked:
            answer = QMessageBox.question(
                self,
                self.tr("Quit while live"),
                self.tr("The stream is live. Stop streaming and quit?"),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            # A SIGTERM/SIGINT/SIGHUP while the question is open closes the question (Cancel)
            # and skips this window, which Qt counts as already closing: the window stayed live.
            if answer != QMessageBox.StandardButton.Yes and not crash.termination_requested():
                event.ignore()
                return
        self._quitting = True
        self.save_layout()
        self.remote.close()
        self.controller.shutdown()
        event.accept()


def run_window(show_path: Path | None, held_signals: Sequence[int] = ()) -> int:
    """Open the control room (``anchordesk`` / ``anchordesk gui``) and run until it closes.
    ``held_signals``: closing signals received while the window's modules loaded (a list the
    caller's handler goes on filling until the window's own handlers are installed)."""
    return run_control_room(show_path, held_signals=held_signals)


def run_control_room(
    show_path: Path | None,
    *,
    settings: Settings | None = None,
    language: str | None = None,
    on_ready: Callable[[MainWindow], object] | None = None,
    controller_options: dict[str, object] | None = None,
    held_signals: Sequence[int] = (),
) -> int:
    """The window on a qasync loop (the feeds run on it). ``on_ready`` is called once the
    picture runs (screenshots, benchmarks); closing the last window ends the loop."""
    import qasync

    from anchordesk.live.settings import load_settings
    from anchordesk.ui import i18n

    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("AnchorDesk")
    app.setOrganizationName("AnchorDesk")
    # Cycles are collected on this thread only: one collected on the picture's thread destroyed
    # a widget's timer there and crashed the window (ui/collector.py).
    collector_started = collector.install(app)
    settings = settings if settings is not None else load_settings()
    i18n.install(app, language or settings.language)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    from anchordesk.ui import desktop

    # Icon and Wayland app id (the .desktop file's name); the crash dialog (ui/crash.py).
    desktop.set_application_identity(app)
    crash.install(app, loop)
    if held_signals:
        # Asked to end while starting: closed as soon as the loop runs, before any show starts.
        crash.close_requested(held_signals[0])
    controller = Controller(settings=settings, **(controller_options or {}))  # type: ignore[arg-type]
    window = MainWindow(controller)
    checked = window.language_actions.get(settings.language, window.language_actions["system"])
    checked.setChecked(True)
    window.show()
    if on_ready is not None:
        controller.session_started.connect(lambda: on_ready(window))
    QTimer.singleShot(0, lambda: controller.start_on(show_path))
    closed = asyncio.Event()
    app.lastWindowClosed.connect(closed.set)
    # The loop ends when window_life is done, not when Qt sees the last window close: the
    # show's stop and the feeds' end run on it after that.
    app.setQuitOnLastWindowClosed(False)
    try:
        with loop:
            loop.run_until_complete(window_life(closed, controller))
    finally:
        if collector_started:
            collector.uninstall()
    # The show's files are finished: nothing is left for a closing signal to close. Python
    # gives its handlers back to the system as it ends, and a SIGTERM in the half second the
    # process then takes to end (Qt's threads) killed it: exit 143 for a clean close.
    crash.ignore_closing_signals()
    return 0


async def window_life(closed: asyncio.Event, controller: Controller) -> None:
    """The window's life on its loop, to the end: the close, the show's stop, the feeds' end,
    then every task left cancelled and awaited (as ``asyncio.run`` ends its tasks), all while
    the loop runs. qasync's ``run_until_complete`` lets Qt run its events once more after the
    loop stopped: with the close and the feeds' end in two runs, a feed task woken by the close
    took its next step there, with no loop running ("the feeds stopped: no running event loop"
    in the log after a Ctrl+Q, one quit in about ten under Xvfb)."""
    await closed.wait()
    controller.shutdown()
    # The feeds' tasks see their stop; one still running after its share of the 2 s is
    # cancelled (Controller.FEEDS_CLOSE_S).
    await controller.wait_closed()
    current = asyncio.current_task()
    left = [task for task in asyncio.all_tasks() if task is not current and not task.done()]
    for task in left:
        task.cancel()
    if left:
        await asyncio.wait(left, timeout=TASKS_CLOSE_S)


# What the tasks left after the feeds' end (lifecycle steps the shutdown cancelled) get to see
# their cancellation through, within the 2 s a closing signal is promised.
TASKS_CLOSE_S = 0.5
