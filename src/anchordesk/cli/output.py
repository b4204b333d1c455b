"""JSON for a terminal: what ``anchordesk report --json`` and ``anchordesk control`` print.

Light on purpose (``anchordesk control`` loads nothing of the show)."""

from __future__ import annotations

import json
import re

# Characters json.dumps(ensure_ascii=False) leaves raw that a terminal would act on.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def printable_json(value: object) -> str:
    """``value`` as indented JSON a terminal only shows: JSON escapes C0 controls itself; C1
    controls (U+009B is a terminal's CSI) and bidi overrides it would print raw (text from
    viewers, shops and show files), so they are written as \\u escapes too (the same JSON,
    read back)."""
    return _JSON_UNSAFE.sub(_json_escape, json.dumps(value, ensure_ascii=False, indent=2))
