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
        "rtmp://127.0.0.1:9/live?x=1",
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


def test_the_figures_are_sampled_once_a_second_after_this_program_was_paused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Before (R33net F4): `anchordesk live --stats` stopped 12 s (Ctrl+Z, SIGSTOP, a suspended
    # laptop) wrote 12 samples 50 ms apart when it went on ("output_fps 0.0", "cpu 108 %"),
    # and the summary line caught up the same way: the once-a-second beat was caught up beat
    # by beat. Here the loop's clock jumps a minute after the first sample.
    import asyncio
    import threading
    from types import SimpleNamespace

    from anchordesk.live import session as session_module
    from anchordesk.live.session import LiveSession

    taken_s: list[float] = []
    logged: list[float] = []

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        real_time = loop.time
        paused_s = [0.0]
        loop.time = lambda: real_time() + paused_s[0]  # type: ignore[method-assign]
        stop = asyncio.Event()

        def sample() -> dict[str, object]:
            taken_s.append(loop.time())
            if len(taken_s) == 1:
                paused_s[0] = 60.0
            if len(taken_s) == 3:
                stop.set()
            return {}

        session = SimpleNamespace(
            pipeline=SimpleNamespace(finished=threading.Event(), error=None),
            stats=SimpleNamespace(sample=sample),
            on_stats=[lambda _sample: None],
        )

        def summary_line(_sample: object) -> str:
            logged.append(loop.time())
            return ""

        monkeypatch.setattr(session_module, "summary_line", summary_line)
        # No deadline around it: the loop's clock jumps past any.
        await LiveSession.run(session, stop, log_every_s=5.0)  # type: ignore[arg-type]

    asyncio.run(scenario())
    assert len(taken_s) == 3, taken_s
    # One sample on the return (it was due), the next a second after it, not 50 ms.
    assert taken_s[2] - taken_s[1] >= 0.95, taken_s
    assert len(logged) == 1, logged


@pytest.mark.parametrize(
    "address",
    ["rtmp://127.0.0.1:1/live/KEY", "rtmp://127.0.0.1:1//KEY", "rtmp://127.0.0.1:1/live/a/KEY"],
)
def test_an_address_naming_its_stream_is_pushed(
    address: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The key's rule above is FFmpeg's: what follows the application (an empty one too).
    monkeypatch.delenv("ANCHORDESK_STREAM_KEY", raising=False)
    args = ["live", "--camera", "test", "--mic", "test", "--no-record", "--to", address]
    assert main([*args, "--seconds", "1"]) == 3  # nothing listens on port 1: never live
    assert "names no stream key" not in capsys.readouterr().err
