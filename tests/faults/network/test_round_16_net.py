"""Round sixteen of issue 10, the network outputs and ``anchordesk live`` (R16net.md).

Real parts: nginx-rtmp on loopback, the live show as the window drives it, the session file and
its report as ``anchordesk report`` reads it.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from packetgen import PacketGenerator
from servers import NginxRtmp, wait_until

from anchordesk.core.redact import mask_url
from anchordesk.live.factory import build_live_show
from anchordesk.live.options import LiveOptions
from anchordesk.live.show import LiveShow, LiveShowPlan
from anchordesk.live.snapshot import SessionMode
from anchordesk.media.network_output import NetworkOutput
from anchordesk.media.packets import OutputState
from anchordesk.media.recording import RecordingOutput
from anchordesk.show.model import Product, Segment, Show
from anchordesk.show.timing import format_duration
from anchordesk.store.report import build_report, report_text
from anchordesk.store.report_streams import STREAM_ENDED, stream_entries, stream_text
from faults.live_runs import SMALL, LiveRun, child_env
from faults.network_helpers import Feeder

from ..shop_parts import live_session_ended

pytestmark = pytest.mark.integration

SHOW = Show(
    title="Night",
    currency="USD",
    language="en",
    products=(Product("SERUM", "Serum", Decimal("39.00"), 50),),
    rundown=(Segment("Opening", 60), Segment("Serum", 120, "SERUM")),
)


def test_the_report_says_a_stream_down_at_the_end_was_down_when_the_session_ends_first(
    nginx_rtmp: NginxRtmp, tmp_path: Path
) -> None:
    """The session keeps how each stream went as it ends, before its outputs stop. The time a
    stream had been down was measured by the stop alone: 0 there, so the report of a stream
    whose server died said it was live to the end ("live 0:03"), while the run said "not live
    for the last 0:13 of the run: nothing is listening…" (the window's Stop every time;
    ``anchordesk live`` 2 runs in 5)."""
    options = LiveOptions(
        camera="test", microphone="test", canvas_width=320, canvas_height=180,
        video_kbps=300, record=False,
    )  # fmt: skip
    plan = LiveShowPlan(show=SHOW, sessions_dir=tmp_path / "sessions", rehearsal_feeds=[])
    live = build_live_show(options, plan, switched=True)
    live.media.start()
    paths: list[Path | None] = []

    def output() -> NetworkOutput:
        assert live.network_switch is not None
        attached = live.network_switch.attached
        assert isinstance(attached, NetworkOutput)
        return attached

    async def run() -> None:
        live.begin_session(SessionMode.REHEARSAL)
        await live.go_live(nginx_rtmp.url("r16-down-at-end"))
        await asyncio.to_thread(
            wait_until, lambda: output().status().state is OutputState.LIVE, 30.0
        )
        nginx_rtmp.kill()
        # Down for a while: its first attempt to connect again (after the backoff's ~2 s) ended.
        await asyncio.to_thread(
            wait_until,
            lambda: (
                output().status().reconnects >= 1
                and output().status().state is OutputState.RECONNECTING
            ),
            30.0,
        )
        paths.append(await live.stop_live())
        await live.close()

    try:
        asyncio.run(run())
    finally:
        live.shutdown()
    (path,) = paths
    assert path is not None
    report = build_report(path)
    (stream,) = report.streams
    assert stream.live_s > 0 and stream.down_at_end_s >= 1.0, stream
    line = next(line for line in report_text(report, "en").splitlines() if "Stream" in line)
    assert "not live for the last 0:0" in line, line
    assert "r16-down-at-end" not in line


class _StopTakesTime:
    """The output's clock, moved by the test. Once ``stopping`` is set (stop() is called), the
    stop's own work (the last packets, the trailer) takes ``stop_takes_s``: every reading is
    that much later but the stopping thread's first (its request, if it reads one)."""

    def __init__(self, stop_takes_s: float, supervisor: str) -> None:
        self.now_s = 0.0
        self.stop_takes_s = stop_takes_s
        self.stopping = False
        self._request_read = False
        self._supervisor = supervisor
        self._looks = 0
        self._looked = threading.Condition()

    def live_for(self, seconds: float) -> None:
        """Move on by ``seconds`` a second at most at a time, each looked at by the output's
        supervisor: a jump of its clock past 1.5 s is this program paused, not time live
        (R31net F4)."""
        while seconds > 0:
            with self._looked:
                self.now_s += min(seconds, 1.0)
                seconds -= min(seconds, 1.0)
                seen = self._looks
                assert self._looked.wait_for(lambda seen=seen: self._looks >= seen + 2, timeout=20)

    def __call__(self) -> float:
        if threading.current_thread().name == self._supervisor:
            with self._looked:
                self._looks += 1
                self._looked.notify_all()
        if not self.stopping:
            return self.now_s
        if threading.current_thread().name == "stop the output" and not self._request_read:
            self._request_read = True
            return self.now_s
        return self.now_s + self.stop_takes_s


