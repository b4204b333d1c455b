"""Round twenty-eight of issue 10: outputs, the command line, recording, stops (R28hunt28net.md).

Real parts: nginx-rtmp on loopback recording what it takes, the real network child, the real
``anchordesk live`` in a child process.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from servers import NginxRtmp, wait_until

from faults.child_parts import LateChild


def test_a_child_ready_while_the_attempt_looks_elsewhere_still_starts_at_the_newest_keyframe(
    nginx_rtmp: NginxRtmp, tmp_path: Path
) -> None:
    # Before: the connection started at the newest keyframe only when the child's "ready" came
    # while the attempt waited for it; one that came while the attempt was at its other steps
    # (the deadlines, slow on a loaded machine) was seen as "already ready" and the queue was
    # sent from its oldest keyframe, 2 s behind (the full suite's "first picture 0, not 60").
    # Here the attempt's look at its deadlines is held until the child has said "ready".
    late = LateChild(nginx_rtmp, tmp_path)
    look_at_deadlines = late.output._stall_reason

    def slow_look(child, *args):  # type: ignore[no-untyped-def]
        if late.gate.exists():
            assert child.ready.wait(30), "the child never said it was ready"
        return look_at_deadlines(child, *args)

    late.output._stall_reason = slow_look  # type: ignore[method-assign]
    try:
        late.start()
        for packet in late.made:
            late.output.send(packet)
        late.wait_for_the_attempt()
        late.go_live()
    finally:
        late.close()
    late.assert_started_at_the_newest_keyframe()


def test_a_recording_sent_into_a_pipe_is_not_said_to_be_kept_and_one_into_a_file_names_it(
    tmp_path: Path,
) -> None:
    # Before: "Recording kept in /dev/stdout (0.3 MB)" for `--record /dev/stdout | ffplay -`
    # (a pipe: kept nowhere), and for `> show.mkv` the file was not named (the session's line
    # names it since R25).
    import subprocess
    import sys

    from faults.live_runs import SMALL, child_env

    command = [sys.executable, "-m", "anchordesk", "live", *SMALL, "--seconds", "1",
               "--record", "/dev/stdout"]  # fmt: skip
    piped = subprocess.run(
        command, capture_output=True, timeout=120, env=child_env(tmp_path)
    )  # fmt: skip
    errors = piped.stderr.decode()
    assert piped.returncode == 0, errors
    assert piped.stdout[:4] == b"\x1a\x45\xdf\xa3"  # the Matroska went into the pipe
    assert "Recording sent to /dev/stdout (a pipe, " in errors
    assert "Recording kept" not in errors

    show = tmp_path / "show.mkv"
    with show.open("wb") as into_a_file:
        kept = subprocess.run(
            command, stdout=into_a_file, stderr=subprocess.PIPE, text=True, timeout=120,
            env=child_env(tmp_path),
        )  # fmt: skip
    assert kept.returncode == 0, kept.stderr
    assert f"Recording kept in {show} (" in kept.stderr
    assert show.read_bytes()[:4] == b"\x1a\x45\xdf\xa3"


def test_a_stop_while_the_camera_url_is_being_opened_does_not_wait_for_it(
    tmp_path: Path,
) -> None:
    # Before: --camera URL whose server accepts and never answers: the reader's open holds the
    # camera's thread for 5 s, and the stop, its files finished at once, waited the whole stop
    # budget for it ("stopped 1.70 s after the request"; the process gone 1.9-2.8 s after
    # SIGTERM, over the 2 s a stop may take). A source holds no file.
    import re
    import signal
    import socket
    import subprocess
    import sys

    from faults.live_runs import child_env

    mute = socket.create_server(("127.0.0.1", 0))
    mute.settimeout(60)
    url = f"http://127.0.0.1:{mute.getsockname()[1]}/camera.mp4"
    run = subprocess.Popen(
        [sys.executable, "-m", "anchordesk", "live", "--camera", url, "--mic", "none",
         "--canvas", "640x360", "--seconds", "60", "--record", str(tmp_path / "r.mkv")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(tmp_path),
    )  # fmt: skip
    try:
        assert run.stderr is not None
        for line in run.stderr:
            if "encoding from" in line:
                break
        # The camera's thread is in the reader's open now (5 s): connected, never answered.
        connection, _ = mute.accept()
        run.send_signal(signal.SIGTERM)
        out, errors = run.communicate(timeout=60)
        connection.close()
    finally:
        mute.close()
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, errors
    assert "Traceback" not in errors
    assert "Recording kept in" in out
    [stopped] = re.findall(r"stopped (\d+\.\d+) s after the request \(SIGTERM\)", errors)
    assert float(stopped) < 1.2, errors  # about 0.5 s; 1.70 s before (the stop's budget)


def test_a_microphone_asked_of_a_sound_server_that_never_answers_is_a_fault_said_so(
    tmp_path: Path,
) -> None:
    # Before: a hung PulseAudio (here: a socket that accepts and never answers) made
    # `--mic pulse` "no such microphone (see `anchordesk devices`)", exit 2: the user's
    # mistake, for a microphone that is there behind a sound server that hangs.
    import shutil
    import socket
    import subprocess
    import sys
    import tempfile

    from faults.live_runs import child_env

    folder = tempfile.mkdtemp(prefix="pulse-", dir="/tmp")  # a socket's path: 107 bytes at most
    path = Path(folder) / "native"
    hung = socket.socket(socket.AF_UNIX)
    hung.bind(str(path))
    hung.listen(16)
    try:
        run = subprocess.run(
            [sys.executable, "-m", "anchordesk", "live", "--camera", "test", "--mic", "pulse",
             "--seconds", "1", "--record", str(tmp_path / "r.mkv")],
            capture_output=True, text=True, timeout=120,
            env=child_env(tmp_path, PULSE_SERVER=f"unix:{path}"),
        )  # fmt: skip
    finally:
        hung.close()
        shutil.rmtree(folder, ignore_errors=True)
    assert run.returncode == 1, run.stderr
    assert run.stderr.endswith(
        "error: --mic pulse: the sound system did not answer within 5 s (is PulseAudio or "
        "PipeWire hung?)\n"
    ), run.stderr
    assert "no such microphone" not in run.stderr
    assert not (tmp_path / "r.mkv").exists()


def test_a_recording_into_standard_output_on_a_file_holding_data_is_refused(
    tmp_path: Path,
) -> None:
    # Before: `--record /dev/stdout >> old.mkv` put the new recording after the old one (players
    # showed the old one only) and `1<> old.mkv` over its start (a mix of both): "Recording
    # kept", exit 0, the old recording gone or the new one unplayable.
    import subprocess
    import sys

    from faults.live_runs import SMALL, child_env

    old = tmp_path / "old.mkv"
    old.write_bytes(b"\x1a\x45\xdf\xa3 an earlier recording")
    kept = old.read_bytes()
    for mode in ("ab", "r+b"):  # the shell's >> and 1<>
        with old.open(mode) as standard_output:
            run = subprocess.run(
                [sys.executable, "-m", "anchordesk", "live", *SMALL, "--seconds", "1",
                 "--record", "/dev/stdout"],
                stdout=standard_output, stderr=subprocess.PIPE, text=True, timeout=120,
                env=child_env(tmp_path),
            )  # fmt: skip
        assert run.returncode == 2, run.stderr
        assert run.stderr == (
            "error: anchordesk live: --record /dev/stdout: standard output is a file that holds "
            "data already (>> or <>): a recording never goes over or after another file's "
            "data; send it to a new file (> FILE)\n"
        )
        assert old.read_bytes() == kept


def test_stats_into_standard_output_written_over_an_old_file_are_refused_appended_kept(
    tmp_path: Path,
) -> None:
    # Before: `--stats /dev/stdout 1<> old.jsonl` wrote the samples over the old ones and cut
    # the file after them (the old figures gone), exit 0. `>>` appends them: still kept.
    import json
    import subprocess
    import sys

    from faults.live_runs import SMALL, child_env

    old = tmp_path / "old.jsonl"
    kept = b'{"old": "a sample of an earlier run"}\n' * 20
    command = [sys.executable, "-m", "anchordesk", "live", *SMALL, "--seconds", "1",
               "--record", str(tmp_path / "r.mkv"), "--stats", "/dev/stdout"]  # fmt: skip
    old.write_bytes(kept)
    with old.open("r+b") as written_over:  # the shell's 1<>
        run = subprocess.run(
            command, stdout=written_over, stderr=subprocess.PIPE, text=True, timeout=120,
            env=child_env(tmp_path),
        )  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith(
        "error: anchordesk live: --stats /dev/stdout: standard output is a file that holds "
        "data already, opened to be written over (<>): the figures never overwrite a file"
    )
    assert old.read_bytes() == kept
    with old.open("ab") as appended:  # the shell's >>
        run = subprocess.run(
            command, stdout=appended, stderr=subprocess.PIPE, text=True, timeout=120,
            env=child_env(tmp_path),
        )  # fmt: skip
    assert run.returncode == 0, run.stderr
    written = old.read_bytes()
    assert written.startswith(kept) and len(written) > len(kept)
    assert all(json.loads(line) for line in written.splitlines())


def test_a_stop_with_the_sound_server_hung_mid_show_ends_the_process(tmp_path: Path) -> None:
    # Before: PulseAudio hung mid-show (here: SIGSTOPped), SIGTERM: the files were finished and
    # "stopped 0.51 s after the request" said, then the process never ended: sounddevice's exit
    # handler closed the stuck stream and terminated PortAudio, waiting on the hung server
    # (deaf to another SIGTERM or Ctrl+C, ignored by then). A service manager kills it.
    import os
    import shutil
    import signal
    import subprocess
    import sys

    from faults.live_runs import child_env

    if not shutil.which("pulseaudio") or not shutil.which("pactl"):
        pytest.skip("pulseaudio is not installed (Debian packages pulseaudio, pulseaudio-utils)")
    runtime = tmp_path / "pulse-runtime"
    runtime.mkdir(mode=0o700)
    env = child_env(
        tmp_path,
        XDG_RUNTIME_DIR=str(runtime),
        PULSE_RUNTIME_PATH=str(runtime / "pulse"),
        HOME=str(tmp_path),
    )
    env.pop("PULSE_SERVER", None)
    daemon = subprocess.Popen(
        ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit",
         "--use-pid-file=no", "--system=no", "-L", "module-native-protocol-unix",
         "-L", "module-null-sink sink_name=anchordesk_test rate=48000"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    run = None
    try:
        wait_until(
            lambda: subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode == 0,
            10,
            what="pulseaudio",
        )
        subprocess.run(
            ["pactl", "set-default-source", "anchordesk_test.monitor"], env=env, check=True
        )
        run = subprocess.Popen(
            [sys.executable, "-m", "anchordesk", "live", "--camera", "test", "--mic", "pulse",
             "--seconds", "60", "--record", str(tmp_path / "r.mkv")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        assert run.stderr is not None
        for line in run.stderr:
            if "encoding from" in line:
                break
        os.kill(daemon.pid, signal.SIGSTOP)  # the sound server hangs
        run.send_signal(signal.SIGTERM)
        out, errors = run.communicate(timeout=60)  # before: never ended
    finally:
        if run is not None and run.poll() is None:
            run.kill()
        os.kill(daemon.pid, signal.SIGCONT)
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(10)
    assert run.returncode == 0, errors
    assert "Recording kept in" in out
    assert "Traceback" not in errors
