"""The per-second stats: CPU of the whole program, child processes (network muxers) included."""

from __future__ import annotations

import subprocess
import sys

from anchordesk.media.compositor import Compositor
from anchordesk.media.encoder import Encoder, EncoderSettings
from anchordesk.media.packets import OutputState, OutputStatus, StreamTemplates
from anchordesk.media.pipeline import Pipeline
from anchordesk.media.sources import TestPatternSource, ToneSource
from anchordesk.media.stats import StatsReporter, running_process_cpu_s

# Burns CPU_S of CPU, says so, waits for a line on stdin, burns CPU_S more and exits.
BURNER = """
import sys, time
def burn(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
burn(float(sys.argv[1]))
print("burnt", flush=True)
sys.stdin.readline()
burn(float(sys.argv[1]))
"""
CPU_S = 0.4


class OutputWithChild:
    """A network output as the stats see it: a status and the pid of its running child."""

    def __init__(self) -> None:
        self.child_pid: int | None = None

    @property
    def name(self) -> str:
        return "rtmp://example.com/live/****"

    def start(self, streams: StreamTemplates) -> None:
        pass

    def send(self, packet: object) -> None:
        pass

    def status(self) -> OutputStatus:
        return OutputStatus(self.name, "network", OutputState.LIVE)

    def reconnect_now(self) -> None:
        pass

    def stop(self, timeout_s: float = 5.0) -> None:
        pass


def test_process_cpu_counts_running_and_ended_network_children() -> None:
    settings = EncoderSettings(width=320, height=180, fps=30)
    encoder = Encoder(settings)
    video, audio = TestPatternSource(320, 180), ToneSource()
    output = OutputWithChild()
    pipeline = Pipeline(
        compositor=Compositor(320, 180),
        encoder=encoder,
        video_source=video,
        audio_source=audio,
        outputs=[output],
    )
    now_s = 100.0
    reporter = StatsReporter(pipeline, [output], lambda: video, lambda: audio, None, lambda: now_s)
    child = subprocess.Popen(
        [sys.executable, "-c", BURNER, str(CPU_S)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdin is not None
        output.child_pid = child.pid
        assert child.stdout.readline().strip() == "burnt"
        child_cpu_s = running_process_cpu_s(child.pid)
        assert child_cpu_s is not None and child_cpu_s >= CPU_S - 0.02
        now_s += 1.0
        running = reporter.sample()
        # The child ends (a reconnect, or the output stopped) and is reaped: its CPU still counts.
        child.stdin.write("go\n")
        child.stdin.flush()
        assert child.wait(30) == 0
        output.child_pid = None
        now_s += 1.0
        ended = reporter.sample()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        encoder.close()
    assert running["process_cpu_percent"] >= (CPU_S - 0.02) * 100
    assert ended["process_cpu_percent"] >= (CPU_S - 0.02) * 100
    # Nothing counted twice: this process itself was idle meanwhile.
    assert running["process_cpu_percent"] + ended["process_cpu_percent"] < (3 * CPU_S) * 100


def test_a_gone_process_reads_as_none() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert running_process_cpu_s(child.pid) is None
