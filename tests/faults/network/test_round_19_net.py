"""Round nineteen of issue 10, outputs, the network child, disks and stopping (R19hunt19net.md).

Real parts: nginx-rtmp on loopback, web servers on real sockets (nginx serving HTTP, and one
that answers "400" and then says nothing), the real ``anchordesk live`` CLI.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from packetgen import PacketGenerator
from servers import MissingTool, NginxRtmp, find_program, free_port, wait_for_port, wait_until

from anchordesk.core.backoff import Backoff
from anchordesk.media.network_output import NetworkOutput
from anchordesk.media.packets import OutputState, OutputStatus
from faults.network_helpers import Feeder

KEY = "sk_live_51NineteenKEY7c2e"


def first_failure(url: str, generator: PacketGenerator, connect_timeout_s: float) -> OutputStatus:
    """Push to ``url`` until its first attempt fails (no retry within the test)."""
    output = NetworkOutput(
        url,
        connect_timeout_s=connect_timeout_s,
        backoff=Backoff(initial_delay_s=60.0, max_delay_s=60.0),
    )
    output.start(generator.templates)
    try:
        with Feeder(output, generator):
            status: OutputStatus = wait_until(
                lambda: (s := output.status()).state is OutputState.RECONNECTING and s,
                60,
                what="the first failure",
            )
    finally:
        output.stop(timeout_s=2)
    return status


@contextlib.contextmanager
def answering_400_then_silent() -> Iterator[int]:
    """A web server that answers anything with "400 Bad Request" and keeps the connection open,
    saying nothing more."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = server.accept()
                held.append(client)
                client.recv(4096)
                client.sendall(
                    b"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Length: 0\r\n\r\n"
                )

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield int(server.getsockname()[1])
    finally:
        server.close()
        for client in held:
            client.close()


@contextlib.contextmanager
def nginx_web_server() -> Iterator[int]:
    """nginx serving HTTP (it answers the handshake's bytes "400 Bad Request" and closes)."""
    try:
        nginx = find_program("nginx", "nginx-light")
    except MissingTool as error:
        pytest.skip(f"{error}; ./dev.sh test installs it")
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        port = free_port()
        temp = "\n".join(
            f"  {name}_temp_path {base};" for name in ("client_body", "proxy", "fastcgi", "uwsgi")
        )
        (base / "nginx.conf").write_text(
            f"daemon off;\nmaster_process off;\npid {base / 'nginx.pid'};\n"
            f"error_log {base / 'error.log'};\nevents {{ worker_connections 16; }}\n"
            f"http {{\n  access_log off;\n{temp}\n  scgi_temp_path {base};\n"
            f"  server {{ listen 127.0.0.1:{port}; }}\n}}\n",
            encoding="utf-8",
        )
        process = subprocess.Popen(
            [nginx, "-p", str(base), "-c", str(base / "nginx.conf"), "-e", str(base / "error.log")]
        )
        try:
            wait_for_port(port)
            yield port
        finally:
            process.terminate()
            process.wait(10)


@pytest.mark.integration
@pytest.mark.parametrize("server", [answering_400_then_silent, nginx_web_server])
def test_a_web_server_at_the_rtmp_address_is_said_at_once(
    server: object, packet_generator: PacketGenerator
) -> None:
    # F1: a web server's "400" then silence was "no answer from the server within 10 s" (and
    # one that closed "broke off the RTMP handshake (if this is an RTMPS port…)").
    with server() as port:  # type: ignore[operator]
        started_s = time.monotonic()
        status = first_failure(f"rtmp://127.0.0.1:{port}/live/{KEY}", packet_generator, 30.0)
        took_s = time.monotonic() - started_s
    assert status.last_error is not None
    assert status.last_error.startswith(
        'this is a web server, not an RTMP server (it answered "HTTP/1.'
    ), status.last_error
    assert status.last_error.endswith('"): check the address and port')
    assert took_s < 20  # long before the 30 s deadline (about 1-2 s)
    assert KEY not in status.last_error


