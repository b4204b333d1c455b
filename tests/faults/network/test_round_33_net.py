"""Round thirty-three of issue 10, outputs and the command line (R33net33.md): a push address
with no stream key."""

from __future__ import annotations

import pytest

from anchordesk.cli.main import main


@pytest.mark.parametrize(
    "address",
    [
        "rtmp://127.0.0.1:9/live",
        "rtmp://127.0.0.1:9/live/",
        "rtmps://a.rtmps.youtube.com:443/live2",
        "rtmp://user:PASSWORD@127.0.0.1:9/live",
    ],
)
def test_an_address_without_a_stream_key_and_no_key_given_is_a_mistake_in_the_command(
    address: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before (R33net F2): `--to rtmp://HOST/live` with no key (forgotten: none in the address,
    # none from --to-key-stdin or ANCHORDESK_STREAM_KEY) started the show and pushed a stream
    # with no name: nginx-rtmp took it and the run said "live 0:02" and ended 0, a platform
    # refused it at every attempt (exit 3 after the show); a saved destination without its key
    # and the window's go-live check both refuse it before anything starts.
    monkeypatch.delenv("ANCHORDESK_STREAM_KEY", raising=False)
    args = ["live", "--camera", "test", "--mic", "test", "--no-record", "--to", address]
    assert main([*args, "--seconds", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "names no stream key" in err, err
    assert "--to-key-stdin" in err and "ANCHORDESK_STREAM_KEY" in err, err
    assert "PASSWORD" not in err, err


@pytest.mark.parametrize("option", ["--seconds", "--rate"])
@pytest.mark.parametrize("value", ["nan", "NaN", "+nan"])
def test_not_a_number_is_said_not_a_number(
    option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before (R33net F3): "--seconds: 'nan' must be above zero" (float() reads "nan").
    args = (
        ["live", "--camera", "test", "--mic", "test", "--no-record", option, value]
        if option == "--seconds"
        else ["audience", "--show", "show.json", option, value]
    )
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith(f"argument {option}: {value!r} is not a number"), err
