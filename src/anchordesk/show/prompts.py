"""Prompts for the host and the operator: small rules over the board's figures, each fired once.

Each rule is a pure function of ``PromptInputs`` (what the show looks like at one moment, the
time passed in) and the thresholds, which live in one place (``Thresholds``). ``PromptDesk``
remembers what fired (a prompt's ``key`` names the situation: this deal, this question, this
drop), so a situation prompts once; the operator dismisses a prompt, or it leaves the board by
itself after ``SHOW_S``. ``live/`` keeps every prompt and dismissal in the session's events,
so the report lists them with their time.

A prompt carries its rule and values, not a sentence: the window, the teleprompter and the
report say it in their own language (``english`` is for logs and the remote API).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from anchordesk.core.money import format_number

VIEWERS_DROP = "viewers_drop"
DEAL_ENDING = "deal_ending"
SOLD_OUT_ON_SCREEN = "sold_out_on_screen"
QUESTION_WAITING = "question_waiting"
STOCK_SHORT = "stock_short"

#: Every rule, in the order the settings list them.
RULES = (VIEWERS_DROP, DEAL_ENDING, SOLD_OUT_ON_SCREEN, QUESTION_WAITING, STOCK_SHORT)

#: The session events that keep a prompt (data: key, rule, values) and its dismissal (key).
PROMPT_EVENT = "prompt"
PROMPT_DISMISSED_EVENT = "prompt_dismissed"

SHOW_S = 180.0  # a prompt nobody dismissed leaves the board after three minutes


@dataclass(frozen=True)
class Thresholds:
    """Every rule's threshold, in one place (the settings and the closing note list them)."""

    viewers_drop_fraction: float = 1 / 3  # viewers fell by more than this ...
    viewers_drop_window_s: float = 120.0  # ... from their peak in this window
    deal_ending_s: float = 30.0  # a live deal ends within this ...
    deal_units_left_fraction: float = 0.5  # ... with more than this share of its units left
    question_wait_s: float = 60.0  # a question unanswered (not pinned, not hidden) this long
    # ... but not longer than this: an older one had its turn (one question prompt a minute)
    # and the host needs the questions of now, not a backlog.
    question_stale_s: float = 120.0
    # A rule that may fire again for a new situation waits this long after it last fired (a
    # slide in viewers is one prompt, not one a sample; one waiting question at a time).
    cooldown_s: tuple[tuple[str, float], ...] = ((VIEWERS_DROP, 120.0), (QUESTION_WAITING, 60.0))

    def cooldown(self, rule: str) -> float:
        return dict(self.cooldown_s).get(rule, 0.0)


THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class DealSituation:
    deal_id: str
    sku: str
    title: str
    remaining_s: float
    units_left: int
    units_total: int


@dataclass(frozen=True)
class WaitingQuestion:
    key: str  # "source:id" of the comment
    at: float  # when it was received (wall clock)
    author: str
    text: str


@dataclass(frozen=True)
class PromptInputs:
    now: float  # wall clock
    audience: Sequence[tuple[float, int]] = ()  # (wall time, audience) for the last minutes
    live_deals: Sequence[DealSituation] = ()
    on_screen_sku: str | None = None
    on_screen_title: str = ""
    on_screen_stock_left: int | None = None
    on_screen_sells_out_in_s: float | None = None
    segment_started_at: float | None = None  # the running segment's visit (a prompt's key)
    segment_title: str = ""
    segment_left_s: float | None = None  # planned time left in the running segment
    questions: Sequence[WaitingQuestion] = ()  # unanswered, oldest first


@dataclass(frozen=True)
class Prompt:
    key: str
    rule: str
    at: float  # when it fired (wall clock)
    values: tuple[tuple[str, str], ...] = ()

    def value(self, name: str) -> str:
        return dict(self.values).get(name, "")

    @property
    def english(self) -> str:
        return prompt_text(self, ENGLISH)


ENGLISH = {
    VIEWERS_DROP: "Viewers fell from {from} to {to} in {minutes} min: give them a reason to stay",
    DEAL_ENDING: "Deal on {title} ends in {seconds} s with {left} of {total} left",
    SOLD_OUT_ON_SCREEN: "{title} sold out while on screen: move on or restock",
    QUESTION_WAITING: "A question has waited {seconds} s: {author}: {text}",
    STOCK_SHORT: "{title} sells out in ~{minutes} min, before this segment ends",
}


