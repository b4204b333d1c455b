"""Shopify's documented requested cost of a GraphQL query, as a test server refuses it.

Shopify refuses before running it any query whose requested cost is above 1000
(``MAX_COST_EXCEEDED``): a scalar or an enum costs 0, an object 1, a connection (or a list
asked with ``first``/``last``) 2 plus ``first`` times the cost of one of its items, nested
ones multiplied (``products(first: 10) { variants(first: 5) { price } }`` = 2 + 10 * (1 + 2 +
5) = 82). ``nodes``/``edges``/``node`` are the connection's items, not objects of their own.
The query is read from its text and its variables (a small parser: fields, aliases,
arguments, inline fragments), independently of the adapter's own count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(
    r"\s*(?:(\.\.\.)|([{}()\[\]:!$=@])|(\"(?:[^\"\\]|\\.)*\")|(-?\d+(?:\.\d+)?)"
    r"|([_A-Za-z][_0-9A-Za-z]*))"
)


@dataclass
class QueryField:
    name: str
    args: dict[str, Any] = field(default_factory=dict)
    children: list[QueryField] | None = None
    alias: str = ""  # the key of its answer when not its name

    @property
    def key(self) -> str:
        return self.alias or self.name

    def child(self, name: str) -> QueryField | None:
        return next((c for c in self.children or [] if c.name == name), None)


def _tokens(text: str) -> list[str]:
    text = re.sub(r"#[^\n]*", "", text).replace(",", " ")
    tokens: list[str] = []
    position = 0
    while text[position:].strip():
        match = _TOKEN.match(text, position)
        if match is None:
            raise ValueError(f"cannot read the query at character {position}")
        tokens.append(match.group(match.lastindex or 0))
        position = match.end()
    return tokens


def parse_query(text: str, variables: dict[str, Any]) -> QueryField:
    """The operation's selection as a tree, arguments resolved from ``variables``."""
    tokens = _tokens(text)
    at = 0

    def take() -> str:
        nonlocal at
        at += 1
        return tokens[at - 1]

    def value() -> Any:
        token = take()
        if token == "$":
            return variables.get(take())
        if token == "[":
            items = []
            while tokens[at] != "]":
                items.append(value())
            take()
            return items
        if token == "{":
            fields = {}
            while tokens[at] != "}":
                key = take()
                take()  # ':'
                fields[key] = value()
            take()
            return fields
        if token.startswith('"'):
            return token[1:-1]
        if re.fullmatch(r"-?\d+", token):
            return int(token)
        return token

    def selection() -> list[QueryField]:
        if take() != "{":
            raise ValueError("expected a selection")
        fields: list[QueryField] = []
        while tokens[at] != "}":
            if tokens[at] == "...":
                take()
                if tokens[at] == "on":
                    take()
                    take()
                fields.extend(selection())
                continue
            name, alias = take(), ""
            if tokens[at] == ":":  # an alias
                take()
                alias, name = name, take()
            current = QueryField(name, alias=alias)
            if tokens[at] == "(":
                take()
                while tokens[at] != ")":
                    argument = take()
                    take()  # ':'
                    current.args[argument] = value()
                take()
            if at < len(tokens) and tokens[at] == "{":
                current.children = selection()
            fields.append(current)
        take()
        return fields

    if tokens and tokens[0] == "query":  # the operation's head: query Name($v: T!, ...)
        take()
        if tokens[at] not in ("(", "{"):
            take()
        if tokens[at] == "(":
            depth = 0
            while True:
                token = take()
                depth += token == "("
                depth -= token == ")"
                if depth == 0:
                    break
    return QueryField("query", children=selection())


def _item_cost(wrapper: QueryField) -> int:
    if wrapper.name == "edges":
        node = wrapper.child("node")
        return 1 + sum(requested_cost(c) for c in (node.children if node else None) or [])
    return 1 + sum(requested_cost(c) for c in wrapper.children or [])


def requested_cost(selected: QueryField) -> int:
    """The requested cost of ``selected`` (the root: the whole query's) by the documented
    rule."""
    if selected.children is None:
        return 0
    if selected.name == "query":
        return sum(requested_cost(c) for c in selected.children)
    size = selected.args.get("first", selected.args.get("last"))
    if size is None:
        return 1 + sum(requested_cost(c) for c in selected.children)
    items = [c for c in selected.children if c.name in ("nodes", "edges")]
    if not items:  # a list with first: each element an object
        return 2 + int(size) * (1 + sum(requested_cost(c) for c in selected.children))
    others = [c for c in selected.children if c.name not in ("nodes", "edges")]
    return (
        2
        + sum(requested_cost(c) for c in others)
        + int(size) * sum(_item_cost(wrapper) for wrapper in items)
    )
