"""Round nine, network / disk / stopping / secrets: what the ninth hostile round found.

Each test reproduces one finding with real parts (nginx-rtmp, stunnel, sockets, files on the
real disk, ``anchordesk live`` in this process) and failed before its fix (R9net.md).
"""

from __future__ import annotations

import contextlib
import re
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from servers import NginxRtmp, Stunnel

from anchordesk.cli.main import main

from ..live_runs import SMALL, LiveRun, child_env, run_live

pytestmark = pytest.mark.usefixtures("_isolated_home")


@pytest.fixture
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))


def test_the_help_names_a_destination_that_never_went_live_among_exit_3_s_causes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Before: "3  the show went on, but a file stopped being written (…)": a script's author
    # reading the help could not know that a stream that never went out also ends with 3.
    with pytest.raises(SystemExit):
        main(["live", "--help"])
    codes = capsys.readouterr().out.split("exit codes:")[1]
    three = " ".join(codes.split("\n  3 ")[1].split())
    assert "a destination never went live" in three
    assert "a file stopped being written" in three


def test_destinations_whose_masked_urls_are_alike_are_numbered() -> None:
    from anchordesk.media.network_output import destination_names

    urls = [
        "rtmp://a.rtmp.youtube.com/live2/main-key-1",
        "rtmps://other.example/live/k",
        "rtmp://a.rtmp.youtube.com/live2/backup-key-2",
    ]
    assert destination_names(urls) == [
        "rtmp://a.rtmp.youtube.com/live2/**** #1",
        "rtmps://other.example/live/****",
        "rtmp://a.rtmp.youtube.com/live2/**** #3",
    ]


