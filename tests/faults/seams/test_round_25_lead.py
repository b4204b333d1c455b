"""Round twenty-five of issue 10 (report only, R25hunt25net.md F3-F5): `anchordesk control`,
whose client round twenty-four wrote twice (two helpers) and the merge joined, against real
loopback servers and files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from anchordesk.cli.main import main

from ..network.test_round_24_net import _answer, _control, _HostileRemote


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b'{"error": {"nested": [1, 2]}}', '400: {"nested": [1, 2]}'),
        (b'{"error": null}', "400: no reason given"),
        (b"{}", "400: no reason given"),
    ],
)
def test_a_refusal_not_in_words_is_said_as_the_json_it_came_as(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], body: bytes, said: str
) -> None:
    # Before (after round twenty-four's merge): "400: {'nested': [1, 2]}" (Python's spelling)
    # and "400: None".
    code, _, err = _control(_HostileRemote(_answer("400 Bad", body)), monkeypatch, capsys)
    assert code == 2
    assert err == f"error: anchordesk control state: {said}\n"


def test_an_answer_that_is_no_object_is_said_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: "200: None" for a 200 whose JSON is a list.
    code, _, err = _control(_HostileRemote(_answer("200 OK", b"[1]")), monkeypatch, capsys)
    assert code == 2
    assert err == "error: anchordesk control state: 200: an answer that is not a JSON object: [1]\n"


@pytest.mark.parametrize("port", ["99999", "65536", "0"])
def test_a_port_that_cannot_be_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], port: str
) -> None:
    # Before: an ExceptionGroup / OverflowError traceback, exit 1.
    monkeypatch.setenv("ANCHORDESK_CONTROL_TOKEN", "t" * 24)
    url = f"http://127.0.0.1:{port}"
    assert main(["control", "--url", url, "state"]) == 2
    assert capsys.readouterr().err == (
        f"error: anchordesk control --url {url!r}: the port is not a number from 1 to 65535\n"
    )


def test_a_certificate_file_that_is_a_pipe_is_refused_not_waited_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: the command waited for good reading the pipe, its 10 s deadline never firing
    # (killed by the test's timeout here).
    fifo = tmp_path / "ca.pem"
    os.mkfifo(fifo)
    monkeypatch.setenv("ANCHORDESK_CONTROL_TOKEN", "t" * 24)
    monkeypatch.setenv("SSL_CERT_FILE", str(fifo))
    assert main(["control", "--url", "https://127.0.0.1:9", "state"]) == 2
    assert capsys.readouterr().err == (
        f"error: anchordesk control: SSL_CERT_FILE={str(fifo)!r} is a pipe, not a certificate "
        "file; fix or unset it\n"
    )


@pytest.mark.parametrize(
    "url", ["127.0.0.1:8750/?token=SECRET-X", "htp://127.0.0.1:8750/?token=SECRET-X"]
)
def test_a_token_in_an_address_without_its_scheme_is_masked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], url: str
) -> None:
    # Before: "--url '127.0.0.1:8750/?token=SECRET-X': expected http://HOST:PORT", the token
    # whole on stderr (R25hunt25netfix, Left).
    monkeypatch.setenv("ANCHORDESK_CONTROL_TOKEN", "t" * 24)
    assert main(["control", "--url", url, "state"]) == 2
    err = capsys.readouterr().err
    assert "SECRET-X" not in err
    assert (
        err
        == f"error: anchordesk control --url {url.replace('SECRET-X', '****')!r}: expected http://HOST:PORT\n"
    )
