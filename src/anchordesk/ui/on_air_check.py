"""Asking before flagged words go on air, and telling the hits of a show once when it opens.

The rules are ``show.compliance``'s (the same that flag comments and check shows); this module
only words their answers for a person — which product, segment or comment, which term, why —
and asks. A "yes" for a product is remembered for the show that is open (asking again at every
click would teach the operator to click through); a flagged comment is asked about each time,
since each one is a different text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QCoreApplication, QObject, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from anchordesk.show.compliance import (
    Hit,
    HitKind,
    Place,
    PlacedHit,
    comment_hits,
    placed_hits,
    product_on_air_hits,
)
from anchordesk.show.model import Show
from anchordesk.ui.state import CommentRow


def hit_reason(hit: Hit) -> str:
    """Why a term is a problem on air, in one clause."""
    if hit.kind is HitKind.BANNED:
        return QCoreApplication.translate("OnAirCheck", "on this show's list of banned words")
    if hit.language == "zh":
        return QCoreApplication.translate(
            "OnAirCheck", "an absolute claim, banned by China's Advertising Law (art. 9)"
        )
    if hit.language == "ja":
        return QCoreApplication.translate(
            "OnAirCheck",
            "a superlative or efficacy claim that Japan's Premiums and Representations Act "
            "or PMD Act forbid without proof",
        )
    return QCoreApplication.translate(
        "OnAirCheck", "an absolute or unproven claim that platforms and the FTC forbid"
    )


def _term(hit: Hit) -> str:
    if hit.text.casefold() == hit.term.casefold():
        return QCoreApplication.translate("OnAirCheck", "“%1”").replace("%1", hit.text)
    return (
        QCoreApplication.translate("OnAirCheck", "“%1” (the term “%2”)")
        .replace("%1", hit.text)
        .replace("%2", hit.term)
    )


def _where(placed: PlacedHit) -> str:
    number = str(placed.number)
    if placed.place is Place.SHOW_TITLE:
        return QCoreApplication.translate("OnAirCheck", "Show title")
    if placed.place is Place.TICKER:
        return QCoreApplication.translate("OnAirCheck", "Ticker line %1").replace("%1", number)
    if placed.place is Place.PRODUCT_TITLE:
        return QCoreApplication.translate("OnAirCheck", "Product “%1”, title").replace(
            "%1", placed.owner
        )
    if placed.place is Place.PRODUCT_POINT:
        return (
            QCoreApplication.translate("OnAirCheck", "Product “%1”, talking point %2")
            .replace("%1", placed.owner)
            .replace("%2", number)
        )
    if placed.place is Place.SEGMENT_TITLE:
        return (
            QCoreApplication.translate("OnAirCheck", "Segment %1 “%2”, title")
            .replace("%1", number)
            .replace("%2", placed.owner)
        )
    return (
        QCoreApplication.translate("OnAirCheck", "Segment %1 “%2”, script")
        .replace("%1", number)
        .replace("%2", placed.owner)
    )


def describe_placed_hit(placed: PlacedHit) -> str:
    """'Product “Best tea”, title: “Best” — an absolute or unproven claim …' (one line)."""
    return (
        QCoreApplication.translate("OnAirCheck", "%1: %2 — %3")
        .replace("%1", _where(placed))
        .replace("%2", _term(placed.hit))
        .replace("%3", hit_reason(placed.hit))
    )


def describe_show_hits(show: Show) -> list[str]:
    """Every hit of the show, one line each, by product and segment name."""
    return [describe_placed_hit(placed) for placed in placed_hits(show)]


class OnAirWords(QObject):
    """The check's sentences with a count, in the language's plural form ("1 word", "2
    words"): Qt's plural forms come with a QObject's own ``tr``."""

    def words_in_show(self, count: int) -> str:
        return self.tr(
            "“%1” has %Ln word(s) that platforms may punish on air. Edit the show, or avoid them "
            "when speaking:",
            "",
            count,
        )


class OnAirCheck:
    """Asks the operator before a flagged product or comment goes on air (modal, one question).

    ``show`` returns the open show (None before one is open). ``ask(title, text, details)``
    is the question (a QMessageBox by default; a test may answer it).
    """

    def __init__(
        self,
        parent: QWidget,
        show: Callable[[], Show | None],
        ask: Callable[[str, str, Sequence[str]], bool] | None = None,
    ) -> None:
        self._parent = parent
        self._show = show
        self._ask = ask or self._ask_with_message_box
        # Keyed by what was judged, not by object identity: an edited title asks again, the
        # same words reopened do not.
        self._allowed: set[tuple[object, ...]] = set()
        self._announced: tuple[str, ...] | None = None

    def allow_product(self, sku: str | None) -> bool:
        return self._allow(sku, None)

    def allow_segment(self, number: int, title: str, sku: str | None) -> bool:
        """A segment change that would put ``sku``'s card on air (not in studio mode, where it
        only stages): the same question, saying which segment brings the product."""
        return self._allow(sku, (number, title))

    def _allow(self, sku: str | None, segment: tuple[int, str] | None) -> bool:
        show = self._show()
        if sku is None or show is None:
            return True
        hits = product_on_air_hits(show, sku)
        product = show.product(sku)
        if not hits or product is None:
            return True
        judged = (sku, product.title, product.points, show.banned_words)
        if judged in self._allowed:
            return True
        title = product.title
        if segment is None:
            question = QCoreApplication.translate("OnAirCheck", "Put this product on screen?")
            text = QCoreApplication.translate(
                "OnAirCheck",
                "“%1” has words that platforms may punish on air. Put it on screen anyway?",
            ).replace("%1", title)
        else:
            question = QCoreApplication.translate("OnAirCheck", "Go to this segment?")
            text = (
                QCoreApplication.translate(
                    "OnAirCheck",
                    "Segment %1 “%2” puts “%3” on screen, and it has words that platforms may "
                    "punish on air. Go to the segment anyway?",
                )
                .replace("%1", str(segment[0]))
                .replace("%2", segment[1])
                .replace("%3", title)
            )
        answer = self._ask(question, text, [describe_placed_hit(placed) for placed in hits])
        if answer:
            self._allowed.add(judged)
        return answer

    def allow_comment(self, row: CommentRow) -> bool:
        if not row.flagged:
            return True
        hits = comment_hits(self._show(), row.text)
        lines = [
            QCoreApplication.translate("OnAirCheck", "%1 — %2")
            .replace("%1", _term(hit))
            .replace("%2", hit_reason(hit))
            for hit in hits
        ] or [
            QCoreApplication.translate("OnAirCheck", "Flagged terms: %1").replace(
                "%1", ", ".join(row.hits)
            )
        ]
        return self._ask(
            QCoreApplication.translate("OnAirCheck", "Pin this comment?"),
            QCoreApplication.translate(
                "OnAirCheck",
                "%1's comment “%2” has words that platforms may punish on air. Pin it anyway?",
            )
            .replace("%1", row.author)
            .replace("%2", row.text),
            lines,
        )

    def show_opened(self, show: Show) -> None:
        """Tell the show's hits once (not again at a rehearsal restart of the same words)."""
        lines = describe_show_hits(show)
        announced = (show.title, *lines)
        if not lines or announced == self._announced:
            return
        self._announced = announced
        box = QMessageBox(self._parent)
        box.setObjectName("show-compliance-hits")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(QCoreApplication.translate("OnAirCheck", "Words to avoid on air"))
        # Plain text: the show's and viewers' words are never read as markup.
        box.setTextFormat(Qt.TextFormat.PlainText)
        intro = OnAirWords().words_in_show(len(lines)).replace("%1", show.title)
        box.setText(intro + "\n\n" + "\n".join(f"• {line}" for line in lines))
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        # Not modal: the rehearsal and the hotkeys go on while it is read.
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()

    def _ask_with_message_box(self, title: str, text: str, details: Sequence[str]) -> bool:
        box = QMessageBox(self._parent)
        box.setObjectName("on-air-question")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(title)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(text + "\n\n" + "\n".join(f"• {line}" for line in details))
        go = box.addButton(
            QCoreApplication.translate("OnAirCheck", "&Put it on air"),
            QMessageBox.ButtonRole.AcceptRole,
        )
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is go