@pytest.mark.integration
def test_two_keys_on_one_server_are_told_apart_in_every_line(
    nginx_rtmp: NginxRtmp, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: both were "rtmp://127.0.0.1:PORT/live/****" in the log, the health line, the
    # never-live and the summary lines ("Stream to …: live 0:01" twice): which key was
    # refused, or which one went live, could not be told.
    port = nginx_rtmp.port
    urls = [f"rtmp://127.0.0.1:{port}/live/main-K9a", f"rtmp://127.0.0.1:{port}/live/backup-K9b"]
    code = main(["live", *SMALL, "--no-record", *(f"--to={u}" for u in urls), "--seconds", "1"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"Stream to rtmp://127.0.0.1:{port}/live/**** #1: live" in out
    assert f"Stream to rtmp://127.0.0.1:{port}/live/**** #2: live" in out
    assert "K9a" not in out + err and "K9b" not in out + err


@contextlib.contextmanager
def _unix_socket(path: Path) -> Iterator[Path]:
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(path))
        yield path


def test_a_socket_at_the_record_or_stats_path_is_kept_and_a_numbered_name_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: --stats said "is a pipe that no program reads" (exit 2); --record started the
    # show, then "cannot create the recording: … (No such device or address)", exit 3 and
    # no recording at all. A socket is a name that exists, as a file is: kept, numbered.
    with _unix_socket(tmp_path / "show.mkv"), _unix_socket(tmp_path / "figures.jsonl"):
        code = main(
            [
                "live",
                *SMALL,
                "--record",
                str(tmp_path / "show.mkv"),
                "--stats",
                str(tmp_path / "figures.jsonl"),
                "--seconds",
                "1",
            ]
        )
        err = capsys.readouterr().err
        assert code == 0, err
        assert (tmp_path / "show-2.mkv").stat().st_size > 0
        assert (tmp_path / "figures-2.jsonl").stat().st_size > 0
        assert f"{tmp_path / 'show.mkv'} exists and is kept" in err
        assert f"--stats {tmp_path / 'figures.jsonl'} exists and is kept" in err


def test_a_link_to_nowhere_is_said_so_for_session_and_kept_for_stats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: both refused with "… cannot be written (File exists)", where no file was.
    gone = tmp_path / "moved-away"
    (tmp_path / "S.adsession").symlink_to(gone / "S.adsession")
    (tmp_path / "figures.jsonl").symlink_to(gone / "figures.jsonl")
    run = ["live", *SMALL, "--record", str(tmp_path / "show.mkv"), "--seconds", "1"]
    assert main([*run, "--session", str(tmp_path / "S.adsession")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: --session {tmp_path / 'S.adsession'}: cannot write: "
        f"{tmp_path / 'S.adsession'} is a link to {gone / 'S.adsession'}, which does not exist"
    )
    assert main([*run, "--stats", str(tmp_path / "figures.jsonl")]) == 0
    assert (tmp_path / "figures-2.jsonl").stat().st_size > 0
    assert not gone.exists()


@contextlib.contextmanager
def _ipv6_black_hole(port: int) -> Iterator[None]:
    """[::1]:``port`` swallowing every new connection unanswered, as a broken IPv6 route
    does: a listener whose accept queue is full drops the SYNs that come after."""
    if not socket.has_ipv6:
        pytest.skip("no IPv6 here")
    listener = socket.socket(socket.AF_INET6)
    try:
        listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        listener.bind(("::1", port))
    except OSError as error:
        listener.close()
        pytest.skip(f"no IPv6 loopback here: {error}")
    listener.listen(0)
    filler = socket.create_connection(("::1", port))  # the queue's one place, taken
    try:
        yield
    finally:
        filler.close()
        listener.close()


def _dual_stack(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``name`` resolves to ::1 first, then 127.0.0.1 (as a server with an AAAA and an A
    record does): the one thing here not real, for want of a name server."""
    real = socket.getaddrinfo

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        if host != name:
            return real(host, port, *args, **kwargs)
        stream, tcp = socket.SOCK_STREAM, socket.IPPROTO_TCP
        return [
            (socket.AF_INET6, stream, tcp, "", ("::1", port, 0, 0)),
            (socket.AF_INET, stream, tcp, "", ("127.0.0.1", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def _returns_while_the_dead_address_is_still_pending(connect: Callable[[], Any]) -> Any:
    """Runs ``connect()`` and gives its result if it came back while an attempt to the
    dead address alone would still be waiting (the call's own timeout is 60 s)."""
    result: list[Any] = []
    worker = threading.Thread(target=lambda: result.append(connect()), daemon=True)
    worker.start()
    worker.join(30)
    assert result, "still waiting for the dead IPv6 address"
    return result[0]


@pytest.mark.integration
def test_rtmps_to_a_name_whose_ipv6_address_is_dead_connects_through_its_ipv4_one(
    stunnel_rtmps: Stunnel, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: the TLS relay (socket.create_connection) gave the dead IPv6 address its whole
    # timeout (8 s) before it tried the IPv4 one, at every attempt: a real run against such a
    # name went live 8 s late (rtmp://, FFmpeg's own connection, at once). The go-live
    # pre-flight waited the same. Now both try the next address after 250 ms.
    from anchordesk.media.tls_relay import open_checked
    from anchordesk.ui.reach import tcp_reachable

    port = stunnel_rtmps.port
    _dual_stack("localhost", monkeypatch)  # the certificate's name
    with _ipv6_black_hole(port):
        connection = _returns_while_the_dead_address_is_still_pending(
            lambda: open_checked("localhost", port, 60.0)
        )
        with connection:
            assert connection.getpeername()[:2] == ("127.0.0.1", port)
        problem = _returns_while_the_dead_address_is_still_pending(
            lambda: tcp_reachable("localhost", port, 60.0, tls=True)
        )
        assert problem is None


def test_a_log_folder_that_is_a_file_is_said_so(tmp_path: Path) -> None:
    # Before: "log file: never written: …/AnchorDesk/log cannot be written (File exists)",
    # the words of mkdir over a file, where no log file was ever made.
    folder = tmp_path / "state" / "AnchorDesk" / "log"
    folder.parent.mkdir(parents=True)
    folder.write_text("a file where the log folder should be")
    run = run_live(
        *SMALL, "--record", str(tmp_path / "show.mkv"), "--seconds", "1",
        env=child_env(tmp_path, XDG_STATE_HOME=str(tmp_path / "state")), timeout_s=60,
    )  # fmt: skip
    assert run.process.returncode == 3, run.stderr
    assert run.stderr.strip().splitlines()[-2] == (
        f"error: log file: never written: the log folder {folder} is a file, not a folder"
    )


@pytest.mark.integration
def test_a_stream_whose_server_went_down_for_good_is_summed_up_as_down_not_as_reconnected(
    nginx_rtmp: NginxRtmp, tmp_path: Path
) -> None:
    # Before: "Stream to …: live 0:00, 3 reconnects" (a run of 10 s whose server went down
    # after 1 s): the failed attempts were counted as reconnects, and nothing said that the
    # stream was down for the rest of the run.
    url = f"rtmp://127.0.0.1:{nginx_rtmp.port}/live/sk_live_Down9"
    run = LiveRun(*SMALL, "--no-record", "--to", url, env=child_env(tmp_path))
    try:
        run.wait_for_line("/live/****: live", 60)
        nginx_rtmp.stop()
        run.wait_for_line("retrying in", 60)
        run.send(signal.SIGTERM)
        run.wait(30)
    finally:
        run.kill()
    [line] = [text for text in run.stdout.splitlines() if text.startswith("Stream to ")]
    assert re.fullmatch(
        rf"Stream to rtmp://127\.0\.0\.1:{nginx_rtmp.port}/live/\*\*\*\*: live \d+:\d\d; "
        r"not live for the last \d+:\d\d of the run: the server closed the connection .+",
        line,
    ), line


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("live..example.com", "has an empty part between two dots"),
        (
            "a" * 64 + ".example.com",
            "has a part of 64 characters between two dots; a name's part may have at most 63",
        ),
    ],
)
@pytest.mark.parametrize("scheme", ["rtmp", "rtmps"])
def test_a_server_name_no_resolver_takes_is_refused_before_the_run(
    scheme: str, host: str, why: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: the run started and retried for the whole show, "the server's name was not
    # found" (rtmp) or "could not reach the server (encoding with 'idna' codec failed
    # (UnicodeError: label empty or too long))" (rtmps), then exit 3.
    url = f"{scheme}://{host}/live/sk_live_Name9"
    assert main(["live", *SMALL, "--no-record", "--to", url, "--seconds", "1"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: --to {scheme}://{host}/live/****: the server's name {host} {why}"
    )


def test_the_go_live_pre_flight_answers_for_a_name_no_resolver_takes() -> None:
    # Before: tcp_reachable raised UnicodeError out of its worker: the window's pre-flight
    # check of the server never came back. The destination's settings now refuse such a URL.
    from anchordesk.live.settings import PRESETS, check_server_url
    from anchordesk.ui.reach import Unreachable, tcp_reachable

    problem = tcp_reachable("live..example.com", 443, 5.0, tls=True)
    assert problem is not None and problem.kind is Unreachable.NAME_NOT_FOUND
    custom = PRESETS["custom"]
    assert check_server_url(custom, "rtmps://live..example.com/app") == (
        "the server's name live..example.com has an empty part between two dots"
    )


@pytest.mark.integration
def test_a_key_and_a_token_on_the_command_line_are_masked_in_the_process_s_arguments(
    nginx_rtmp: NginxRtmp, tmp_path: Path
) -> None:
    # Before: /proc/PID/cmdline (ps, top, a crash reporter) showed the stream key of --to and
    # the token of a --feed URL to every user of the machine for the whole show.
    url = f"rtmp://127.0.0.1:{nginx_rtmp.port}/live/sk_live_Argv9Key"
    feed = "json=http://127.0.0.1:9/comments?token=tok_Argv9Token"
    run = LiveRun(*SMALL, "--no-record", f"--to={url}", "--feed", feed, env=child_env(tmp_path))
    try:
        run.wait_for_line("/live/****: live", 60)
        shown = Path(f"/proc/{run.process.pid}/cmdline").read_bytes().split(b"\0")
        run.send(signal.SIGTERM)
        assert run.wait(30) == 0, run.stderr
    finally:
        run.kill()
    stars = "*" * len("sk_live_Argv9Key")
    assert f"--to=rtmp://127.0.0.1:{nginx_rtmp.port}/live/{stars}".encode() in shown
    assert b"json=http://127.0.0.1:9/comments?token=" + b"*" * len("tok_Argv9Token") in shown
    assert b"Argv9" not in b" ".join(shown)


@pytest.mark.parametrize("scheme", ["rtmp", "rtmps"])
def test_a_link_local_ipv6_address_is_refused_in_words(
    scheme: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: the run started, and every attempt of the show failed "Invalid argument
    # returned 22" (rtmp) or "could not reach [fe80::1]:443 (invalid argument)" (rtmps):
    # without its zone, which round eight refused, no system can reach such an address.
    url = f"{scheme}://[fe80::1]:1935/live/sk_live_Link9"
    assert main(["live", *SMALL, "--no-record", "--to", url, "--seconds", "1"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: --to {scheme}://[fe80::1]:1935/live/****: fe80::1 is a link-local IPv6 address "
        "(fe80::…), which cannot be streamed to: use the server's name or another of its "
        "addresses"
    )


def test_a_key_file_saved_with_a_byte_order_mark_gives_the_key_alone() -> None:
    # Before: `--to-key-stdin < key.txt` (a file Windows Notepad saved as UTF-8 with its BOM)
    # sent "\ufeffsk_live_…" as the stream name; the platform refused a right key.
    import io

    from anchordesk.cli.destinations import resolve_destinations

    urls = resolve_destinations(
        ["rtmp://a.rtmp.youtube.com/live2"],
        key_from_stdin=True,
        stdin=io.StringIO("\ufeffsk_live_Bom9\r\n"),
    )
    assert urls == ["rtmp://a.rtmp.youtube.com/live2/sk_live_Bom9"]


@pytest.mark.parametrize("where", ["stdin", "environment"])
def test_a_whole_url_given_where_the_key_goes_is_refused(where: str) -> None:
    # Before: the URL went live as the stream name under the --to server
    # (nginx: name='rtmp://host/live/KEY'), masked "rtmp://host/live/****//****/****/****".
    import io

    from anchordesk.cli.destinations import resolve_destinations
    from anchordesk.core.errors import UserError

    pasted = "rtmp://a.rtmp.youtube.com/live2/sk_live_Url9"
    with pytest.raises(UserError) as refused:
        if where == "stdin":
            resolve_destinations(
                ["rtmp://a.rtmp.youtube.com/live2"], key_from_stdin=True, stdin=io.StringIO(pasted)
            )
        else:
            resolve_destinations(
                ["rtmp://a.rtmp.youtube.com/live2"], environ={"ANCHORDESK_STREAM_KEY": pasted}
            )
    source = "--to-key-stdin: standard input" if where == "stdin" else "ANCHORDESK_STREAM_KEY"
    assert str(refused.value) == (
        f"{source} gave a whole URL (…://…), not a stream key: give the key alone, or the whole "
        "URL with --to"
    )
