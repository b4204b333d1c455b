"""Banned and absolute terms in what is said and shown on air, and in viewers' comments.

Advertising law in China (广告法 art. 9: no 国家级, 最高级, 最佳 and the like; art. 16-17 on
medical claims), Japan (景品表示法 on superlatives such as 日本一/No.1 without proof; 薬機法 on
efficacy claims) and the US FTC rules on unsubstantiated claims ("cure", "guaranteed") all
target the same kinds of words: absolutes, rankings without proof, medical promises. Platforms
punish them during a live show (warnings, a cut stream), so AnchorDesk checks the script before
going live, while it is edited, and flags comments that would be read out.

One compiled regular expression covers the built-in lists and the show's own words, so that
checking a comment costs a few microseconds (see benchmarks/bench_compliance.py). Text is
matched after NFKC normalisation (full-width "ＢＥＳＴ" and "１００％" are caught) while the offsets
reported are those of the original text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from itertools import islice

from anchordesk.core.printable import DEFAULT_IGNORABLE
from anchordesk.show.model import Show
from anchordesk.show.validate import MAX_BANNED_WORD_CHARS, MAX_BANNED_WORDS


class HitKind(StrEnum):
    ABSOLUTE = "absolute"  # a built-in absolute, ranking or medical term
    BANNED = "banned"  # one of the show's own banned_words


@dataclass(frozen=True, slots=True)
class Hit:
    term: str  # the listed term ("最", "best", the show's word as written)
    text: str  # what the text actually says there ("最低价", "Best", "ＢＥＳＴ")
    start: int  # offsets into the text given, end exclusive
    end: int
    kind: HitKind
    language: str  # "zh", "en", "ja" for built-in terms, "show" for the show's words


@dataclass(frozen=True, slots=True)
class ComplianceHit:
    """A hit in a show, with where it is: a JSON path such as "$.rundown[2].script"."""

    path: str
    hit: Hit

    def __str__(self) -> str:
        what = "banned word" if self.hit.kind is HitKind.BANNED else "absolute term"
        shown = self.hit.text if self.hit.text == self.hit.term else f"{self.hit.text}"
        return f"{self.path}: {what} {shown!r} at character {self.hit.start}"


@dataclass(frozen=True, slots=True)
class _Term:
    term: str  # as listed
    pattern: str  # a regular expression that starts with a literal character (see below)
    language: str
    whole_word: bool = False  # the characters either side must not be Latin letters or digits
    special: bool = False  # not a plain literal: identified by a full match of `pattern`


# fmt: off
# Chinese: 广告法 art. 9 and the lists of 极限词 platforms publish. Bare 最 covers 最佳, 最低,
# 最好... but not the everyday words where it means "most recently" or "last".
_ZH_LITERALS = (
    "最佳", "最好", "最优", "最强", "最大", "最高", "最低", "最低价", "最便宜", "最新", "最先进",
    "最热销", "最受欢迎", "最畅销", "第一品牌", "全网第一", "销量第一", "排名第一", "唯一",
    "独一无二", "独家", "国家级", "世界级", "全球级", "宇宙级", "顶级", "顶尖", "极品", "极致",
    "绝对", "百分之百", "万能", "永久", "特效", "根治", "治愈", "药到病除", "包治百病",
    "无副作用", "零风险", "史无前例", "前无古人", "绝无仅有", "空前绝后", "王牌", "领导品牌",
    "领袖品牌", "首选", "首家", "首个", "全网最低", "国家免检", "驰名商标", "销量冠军",
    "立竿见影", "秒杀全网", "全球首发",
)
# Japanese: 景品表示法 (unproven superlatives) and 薬機法 (efficacy claims).
_JA_LITERALS = (
    "最高", "最安", "最安値", "最強", "最大級", "日本一", "世界一", "業界一", "業界初", "完全",
    "完璧", "絶対", "必ず", "永久", "万能", "奇跡", "完治", "治る", "治す", "特効", "即効",
    "副作用なし", "保証付き", "効果保証", "世界初", "日本初",
)
# English: whole words, any case.
_EN_WORDS = (
    "best", "guaranteed", "guarantee", "guarantees", "cure", "cures", "cured", "miracle",
    "miracles", "miraculous", "risk-free", "risk free", "number one", "lowest price",
    "cheapest", "perfect", "permanent", "permanently", "instant results", "clinically proven",
    "fda approved", "doctor recommended", "unbeatable", "ultimate", "heal", "heals",
    "world's first", "100% natural", "no side effects", "magic",
)
# fmt: on


def _literal(word: str) -> str:
    return r"\s+".join(re.escape(part) for part in word.split())


def _builtin_terms() -> list[_Term]:
    terms: list[_Term] = []
    terms += [_Term(word, _literal(word), "zh") for word in _ZH_LITERALS]
    terms += [_Term(word, _literal(word), "ja") for word in _JA_LITERALS]
    terms += [_Term(word, _literal(word), "en", whole_word=True) for word in _EN_WORDS]
    terms += [
        _Term("最", "最(?![近后後初终終寄])", "zh", special=True),
        _Term("第一", "第一(?![次步天期集章节節季轮輪波个個位名])", "zh", special=True),
        _Term("100%", r"100(?:\.0+)?\s?%", "zh", whole_word=True, special=True),
        _Term("#1", r"#\s?1", "en", whole_word=True, special=True),
        _Term("no. 1", r"no\s?\.\s?1", "en", whole_word=True, special=True),
        _Term("top 1", r"top\s?1", "en", whole_word=True, special=True),
    ]
    return terms


def _show_terms(words: Iterable[str]) -> list[_Term]:
    """The terms of the banned words a show may hold: the first 2,000 of at most 100
    characters each. The rest are the show's errors already; a matcher built from them (a
    show check of a file of 800,000 banned words, or of 2,000 of 9,000 characters) took 21 s."""
    terms: list[_Term] = []
    seen: set[str] = set()
    for word in islice(words, MAX_BANNED_WORDS):
        if len(word) > MAX_BANNED_WORD_CHARS:
            continue
        normal = " ".join(_normalise(word).split())
        if not normal or normal in seen:
            continue
        seen.add(normal)
        # A Latin word matches as a whole word: "free" must not flag "freedom".
        latin = re.fullmatch(r"[a-z0-9][a-z0-9 '\-]*", normal) is not None
        terms.append(_Term(word.strip(), _literal(normal), "show", whole_word=latin))
    return terms


# Default-ignorable characters (core/printable.DEFAULT_IGNORABLE) inside a banned word
# ("cu\u200bres", "guaran\u00adteed", a ZWJ, a word joiner, a BOM): the card and the ticker
# showed the word, and the check read another one: "OK: the show is valid", and a feed comment
# written so was not flagged. Dropped before matching; the text itself is kept (a ZWJ joins an
# emoji, a ZWNJ a Persian word).
def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", DEFAULT_IGNORABLE.sub("", text)).casefold()


_FOLDED: dict[str, str] = {}


def _fold(char: str) -> str:
    folded = _FOLDED.get(char)
    if folded is None:
        folded = _normalise(char)
        if len(_FOLDED) < 65536:  # bounded: comments may bring any character
            _FOLDED[char] = folded
    return folded


def _normalise_with_offsets(text: str) -> tuple[str, list[int] | None]:
    """NFKC + casefold, character by character, and the original offset of each normalised
    character (None when every character stayed one character, the common case)."""
    if text.isascii():
        return text.lower(), None
    pieces = [_fold(char) for char in text]
    normal = "".join(pieces)
    if all(len(piece) == 1 for piece in pieces):  # not the length: one dropped, one doubled
        return normal, None
    offsets: list[int] = []
    for index, piece in enumerate(pieces):
        offsets.extend([index] * len(piece))
    offsets.append(len(text))
    return normal, offsets


_WHITESPACE = r"\s+"


def _tokens(term: _Term) -> tuple[str, ...]:
    """The term's pattern as a sequence: one escaped character or the whitespace run per
    token, and for a special term its first character then the rest as one opaque piece."""
    if term.special:
        return (re.escape(term.pattern[0]), term.pattern[1:])
    parts = _normalise(term.term).split() if term.language == "show" else term.term.split()
    tokens: list[str] = []
    for index, part in enumerate(parts):
        if index:
            tokens.append(_WHITESPACE)
        tokens += [re.escape(char) for char in part]
    return tuple(tokens)


def _is_literal(token: str) -> bool:
    """One character (maybe escaped) or the whitespace run: two different literal tokens can
    never match at the same place (words hold no whitespace), an opaque piece may."""
    return token == _WHITESPACE or len(token) == 1 or (len(token) == 2 and token[0] == "\\")


def _alternation(alternatives: list[tuple[str, ...]]) -> tuple[str, bool]:
    """The alternatives as one pattern that matches exactly what ``"|".join(...)`` would, in
    the same order of preference, but with shared first tokens factored out ("ab|ac" becomes
    "a(?:b|c)"), recursively: a trie. Python's regex engine tries the alternatives of a branch
    one after the other at every position a term may start, so 2,000 banned words that share
    a first letter cost 2,000 tries there (a 20 MB show took minutes to check); as a trie it
    is one try per character of the text.

    An alternative is moved up next to an earlier one with the same first token only across
    alternatives that can never match at the same place (another literal first token), so the
    first alternative that matches is still the one the flat pattern would pick. Returns the
    pattern and whether it is a single alternative (no ``|`` at its top level)."""
    groups: list[tuple[str | None, list[tuple[str, ...]]]] = []
    open_groups: dict[str, int] = {}
    for tokens in alternatives:
        if not tokens or not _is_literal(tokens[0]):
            # Ends here, or begins with a lookahead-like piece: it may match wherever the
            # others do, so nothing later may be moved above it.
            groups.append((None, [tokens]))
            open_groups.clear()
            continue
        index = open_groups.get(tokens[0])
        if index is None:
            open_groups[tokens[0]] = len(groups)
            groups.append((tokens[0], [tokens[1:]]))
        else:
            groups[index][1].append(tokens[1:])
    parts: list[str] = []
    for head, rests in groups:
        if head is None:
            parts.append("".join(rests[0]))
        elif len(rests) == 1:
            parts.append(head + "".join(rests[0]))
        else:
            inner, single = _alternation(rests)
            parts.append(head + (inner if single else f"(?:{inner})"))
    return "|".join(parts), len(parts) == 1


def _is_word_char(text: str, index: int) -> bool:
    return 0 <= index < len(text) and text[index].isascii() and text[index].isalnum()


class ComplianceMatcher:
    """The built-in lists plus a show's banned words, compiled once. Thread-safe (read-only).

    Speed: every alternative of the one regular expression starts with a literal character, so
    the regex engine skips ahead over characters that start no term (a C loop) instead of
    trying a hundred alternatives at every position, and the alternatives are factored into a
    trie (:func:`_alternation`) so that a show's 2,000 words cost one try per character, not
    2,000; the whole-word test is done on the few matches, in Python.
    """

    def __init__(self, banned_words: Iterable[str] = (), *, builtin: bool = True) -> None:
        show_terms = _show_terms(banned_words)
        terms = show_terms + (_builtin_terms() if builtin else [])
        self._by_key: dict[str, _Term] = {}
        self._specials: list[tuple[re.Pattern[str], _Term]] = []
        for term in terms:
            if term.special:
                self._specials.append((re.compile(term.pattern), term))
            else:
                # The show's own word comes first: it wins over a built-in term spelt alike.
                self._by_key.setdefault(" ".join(_normalise(term.term).split()), term)
        # Longest first: at one position "最低价" must win over "最低" and "最".
        ordered = sorted(terms, key=lambda term: (-len(term.term), term.special))
        alternatives = [_tokens(term) for term in ordered]
        self._regex = re.compile(_alternation(alternatives)[0]) if ordered else None

    def _identify(self, matched: str) -> _Term | None:
        term = self._by_key.get(" ".join(matched.split()))
        if term is not None:
            return term
        for pattern, special in self._specials:
            if pattern.fullmatch(matched):
                return special
        return None

    def find_hits(self, text: str) -> list[Hit]:
        """Every banned or absolute term in `text`, left to right, not overlapping."""
        if self._regex is None or not text:
            return []
        normal, offsets = _normalise_with_offsets(text)
        hits: list[Hit] = []
        search = self._regex.search
        position = 0
        while True:
            match = search(normal, position)
            if match is None:
                return hits
            start, end = match.span()
            term = self._identify(match.group())
            if term is None or (
                term.whole_word and (_is_word_char(normal, start - 1) or _is_word_char(normal, end))
            ):
                position = start + 1  # another term may still start just after
                continue
            position = end
            if offsets is not None:
                start, end = offsets[start], offsets[end - 1] + 1
            hits.append(
                Hit(
                    term=term.term,
                    text=text[start:end],
                    start=start,
                    end=end,
                    kind=HitKind.BANNED if term.language == "show" else HitKind.ABSOLUTE,
                    language=term.language,
                )
            )


@lru_cache(maxsize=32)
def matcher_for(banned_words: tuple[str, ...] = ()) -> ComplianceMatcher:
    """A cached matcher for these banned words (one per show, shared across threads)."""
    return ComplianceMatcher(banned_words)


def find_hits(text: str, banned_words: tuple[str, ...] = ()) -> list[Hit]:
    """The hits in one text (a comment, a title being typed)."""
    return matcher_for(banned_words).find_hits(text)


def show_texts(show: Show) -> list[tuple[str, str]]:
    """(JSON path, text) of everything said or shown on air: titles, points, scripts, ticker.

    Crew notes are not on air and are not checked.
    """
    texts: list[tuple[str, str]] = [("$.title", show.title)]
    for index, line in enumerate(show.ticker):
        texts.append((f"$.ticker[{index}]", line))
    for index, product in enumerate(show.products):
        texts.append((f"$.products[{index}].title", product.title))
        for point_index, point in enumerate(product.points):
            texts.append((f"$.products[{index}].points[{point_index}]", point))
    for index, segment in enumerate(show.rundown):
        texts.append((f"$.rundown[{index}].title", segment.title))
        texts.append((f"$.rundown[{index}].script", segment.script))
    return texts


def check_show(show: Show, matcher: ComplianceMatcher | None = None) -> list[ComplianceHit]:
    """Every hit in the show's on-air texts, in file order."""
    matcher = matcher or matcher_for(tuple(show.banned_words))
    return [
        ComplianceHit(path, hit)
        for path, text in show_texts(show)
        for hit in matcher.find_hits(text)
    ]


