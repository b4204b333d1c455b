"""Round seven, network / disk / stopping / secrets: what the seventh hostile round found.

Each test reproduces one finding with real parts (SQLite files on the real disk, real
sockets and processes) and failed before its fix (R7net.md).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import pytest
from packetgen import PacketGenerator
from servers import NginxRtmp, Stunnel, wait_until

from anchordesk.core.backoff import Backoff
from anchordesk.media.disk_space import FreeSpaceGuard
from anchordesk.media.network_output import NetworkOutput
from anchordesk.media.network_watch import RelayWatch, SocketState
from anchordesk.media.packets import OutputState
from anchordesk.media.recording import RecordingOutput
from anchordesk.show.feed_items import Comment
from anchordesk.store.session import SessionStore, StoreError
from anchordesk.store.session_restore import remove_with_logs
from anchordesk.store.writer import StoreWriter

from ..conftest import Clock
from ..disks import fill, tmpfs
from ..live_runs import SMALL, LiveRun, child_env, run_live
from ..network_helpers import Feeder


def _session_named(folder: Path, name_bytes: int) -> Path:
    suffix = ".adsession"
    return folder / ("s" * (name_bytes - len(suffix)) + suffix)


def test_a_session_with_a_long_name_deleted_mid_show_is_written_again_under_its_name(
    tmp_path: Path,
) -> None:
    # A 246-byte name: SQLite takes it (its "-wal" makes 250 bytes of the 255 a disk takes),
    # the copy's "NAME.restoring-journal" did not: "cannot be written (File name too long)",
    # and every comment and order of the session was gone.
    path = _session_named(tmp_path, 246)
    store = SessionStore(path)
    try:
        store.set_meta("show", "Mug launch")
        remove_with_logs(path)  # a clean-up script
        assert store.deleted()
        assert store.write_again() == path
        store.set_meta("title", "after")
    finally:
        store.close()
    kept = SessionStore(path, read_only=True)
    try:
        assert (kept.meta("show"), kept.meta("title")) == ("Mug launch", "after")
    finally:
        kept.close()
    assert not [name for name in os.listdir(tmp_path) if "restoring" in name]


def test_a_session_with_the_longest_name_is_written_again_under_a_numbered_name_sqlite_opens(
    tmp_path: Path,
) -> None:
    # The longest session name SQLite takes (247 bytes: its "-journal" makes 255). Deleted,
    # and another file put at its name: the copy and the numbered name must fit as well.
    path = _session_named(tmp_path, 247)
    store = SessionStore(path)
    try:
        store.set_meta("show", "Mug launch")
        remove_with_logs(path)
        path.write_text("someone else's file")
        written = store.write_again()
        store.set_meta("title", "after")
    finally:
        store.close()
    assert written != path and written.name.endswith("-2.adsession")
    assert path.read_text() == "someone else's file"
    kept = SessionStore(written, read_only=True)
    try:
        assert (kept.meta("show"), kept.meta("title")) == ("Mug launch", "after")
    finally:
        kept.close()


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as stat:
                    fields = stat.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def _is_network_child(pid: int) -> bool:
    try:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return arguments[1:3] == [b"-m", b"anchordesk.media.network_child"]


@pytest.mark.integration
def test_a_tls_relay_that_stops_reading_is_seen_in_seconds_and_the_stream_reconnects(
    nginx_rtmp: NginxRtmp, stunnel_rtmps: Stunnel, capsys: pytest.CaptureFixture[str]
) -> None:
    # rtmps goes through a relay process of the network child (media/tls_relay). Stopped
    # (SIGSTOP, a debugger, a frozen cgroup), it read nothing; the server's connection was
    # idle, not stalled, and FFmpeg wrote into megabytes of loopback buffers: "live 928 kbps"
    # while nothing reached the server, for 27 s at 800 kbps, then "stalled: no progress".
    generator = PacketGenerator(video_kbps=3000, noise=True)
    output = NetworkOutput(
        stunnel_rtmps.url(key="sk-live-relay"),
        stall_timeout_s=2.0,
        backoff=Backoff(initial_delay_s=0.5),
    )
    output.start(generator.templates)
    relays: list[int] = []
    try:
        with Feeder(output, generator):
            wait_until(lambda: output.status().state is OutputState.LIVE, 15, what="LIVE")
            nginx_rtmp.wait_for_recording(min_bytes=100_000)
            # The relay is a fork of the network child: the same command line, one level down.
            children = [pid for pid in _children(os.getpid()) if _is_network_child(pid)]
            relays = [pid for child in children for pid in _children(child)]
            relays = [pid for pid in relays if _is_network_child(pid)]
            assert len(relays) == 1, relays
            os.kill(relays[0], signal.SIGSTOP)
            stopped_s = time.monotonic()
            stalled = wait_until(
                lambda: (s := output.status()).state is OutputState.RECONNECTING and s,
                90,
                what="the stall",
            )
            seen_s = time.monotonic() - stopped_s
            wait_until(lambda: output.status().state is OutputState.LIVE, 30, what="LIVE again")
        output.stop(timeout_s=3)
    finally:
        for relay in relays:
            with contextlib.suppress(ProcessLookupError):
                os.kill(relay, signal.SIGKILL)
        generator.close()
    with capsys.disabled():
        print(f"\n[stall] stopped TLS relay seen {seen_s:.1f} s after it stopped reading")
    assert stalled.last_error == (
        "this program's TLS relay stopped taking the stream (nothing read for 2 s)"
    )


def test_a_relay_paced_by_a_slow_uplink_is_not_a_stopped_relay() -> None:
    # What the relay is judged by: it took bytes from FFmpeg and sent nothing to the server.
    # A slow uplink keeps bytes waiting on the server's connection, and the loopback window
    # stays closed while the relay waits for it: that is not a stopped relay.
    def leg(acknowledged: int, waiting: int) -> SocketState:
        return SocketState(waiting, False, 0, acknowledged, 65_536)

    slow, stopped, server_stopped = RelayWatch(), RelayWatch(), RelayWatch()
    for second in range(8):
        given = leg(second * 100_000, 60_000)
        slow.update(given, leg(second * 20_000, 30_000), float(second))
        stopped.update(given, leg(500_000, 0), float(second))
        server_stopped.update(given, leg(500_000, 40_000), float(second))
    assert slow.stalled_for_s(7.0) == 0.0
    assert server_stopped.stalled_for_s(7.0) == 0.0  # the server's rule says so, not this one
    assert stopped.stalled_for_s(7.0) == 6.0


@pytest.mark.integration
def test_a_key_given_as_a_query_item_without_a_name_is_masked_everywhere(
    nginx_rtmp: NginxRtmp, tmp_path: Path
) -> None:
    # rtmp://host/live/stream?KEY: the server gets KEY as the stream's arguments (nginx took
    # it, live). The query rule masked values only, and a bare item was read as a name:
    # "live/****?Zq7xK9wLmP3vT8rB=****" in stderr, the log file and every --stats sample.
    key = "Zq7xK9wLmP3vT8rB"
    stats = tmp_path / "stats.jsonl"
    url = f"rtmp://127.0.0.1:{nginx_rtmp.port}/live/stream?{key}"
    run = LiveRun(
        *SMALL, "--to", url, "--seconds", "2", "--stats", str(stats), env=child_env(tmp_path)
    )
    try:
        run.wait_for_line(": live")
        assert run.wait(30) == 0, run.stderr
    finally:
        run.kill()
    assert "live/****?****: live" in run.stderr
    logs = list((tmp_path / "xdg_state_home").rglob("*.log"))  # ours, not nginx's
    assert logs and stats.stat().st_size > 0
    for text in (run.stderr, run.stdout, stats.read_text(), *(p.read_text() for p in logs)):
        assert key not in text


def _comments(count: int, first: int = 0) -> list[Comment]:
    return [Comment("json", f"c{n}", f"viewer{n}", f"comment {n}") for n in range(first, count)]


def _deleted_while_its_disk_is_full(folder: Path, *, room_before_the_end: bool) -> StoreWriter:
    writer = StoreWriter(folder / "S.adsession")
    writer.submit_batch("json", _comments(40), "40").result(10)
    filler = fill(folder)
    with pytest.raises(StoreError):  # the disk is full: the writes stop, said once
        writer.submit_batch("json", _comments(2000, 40), "2000").result(10)
    remove_with_logs(folder / "S.adsession")  # a clean-up script, meanwhile
    # The writer looks for its file every second; the copy cannot fit yet.
    writer.call(lambda store: store.deleted()).result(10)
    if room_before_the_end:
        filler.unlink()
    writer.close()
    return writer


def test_a_session_deleted_after_a_full_disk_stopped_its_writes_is_written_again_with_what_it_kept(
    tmp_path: Path,
) -> None:
    # The session's disk filled: its writes stopped ("comments, orders and show events from
    # now on are not kept"). A clean-up then removed the file. The writer no longer looked
    # for its file after a fault, so everything kept before the disk filled went with the
    # last descriptor, and the run still said "Session kept in S.adsession" (exit 3 for the
    # full disk only).
    with tmpfs(tmp_path / "disk", 1024) as folder:
        writer = _deleted_while_its_disk_is_full(folder, room_before_the_end=True)
        assert (folder / "S.adsession").exists()
        kept = SessionStore(folder / "S.adsession", read_only=True)
        try:
            assert kept.count("comments") == 40
        finally:
            kept.close()
        assert writer.fault is not None and writer.lost is None  # the full disk, said once


def test_a_session_deleted_while_its_disk_stays_full_is_said_to_be_lost(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", 1024) as folder:
        writer = _deleted_while_its_disk_is_full(folder, room_before_the_end=False)
        assert writer.lost is not None
        assert "deleted and cannot be written again" in writer.lost
        assert "the session is lost" in writer.lost
        assert not (folder / "S.adsession").exists()


@pytest.mark.integration
def test_a_recording_resumed_after_a_full_disk_passes_numbered_names_taken_by_a_pipe(
    tmp_path: Path, generator: PacketGenerator, clock: Clock
) -> None:
    # The disk filled; once it had room the recording went on in the next numbered file. A
    # pipe (or a device) at that name, left by another program, stopped the recording for the
    # rest of the show ("cannot be written (the next numbered name is taken)"), although a
    # link and a folder at names before it were passed over, as at the start of a run.
    with tmpfs(tmp_path / "disk", 8192) as disk:
        victim = tmp_path / "victim.txt"
        victim.write_text("another program's file")
        (disk / "show-2.mkv").symlink_to(victim)
        os.mkfifo(disk / "show-3.mkv")
        (disk / "show-4.mkv").mkdir()
        guard = FreeSpaceGuard(disk, interval_s=1.0, clock=clock)
        recording = RecordingOutput(disk / "show.mkv", space_guard=guard)
        recording.start(generator.templates)
        for packet in generator.packets(2.0):
            recording.send(packet)
        filler = fill(disk, leave_bytes=guard.min_free_bytes * 3 // 4)
        clock.now_s = 1.0
        for packet in generator.packets(1.0):
            recording.send(packet)
        wait_until(lambda: recording.status().state is OutputState.WAITING, 30, what="the stop")
        filler.unlink()
        clock.now_s = 2.0
        for packet in generator.packets(3.0):
            recording.send(packet)
        wait_until(
            lambda: len(recording.status().files) == 2 or recording.status().last_error,
            30,
            what="the next file",
        )
        recording.stop(timeout_s=10)
        assert recording.path == disk / "show-5.mkv", recording.status().last_error
        assert recording.path.stat().st_size > 0
        assert victim.read_text() == "another program's file"


@pytest.mark.integration
def test_a_recording_moved_mid_show_is_named_where_it_is(
    tmp_path: Path, generator: PacketGenerator
) -> None:
    # A user tidying the folder moved the recording into another folder mid-show: it went on
    # in the moved file (whole), but the run said "recording r.mkv finished" and "Recording
    # kept in r.mkv", where no file was.
    first = tmp_path / "r.mkv"
    archive = tmp_path / "archive"
    archive.mkdir()
    recording = RecordingOutput(first, space_guard=None)
    recording.start(generator.templates)
    for packet in generator.packets(1.0):
        recording.send(packet)
    wait_until(lambda: first.exists() and first.stat().st_size > 0, 30, what="the file")
    first.rename(archive / "r.mkv")
    for packet in generator.packets(1.0):
        recording.send(packet)
    recording.stop(timeout_s=10)
    assert recording.path == archive / "r.mkv"
    assert recording.status().files == (str(archive / "r.mkv"),)
    assert not first.exists()


@pytest.mark.parametrize("with_its_logs", [True, False], ids=["with -wal", "alone"])
def test_a_session_moved_mid_show_goes_on_where_it_is_with_everything(
    tmp_path: Path, with_its_logs: bool
) -> None:
    # A user tidying the folder moved the session file into another folder mid-show: the run
    # said "Session kept in S.adsession" where no file was. And SQLite does not checkpoint a
    # database that has moved when it closes: moved without its -wal, the file kept only its
    # header, every order staying in the old -wal.
    old = tmp_path / "S.adsession"
    archive = tmp_path / "archive"
    archive.mkdir()
    writer = StoreWriter(old)
    writer.submit_batch("json", _comments(40), "40").result(10)
    names = [old.name, f"{old.name}-wal", f"{old.name}-shm"] if with_its_logs else [old.name]
    for name in names:
        (tmp_path / name).rename(archive / name)
    writer.submit_batch("json", _comments(60, 40), "60").result(10)
    writer.close()
    assert writer.path == archive / "S.adsession"
    kept = SessionStore(archive / "S.adsession", read_only=True)
    try:
        assert kept.count("comments") == 60
    finally:
        kept.close()
    assert not list(tmp_path.glob("S.adsession*")), "nothing of it left at the old place"


def test_a_new_session_name_too_long_for_sqlite_s_files_is_said_so(tmp_path: Path) -> None:
    # 248-250 bytes: the name itself fits a disk, SQLite's NAME-journal beside it does not;
    # SQLite said only "unable to open database file".
    with pytest.raises(StoreError, match="at most 247"):
        SessionStore(_session_named(tmp_path, 249))
    assert not list(tmp_path.iterdir())


def test_a_new_session_refused_for_a_full_disk_leaves_no_file(tmp_path: Path) -> None:
    # A run refused at start for a full disk left an empty S.adsession behind.
    with tmpfs(tmp_path / "disk", 256) as disk:
        fill(disk)
        with pytest.raises(StoreError, match="full"):
            SessionStore(disk / "S.adsession")
        assert sorted(p.name for p in disk.iterdir()) == ["filler.bin"]


def test_a_run_refused_for_a_full_disk_leaves_none_of_its_files(tmp_path: Path) -> None:
    # The run made --stats before the session store refused the full disk: an empty s.jsonl was
    # left behind (round seven, L10), which a later run or a script took for a run's figures.
    with tmpfs(tmp_path / "disk", 256) as disk:
        fill(disk)
        run = run_live(
            *SMALL, "--record", str(disk / "r.mkv"), "--stats", str(disk / "s.jsonl"),
            "--session", str(disk / "S.adsession"), "--seconds", "2",
            env=child_env(tmp_path), timeout_s=60,
        )  # fmt: skip
        assert run.process.returncode == 2, run.stderr
        assert run.stderr.strip().splitlines()[-1] == (
            f"error: --session: the disk holding {disk / 'S.adsession'} is full"
        )
        assert sorted(p.name for p in disk.iterdir()) == ["filler.bin"]
