"""``anchordesk live --to NAME``: a saved destination's server and keyring key; a key from stdin
or the environment; never a key in an error."""

from __future__ import annotations

import io

import pytest

from anchordesk.cli.destinations import KEY_ENVIRONMENT_VARIABLE, resolve_destinations
from anchordesk.cli.main import build_parser, live_options_from_args, main
from anchordesk.core import secrets
from anchordesk.core.errors import UserError
from anchordesk.live.settings import Destination, Settings, save_settings

KEY = "yt-abcd-1234-efgh-5678"


def save_destinations() -> None:
    save_settings(
        Settings(
            destinations=[
                Destination("d1", "YouTube", preset_id="youtube"),
                Destination("d2", "Studio", preset_id="custom", server_url="rtmp://10.0.0.5/live"),
                Destination("d3", "Douyin", preset_id="douyin", server_url=""),
            ]
        )
    )


def live_destinations(*args: str) -> list[str]:
    return live_options_from_args(build_parser().parse_args(["live", *args])).destinations


def test_a_saved_destination_by_name_takes_its_key_from_the_keyring(memory_keyring: object) -> None:
    save_destinations()
    secrets.set_secret(secrets.stream_key_name("d1"), KEY)
    secrets.set_secret(secrets.stream_key_name("d2"), "studio-key-42")
    assert live_destinations("--to", "youtube") == [f"rtmps://a.rtmps.youtube.com:443/live2/{KEY}"]
    assert live_destinations("--to", "STUDIO", "--to", "YouTube") == [
        "rtmp://10.0.0.5/live/studio-key-42",
        f"rtmps://a.rtmps.youtube.com:443/live2/{KEY}",
    ]


@pytest.mark.parametrize(
    ("target", "fragment"),
    [
        ("twitch", "no saved destination of that name (saved: 'YouTube', 'Studio', 'Douyin')"),
        ("studio", "no stream key saved for 'Studio'"),
    ],
)
def test_a_missing_destination_or_key_is_one_clear_line(
    memory_keyring: object, target: str, fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    save_destinations()
    assert main(["live", "--to", target, "--seconds", "1"]) == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1 and "Traceback" not in err


def test_a_destination_without_a_server_says_where_to_set_it(memory_keyring: object) -> None:
    save_destinations()
    secrets.set_secret(secrets.stream_key_name("d3"), "douyin-key")
    with pytest.raises(UserError, match="'Douyin' has no server URL"):
        live_destinations("--to", "douyin")


def test_the_key_can_come_from_stdin_for_a_name_or_a_server_url(memory_keyring: object) -> None:
    save_destinations()
    assert resolve_destinations(
        ["studio"], key_from_stdin=True, stdin=io.StringIO("piped-key-0001\n"), environ={}
    ) == ["rtmp://10.0.0.5/live/piped-key-0001"]
    assert resolve_destinations(
        ["rtmp://127.0.0.1:1935/live"], key_from_stdin=True, stdin=io.StringIO("k-2345\n")
    ) == ["rtmp://127.0.0.1:1935/live/k-2345"]
    with pytest.raises(UserError, match="standard input gave no stream key"):
        resolve_destinations(["studio"], key_from_stdin=True, stdin=io.StringIO(""))
    with pytest.raises(UserError, match="exactly one --to"):
        resolve_destinations(["studio", "youtube"], key_from_stdin=True, stdin=io.StringIO("k\n"))


def test_the_key_can_come_from_the_environment(memory_keyring: object) -> None:
    save_destinations()
    environ = {KEY_ENVIRONMENT_VARIABLE: "env-key-7777"}
    assert resolve_destinations(["youtube"], environ=environ) == [
        "rtmps://a.rtmps.youtube.com:443/live2/env-key-7777"
    ]
    with pytest.raises(UserError, match="exactly one --to"):
        resolve_destinations(["youtube", "studio"], environ=environ)


def test_a_bad_server_with_a_piped_key_never_echoes_the_key(memory_keyring: object) -> None:
    with pytest.raises(UserError) as raised:
        resolve_destinations(
            ["rtmp://"], key_from_stdin=True, stdin=io.StringIO("never-echo-this-key\n")
        )
    assert "never-echo-this-key" not in str(raised.value)


def test_help_warns_that_a_key_in_to_is_visible_to_other_users(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["live", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "visible to other users of this machine" in text
    assert "--to-key-stdin" in text and "ANCHORDESK_STREAM_KEY" in text
