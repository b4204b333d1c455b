"""Hostile inputs, round six: what round five's kinds of input did not try (values at and
past their limits, money in two currencies through one segment, the simulator's own
arguments). Each test failed on the code before its fix."""

from __future__ import annotations


import pytest

from anchordesk.cli import main as cli_main
from anchordesk.showfile.samples import sample_show_path


@pytest.mark.parametrize(
    ("argument", "value", "words"),
    [
        ("--port", "70000", "from 0 to 65535"),
        ("--port", "-1", "from 0 to 65535"),
        ("--rate", "1e400", "at most 1,000"),
        ("--rate", "inf", "at most 1,000"),
    ],
)
def test_the_audience_refuses_a_port_or_rate_out_of_range_in_one_line(
    capsys: pytest.CaptureFixture[str], argument: str, value: str, words: str
) -> None:
    """Before: ``--port 70000`` ended in an OverflowError traceback out of bind(); ``--rate
    inf`` served a room that never wrote a comment, without a word."""
    show = sample_show_path("en")
    assert show is not None
    assert cli_main(["audience", "--show", str(show), argument, value]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert argument in err and words in err