def prompt_data(prompt: Prompt) -> dict[str, object]:
    """A prompt as its session event's data."""
    return {"key": prompt.key, "rule": prompt.rule, "values": dict(prompt.values)}


def prompt_from_data(at: float, data: Mapping[str, object]) -> Prompt | None:
    """A kept prompt event's data back as a Prompt (None: no key)."""
    values = data.get("values")
    pairs = tuple((str(k), str(v)) for k, v in values.items()) if isinstance(values, dict) else ()
    key = str(data.get("key") or "")
    return Prompt(key, str(data.get("rule") or ""), at, pairs) if key else None


#: The values of a prompt that are counts: written with the language's grouping wherever the
#: prompt is said (the board, the teleprompter, the report, the log and the remote's ``text``).
COUNT_VALUES = frozenset({"from", "to", "minutes", "seconds", "left", "total"})


def said_value(prompt: Prompt, name: str, language: str = "en") -> str:
    """A value of ``prompt`` as it is said in ``language``: a count grouped ("12,000", by
    ``core.money.format_number``), anything else as kept. The board wrote "Viewers fell from
    12,000 to 7,000" while the report and the remote's text said "from 12000 to 7000"."""
    value = prompt.value(name)
    if name in COUNT_VALUES and value.isascii() and value.isdigit() and len(value) <= 30:
        return format_number(int(value), language)
    return value


def said_values(prompt: Prompt, language: str = "en") -> dict[str, str]:
    """Every value of ``prompt`` as :func:`said_value` says it."""
    return {name: said_value(prompt, name, language) for name, _value in prompt.values}


def prompt_text(prompt: Prompt, templates: dict[str, str], language: str = "en") -> str:
    """One line for ``prompt`` from a template per rule ("{name}" replaced by its value, a
    count grouped as ``language`` groups it)."""
    line = templates.get(prompt.rule, prompt.rule)
    for name, value in said_values(prompt, language).items():
        line = line.replace("{" + name + "}", value)
    return line


# -- the rules ------------------------------------------------------------------------------------


def viewers_drop(inputs: PromptInputs, t: Thresholds) -> list[Prompt]:
    """Viewers fell by more than a third from their peak of the last two minutes."""
    recent = [(at, n) for at, n in inputs.audience if inputs.now - t.viewers_drop_window_s <= at]
    if len(recent) < 2:
        return []
    peak_at, peak = max(recent, key=lambda point: (point[1], -point[0]))
    now = recent[-1][1]
    if peak <= 0 or peak - now <= peak * t.viewers_drop_fraction:
        return []
    minutes = max(1, round((inputs.now - peak_at) / 60.0))
    return [
        Prompt(
            f"{VIEWERS_DROP}:{peak_at:.0f}",
            VIEWERS_DROP,
            inputs.now,
            (("from", str(peak)), ("to", str(now)), ("minutes", str(minutes))),
        )
    ]


def deal_ending(inputs: PromptInputs, t: Thresholds) -> list[Prompt]:
    """A live deal ends within 30 s with more than half its units left."""
    return [
        Prompt(
            f"{DEAL_ENDING}:{deal.deal_id}",
            DEAL_ENDING,
            inputs.now,
            (
                ("title", deal.title),
                ("seconds", str(math.ceil(deal.remaining_s))),
                ("left", str(deal.units_left)),
                ("total", str(deal.units_total)),
                ("sku", deal.sku),
            ),
        )
        for deal in inputs.live_deals
        if 0 < deal.remaining_s <= t.deal_ending_s
        and deal.units_total > 0
        and deal.units_left > deal.units_total * t.deal_units_left_fraction
    ]


def sold_out_on_screen(inputs: PromptInputs, t: Thresholds) -> list[Prompt]:
    """The product on screen has no stock left."""
    del t
    if inputs.on_screen_sku is None or inputs.on_screen_stock_left != 0:
        return []
    return [
        Prompt(
            f"{SOLD_OUT_ON_SCREEN}:{inputs.on_screen_sku}",
            SOLD_OUT_ON_SCREEN,
            inputs.now,
            (("title", inputs.on_screen_title), ("sku", inputs.on_screen_sku)),
        )
    ]


