"""Hostile round three, inputs of `anchordesk live` that need no server: a destination URL
that can never work is refused before anything starts, in one line, key masked (exit 2)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from anchordesk.cli.main import main
from anchordesk.core.errors import UserError
from anchordesk.live.options import check_destination
from anchordesk.media.network_output import NetworkOutput
from anchordesk.media.portaudio import library_noise_filtered

from ..live_runs import child_env, run_live

KEY = "sk_live_51Round3KEYc0ffee"


@pytest.mark.parametrize(
    ("url", "words"),
    [
        # Before: each of these retried for the whole show ("Invalid argument returned 22",
        # "bad header: header line too long" with 100 kB in every log line) or went out with
        # the pasted line break in the key.
        (f"rtmp://127.0.0.1:99999/live/{KEY}", "the port must be a number from 1 to 65535"),
        (f"rtmp://127.0.0.1:0/live/{KEY}", "the port must be a number from 1 to 65535"),
        (f"rtmp://ingest.example/live/{KEY}\n", "the URL holds a line break at character 53"),
        (f"rtmp://ingest.example/live/{KEY[:8]} {KEY[8:]}", "the URL holds a space"),
        (f"rtmp://ingest.example/live/\x1b[2J{KEY}", "the control character U+001B"),
        ("rtmp://ingest.example/live/" + "k" * 100_000, "the URL is 100,027 bytes long"),
        ("rtmp://ingest.example/" + "a" * 2000 + f"/{KEY}", "RTMP carries at most 1,024"),
    ],
)
def test_a_url_that_cannot_work_is_refused_with_the_key_masked(url: str, words: str) -> None:
    for check in (check_destination, NetworkOutput):
        with pytest.raises(UserError) as raised:
            check(url)
        message = str(raised.value)
        assert words in message, message
        assert KEY[8:] not in message and "\n" not in message and "\x1b" not in message
        assert len(message) < 400


def test_unicode_and_percent_encoding_in_the_path_are_a_url_like_any_other() -> None:
    # FFmpeg sends the application and the stream name as they are written: nothing to refuse.
    for url in (
        "rtmp://127.0.0.1/直播/密钥",
        "rtmp://127.0.0.1/live/a%20b%zz",
        "rtmp://[::1]/live/k",
    ):
        assert check_destination(url) == url


@pytest.mark.parametrize(
    ("args", "words"),
    [
        # Before: exit 1 with FFmpeg's avcodec_open2 call and its option dict on screen.
        (["--video-kbps", "99999999999"], "'99999999999' must be from 100 to 100,000 (kbit/s"),
        # Before: accepted; the recording said 6.5 frames a second.
        (["--fps", "100000"], "'100000' must be from 1 to 120 (frames a second)"),
        (["--audio-kbps", "1"], "'1' must be from 32 to 512 (kbit/s of AAC)"),
        (["--fps", "nan"], "'nan' is not a whole number"),
    ],
)
def test_absurd_figures_are_refused_in_one_line(
    args: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["live", "--camera", "test", "--mic", "test", *args, "--seconds", "1"]) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1, err


def test_a_camera_file_that_is_not_video_gets_one_line_and_no_library_noise(
    tmp_path: Path,
) -> None:
    # Before: OpenCV's "[ WARN:0@0.1] global cap.cpp:212 open VIDEOIO(FFMPEG): ..." and its
    # FFmpeg's "[mov,mp4,...] moov atom not found" came first, on stderr, around our line.
    junk = tmp_path / "camera.mp4"
    junk.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8)
    run = run_live(
        "--camera", str(junk), "--mic", "test", "--record", str(tmp_path / "a.mkv"),
        "--seconds", "1", env=child_env(tmp_path),
    )  # fmt: skip
    assert run.process.returncode == 2
    lines = [line for line in run.stderr.splitlines() if " INFO " not in line]
    assert lines == [f"error: --camera {junk}: not a video file this program can read"]


def test_a_lost_microphone_s_retries_print_no_library_noise(
    capfd: pytest.CaptureFixture[str],
) -> None:
    # Measured with a PulseAudio daemon killed mid-run: every retry (each 2 s) printed
    # PortAudio's "Expression '...' failed in 'src/hostapi/alsa/pa_linux_alsa.c'" lines and
    # ALSA's "ALSA lib pulse.c:242:(pulse_connect) ..." on stderr, for the rest of the show.
    # The open now runs with descriptor 2 filtered; a line of ours written meanwhile stays.
    noise = (
        b"Expression 'ret' failed in 'src/hostapi/alsa/pa_linux_alsa.c', line: 1736\n"
        b"ALSA lib pulse.c:242:(pulse_connect) PulseAudio: Unable to connect: Connection "
        b"refused\n\n"
    )
    with library_noise_filtered():
        os.write(2, noise)
        os.write(2, b"00:00:01 WARNING anchordesk: a line of ours\n")
        os.write(2, noise)
    assert capfd.readouterr().err == "00:00:01 WARNING anchordesk: a line of ours\n"


@pytest.mark.parametrize("other", ["--stats", "--session"])
def test_the_recording_and_another_file_of_the_run_cannot_be_one_file(
    other: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: `--record X --stats X` ended with exit 0 and "Recording kept in X", and X was
    # JSON lines over a Matroska header: nothing played.
    same = tmp_path / "show.mkv"
    args = ["live", "--camera", "test", "--mic", "test", "--record", str(same)]
    assert main([*args, other, str(tmp_path / "." / "show.mkv"), "--seconds", "1"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {other} {same}: the same file as --record; each needs a file of its own"
    )
    assert not same.exists()


def test_the_same_stream_given_twice_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    # Before: both pushes ran; the second was refused "Already publishing" every few seconds
    # for the whole show, under the same masked name as the first.
    args = ["live", "--camera", "test", "--mic", "test", "--no-record", "--seconds", "1"]
    first, second = f"rtmp://ingest.example/live/{KEY}", f"RTMP://ingest.example:1935/live/{KEY}"
    assert main([*args, "--to", first, "--to", second]) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last == "error: --to rtmp://ingest.example:1935/live/****: given twice (the same stream)"
