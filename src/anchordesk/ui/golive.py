"""Go-live flow: choose a destination, run the pre-flight checks, go live.

Checks: camera (the test pattern or no camera is a warning), microphone (no level or silence
is a warning: speak to check it), encoder (from the running pipeline's figures), stream key
present (keyring; when missing, why and a button to type it), show compliance (each hit by
product or segment name, wrapped, a warning, not a blocker), destination reachable (a TCP
connect with a timeout). The keyring and the network are asked through
:func:`anchordesk.ui.workers.run_task`: a keyring that waits for an unlock prompt or a
black-holed server must never freeze the window. The pipeline's figures are read again twice a
second while the dialog is open, so a check that failed only because the picture was still
starting turns green by itself.
A failed check blocks "Go live"; warnings do not.

Signals: ``GoLiveDialog.go_live_requested(str destination_id, bool record,
bool continue_run_sheet)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from urllib.parse import urlsplit

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from anchordesk.core import secrets
from anchordesk.core.printable import escape_controls
from anchordesk.core.words import Words
from anchordesk.live.settings import Destination
from anchordesk.ui.reach import ReachProblem, Unreachable, tcp_reachable
from anchordesk.ui.settings.destinations_page import platform_name
from anchordesk.ui.settings.keyring_text import missing_key_reason
from anchordesk.ui.words import plain_tooltip, say
from anchordesk.ui.workers import run_task

OK, WARN, FAIL, RUNNING = "ok", "warn", "fail", "running"
_MARKS = {OK: "✔", WARN: "⚠", FAIL: "✖", RUNNING: "…"}
_COLOURS = {OK: "#2e7d32", WARN: "#e65100", FAIL: "#c62828", RUNNING: "#555"}
DEFAULT_PORTS = {"rtmp": 1935, "rtmps": 443}
SILENCE_DBFS = -50.0  # a peak below this over the last second: nobody is speaking into it


@dataclass(frozen=True)
class CheckResult:
    check_id: str
    status: str  # ok | warn | fail | running
    detail: str = ""


@dataclass(frozen=True)
class PreflightFacts:
    """What the window already knows, gathered without blocking (from the last snapshots)."""

    camera_ok: bool
    camera_detail: str
    microphone_ok: bool
    microphone_detail: str
    encoder_ok: bool
    encoder_detail: str
    compliance_hits: tuple[str, ...]  # one line each, by product and segment name
    camera_is_test_pattern: bool = False
    test_pattern_chosen: bool = False  # the settings ask for it (else: no camera was found)
    microphone_level_dbfs: float | None = None  # the peak of the last second; None: silence
    microphone_muted: bool = False
    microphone_is_test_tone: bool = False  # viewers would hear a beep, not the streamer
    test_tone_chosen: bool = False  # the settings ask for it (else: no microphone was found)
    # The running recording has stopped for its disk's space (None: it has room, or none runs).
    recording_short_of_space_bytes: int | None = None
    # The running recording could not be written (its disk read-only, its folder missing or
    # not a folder): its reason, as the status bar said it.
    recording_fault: Words | None = None
    # Last, so the fields before keep their places (the window and tests give them by place).
    camera_missing: str = ""  # the settings' camera that cannot be opened (the stand-in runs)
    microphone_missing: str = ""  # the settings' microphone that cannot be opened


def server_address(server_url: str) -> tuple[str, int] | None:
    try:
        parts = urlsplit(server_url.strip())
        host = parts.hostname
        port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:
        return None
    if not host or not port:
        return None
    return host, port


def destination_server(destination: Destination) -> str:
    """The server a destination pushes to: its own, else its platform's first."""
    preset_servers = destination.preset.servers
    return destination.server_url.strip() or (preset_servers[0] if preset_servers else "")


