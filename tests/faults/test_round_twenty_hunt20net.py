"""Round twenty of issue 10, outputs, the command line, logs and stopping (R20hunt20net.md)."""

from __future__ import annotations

import logging

import pytest

from anchordesk.core import logs
from anchordesk.media.network_watch import ConnectionPhases, as_said


@pytest.mark.parametrize(
    ("lines", "said"),
    [
        # A handshake broken off on a plain rtmp:// address.
        (
            [
                "[tcp @ 0x1] Successfully connected to 127.0.0.1 port 1935",
                "[rtmp @ 0x2] Handshaking...",
            ],
            "(if this is an RTMPS port, use rtmps://)",
        ),
        # A server that asks for a login.
        (
            ["[rtmp @ 0x2] No credentials set"],
            "(rtmp://USER:PASSWORD@HOST/…)",
        ),
    ],
)
def test_the_advice_of_a_network_line_is_logged_as_written(
    lines: list[str], said: str, caplog: pytest.LogCaptureFixture
) -> None:
    # (a) The log said "use rtmps:)" (the scheme's "//" taken as a URL's, cut with its ")")
    # and "(rtmp://****@HOST/…)": the advice's placeholders masked as a login.
    phases = ConnectionPhases("rtmp")
    for line in lines:
        phases.feed(line)
    words = str(phases.failure_words(as_said("Connection reset by peer")))
    assert said in words
    logs.install_masking()
    with caplog.at_level(logging.INFO, logger="anchordesk"):
        logging.getLogger("anchordesk").info("rtmp://h/live/****: %s", words)
    assert said in caplog.records[-1].getMessage()
    # A login in a URL is still masked wherever it sits.
    assert logs.mask_text("use rtmp://bob:hunter2@h/live)") == "use rtmp://****@h/live)"
