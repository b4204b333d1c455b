"""Round thirty, inputs (R30hunt30in): a destination's URL is masked whole, then cut."""

from __future__ import annotations

import pytest

from ..show_inputs import anchordesk, assert_clean_output


@pytest.mark.parametrize("length", [4_100, 6_000])
def test_a_to_url_whose_password_runs_past_4096_characters_is_refused_masked(length: int) -> None:
    # `live --to` cut the URL to 4,096 characters before masking it: a password running past
    # the cut left no '@', and the refusal said "--to rtmp://user:Pw7pppp…" (its start and its
    # end) on stderr and in the log.
    password = "Pw7" + "p" * length
    result = anchordesk(
        "live", "--to", f"rtmp://user:{password}@127.0.0.1:1/app/key", "--seconds", "1"
    )
    assert result.returncode == 2
    assert_clean_output(result)
    assert "--to rtmp://****@127.0.0.1:1" in result.stderr and ": the URL is" in result.stderr
    assert "Pw7" not in result.stdout + result.stderr
