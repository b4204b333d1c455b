"""Round twenty-six, the lead's findings: the rehearsal audience server (``anchordesk audience``).

Before: a cursor of 5,000 digits (``?after=RUN:999…``) made the server's thread raise
``ValueError: Exceeds the limit (4300 digits)``; socketserver printed the whole traceback on the
user's terminal and the client got no answer at all.
"""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from anchordesk.cli.main import main
from anchordesk.feeds import audience
from anchordesk.feeds.audience import AudienceServer, AudienceSimulator
from anchordesk.showfile.files import load_show

SHOW = load_show(Path(__file__).resolve().parents[3] / "resources" / "shows" / "en" / "show.json")


def test_an_absurd_cursor_is_read_as_past_the_end_not_a_traceback(
    capfd: pytest.CaptureFixture[str],
) -> None:
    simulator = AudienceSimulator(SHOW, seed=3, rate_per_s=20, run_id="r")
    now = [30.0]
    with AudienceServer(simulator, clock=lambda: now[0]) as server, httpx.Client() as client:
        first = client.get(server.url_from_start).json()
        assert first["items"], "the crowd said something in 30 s"
        for cursor in ("r:" + "9" * 5000, "r:" + "9" * 19, "r:1:" + "9" * 5000):
            answer = client.get(server.url, params={"after": cursor})
            assert answer.status_code == 200, cursor[:12]
            page = answer.json()
            # A position past the end: nothing of the past, and a cursor to go on with.
            past_the_end = cursor.count(":") == 1
            assert (page["items"] == []) is past_the_end and page["next"].startswith("r:")
            now[0] += 5.0
            assert client.get(server.url, params={"after": page["next"]}).json()["items"]
    assert "Traceback" not in capfd.readouterr().err


def test_a_request_it_cannot_answer_is_one_line_in_the_log_and_the_next_is_served(
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    simulator = AudienceSimulator(SHOW, seed=3, rate_per_s=20, run_id="r")
    real_page = simulator.page
    failures = ["boom\x1b[2J"]

    def page(*args: object, **kwargs: object) -> dict[str, object]:
        if failures:
            raise RuntimeError(failures.pop())
        return real_page(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(simulator, "page", page)
    with (
        caplog.at_level(logging.WARNING, logger=audience.__name__),
        AudienceServer(simulator, clock=lambda: 10.0) as server,
        httpx.Client() as client,
    ):
        with pytest.raises(httpx.RemoteProtocolError):
            client.get(server.url)
        assert client.get(server.url).status_code == 200
    assert "Traceback" not in capfd.readouterr().err
    lines = [r.getMessage() for r in caplog.records if "could not answer" in r.getMessage()]
    assert lines == [
        "audience: could not answer a request from 127.0.0.1: RuntimeError: boom\\x1b[2J"
    ]


@pytest.mark.parametrize("option", ["--camera", "--mic"])
def test_a_device_number_of_five_thousand_digits_is_no_device_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    # Before: int() refuses over 4,300 digits: "ValueError: Exceeds the limit (4300 digits) for
    # integer string conversion", a traceback and exit 1 (round 24 tried 23 digits and 2**31).
    number = "9" * 5000
    devices = {"--camera": "test", "--mic": "test", option: number}
    code = main(["live", "--camera", devices["--camera"], "--mic", devices["--mic"],
                 "--seconds", "1", "--record", str(tmp_path / "a.mkv")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and err.count("\n") == 1
    said = "no camera with this number can be opened" if option == "--camera" else "no such"
    assert err.startswith(f"error: {option} 999") and said in err
    assert not (tmp_path / "a.mkv").exists()


@pytest.mark.parametrize(
    "address",
    [
        "rtmp://127.0.0.1:1/live/sk_url_4f2a9c",
        "rtmp://a.rtmp.youtube.com/live2/sk_url_4f2a9c",
        "rtmps://live-api-s.facebook.com:443/rtmp/sk_url_4f2a9c?s_bl=1",
    ],
)
def test_a_key_in_the_address_and_one_in_the_environment_is_refused_in_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    address: str,
) -> None:
    # Before: ANCHORDESK_STREAM_KEY left in a shell profile was put after the key of a full
    # address pasted from the platform (…/live/KEY/KEY2): the server refused an application it
    # did not know, and the words pointed at the application.
    monkeypatch.setenv("ANCHORDESK_STREAM_KEY", "sk_env_77d1e0")
    code = main(["live", "--camera", "test", "--mic", "test", "--seconds", "1", "--to", address,
                 "--record", str(tmp_path / "a.mkv")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and err.count("\n") == 1, err
    assert "holds a stream key already and ANCHORDESK_STREAM_KEY gives one too" in err
    assert "sk_url" not in err and "sk_env" not in err
    assert not (tmp_path / "a.mkv").exists()


def test_a_settings_number_of_five_thousand_digits_is_said_in_words(tmp_path: Path) -> None:
    # Before: the problem quoted Python's advice to a programmer: "is not valid JSON (Exceeds
    # the limit (4300 digits) for integer string conversion: ...; use
    # sys.set_int_max_str_digits() to increase the limit)", in the window's settings box too.
    from anchordesk.live.settings import load_settings

    path = tmp_path / "settings.json"
    path.write_text('{"video_kbps": ' + "9" * 5000 + "}", encoding="utf-8")
    settings = load_settings(path)
    assert len(settings.problems) == 1
    problem = settings.problems[0]
    assert "a number of 5,000 digits, longer than any setting" in problem
    assert "set_int_max_str_digits" not in problem and len(problem) < 300
    assert (tmp_path / "settings.json.broken").exists()
