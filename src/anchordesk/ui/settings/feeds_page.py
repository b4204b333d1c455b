"""Settings page: comment and order feeds (kind, URL, token), each shown by its name.

A feed's token is a secret: masked, kept in the keyring like a stream key. A URL that carries
one (``?token=…``, ``?jwt=…``, ``user:password@``) is refused with a hint that keeps its space
(the token field below never jumps), by the rule the settings file follows
(``live.settings.check_feed_url``); so is a URL ``--feed`` would refuse, by its own rule
(``feeds.spec.feed_url_problem``) and in its words, translated. The list shows every URL masked
as the logs do.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from anchordesk.core import secrets
from anchordesk.core.printable import escape_controls
from anchordesk.core.redact import mask_url
from anchordesk.live.options import (
    FEED_KINDS,
    TOKEN_IN_CLEAR,
    feed_url_problem,
    token_sent_in_clear,
)
from anchordesk.live.settings import (
    FEED_URL_PATH_HOLDS_SECRET,
    FeedSettings,
    check_feed_url,
    new_id,
)
from anchordesk.ui.settings.keyring_text import KeyringNote
from anchordesk.ui.settings.page import PageContext, SettingsPage, select_data
from anchordesk.ui.settings.secret_field import SecretLineEdit
from anchordesk.ui.words import plain_tooltip, refusal_text


def feed_kind_name(kind: str) -> str:
    """A feed kind as the user knows it ("YouTube chat"), never its id ("youtube-chat")."""
    names = {
        "youtube-chat": QCoreApplication.translate("FeedKinds", "YouTube chat"),
        "shopify-orders": QCoreApplication.translate("FeedKinds", "Shopify orders"),
        "twitch-chat": QCoreApplication.translate("FeedKinds", "Twitch chat"),
        "json": QCoreApplication.translate("FeedKinds", "JSON feed (comments and orders)"),
        "rehearsal": QCoreApplication.translate("FeedKinds", "Simulated audience (rehearsal)"),
    }
    return names.get(kind, kind)


class FeedsPage(SettingsPage):
    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.setObjectName("feeds-page")
        self._syncing = False
        self.feed_list = QListWidget(self)
        self.feed_list.setObjectName("feed-list")
        self.feed_list.currentRowChanged.connect(self._on_feed_selected)
        self.add_button = QPushButton(self)
        self.add_button.setObjectName("add-feed")
        self.add_button.clicked.connect(lambda: self.add_feed("json"))
        self.remove_button = QPushButton(self)
        self.remove_button.clicked.connect(self._remove_feed)
        self.form_box = QGroupBox(self)
        self.kind = QComboBox(self.form_box)
        self.kind.setObjectName("feed-kind")
        for kind in FEED_KINDS:
            self.kind.addItem(feed_kind_name(kind), kind)
        self.url = QLineEdit(self.form_box)
        self.url.setObjectName("feed-url")
        self.url_error = QLabel(self.form_box)
        self.url_error.setObjectName("feed-url-error")
        self.url_error.setTextFormat(Qt.TextFormat.PlainText)
        self.url_error.setStyleSheet("color: #c62828;")
        self.url_error.setWordWrap(True)
        self.url_error.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        # Reserved, as the destination form's hint: the token field must not move under the
        # pointer when the hint comes and goes (CJK fallback fonts have taller lines).
        metrics = self.url_error.fontMetrics()
        line_px = max(metrics.lineSpacing(), metrics.boundingRect("令牌トークン").height())
        self.url_error.setFixedHeight(2 * line_px + 2)
        self.enabled = QCheckBox(self.form_box)
        self.token_stack = QWidget(self.form_box)
        self.token_stack.setObjectName("feed-token-stack")
        self.token_layout = QVBoxLayout(self.token_stack)
        self.token_layout.setContentsMargins(0, 0, 0, 0)
        self.keyring_note = KeyringNote(context.store, self.form_box)
        self.kind_label = QLabel(self.form_box)
        self.url_label = QLabel(self.form_box)
        self.token_label = QLabel(self.form_box)
        form = QFormLayout(self.form_box)
        form.addRow(self.kind_label, self.kind)
        form.addRow(self.url_label, self.url)
        form.addRow("", self.url_error)
        form.addRow(self.token_label, self.token_stack)
        form.addRow("", self.keyring_note)
        form.addRow("", self.enabled)
        self.kind_label.setBuddy(self.kind)
        self.url_label.setBuddy(self.url)
        self.token_label.setBuddy(self.token_stack)  # then the selected feed's token field
        self.kind.currentIndexChanged.connect(self._on_form_edited)
        self.url.textEdited.connect(self._on_form_edited)
        self.enabled.toggled.connect(self._on_form_edited)
        left = QVBoxLayout()
        left.addWidget(self.feed_list, 1)
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        left.addLayout(row)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addWidget(self.form_box, 2)

    def title(self) -> str:
        return self.tr("Feeds")

    def fill(self) -> None:
        self.feed_list.clear()
        for feed in self.settings.feeds:
            self._add_item(feed)
        if self.settings.feeds:
            self.feed_list.setCurrentRow(0)
        else:
            self._on_feed_selected(-1)

    def collect(self) -> None:
        self._store_form()

    def validate(self) -> str | None:
        """The CLI's rule for a feed URL (``feeds.spec.feed_url_problem``, as ``--feed`` applies
        it), said in the user's words; and no token in a URL the settings file would keep."""
        for row, feed in enumerate(self.settings.feeds):
            problem = self.url_problem_text(feed.kind, feed.url)
            if problem:
                self.feed_list.setCurrentRow(row)
                return (
                    self.tr("Feed %1: %2")
                    .replace("%1", feed_kind_name(feed.kind))
                    .replace("%2", problem)
                )
        return None

    def url_problem_text(self, kind: str, url: str) -> str:
        """Why this URL cannot be saved for a feed of ``kind``, as one translated sentence,
        or "" when it can."""
        secret = None if kind == "rehearsal" else check_feed_url(url)
        if secret == FEED_URL_PATH_HOLDS_SECRET:
            # The path's ";token=" is where the bridge is sent it (feeds/spec.path_with_token).
            return self.tr(
                "The token is in the URL's path: put it in the Token field and keep ;token= "
                "with nothing after it."
            )
        if secret is not None:
            return self.secret_in_url_text()
        problem = feed_url_problem(kind, url)
        return "" if problem is None else refusal_text(problem)

    def secret_in_url_text(self) -> str:
        return self.tr(
            "The URL holds a token or a password: put the token in the Token field, and keep "
            "the URL without it."
        )

    def _update_url_error(self) -> None:
        feed = self.current_feed()
        text = "" if feed is None else self.url_problem_text(feed.kind, self.url.text())
        if (
            not text
            and feed is not None
            and feed.kind != "rehearsal"
            and token_sent_in_clear(self.url.text())
            and self.feed_token_field(feed.feed_id).text()
        ):
            # Said, not refused (a bridge on the LAN may have no https://), by the rule the
            # feeds say it by as they start (feeds/spec.py token_sent_in_clear).
            text = refusal_text(TOKEN_IN_CLEAR)
        self.url_error.setText(text)

    def retranslate(self) -> None:
        self._update_url_error()
        self.add_button.setText(self.tr("A&dd"))
        self.remove_button.setText(self.tr("&Remove"))
        self.feed_list.setAccessibleName(self.tr("Feeds"))
        self.form_box.setTitle(self.tr("Feed"))
        self.kind_label.setText(self.tr("&Kind:"))
        self.url_label.setText(self.tr("&URL:"))
        self.token_label.setText(self.tr("&Token:"))
        self.enabled.setText(self.tr("&Enabled"))
        for index in range(self.kind.count()):
            self.kind.setItemText(index, feed_kind_name(self.kind.itemData(index)))
        for row in range(self.feed_list.count()):
            item = self.feed_list.item(row)
            feed = self._feed_by_id(item.data(Qt.ItemDataRole.UserRole))
            if feed is not None:
                item.setText(self._feed_title(feed))
                item.setToolTip(plain_tooltip(item.text()))
        for name, token_field in self.context.secret_fields.fields.items():
            if name.startswith("feed/"):
                token_field.set_accessible_name(self.tr("Access token"))
                token_field.set_placeholder(self.tr("Token, if the feed needs one"))
        self.keyring_note.refresh()

    def add_feed(self, kind: str) -> FeedSettings:
        feed = FeedSettings(feed_id=new_id(), kind=kind)
        self.settings.feeds.append(feed)
        self._add_item(feed)
        self.feed_list.setCurrentRow(self.feed_list.count() - 1)
        return feed

    def feed_token_field(self, feed_id: str) -> SecretLineEdit:
        return self.context.secret_fields.fields[secrets.feed_token_name(feed_id)]

    def _add_item(self, feed: FeedSettings) -> None:
        item = QListWidgetItem(self._feed_title(feed))
        # The whole line when the list is narrower (masked too), as written: an address holding
        # "<img src=…>" was rendered as markup.
        item.setToolTip(plain_tooltip(item.text()))
        item.setData(Qt.ItemDataRole.UserRole, feed.feed_id)
        self.feed_list.addItem(item)
        token_field = SecretLineEdit(self.token_stack)
        token_field.setObjectName(f"feed-token-{feed.feed_id}")
        token_field.hide()
        self.token_layout.addWidget(token_field)
        self.context.secret_fields.add(secrets.feed_token_name(feed.feed_id), token_field)
        token_field.set_accessible_name(self.tr("Access token"))
        token_field.set_placeholder(self.tr("Token, if the feed needs one"))
        token_field.edited.connect(lambda _text: self._update_url_error())

    @staticmethod
    def _feed_title(feed: FeedSettings) -> str:
        """The list's line: the kind by name and the URL masked (a token never shows), its
        control characters written out: a URL of the settings file holding a right-to-left
        override was shown backwards ("https://example.com/1=x?J2] deef/")."""
        name = feed_kind_name(feed.kind)
        return f"{name} — {escape_controls(mask_url(feed.url))}" if feed.url else name

    def _feed_by_id(self, feed_id: str) -> FeedSettings | None:
        return next((f for f in self.settings.feeds if f.feed_id == feed_id), None)

    def current_feed(self) -> FeedSettings | None:
        item = self.feed_list.currentItem()
        return None if item is None else self._feed_by_id(item.data(Qt.ItemDataRole.UserRole))

    def _on_feed_selected(self, row: int) -> None:
        feed = self.current_feed() if row >= 0 else None
        self.form_box.setEnabled(feed is not None)
        self.remove_button.setEnabled(feed is not None)
        wanted = secrets.feed_token_name(feed.feed_id) if feed is not None else None
        for name, token_field in self.context.secret_fields.fields.items():
            if name.startswith("feed/"):
                token_field.setVisible(name == wanted)
                if name == wanted:
                    self.token_label.setBuddy(token_field.line_edit)
        if feed is None:
            return
        self._syncing = True
        try:
            select_data(self.kind, feed.kind)
            self.url.setText(feed.url)
            self.enabled.setChecked(feed.enabled)
        finally:
            self._syncing = False
        self._update_url_error()

    def _on_form_edited(self, *_args: object) -> None:
        if not self._syncing:
            self._store_form()

    def _store_form(self) -> None:
        feed = self.current_feed()
        if feed is None:
            return
        feed.kind = self.kind.currentData()
        feed.url = self.url.text().strip()
        feed.enabled = self.enabled.isChecked()
        item = self.feed_list.currentItem()
        if item is not None:
            item.setText(self._feed_title(feed))
            item.setToolTip(plain_tooltip(item.text()))
        self._update_url_error()

    def _remove_feed(self) -> None:
        feed = self.current_feed()
        if feed is None:
            return
        self.settings.feeds.remove(feed)
        self.context.secret_fields.remove(secrets.feed_token_name(feed.feed_id))
        self.feed_list.takeItem(self.feed_list.currentRow())
