"""Round thirty, inputs (R30hunt30in): every cut of outside text masks whole, then cuts."""

from __future__ import annotations

import pytest

from anchordesk.core.printable import masked_cut

TOKEN = "Tk9sEcReT4v7QzL2mN8pX3wR6yB1cD5f"


@pytest.mark.parametrize("pad", [20, 28, 35])
def test_one_rule_masks_a_url_or_a_token_whole_before_the_cut(pad: int) -> None:
    # A cut first, then the mask: a URL cut before its '@' and a token cut in two were masked
    # by no rule (R29's F4, F5: each place had its own order). One helper, for every cut.
    url = f"https://user:{TOKEN}@host/x"
    for text, secrets in ((" " * pad + url, ()), ("y" * pad + TOKEN, (TOKEN,))):
        shown = masked_cut(text, 40, secrets)
        assert len(shown) <= 40 and TOKEN[:4] not in shown, shown
    assert masked_cut("short", 40) == "short"
    assert masked_cut("a" * 100, 40) == "a" * 39 + "…"
