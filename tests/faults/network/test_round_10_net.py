"""Round ten, network / disk / stopping / secrets: what the tenth hostile round found.

Each test reproduces one finding with real parts (nginx-rtmp, a private name table, the
installed program in a process of its own) and failed before its fix (R10net.md).
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from servers import NginxRtmp

from ..live_runs import SMALL, child_env


def _run_with_bytes(home: Path, *args: bytes) -> subprocess.CompletedProcess[bytes]:
    """``anchordesk live`` as a shell starts it: its arguments as raw bytes."""
    command = [sys.executable.encode(), b"-m", b"anchordesk", b"live"]
    command += [part.encode() for part in SMALL]
    return subprocess.run(
        [*command, *args], capture_output=True, env=child_env(home), timeout=120, check=False
    )


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        (
            b"--to",
            b"rtmp://127.0.0.1:1935/live/sk_live_\xffTen1",
            "error: --to rtmp://127.0.0.1:1935/live/****: the URL holds a byte that is not "
            "UTF-8 text at character 36 (copied from a file in another encoding?)",
        ),
        (
            b"--feed",
            b"json=http://127.0.0.1:9/comments?token=\xfetok_Ten1",
            "error: --feed json=…: the URL holds a byte that is not UTF-8 text (copied from a "
            "file in another encoding?)",
        ),
        (
            b"--camera",
            b"rtsp://admin:pass\xffTen1@127.0.0.1:9/stream",
            "error: --camera rtsp://****@127.0.0.1:9/stream: the name holds a byte that is not "
            "UTF-8 text, which the video reader cannot open (rename the file, or write the URL "
            "in UTF-8)",
        ),
    ],
)
def test_an_argument_holding_a_byte_that_is_not_utf8_is_refused_in_one_line(
    tmp_path: Path, option: bytes, value: bytes, said: str
) -> None:
    # Before: --to and --feed ended at once with a UnicodeEncodeError traceback (exit 1), from
    # the masking of the process's own arguments and then from the URL checks; --camera
    # crashed the whole program in OpenCV (a segmentation fault, exit -11, no word at all).
    # A key copied out of a file saved in another encoding brings such a byte.
    extra = [b"--to", b"rtmp://127.0.0.1:9/live/k"] if option == b"--camera" else []
    done = _run_with_bytes(tmp_path, option, value, *extra, b"--no-record", b"--seconds", b"1")
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2, err
    assert err.strip().splitlines()[-1] == said
    assert "Traceback" not in err and "Ten1" not in err


def test_a_video_file_whose_name_is_not_utf8_is_refused_in_one_line(tmp_path: Path) -> None:
    # Before: a file named in Latin-1 (copied from an old camera's card) crashed the program in
    # OpenCV (segmentation fault): the name's bytes reach Python escaped, OpenCV takes no bytes.
    video = tmp_path / "caf\udce9.mp4"
    video.write_bytes(b"\x00" * 64)
    done = _run_with_bytes(
        tmp_path, b"--camera", bytes(video), b"--to", b"rtmp://127.0.0.1:9/live/k", b"--no-record"
    )
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2, err
    assert err.strip().splitlines()[-1] == (
        f"error: --camera {tmp_path}/caf\\xe9.mp4: the name holds a byte that is not UTF-8 "
        "text, which the video reader cannot open (rename the file, or write the URL in UTF-8)"
    )


@pytest.mark.integration
def test_a_server_name_written_in_another_script_is_reached_by_rtmp(
    nginx_rtmp: NginxRtmp, tmp_path: Path
) -> None:
    # Before: "the server's name was not found: 例え.テスト" at every attempt, exit 3: FFmpeg
    # gave the resolver the name's UTF-8 bytes, which no hosts file or name server matches,
    # while the go-live pre-flight and the rtmps relay (Python encodes the name) reached it.
    # The name is given to this run alone: /etc/hosts replaced in a mount namespace of its own.
    if subprocess.run(["unshare", "-m", "true"], capture_output=True, check=False).returncode:
        pytest.skip("no private mount namespace here (needs root and unshare)")
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n127.0.0.1 xn--r8jz45g.xn--zckzah\n")
    url = f"rtmp://例え.テスト:{nginx_rtmp.port}/live/sk_live_Idn10"
    in_namespace = ["unshare", "-m", "sh", "-c", 'mount --bind "$0" /etc/hosts && exec "$@"']
    command = [sys.executable, "-m", "anchordesk", "live", *SMALL, "--no-record"]
    done = subprocess.run(
        [*in_namespace, str(hosts), *command, "--to", url, "--seconds", "2"],
        capture_output=True,
        text=True,
        env=child_env(tmp_path),
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"Stream to rtmp://例え.テスト:{nginx_rtmp.port}/live/****: live" in done.stdout
    assert "Idn10" not in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("url", "sent"),
    [
        ("rtmp://例え。テスト:1935/live/k?a=1", "rtmp://xn--r8jz45g.xn--zckzah:1935/live/k?a=1"),
        ("rtmp://ü:pä@例え.テスト/live/ключ", "rtmp://ü:pä@xn--r8jz45g.xn--zckzah/live/ключ"),
        ("rtmp://127.0.0.1/live/ключ", "rtmp://127.0.0.1/live/ключ"),
        ("RTMPS://[::1]:443/live/K", "rtmps://[::1]:443/live/K"),
    ],
)
def test_only_the_scheme_and_the_server_s_name_are_changed_for_ffmpeg(url: str, sent: str) -> None:
    # The key, the user's name and password stay as written: only the name is encoded (an
    # ideographic full stop, as a Japanese keyboard types it, is a dot there).
    from anchordesk.media.destination_url import for_ffmpeg

    assert for_ffmpeg(url) == sent


@pytest.mark.parametrize(
    ("feed", "said"),
    [
        (
            "shopify-orders=https://shop.example/admin/api/2024-10/graphql.json",
            "shopify-orders needs an access token (keyring user 'shopify-orders') or the app's "
            "client id and secret ('shopify-orders-client-id', 'shopify-orders-client-secret')",
        ),
        (
            "youtube-chat=https://www.googleapis.com/youtube/v3/liveChat/messages",
            "youtube-chat needs the live chat id or the video (broadcast) id",
        ),
        (
            "twitch-chat=wss://eventsub.wss.twitch.tv/ws",
            "twitch-chat needs the channel's user id",
        ),
    ],
)
def test_a_feed_that_cannot_be_set_up_is_refused_before_the_run(
    feed: str,
    said: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Before: the stream and the recording started, and as the session began the run ended
    # with a FeedSetupError traceback (exit 1), the recording cut: a shop's feed whose token
    # was never saved is a user's mistake, said in one line before anything starts.
    from anchordesk.cli.main import main

    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    record = tmp_path / "show.mkv"
    code = main(["live", *SMALL, "--feed", feed, "--record", str(record), "--seconds", "1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith(f"error: --feed {feed.partition('=')[0]}: {said}")
    assert not record.exists()


@pytest.mark.integration
@pytest.mark.parametrize("scheme", ["RTMP", "Rtmp"])
def test_a_url_whose_scheme_is_in_capitals_goes_live(
    scheme: str, nginx_rtmp: NginxRtmp, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: the URL passed every check (the scheme is read in any case), and FFmpeg, whose
    # protocols are named in small letters, said "[Errno 1330794744] Protocol not found" at
    # every attempt of the show: exit 3, "never went live".
    from anchordesk.cli.main import main

    url = f"{scheme}://127.0.0.1:{nginx_rtmp.port}/live/sk_live_Caps10"
    # Three seconds: the connect must end within the run, and it took over one on a machine
    # at load 5-10 (exit 3, "the run ended before the server answered").
    code = main(["live", *SMALL, "--no-record", "--to", url, "--seconds", "3"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"Stream to rtmp://127.0.0.1:{nginx_rtmp.port}/live/****: live" in out
    assert "Protocol not found" not in err


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-16-le"])
def test_a_key_file_saved_as_utf16_gives_the_key(encoding: str) -> None:
    # Before: `--to-key-stdin < key.txt`, the file saved by Notepad as "Unicode" (UTF-16 with
    # its byte-order mark), was refused: "the URL holds the control character U+0000 at
    # character 32 (copied with a line break or a space? a URL has none)".
    import codecs
    import io

    from anchordesk.cli.destinations import resolve_destinations

    mark = {"utf-16-be": codecs.BOM_UTF16_BE, "utf-16-le": codecs.BOM_UTF16_LE}.get(encoding, b"")
    data = mark + "sk_live_Utf16\r\nsecond line\r\n".encode(encoding)
    stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="surrogateescape")
    urls = resolve_destinations(
        ["rtmp://a.rtmp.youtube.com/live2"], key_from_stdin=True, stdin=stdin
    )
    assert urls == ["rtmp://a.rtmp.youtube.com/live2/sk_live_Utf16"]


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_stop_while_the_key_is_awaited_on_standard_input_ends_the_run(
    number: signal.Signals, tmp_path: Path
) -> None:
    # Before: `secret-tool … | anchordesk live --to-key-stdin` whose writer had not given the
    # key yet (a locked store asking for its password): SIGTERM, Ctrl+C and SIGHUP were noted
    # and the blocking read went on, until the pipe closed (28.8 s in the try; never, for a
    # writer that keeps it open); then "standard input gave no stream key", exit 2.
    command = [sys.executable, "-m", "anchordesk", "live", *SMALL, "--no-record"]
    process = subprocess.Popen(
        [*command, "--to", "rtmp://127.0.0.1:9/live", "--to-key-stdin"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=child_env(tmp_path),
    )
    assert process.stdin is not None
    try:
        # The run's log says it began (its stop handlers are in place then): the key is next.
        state = tmp_path / "xdg_state_home"
        while "command: live" not in _log_text(state):
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(0.05)
            assert process.returncode is None, process.communicate()
        process.send_signal(number)
        code = process.wait(30)  # its standard input still open: the key never comes
    finally:
        process.kill()
        process.stdin.close()
    assert process.stderr is not None
    err = process.stderr.read().decode()
    assert code == 0, err
    # The signal may land while the options' modules still load, before the wait: the stop at
    # once of the start-up then says it (R26hunt26net F6).
    said = err + _log_text(state)
    assert (
        "stopped before anything started" in said
        or f"{number.name} during start-up: stopped before the picture started" in said
    ), said
    assert "no stream key" not in err


def _log_text(state: Path) -> str:
    return "".join(log.read_text() for log in state.rglob("*.log"))


def test_a_data_folder_that_cannot_be_made_is_said_before_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: with a feed (or a show) and no --session, the session goes into the user's
    # data folder; one on a read-only disk (seen with a read-only tmpfs) or under a file
    # ended the run with an OSError traceback as the first session began, the recording and
    # the stream already started (exit 1).
    from anchordesk.cli.main import main

    for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    in_the_way = tmp_path / "data"
    in_the_way.write_text("a file where the data folder goes\n")
    monkeypatch.setenv("XDG_DATA_HOME", str(in_the_way / "share"))
    record = tmp_path / "show.mkv"
    feed = "json=http://127.0.0.1:9/comments"
    code = main(["live", *SMALL, "--feed", feed, "--record", str(record), "--seconds", "1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith("error: the session cannot be kept: ")
    assert err[-1].endswith("; give --session PATH on a disk that can be written")
    assert not record.exists()


def test_saved_destinations_are_read_from_a_config_folder_that_cannot_be_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: `anchordesk live --to youtube` with the config folder on a read-only disk (seen
    # with a read-only tmpfs) or under a file ended with an OSError traceback (exit 1):
    # reading the settings made their folder first. A folder that is not there holds none.
    from anchordesk.cli.main import main

    for name in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    in_the_way = tmp_path / "config"
    in_the_way.write_text("a file where the config folder goes\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(in_the_way / "c"))
    assert main(["live", *SMALL, "--to", "youtube", "--no-record", "--seconds", "1"]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "error: --to youtube: no saved destination of that name (saved: none); add it in "
        "File → Settings → Destinations, or give rtmp://HOST/APP/<KEY>"
    )


def test_a_default_recording_folder_that_cannot_be_made_is_said_before_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: without --record the recording goes into ~/Videos/AnchorDesk; a home folder on
    # a read-only disk (seen with a read-only tmpfs: a kiosk, a live system) or a file in the
    # way ended the run with an OSError traceback (exit 1).
    from anchordesk.cli.main import main

    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    in_the_way = tmp_path / "home"
    in_the_way.write_text("a file where the home folder goes\n")
    monkeypatch.setenv("HOME", str(in_the_way))
    # The suite points the default folder into the test's own; here it is the home's again.
    from anchordesk.core import paths

    monkeypatch.setattr(paths, "default_recordings_dir", lambda: in_the_way / "Videos/AnchorDesk")
    code = main(["live", *SMALL, "--to", "rtmp://127.0.0.1:9/live/k", "--seconds", "1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith(f"error: the recording cannot be made in {in_the_way}/Videos/")
    assert err[-1].endswith("; give --record PATH on a disk that can be written, or --no-record")