class GoLiveDialog(QDialog):
    """Signals: ``go_live_requested(destination_id, record, continue_run_sheet)``;
    ``settings_changed()``: the settings were saved from here (to type a missing key)."""

    go_live_requested = Signal(str, bool, bool)
    settings_changed = Signal()

    FACTS_REFRESH_MS = 500

    def __init__(
        self,
        destinations: Sequence[Destination],
        active_destination_id: str | None,
        record: bool,
        facts: Callable[[], PreflightFacts],
        stream_key_present: Callable[[str], bool],
        executor: Executor,
        parent: QWidget | None = None,
        connect_timeout_s: float = 3.0,
        edit_stream_key: Callable[[QWidget, str], bool] | None = None,
        secret_store: secrets.SecretStore | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("go_live_dialog")
        self._destinations = [d for d in destinations if d.enabled]
        self._facts = facts
        self._key_present = stream_key_present
        self._executor = executor
        self._timeout_s = connect_timeout_s
        self._edit_stream_key = edit_stream_key or _open_settings_on_key
        self._store = secret_store or secrets.store()
        self._generation = 0
        self.results: dict[str, CheckResult] = {}

        self.destination = QComboBox(self)
        # As wide as the dialog allows, not as its longest name: a name of 3,000 characters
        # made the dialog 21,761 pixels wide, Go live and Cancel off the screen.
        self.destination.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.destination.setMinimumContentsLength(24)
        for destination in self._destinations:
            # Control characters written out: a right-to-left override in the name turned the
            # line around, the platform's words with it.
            name = escape_controls(destination.name)
            platform = platform_name(destination.preset)
            # A destination named after its platform (the default name) says it once.
            label = name if name == platform else f"{name} ({platform})"
            self.destination.addItem(label, destination.destination_id)
        position = self.destination.findData(active_destination_id)
        self.destination.setCurrentIndex(max(0, position))
        self.destination.currentIndexChanged.connect(lambda _i: self.run_checks())
        self.record = QCheckBox(self)
        self.record.setChecked(record)
        self.record.toggled.connect(lambda _on: self._refresh_facts())  # the recording's line
        # Going live starts a new session from the first segment; a rehearsal that ran into the
        # real show may continue where the run sheet is.
        self.continue_run_sheet = QCheckBox(self)
        self.checks = QListWidget(self)
        self.checks.setObjectName("preflight-checks")
        # Whole lines, wrapped: a compliance hit or a reason cut with "…" helps nobody.
        self.checks.setWordWrap(True)
        self.checks.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.checks.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.fix_key = QPushButton(self)
        self.fix_key.setObjectName("enter-stream-key")
        self.fix_key.clicked.connect(self._enter_stream_key)
        self.fix_key.hide()
        self.no_destination = QLabel(self)
        self.no_destination.setWordWrap(True)
        self.no_destination.setVisible(not self._destinations)
        self.again = QPushButton(self)
        self.again.clicked.connect(self.run_checks)
        self.buttons = QDialogButtonBox(self)
        self.go = self.buttons.addButton("", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._go)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        self.destination_label = QLabel(self)
        self.destination_label.setBuddy(self.destination)
        form.addRow(self.destination_label, self.destination)
        form.addRow("", self.record)
        form.addRow("", self.continue_run_sheet)
        layout = QVBoxLayout(self)
        layout.addWidget(self.no_destination)
        layout.addLayout(form)
        layout.addWidget(self.checks, 1)
        row = QHBoxLayout()
        row.addWidget(self.again)
        row.addWidget(self.fix_key)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(self.buttons)
        self.resize(640, 500)
        self._facts_timer = QTimer(self)
        self._facts_timer.setInterval(self.FACTS_REFRESH_MS)
        self._facts_timer.timeout.connect(self._refresh_facts)
        self._facts_timer.start()
        self.retranslate()
        self.run_checks()

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Go live"))
        self.destination_label.setText(self.tr("&Destination"))
        self.destination.setAccessibleName(self.tr("Destination"))
        self.record.setText(self.tr("&Record a local copy"))
        self.record.setAccessibleName(self.tr("Record a local copy"))
        self.continue_run_sheet.setText(self.tr("C&ontinue the run sheet from the current segment"))
        self.continue_run_sheet.setAccessibleName(
            self.tr("Continue the run sheet from the current segment")
        )
        self.checks.setAccessibleName(self.tr("Pre-flight checks"))
        self.again.setText(self.tr("Check &again"))
        self.fix_key.setText(self.tr("Enter the stream &key…"))
        self.go.setText(self.tr("Go live"))
        self.go.setAccessibleName(self.tr("Go live"))
        self.no_destination.setText(
            self.tr("No destination is set up. Add one in Settings, or keep rehearsing.")
        )

    def _labels(self) -> dict[str, str]:
        return {
            "camera": self.tr("Camera"),
            "microphone": self.tr("Microphone"),
            "encoder": self.tr("Encoder"),
            "key": self.tr("Stream key"),
            "reachable": self.tr("Destination reachable"),
            "compliance": self.tr("Show compliance"),
            "recording": self.tr("Recording"),
        }

    def selected_destination(self) -> Destination | None:
        destination_id = self.destination.currentData()
        return next((d for d in self._destinations if d.destination_id == destination_id), None)

    def run_checks(self) -> None:
        self._generation += 1
        self.results.clear()
        self._apply_facts(self._facts())
        destination = self.selected_destination()
        if destination is None:
            self._set("key", FAIL, self.tr("no destination"))
            self._set("reachable", FAIL, self.tr("no destination"))
            self._render()
            return
        server = destination_server(destination)
        address = server_address(server)
        tls = server.strip().lower().startswith("rtmps://")
        self._set("key", RUNNING, "")
        if address is None:
            self._set("reachable", FAIL, self.tr("the server URL names no host"))
        else:
            self._set("reachable", RUNNING, f"{address[0]}:{address[1]}")
        generation = self._generation
        destination_id = destination.destination_id
        key_present = self._key_present
        timeout_s = self._timeout_s
        store = self._store

        def key_work() -> bool:
            # The keyring may wait on D-Bus or an unlock prompt: never on the Qt thread.
            store.probe()
            return key_present(destination_id)

        def key_done(present: bool) -> None:
            detail = "" if present else missing_key_reason(store)
            self._worker_check_done(generation, "key", OK if present else FAIL, detail)

        run_task(key_work, key_done, owner=self, pool=self._executor)
        if address is not None:

            def reach_done(problem: ReachProblem | None) -> None:
                if problem is None:
                    status, detail = OK, f"{address[0]}:{address[1]}"
                else:
                    status, detail = FAIL, self.reach_problem_text(problem)
                self._worker_check_done(generation, "reachable", status, detail)

            run_task(
                lambda: tcp_reachable(address[0], address[1], timeout_s, tls=tls),
                reach_done,
                owner=self,
                pool=self._executor,
            )
        self._render()

    def reach_problem_text(self, problem: ReachProblem) -> str:
        """Why the server cannot be reached, in the window's language (the OS's English text
        is in the log)."""
        where = f"{problem.host}:{problem.port}"
        texts = {
            Unreachable.NAME_NOT_FOUND: self.tr(
                "no server is named %1: check the server URL"
            ).replace("%1", problem.host),
            Unreachable.NAME_LOOKUP_FAILED: self.tr(
                "the name %1 could not be looked up: is this computer online?"
            ).replace("%1", problem.host),
            Unreachable.REFUSED: self.tr(
                "%1 refused the connection: the server is down or the port is wrong"
            ).replace("%1", where),
            Unreachable.TIMEOUT: self.tr("no answer from %1 within %2 s")
            .replace("%1", where)
            .replace("%2", f"{problem.timeout_s:g}"),
            Unreachable.NO_ROUTE: self.tr(
                "no network route to %1: is this computer online?"
            ).replace("%1", where),
            Unreachable.TLS_FAILED: self.tr(
                "%1 answered, but the secure connection (TLS) failed: is it an rtmps:// server?"
            ).replace("%1", where),
            Unreachable.TLS_TIMEOUT: self.tr(
                "%1 took the connection but did not answer the secure (TLS) handshake within "
                "%2 s: is it an rtmps:// server?"
            )
            .replace("%1", where)
            .replace("%2", f"{problem.timeout_s:g}"),
        }
        return texts.get(
            problem.kind,
            self.tr("%1 could not be reached (the log says why)").replace("%1", where),
        )

    def _apply_facts(self, facts: PreflightFacts) -> None:
        if facts.camera_is_test_pattern:
            if facts.test_pattern_chosen:
                detail = self.tr(
                    "the test pattern is chosen in Settings: viewers would see colour bars"
                )
            elif facts.camera_missing:
                detail = self.tr(
                    "the camera %1 chosen in Settings cannot be opened: viewers would see the "
                    "test pattern"
                ).replace("%1", facts.camera_missing)
            else:
                detail = self.tr("no camera was found: viewers would see the test pattern")
            self._set("camera", WARN, detail)
        elif not facts.camera_ok:
            self._set(
                "camera",
                WARN,
                self.tr("%1 is not sending pictures").replace(
                    "%1", self._device_name(facts.camera_detail) or self.tr("the camera")
                ),
            )
        else:
            self._set("camera", OK, self._device_name(facts.camera_detail))
        self._set("microphone", *self._microphone_check(facts))
        self._set("encoder", OK if facts.encoder_ok else FAIL, facts.encoder_detail)
        if facts.compliance_hits:
            self._set(
                "compliance",
                WARN,
                self.tr("%Ln word(s) to avoid on air:", "", len(facts.compliance_hits))
                + "".join(f"\n• {line}" for line in facts.compliance_hits),
            )
        else:
            self._set("compliance", OK, self.tr("no banned or absolute terms"))
        free = facts.recording_short_of_space_bytes
        if free is not None and self.record.isChecked():
            # The status bar says it, but every line here was ✔ and "Record a local copy" ticked:
            # the live show went on air unrecorded on a full disk.
            from anchordesk.ui.docks.health import format_bytes

            self._set(
                "recording",
                WARN,
                self.tr(
                    "its disk has only %1 free: the live show is not recorded until there is room"
                ).replace("%1", format_bytes(free)),
            )
        elif facts.recording_fault is not None and self.record.isChecked():
            # Said in the status bar during the rehearsal, but every line here was ✔ with
            # "Record a local copy" ticked: the live recording failed the same way on air.
            self._set(
                "recording",
                WARN,
                self.tr(
                    "the rehearsal's recording stopped: %1. The live show is not recorded "
                    "until that is solved"
                ).replace("%1", say(facts.recording_fault)),
            )
        else:
            self.results.pop("recording", None)

    def _device_name(self, name: str) -> str:
        """media/ names its stand-in sources in English; say them in the user's language."""
        names = {
            "test pattern": self.tr("Test pattern"),
            "test tone": self.tr("Test tone"),
            "silence": self.tr("No audio"),
            "default microphone": self.tr("Default microphone"),
        }
        return names.get(name, name)

    def _microphone_check(self, facts: PreflightFacts) -> tuple[str, str]:
        name = self._device_name(facts.microphone_detail)
        if not facts.microphone_ok:
            return WARN, self.tr("%1: no sound comes in").replace("%1", name)
        if facts.microphone_is_test_tone:
            # A level is no proof of a voice: the tone has one. Said as the test pattern is.
            if facts.test_tone_chosen:
                return WARN, self.tr(
                    "the test tone is chosen in Settings: viewers would hear a beep, not you"
                )
            if facts.microphone_missing:
                return WARN, self.tr(
                    "the microphone %1 chosen in Settings cannot be opened: viewers would hear "
                    "the test tone"
                ).replace("%1", facts.microphone_missing)
            return WARN, self.tr("no microphone was found: viewers would hear the test tone")
        if facts.microphone_muted:
            return WARN, self.tr("%1 is muted").replace("%1", name)
        level = facts.microphone_level_dbfs
        if level is None or level < SILENCE_DBFS:
            return WARN, self.tr("%1 is silent: speak to check that it picks you up").replace(
                "%1", name
            )
        return OK, self.tr("%1, level %2 dB").replace("%1", name).replace("%2", f"{level:.0f}")

    def _refresh_facts(self) -> None:
        before = dict(self.results)
        self._apply_facts(self._facts())
        if self.results != before:
            self._render()

    def _worker_check_done(self, generation: int, check_id: str, status: str, detail: str) -> None:
        if generation != self._generation:
            return  # the destination changed meanwhile: an old answer
        self._set(check_id, status, detail)
        self._render()

    def _set(self, check_id: str, status: str, detail: str) -> None:
        self.results[check_id] = CheckResult(check_id, status, detail)

    def _render(self) -> None:
        labels = self._labels()
        self.checks.clear()
        checks = ("camera", "microphone", "encoder", "recording", "key", "reachable", "compliance")
        for check_id in checks:
            result = self.results.get(check_id)
            if result is None:
                continue
            text = f"{_MARKS[result.status]}  {labels[check_id]}"
            if result.detail:
                text += f" — {result.detail}"
            item = QListWidgetItem(text)  # plain text: compliance hits quote the show's words
            item.setForeground(QBrush(QColor(_COLOURS[result.status])))
            item.setData(Qt.ItemDataRole.UserRole, result.status)
            item.setToolTip(plain_tooltip(text))
            self.checks.addItem(item)
        key = self.results.get("key")
        self.fix_key.setVisible(
            key is not None and key.status == FAIL and self.selected_destination() is not None
        )
        self.go.setEnabled(self.ready())

    def _enter_stream_key(self) -> None:
        destination = self.selected_destination()
        if destination is None:
            return
        if self._edit_stream_key(self, destination.destination_id):
            self.settings_changed.emit()
            self.run_checks()

    def ready(self) -> bool:
        statuses = {r.status for r in self.results.values()}
        return bool(self.results) and FAIL not in statuses and RUNNING not in statuses

    def _go(self) -> None:
        destination = self.selected_destination()
        if destination is None or not self.ready():
            return
        self.go_live_requested.emit(
            destination.destination_id,
            self.record.isChecked(),
            self.continue_run_sheet.isChecked(),
        )
        self.accept()


def _open_settings_on_key(parent: QWidget, destination_id: str) -> bool:
    from anchordesk.ui.settings import open_settings

    return open_settings(parent, stream_key_for=destination_id)