def question_waiting(inputs: PromptInputs, t: Thresholds) -> list[Prompt]:
    """Questions nobody answered (pinned or hid) that have waited 60 s (and not yet two
    minutes), oldest first; the desk's cooldown lets one through at a time."""
    return [
        Prompt(
            f"{QUESTION_WAITING}:{question.key}",
            QUESTION_WAITING,
            inputs.now,
            (
                ("seconds", str(int(waited))),
                ("author", question.author),
                ("text", question.text),
                ("comment", question.key),
            ),
        )
        for question in inputs.questions
        if t.question_wait_s <= (waited := inputs.now - question.at) <= t.question_stale_s
    ]


def stock_short(inputs: PromptInputs, t: Thresholds) -> list[Prompt]:
    """At the recent rate, the on-screen product sells out before its segment's plan ends."""
    del t
    forecast = inputs.on_screen_sells_out_in_s
    left = inputs.segment_left_s
    if (
        inputs.on_screen_sku is None
        or forecast is None
        or left is None
        or not inputs.on_screen_stock_left
        or forecast >= left
    ):
        return []
    visit = f"{inputs.segment_started_at:.0f}" if inputs.segment_started_at is not None else ""
    return [
        Prompt(
            f"{STOCK_SHORT}:{visit}:{inputs.on_screen_sku}",
            STOCK_SHORT,
            inputs.now,
            (
                ("title", inputs.on_screen_title),
                ("minutes", str(max(1, round(forecast / 60.0)))),
                ("left", str(inputs.on_screen_stock_left)),
                ("segment_minutes", str(max(1, round(left / 60.0)))),
                ("sku", inputs.on_screen_sku),
            ),
        )
    ]


RULE_FUNCTIONS: dict[str, Callable[[PromptInputs, Thresholds], list[Prompt]]] = {
    VIEWERS_DROP: viewers_drop,
    DEAL_ENDING: deal_ending,
    SOLD_OUT_ON_SCREEN: sold_out_on_screen,
    QUESTION_WAITING: question_waiting,
    STOCK_SHORT: stock_short,
}


@dataclass
class PromptDesk:
    """What fired, what was dismissed, which rules are on. No clock: ``now`` comes in."""

    enabled: set[str] = field(default_factory=lambda: set(RULES))
    thresholds: Thresholds = THRESHOLDS
    fired: dict[str, Prompt] = field(default_factory=dict)  # by key, in firing order
    dismissed: set[str] = field(default_factory=set)
    _last_by_rule: dict[str, float] = field(default_factory=dict)

    def evaluate(self, inputs: PromptInputs) -> list[Prompt]:
        """The prompts that fire now (each situation once; a rule's cooldown respected)."""
        new: list[Prompt] = []
        for rule in RULES:
            if rule not in self.enabled:
                continue
            last = self._last_by_rule.get(rule)
            if last is not None and inputs.now - last < self.thresholds.cooldown(rule):
                continue
            for prompt in RULE_FUNCTIONS[rule](inputs, self.thresholds):
                if prompt.key in self.fired:
                    continue
                self.keep(prompt)
                new.append(prompt)
                if self.thresholds.cooldown(rule):
                    break  # one at a time for a rule with a cooldown
        return new

    def keep(self, prompt: Prompt) -> None:
        """A prompt that fired (now, or in an earlier run of this session file)."""
        self.fired[prompt.key] = prompt
        self._last_by_rule[prompt.rule] = max(
            prompt.at, self._last_by_rule.get(prompt.rule, prompt.at)
        )

    def dismiss(self, key: str) -> bool:
        """True when ``key`` was on the board and is now off it."""
        if key not in self.fired or key in self.dismissed:
            return False
        self.dismissed.add(key)
        return True

    def active(self, now: float) -> tuple[Prompt, ...]:
        """Prompts still on the board, newest first."""
        return tuple(
            prompt
            for prompt in reversed(self.fired.values())
            if prompt.key not in self.dismissed and now - prompt.at < SHOW_S
        )


def rules_on(off: Iterable[str]) -> set[str]:
    """The enabled rules, from the settings' list of rules turned off."""
    return set(RULES) - set(off)