@pytest.mark.parametrize("live_for_s", [5.30, 5.46])
def test_the_time_live_the_report_keeps_is_the_time_the_run_says(
    nginx_rtmp: NginxRtmp, generator: PacketGenerator, live_for_s: float
) -> None:
    """The session keeps how a stream went just before its outputs stop (rounded to a tenth of
    a second); the run says it once they have stopped. The report said "live 0:06" where the
    run had said "live 0:05" for the same stream: the stop's own 0.4 s (the trailer) counted
    as time live in the run's figure only (2 destinations of 3 in a run of five), and a kept
    5.5 (from 5.46 s) read 0:06 where the run read 5.46 as 0:05."""
    url = nginx_rtmp.url("r16-live-time")
    clock = _StopTakesTime(stop_takes_s=0.45, supervisor=f"network-{mask_url(url)}")
    output = NetworkOutput(url, clock=clock)
    output.start(generator.templates)
    with Feeder(output, generator):
        wait_until(lambda: output.status().state is OutputState.LIVE, 30, what="live")
        clock.live_for(live_for_s)
        kept = output.status()  # what the session keeps (live/show_session.record_streams)
        stopper = threading.Thread(target=output.stop, args=(3.0,), name="stop the output")
        clock.stopping = True
        stopper.start()
        stopper.join(10)
    said = output.status()  # what the run says at its end (live/session.streams_summary)
    event = SimpleNamespace(
        id="stream:1:0",
        kind=STREAM_ENDED,
        data={"destination": kept.name, "live_s": round(kept.live_s, 1), "live_again": 0},
    )
    (entry,) = stream_entries([event])
    assert stream_text(entry, "en").endswith(f": live {format_duration(said.live_s)}")
    assert said.live_s == pytest.approx(live_for_s, abs=0.05)


def test_the_run_says_the_stream_figures_its_report_keeps(
    nginx_rtmp: NginxRtmp, tmp_path: Path
) -> None:
    """The session keeps how its streams went as it ends; the run's last lines were measured
    again later, once the outputs had stopped (after the encoder's flush and every child's
    trailer): a run of five destinations said "live 0:14" where its report said "live 0:13"
    for the same stream. The run now says the figures the session kept."""
    options = LiveOptions(
        camera="test", microphone="test", canvas_width=320, canvas_height=180,
        video_kbps=300, record=False, destinations=[nginx_rtmp.url("r16-kept")],
    )  # fmt: skip
    plan = LiveShowPlan(
        show=SHOW, sessions_dir=tmp_path / "sessions", rehearsal_feeds=[], keep_store=True
    )

    def live_s(live: LiveShow) -> float:
        (status,) = live.media.network_statuses()
        return status.live_s

    def past_the_next_second(live: LiveShow) -> None:
        # The outputs stop a while after the session ended: here, past the next second.
        kept_s = live_s(live)
        wait_until(lambda: live_s(live) >= kept_s + 1.0, 30.0)

    live, path = live_session_ended(
        options, plan, lambda live: live_s(live) >= 1.0, past_the_next_second
    )
    (line,) = live.media.streams_summary(live.streams_kept)
    (entry,) = build_report(path).streams
    assert line == f"Stream to {stream_text(entry, 'en')}"
    assert "r16-kept" not in line


@pytest.mark.parametrize("keyframe_every_s", [1.7, 2.5])
def test_the_recordings_rate_is_the_streams_not_twice_it_now_and_then(
    tmp_path: Path, ffprobe: str, keyframe_every_s: float
) -> None:
    """The muxer writes a whole cluster (a second of media) at once: measured from the file's
    growth over a second, the rate held two clusters now and then, and the console and
    --stats said "recording a.mkv: live 1815 kbps" for a 930 kbps stream once in every run
    of 25 s (a cluster also closes at a keyframe: with keyframes every 1.7 s, two closed
    0.73 s apart). The recording's clock here is the media time it has muxed (a run's clock,
    without its jitter); every rate it works out is looked at."""
    generator = PacketGenerator(width=640, height=360, gop_s=keyframe_every_s, video_kbps=800)
    rates: list[float] = []
    made: list[RecordingOutput] = []

    def media_clock() -> float:
        # The writer's own figures (read without its lock: the clock is read under it too).
        if not made:
            return 0.0
        rates.append(made[0]._bitrate_kbps)
        return made[0]._media_s

    recording = RecordingOutput(tmp_path / "rate.mkv", clock=media_clock, space_guard=None)
    made.append(recording)
    recording.start(generator.templates)
    sent_bytes = 0
    for packet in generator.packets(20.0):
        recording.send(packet)
        sent_bytes += len(packet.data)
    recording.stop(10.0)
    generator.close()
    stream_kbps = sent_bytes * 8 / 1000 / 20.0
    measured = [rate for rate in rates if rate > 0]
    assert len(measured) >= 10
    assert max(measured) < 1.3 * stream_kbps, (stream_kbps, sorted(measured)[-3:])


def test_a_key_with_a_hash_in_it_is_masked_whole_in_the_process_s_arguments(
    nginx_rtmp: NginxRtmp, tmp_path: Path
) -> None:
    """FFmpeg sends everything after the application as the stream's name, a "#" and what
    follows it too ("publish: name='live9#Hash9rest…'" in nginx's log); the masking rule drops
    that part from every line, but the list of what it hides missed it, so ps and
    /proc/PID/cmdline showed "--to rtmp://…/live/*****#Hash9restOfTheKey" for the whole
    show."""
    url = f"rtmp://127.0.0.1:{nginx_rtmp.port}/live/live9#Hash9restOfTheKey"
    run = LiveRun(*SMALL, "--no-record", "--to", url, env=child_env(tmp_path))
    try:
        run.wait_for_line("/live/****: live", 60)
        shown = Path(f"/proc/{run.process.pid}/cmdline").read_bytes()
        run.send(signal.SIGTERM)
        assert run.wait(30) == 0, run.stderr
    finally:
        run.kill()
    assert b"Hash9" not in shown and b"live9" not in shown, shown
    assert "Hash9" not in run.stderr + run.stdout