def terms_flagger(banned_words: Sequence[str]) -> Callable[[str], list[str]]:
    """``flag(text)`` -> the compliance terms a comment matches: what the feed hub stores with
    each comment (one matcher, built once)."""
    matcher = matcher_for(tuple(banned_words))

    def flag(text: str) -> list[str]:
        return [hit.term for hit in matcher.find_hits(text)]

    return flag


class Place(StrEnum):
    """Where in a show a text is, for telling a person (not a JSON path)."""

    SHOW_TITLE = "show-title"
    TICKER = "ticker"
    PRODUCT_TITLE = "product-title"
    PRODUCT_POINT = "product-point"
    SEGMENT_TITLE = "segment-title"
    SEGMENT_SCRIPT = "segment-script"


@dataclass(frozen=True, slots=True)
class PlacedHit:
    """A hit with what it belongs to by name: the product's or segment's title, and the sku.

    ``number`` is 1-based (the third ticker line, the second talking point) for a person to
    find it; ``owner`` is "" for the show's own title and ticker.
    """

    place: Place
    owner: str
    number: int
    hit: Hit
    sku: str | None = None


def placed_hits(show: Show, matcher: ComplianceMatcher | None = None) -> list[PlacedHit]:
    """Every hit in the show's on-air texts (as :func:`check_show`), named by product and
    segment instead of by JSON path, in file order."""
    matcher = matcher or matcher_for(tuple(show.banned_words))
    found: list[PlacedHit] = [
        PlacedHit(Place.SHOW_TITLE, "", 1, hit) for hit in matcher.find_hits(show.title)
    ]
    for index, line in enumerate(show.ticker):
        found += [PlacedHit(Place.TICKER, "", index + 1, hit) for hit in matcher.find_hits(line)]
    for product in show.products:
        found += _product_hits(product.sku, product.title, product.points, matcher)
    for index, segment in enumerate(show.rundown):
        for place, text in (
            (Place.SEGMENT_TITLE, segment.title),
            (Place.SEGMENT_SCRIPT, segment.script),
        ):
            found += [
                PlacedHit(place, segment.title, index + 1, hit, segment.sku)
                for hit in matcher.find_hits(text)
            ]
    return found


def _product_hits(
    sku: str, title: str, points: Sequence[str], matcher: ComplianceMatcher
) -> list[PlacedHit]:
    found = [PlacedHit(Place.PRODUCT_TITLE, title, 1, hit, sku) for hit in matcher.find_hits(title)]
    for index, point in enumerate(points):
        found += [
            PlacedHit(Place.PRODUCT_POINT, title, index + 1, hit, sku)
            for hit in matcher.find_hits(point)
        ]
    return found


def product_on_air_hits(show: Show, sku: str) -> list[PlacedHit]:
    """The hits in what putting this product on screen shows and has said: its title and its
    talking points. Empty for an unknown sku (nothing of it goes on air)."""
    product = next((p for p in show.products if p.sku == sku), None)
    if product is None:
        return []
    return _product_hits(
        product.sku, product.title, product.points, matcher_for(tuple(show.banned_words))
    )


def comment_hits(show: Show | None, text: str) -> list[Hit]:
    """The hits in a viewer's comment, with the show's own banned words (to say why it is
    flagged before it is pinned on air)."""
    return find_hits(text, tuple(show.banned_words) if show is not None else ())
