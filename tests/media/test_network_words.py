"""Why a stream failed is kept as words (round eight's L1): ``str()`` is exactly the English line
the command line and the logs printed before, and a window says the same in its language. The
English here is the text the code wrote with f-strings until words replaced them."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from anchordesk.core.words import Words
from anchordesk.media import network_output, tls_relay
from anchordesk.media.network_child import masked
from anchordesk.media.network_watch import (
    ConnectionPhases,
    as_said,
    connection_lost_words,
)
from anchordesk.ui import i18n
from anchordesk.ui.words import say

TCP = "[tcp @ 0x1] Starting connection attempt to 127.0.0.1 port 1935"
CONNECTED = "[tcp @ 0x1] Successfully connected to 127.0.0.1 port 1935"
HANDSHAKE = "[rtmp @ 0x2] Handshaking..."
APPLICATION = "[rtmp @ 0x2] Proto = rtmp, path = /live/****, app = live, fname = ****"
PUBLISHING = "[rtmp @ 0x2] Creating stream..."
CHECK_KEY = "check the stream key and the application name in the URL"

# (the scheme, FFmpeg's lines, the child's reason, the time given up after, today's English)
FAILURES = [
    (
        "rtmp",
        [CONNECTED, HANDSHAKE, "[rtmp @ 0x2] Server error: Already publishing"],
        "",
        None,
        "the server refused the stream: Already publishing (another program is streaming with "
        "this key, or the server still holds this program's earlier connection until its "
        "timeout)",
    ),
    (
        "rtmp",
        [CONNECTED, APPLICATION, "[rtmp @ 0x2] Server error: Bad key"],
        "",
        None,
        f"the server refused the stream: Bad key ({CHECK_KEY})",
    ),
    (
        "rtmp",
        [CONNECTED, "[rtmp @ 0x2] Unknown packet type received 0x41"],
        "",
        None,
        "the server's answer is not RTMP (is there an RTMP server at this address and port?)",
    ),
    (
        "rtmp",
        [CONNECTED, "[rtmp @ 0x2] Incorrect chunk size 0"],
        "",
        None,
        "the server sent an RTMP message that cannot be read (incorrect chunk size 0): a fault "
        "of the server or of a proxy in between, not of the stream key",
    ),
    (
        "rtmp",
        [TCP, "[tcp @ 0x1] Failed to resolve hostname no.such.invalid: Name or service not known"],
        "",
        None,
        "the server's name was not found: no.such.invalid (Name or service not known; check "
        "the URL)",
    ),
    (
        "rtmp",
        [
            TCP,
            "[tcp @ 0x1] Connection to tcp://127.0.0.1:1935?timeout=0 failed: Connection refused",
        ],
        "",
        None,
        "nothing is listening at 127.0.0.1:1935 (connection refused: check the port, or the "
        "server is down)",
    ),
    (
        "rtmp",
        [TCP, "[tcp @ 0x1] Connection to tcp://10.1.1.1:1935 failed: Network is unreachable"],
        "",
        None,
        "this computer cannot reach 10.1.1.1:1935 (network is unreachable: check that it is "
        "online, and any VPN or firewall in between)",
    ),
    (
        "rtmps",
        [CONNECTED, "[tls @ 0x3] wrong version number"],
        "[Errno 5] Input/output error",
        None,
        "the TLS handshake failed: wrong version number (is this an RTMPS port? rtmps:// needs "
        "the server's TLS port, often 443)",
    ),
    (
        "rtmps",
        [CONNECTED],
        "",
        10.0,
        "the TLS handshake failed: no answer within 10 s (is this an RTMPS port? rtmps:// needs "
        "the server's TLS port, often 443)",
    ),
    (
        "rtmps",
        [CONNECTED],
        "[Errno 104] Connection reset by peer",
        None,
        "the TLS handshake failed: [Errno 104] Connection reset by peer (is this an RTMPS "
        "port? rtmps:// needs the server's TLS port, often 443)",
    ),
    ("rtmp", [TCP], "", 10.0, "could not reach the server within 10 s"),
    (
        "rtmp",
        [CONNECTED, APPLICATION],
        "",
        2.5,
        "the server did not answer the request to connect to the application within 2.5 s "
        "(check the application name in the URL, and that this port is the server's RTMP port)",
    ),
    (
        "rtmp",
        [CONNECTED, APPLICATION, PUBLISHING],
        "",
        2.5,
        f"the server did not accept the stream within 2.5 s ({CHECK_KEY})",
    ),
    ("rtmp", [CONNECTED, HANDSHAKE], "", 10.0, "no answer from the server within 10 s"),
    (
        "rtmp",
        [CONNECTED, HANDSHAKE],
        "[Errno 104] Connection reset by peer",
        None,
        "the server broke off the RTMP handshake (if this is an RTMPS port, use rtmps://)",
    ),
    (
        "rtmps",
        [CONNECTED, HANDSHAKE],
        "[Errno 5] Input/output error",
        None,
        "the server broke off the RTMP handshake",
    ),
    (
        "rtmp",
        [CONNECTED, APPLICATION],
        "[Errno 5] Input/output error",
        None,
        # Closed after "connect": the application (nginx-rtmp's "application not found").
        "the server closed the connection when asked for the application ('live'): check the "
        "application in the URL's path and the stream key",
    ),
    ("rtmp", [], "bad header: x", None, "bad header: x"),
]


@pytest.mark.parametrize(("scheme", "lines", "reason", "timed_out_s", "english"), FAILURES)
def test_each_failure_in_words_is_today_s_english_line(
    scheme: str, lines: list[str], reason: str, timed_out_s: float | None, english: str
) -> None:
    phases = ConnectionPhases(scheme)
    for line in lines:
        phases.feed(line)
    words = phases.failure_words(as_said(reason), timed_out_s=timed_out_s)
    assert isinstance(words, Words)
    assert str(words) == english


def test_a_certificate_refusal_is_passed_on_whole() -> None:
    refusal = tls_relay.certificate_not_trusted("self-signed certificate")
    assert str(refusal) == (
        "the server's TLS certificate is not trusted (self-signed certificate): the stream key "
        "was not sent (check the server URL; a private server's certificate can be trusted "
        "with SSL_CERT_FILE)"
    )
    assert ConnectionPhases("rtmps").failure_words(refusal) is refusal


@pytest.mark.parametrize(
    ("child_said", "english"),
    [
        (
            "[Errno 32] Broken pipe: 'rtmp://h/live/****'",
            "the server closed the connection (broken pipe: it went down, restarted or dropped "
            "the stream)",
        ),
        (
            "[Errno 541478725] End of file",
            "the server closed the connection (end of file: it went down, restarted or dropped "
            "the stream)",
        ),
        ("[Errno 5] Input/output error", "[Errno 5] Input/output error"),
    ],
)
def test_a_lost_connection_in_words_is_today_s_english_line(child_said: str, english: str) -> None:
    assert str(connection_lost_words(as_said(child_said))) == english


@pytest.mark.parametrize(
    ("template", "values", "english"),
    [
        (
            network_output._SERVER_NOT_TAKING,
            {"seconds": "4"},
            "the server stopped taking the stream (nothing read for 4 s)",
        ),
        (
            network_output._RELAY_NOT_TAKING,
            {"seconds": "1.5"},
            "this program's TLS relay stopped taking the stream (nothing read for 1.5 s)",
        ),
        (network_output._STALLED, {"seconds": "4"}, "stalled: no progress for 4 s"),
        (network_output._SERVER_CLOSED, {}, "the server closed the connection"),
        (
            network_output._PROCESS_ENDED,
            {"code": "-9"},
            "the network process ended with code -9",
        ),
        (
            network_output._PROCESS_KILLED,
            {"signal": "SIGKILL"},
            "the network process was ended by the signal SIGKILL (killed from outside)",
        ),
        (
            network_output._CANNOT_START_PROCESS,
            {"error": "[Errno 24] Too many open files"},
            "cannot start the network process: [Errno 24] Too many open files",
        ),
        (
            network_output._CANNOT_START_STREAM,
            {"error": "bad"},
            "cannot start the stream: bad",
        ),
    ],
)
def test_the_output_s_own_reasons_are_today_s_english_lines(
    template: Any, values: dict[str, str], english: str
) -> None:
    assert str(Words(template, **values)) == english


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_tls_relay_s_refusal_is_words_and_its_english_line() -> None:
    port = _free_port()  # nothing listens there
    with pytest.raises(tls_relay.Refused) as caught:
        tls_relay.open_checked("127.0.0.1", port, timeout_s=2.0)
    assert str(caught.value) == f"nothing is listening at 127.0.0.1:{port}"
    assert str(caught.value.words) == str(caught.value)


def test_the_relay_s_words_cross_to_the_parent_masked_and_only_as_known_templates() -> None:
    url = "rtmps://ingest.example:443/live/secret-key-9"
    ended = Words(tls_relay.RELAY_ENDED, how="killed by SIGKILL")
    event = tls_relay.words_event(ended, lambda text: masked(text, url))
    assert tls_relay.words_of_event(event, lambda text: masked(text, url)) == ended
    assert str(ended) == (
        "the TLS relay of this program ended (killed by SIGKILL), which cut the connection to "
        "the server"
    )
    # A value holding the key is masked on both sides; a template the parent does not know,
    # or values that are not text, are not taken (the English message is said instead).
    leaked = Words(tls_relay.TLS_FAILED, detail="bad secret-key-9")
    sent = tls_relay.words_event(leaked, lambda text: masked(text, url))
    assert "secret-key-9" not in str(sent)
    forged = {"template": "{reason} secret-key-9", "params": {"reason": "x"}}
    assert tls_relay.words_of_event(forged, lambda text: masked(text, url)) is None
    assert tls_relay.words_of_event({"template": ended.template, "params": {"how": 9}}, str) is None
    assert tls_relay.words_of_event("nonsense", str) is None


@pytest.fixture(params=["zh_CN", "ja"])
def translated(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[str]:
    i18n.install(qapp, request.param)
    yield request.param
    i18n.install(qapp, "en")


def test_every_reason_worded_here_is_said_without_english_in_chinese_and_japanese(
    translated: str,
) -> None:
    """Every reason of the table above, said in the window's language, keeps its values (the
    server's own words stay as it said them) and none of its English."""
    for scheme, lines, reason, timed_out_s, english in FAILURES:
        phases = ConnectionPhases(scheme)
        for line in lines:
            phases.feed(line)
        words = phases.failure_words(as_said(reason), timed_out_s=timed_out_s)
        text = say(words)
        if words.template == "{reason}":
            assert text == english
            continue
        assert text != english
        for name, value in words.params.items():
            if not isinstance(value, Words) and value:
                assert str(value) in text, (text, name)
        assert "the server" not in text and "check" not in text, text