@pytest.mark.integration
def test_an_application_the_server_does_not_have_is_not_said_as_a_refused_key(
    nginx_rtmp: NginxRtmp, packet_generator: PacketGenerator
) -> None:
    # F2: nginx-rtmp closes after "connect" for an application it does not have ("application
    # not found" in its log): that was said "the server refused the stream (check the stream
    # key and…)", which sends a streamer to reset a key that is right.
    url = nginx_rtmp.url(KEY).replace(f"/{nginx_rtmp.app}/", "/shop/")
    status = first_failure(url, packet_generator, 10.0)
    assert status.last_error == (
        "the server closed the connection when asked for the application ('shop'): check "
        "the application in the URL's path and the stream key"
    )


@pytest.fixture
def detachable_disk(tmp_path: Path) -> Iterator[Path]:
    """A small disk (tmpfs) mounted at a folder, to be detached while written (root only)."""
    folder = tmp_path / "disk"
    folder.mkdir()
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a disk needs root")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(folder)]).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_disk_detached_under_the_run_is_not_said_only_as_a_deletion(
    tmp_path: Path, detachable_disk: Path
) -> None:
    # F3: the disk holding --record and --stats detached (`umount -l`, a drive pulled) was
    # said "a.mkv was deleted while recording": nobody deleted anything.
    from faults.live_runs import SMALL, child_env

    record, stats = detachable_disk / "a.mkv", detachable_disk / "s.jsonl"
    run = subprocess.Popen(
        [sys.executable, "-m", "anchordesk", "live", *SMALL, "--seconds", "4",
         "--record", str(record), "--stats", str(stats)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(tmp_path),
    )  # fmt: skip
    try:
        wait_until(lambda: record.exists() and record.stat().st_size > 50_000, 60, what="a.mkv")
        subprocess.run(["umount", "-l", str(detachable_disk)], check=True)
        _, errors = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, errors
    assert f"{record} was deleted, or its disk went away, while recording: written again" in errors
    assert f"--stats {stats} was deleted, or its disk went away, while being written" in errors


def test_where_a_recording_stopped_is_said_to_the_nearest_second(
    tmp_path: Path, packet_generator: PacketGenerator
) -> None:
    # F5: a file that plays to 4.9 s was said "the recording stopped at 00:00:04" (cut, where
    # the report rounds its times).
    import errno

    from anchordesk.media.recording import RecordingOutput

    recording = RecordingOutput(tmp_path / "a.mkv", space_guard=None)
    recording.start(packet_generator.templates)
    for packet in packet_generator.packets(4.9):
        recording.send(packet)
    recording.stop(timeout_s=10)
    assert recording.status().state is OutputState.STOPPED
    words = recording._stop_words("{stopped}", OSError(errno.ENOSPC, "No space left on device"))
    assert "the recording stopped at 00:00:05 (" in str(words), str(words)


def test_reconnects_mean_the_same_in_the_figures_and_in_the_report(tmp_path: Path) -> None:
    # F4: for a stream that never came back, --stats said "reconnects": 1 (attempts) and
    # `report --json` said "reconnects": 0 (times live again): one key, two meanings.
    import json

    from faults.live_runs import SMALL, child_env, run_live

    stats, session = tmp_path / "s.jsonl", tmp_path / "s.ads"
    url = f"rtmp://127.0.0.1:{free_port()}/live/{KEY}"  # nothing listens there
    env = child_env(tmp_path)
    run = run_live(*SMALL, "--seconds", "4", "--to", url, "--stats", str(stats),
                   "--session", str(session), env=env)  # fmt: skip
    assert run.process.returncode == 3, run.stderr  # a stream never went live
    last = json.loads(stats.read_text(encoding="utf-8").splitlines()[-1])
    network = next(o for o in last["outputs"] if o["kind"] == "network")
    report = subprocess.run(
        [sys.executable, "-m", "anchordesk", "report", "--json", str(session)],
        capture_output=True, text=True, timeout=60, env=env, check=True,
    )  # fmt: skip
    (stream,) = json.loads(report.stdout)["streams"]
    assert network["reconnects"] == stream["reconnects"] == 0
    assert network["reconnect_attempts"] >= 1


@pytest.mark.parametrize("option", ["--record", "--stats", "--session"])
def test_a_dash_for_a_file_is_refused_in_one_line(tmp_path: Path, option: str) -> None:
    # F6: `--record -` (Unix tools read "-" as standard output) recorded into a file named "-"
    # in the current folder (and `--2` beside it on the next run), exit 0.
    from faults.live_runs import SMALL, child_env

    run = subprocess.run(
        [sys.executable, "-m", "anchordesk", "live", *SMALL, "--seconds", "1", option, "-"],
        capture_output=True, text=True, timeout=120, env=child_env(tmp_path), cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 2
    assert run.stderr == (
        f"error: anchordesk live: argument {option}: '-' would be a file named '-': give a "
        "file's path (or /dev/stdout for standard output)\n"
    )
    assert list(tmp_path.glob("-*")) == []


def test_a_crash_with_no_log_folder_is_reported_on_standard_error(tmp_path: Path) -> None:
    # F7: with the log folder unusable ("logging to stderr only"), a native crash (SIGSEGV
    # here, as a driver's) ended the run with no word of why: the crash file is made in the
    # log folder only, and faulthandler was never turned on.
    import signal

    from faults.live_runs import SMALL, LiveRun, child_env

    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    run = LiveRun(*SMALL, "--seconds", "60", "--record", str(tmp_path / "a.mkv"),
                  env=child_env(tmp_path, XDG_STATE_HOME=str(blocker / "state")))  # fmt: skip
    try:
        run.wait_for_line("logging to stderr only (a crash's report too)")
        run.wait_for_line("encoding ")
        run.send(signal.SIGSEGV)
        run.wait(60)
    finally:
        run.kill()
    assert "Fatal Python error: Segmentation fault" in run.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_crash_after_the_log_folder_was_removed_is_reported_where_the_log_is(
    tmp_path: Path,
) -> None:
    # F7: the log folder removed under the run: the log is written again at its name, but the
    # crash file stayed a file with no name: a crash's report went nowhere.
    import signal

    from faults.live_runs import SMALL, LiveRun, child_env

    state = tmp_path / "state"
    run = LiveRun(*SMALL, "--seconds", "60", "--record", str(tmp_path / "a.mkv"),
                  env=child_env(tmp_path, XDG_STATE_HOME=str(state)))  # fmt: skip
    try:
        run.wait_for_line("encoding ")
        (folder,) = {path.parent for path in state.rglob("anchordesk.log")}
        shutil.rmtree(folder)
        run.wait_for_line("was deleted, or its disk went away, while the run wrote it")
        run.send(signal.SIGSEGV)
        run.wait(60)
    finally:
        run.kill()
    (report,) = folder.glob("crash-*.txt")
    assert "Fatal Python error: Segmentation fault" in report.read_text(encoding="utf-8")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a pseudo-terminal")
def test_a_recording_to_a_terminal_device_is_refused(tmp_path: Path) -> None:
    # F8: R18 refused `--record /dev/stdout` on a terminal, but `--record /dev/tty` (or the
    # terminal's own /dev/pts/N) wrote 300 kB a second of Matroska on the screen, escape
    # sequences among it, then "Recording kept in /dev/pts/0 (0.3 MB)", exit 0.
    import pty

    from faults.live_runs import SMALL, child_env

    leader, follower = pty.openpty()
    shown = bytearray()

    def show() -> None:
        with contextlib.suppress(OSError):
            while data := os.read(leader, 65536):
                shown.extend(data)

    reader = threading.Thread(target=show, daemon=True)
    reader.start()
    try:
        terminal = os.ttyname(follower)
        run = subprocess.run(
            [sys.executable, "-m", "anchordesk", "live", *SMALL, "--seconds", "1",
             "--record", terminal],
            capture_output=True, text=True, timeout=120, env=child_env(tmp_path),
        )  # fmt: skip
    finally:
        os.close(follower)
        reader.join(5)
        os.close(leader)
    assert run.returncode == 2, run.stderr
    assert run.stderr == (
        f"error: anchordesk live: --record {terminal}: a terminal; redirect it to a file "
        "(> FILE) or a player (| ffplay -)\n"
    )
    assert bytes(shown) == b""


_SLOW_MEDIA_IMPORT = """
import importlib.abc, runpy, sys, time

class SlowMedia(importlib.abc.MetaPathFinder):
    # The media's imports as a starved machine does them (3.8 s and more under load 20).
    def find_spec(self, name, path, target=None):
        if name == "anchordesk.live.factory":
            print("loading the media", file=sys.stderr, flush=True)
            time.sleep(60)
        return None

sys.meta_path.insert(0, SlowMedia())
runpy.run_module("anchordesk", run_name="__main__", alter_sys=True)
"""


def test_a_stop_while_the_media_loads_ends_the_run_at_once(tmp_path: Path) -> None:
    # F9: Ctrl+C twice 6 s into a run on a loaded machine (load 20) ended it 4-10 s later
    # (9 runs of 11 past 2 s): the start-up looks at a stop request only between its steps,
    # and its imports and devices take seconds there; the interpreter's exit took 2-3 s more.
    import signal

    from faults.live_runs import SMALL, child_env

    run = subprocess.Popen(
        [sys.executable, "-c", _SLOW_MEDIA_IMPORT, "live", *SMALL, "--seconds", "60",
         "--record", str(tmp_path / "a.mkv")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(tmp_path),
    )  # fmt: skip
    try:
        assert run.stderr is not None
        assert run.stderr.readline() == "loading the media\n"
        asked_s = time.monotonic()
        run.send_signal(signal.SIGINT)
        run.send_signal(signal.SIGINT)
        _, errors = run.communicate(timeout=120)
        took_s = time.monotonic() - asked_s
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, errors
    assert "SIGINT during start-up: stopped before the picture started" in errors
    assert took_s < 15  # about 0.1 s; the slow import alone is 60 s
    assert "Traceback" not in errors and not (tmp_path / "a.mkv").exists()
    assert not list((tmp_path / "xdg_state_home").rglob("crash-*.txt"))


@pytest.mark.skipif(shutil.which("sh") is None, reason="a POSIX shell closes the descriptor")
@pytest.mark.parametrize("option", ["--record", "--stats"])
def test_standard_output_closed_is_no_place_to_keep_a_file(tmp_path: Path, option: str) -> None:
    # F10: `anchordesk live --record /dev/stdout >&-` (a service, a cron line closing it):
    # the program puts a closed descriptor on the null device, so the recording went there,
    # "recording /dev/stdout finished: 0 bytes", exit 0, and no word of it.
    from faults.live_runs import SMALL, child_env

    extra = ["--record", str(tmp_path / "a.mkv")] if option == "--stats" else []
    run = subprocess.run(
        ["sh", "-c", 'exec "$@" >&-', "sh", sys.executable, "-m", "anchordesk", "live", *SMALL,
         "--seconds", "1", option, "/dev/stdout", *extra],
        capture_output=False, stderr=subprocess.PIPE, text=True, timeout=120,
        env=child_env(tmp_path),
    )  # fmt: skip
    assert run.returncode == 2
    assert run.stderr == (
        f"error: anchordesk live: {option} /dev/stdout: this program was started with it "
        "closed (>&-): nothing written there would be kept; give a file\n"
    )


@pytest.mark.integration
def test_a_web_server_behind_tls_at_the_rtmps_address_is_said_at_once(
    tmp_path: Path, packet_generator: PacketGenerator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # F1 over rtmps (a web server's HTTPS port): "the server broke off the RTMP handshake".
    from servers import Stunnel

    with nginx_web_server() as port:
        tunnel = Stunnel(tmp_path / "tls", port)
        monkeypatch.setenv("SSL_CERT_FILE", str(tunnel.cert))
        tunnel.start()
        try:
            status = first_failure(
                f"rtmps://127.0.0.1:{tunnel.port}/live/{KEY}", packet_generator, 30.0
            )
        finally:
            tunnel.stop()
    assert status.last_error == (
        'this is a web server, not an RTMP server (it answered "HTTP/1.1 400 Bad Request"): '
        "check the address and port"
    )
