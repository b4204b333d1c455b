"""Composition root: builds sources, overlays, encoder, outputs and the pipeline, and runs them.

``LiveSession`` is the seam the window and the headless command share: give it overlay sources
and packet outputs (or let it build them from ``LiveOptions``), ``start()`` it, await ``run()``
on the asyncio loop of the main thread (plain asyncio for ``anchordesk live``, qasync in the
window), and ``stop()`` it. Feed polling and show autoplay are added as asyncio tasks next to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
import stat
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from anchordesk.core.errors import FatalError, UserError
from anchordesk.core.words import Count, Words
from anchordesk.live.options import LiveOptions

log = logging.getLogger("anchordesk")

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}
#: How long a stop waits for a camera or microphone once the outputs are finished (a device
#: closes in milliseconds; one stuck in its driver or a reader's open is left to the exit).
_SOURCE_STOP_WAIT_S = 0.5


class DeviceMissing(UserError):
    """The camera or microphone asked for cannot be opened: the command line's one line (exit 2);
    the window, whose devices come from its settings, says it in its words and uses a stand-in.

    ``device`` is "camera" or "microphone"; ``spec`` is what was asked for, as given."""

    def __init__(self, message: str, device: str, spec: str) -> None:
        super().__init__(message)
        self.device = device
        self.spec = spec


class DeviceNotAnswering(DeviceMissing):
    """The device's system did not answer (a hung sound server): a fault, not the user's
    mistake (exit 1); the window uses its stand-in all the same."""

    exit_code = 1


if TYPE_CHECKING:  # without importing Qt/FFmpeg for `anchordesk --help`
    from anchordesk.media.layers import OverlaySource
    from anchordesk.media.packets import OutputStatus, PacketOutput
    from anchordesk.media.pipeline import Pipeline
    from anchordesk.media.sources.base import AudioSource, VideoSource
    from anchordesk.media.stats import StatsReporter


# --- building the parts from the options -----------------------------------------------------


def _not_a_camera_file(path: Path) -> str:
    """Why ``path`` is no video file or image: a folder or /dev/zero was said "no such file"."""
    from anchordesk.core.disk import not_a_file

    try:
        mode = path.stat().st_mode
    except OSError:
        return "no such file"
    said = f"{not_a_file(mode)}, not a video file or a picture"
    if stat.S_ISCHR(mode):  # /dev/video0: a camera is given by its number
        said += " (a camera is given by its number: see `anchordesk devices`)"
    return said


def build_video_source(options: LiveOptions) -> VideoSource:
    from anchordesk.media.devices import device_number, list_cameras
    from anchordesk.media.sources import (
        CameraSource,
        StillImageSource,
        TestPatternSource,
    )

    width, height, fps = options.canvas_width, options.canvas_height, options.fps
    spec = options.camera
    if spec is None:
        cameras = list_cameras()
        if not cameras:
            log.warning("no camera found; using the test pattern (pass --camera to choose)")
            return TestPatternSource(width, height, fps)
        camera = CameraSource(cameras[0].index, width=width, height=height, fps=fps)
        log.info("camera: %d (%s)", cameras[0].index, cameras[0].name)
        return camera
    spec = spec.strip()
    if spec.lower() == "test":
        return TestPatternSource(width, height, fps)
    if spec.isdecimal():
        number = device_number(spec)
        device = CameraSource(number, width=width, height=height, fps=fps) if number >= 0 else None
        if device is None or not device.open_once():
            raise DeviceMissing(
                f"--camera {spec}: no camera with this number can be opened "
                "(see `anchordesk devices`)",
                "camera",
                spec,
            )
        return device
    if "://" not in spec:
        path = Path(spec).expanduser()
        try:
            is_file = path.is_file()
        except OSError as error:
            # A name too long for the system, a folder on the way that may not be read:
            # is_file() raises those, and the window's start ended with a traceback.
            raise DeviceMissing(
                f"--camera {spec}: cannot be opened ({error.strerror})", "camera", spec
            ) from None
        if not is_file:
            raise DeviceMissing(f"--camera {spec}: {_not_a_camera_file(path)}", "camera", spec)
        if path.suffix.lower() in IMAGE_SUFFIXES:
            try:
                return StillImageSource.from_file(path)
            except UserError as error:  # damaged, unreadable, too large: the camera's problem
                raise DeviceMissing(f"--camera {error}", "camera", spec) from None
        camera = CameraSource(str(path), width=width, height=height, fps=fps)
        if not camera.open_once():
            raise DeviceMissing(
                f"--camera {spec}: not a video file this program can read", "camera", spec
            )
        return camera
    # A stream URL may be down right now: the slate shows until it comes up.
    return CameraSource(spec, width=width, height=height, fps=fps)


def build_audio_source(options: LiveOptions) -> AudioSource:
    from anchordesk.media.devices import (
        SoundSystemSilent,
        default_microphone,
        resolve_microphone,
    )
    from anchordesk.media.sources import MicrophoneSource, SilenceSource, ToneSource

    rate = options.audio_rate_hz
    spec = options.microphone
    if spec is None:
        microphone = default_microphone()
        if microphone is None:
            log.warning("no microphone found; using the test tone (pass --mic none for silence)")
            return ToneSource(rate)
        return MicrophoneSource(microphone.id, rate, label=microphone.name)
    spec = spec.strip()
    if spec.lower() == "test":
        return ToneSource(rate)
    if spec.lower() == "none":
        return SilenceSource()
    try:
        found = resolve_microphone(spec)
    except SoundSystemSilent as silent:
        raise DeviceNotAnswering(f"--mic {spec}: {silent}", "microphone", spec) from None
    if found is None:
        raise DeviceMissing(
            f"--mic {spec}: no such microphone (see `anchordesk devices`)", "microphone", spec
        )
    return MicrophoneSource(found.id, rate, label=found.name)


def recording_file_name(prefix: str = "anchordesk", now: datetime.datetime | None = None) -> str:
    """``PREFIX_2026-11-28_21-05-09.mkv``; the recording makes it unique (``-2``...) if taken."""
    stamp = (now or datetime.datetime.now()).strftime("%Y-%m-%d_%H-%M-%S")
    return f"{prefix}_{stamp}.mkv"


def default_recording_path(now: datetime.datetime | None = None) -> Path:
    from anchordesk.core.paths import default_recordings_dir

    folder = default_recordings_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        # A home folder on a read-only disk (a kiosk, a live system) or a file named Videos:
        # said before anything starts. It ended the run with an OSError traceback (exit 1).
        from anchordesk.core.disk import describe_error

        where = error.filename if isinstance(error.filename, str) else str(folder)
        raise UserError(
            f"the recording cannot be made in {folder}: {describe_error(where, error)}; give "
            "--record PATH on a disk that can be written, or --no-record"
        ) from None
    return folder / recording_file_name(now=now)


def recording_path(options: LiveOptions) -> Path | None:
    if not options.record:
        return None
    if options.record_path is None:
        return default_recording_path()
    path = options.record_path.expanduser()
    if path.is_dir():
        raise UserError(f"--record {path}: is a folder; give a file name such as show.mkv")
    if not path.parent.is_dir():
        raise UserError(f"--record {path}: the folder {path.parent} does not exist")
    return path


def _say_what_the_recording_goes_into(path: Path) -> None:
    """One line before anything starts when the recording goes into no file: a device
    (``--record /dev/random`` ran and ended "finished: 0 bytes", no word of where it went), a
    pipe or a socket. Nothing is refused: a player behind a FIFO and /dev/null are wanted."""
    import os

    from anchordesk.core.disk import not_a_file

    try:
        named = os.stat(path)
        mode = named.st_mode
        null = stat.S_ISCHR(mode) and os.stat(os.devnull).st_rdev == named.st_rdev
    except OSError:
        return  # a file to be made (or this program's own output, said where it is written)
    if stat.S_ISREG(mode):
        return
    if null:
        log.info("recording into %s, the null device: the recording is thrown away", path)
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        log.warning(
            "recording into %s, a device, not a file: the recording is written into it and "
            "no file of it is kept",
            path,
        )
    else:
        log.info(
            "recording into %s, %s, not a file: whoever reads it gets the recording; no "
            "file of it is kept here",
            path,
            not_a_file(mode),
        )


def build_outputs(options: LiveOptions) -> list[PacketOutput]:
    """The recording and the ``--to`` destinations.

    The recording's file is created here, before anything starts: a folder that cannot be
    written is refused now with one line (nothing has run, nothing is lost), and an existing
    file is never overwritten: the recording takes the next free numbered name and says so.
    """
    outputs: list[PacketOutput] = []
    path = recording_path(options)
    if path is not None:
        from anchordesk.media.recording import RecordingOutput

        recording = RecordingOutput(path)
        if recording.open_error is not None:
            what = "--record" if options.record_path is not None else "the recording"
            hint = "" if options.record_path is not None else " (choose --record PATH)"
            raise UserError(f"{what} {path}: cannot create it: {recording.open_error}{hint}")
        _say_what_the_recording_goes_into(recording.path)
        if recording.renamed:
            log.warning(
                "%s exists and is kept (a recording never overwrites a file): recording into %s",
                path,
                recording.path,
            )
        outputs.append(recording)
    if options.destinations:
        from anchordesk.media.network_output import NetworkOutput, destination_names

        names = destination_names(options.destinations)
        outputs.extend(
            NetworkOutput(url, name=name)
            for url, name in zip(options.destinations, names, strict=True)
        )
    return outputs


def build_overlays(options: LiveOptions) -> list[OverlaySource]:
    """Overlay sources from the options. The show wiring adds its scene here."""
    overlays: list[OverlaySource] = []
    if options.banner_text:
        from anchordesk.media.banner import TextBanner

        overlays.append(TextBanner(options.banner_text))
    return overlays


# --- the live session ------------------------------------------------------------------------


def _next_time(due_s: float, every_s: float, now_s: float) -> float:
    """When a thing done every ``every_s`` is next due, after the one due at ``due_s`` was done
    at ``now_s``: on the same beat, but never in the past. Caught up beat by beat, a minute of
    this program paused (Ctrl+Z, a suspended laptop) gave 60 stats samples 50 ms apart on its
    return (--stats lines of "0.0 fps", "cpu 108%"; an hour: three minutes of them) and six
    summary lines at once."""
    due_s += every_s
    return due_s if due_s > now_s else now_s + every_s


class LiveSession:
    """Sources -> compositor -> encoder -> outputs, for one live run (window or headless).

    Threads: the pipeline thread, one grab thread per camera, the microphone supervisor (plus
    PortAudio's own), one child process per network destination. ``run`` runs on the asyncio
    loop of the main thread and does no CPU work: it samples the stats once a second and waits
    for the end.
    """

    def __init__(
        self,
        options: LiveOptions,
        *,
        overlays: Sequence[OverlaySource] = (),
        outputs: Sequence[PacketOutput] = (),
        video_source: VideoSource,
        audio_source: AudioSource | None,
        clock: Any = None,
    ) -> None:
        self.options = options
        self.overlays = list(overlays)
        self.outputs = list(outputs)
        self.video_source = video_source
        self.audio_source = audio_source
        self._clock = clock
        self.pipeline: Pipeline | None = None
        self.stats: StatsReporter | None = None
        self._encoder: Any = None
        self._started_sources: list[Any] = []
        self._started_outputs: list[PacketOutput] = []
        self._stopped = False
        self.on_stats: list[Callable[[dict[str, Any]], None]] = []

    def start(self) -> None:
        from anchordesk.media.compositor import Compositor
        from anchordesk.media.encoder import Encoder, EncoderSettings
        from anchordesk.media.pipeline import Pipeline
        from anchordesk.media.stats import StatsReporter

        options = self.options
        if self.overlays:
            from anchordesk.media.overlays.fonts import ensure_gui_application

            ensure_gui_application()
        settings = EncoderSettings(
            width=options.canvas_width,
            height=options.canvas_height,
            fps=options.fps,
            video_kbps=options.video_kbps,
            audio_kbps=options.audio_kbps,
            audio_rate_hz=options.audio_rate_hz,
            video_encoder=options.encoder,
        )
        self._encoder = Encoder(settings, with_audio=self.audio_source is not None)
        log.info(
            "encoding %dx%d %d fps, %s %d kbps, AAC %d Hz %d kbps",
            options.canvas_width,
            options.canvas_height,
            options.fps,
            self._encoder.video_codec_name,
            options.video_kbps,
            options.audio_rate_hz,
            options.audio_kbps,
        )
        try:
            for output in self.outputs:
                output.start(self._encoder.templates)
                self._started_outputs.append(output)
                log.info("output: %s", output.name)
            for source in (self.video_source, self.audio_source):
                if source is not None:
                    source.start()
                    self._started_sources.append(source)
            self.pipeline = Pipeline(
                compositor=Compositor(options.canvas_width, options.canvas_height),
                encoder=self._encoder,
                video_source=self.video_source,
                audio_source=self.audio_source,
                outputs=self.outputs,
                overlays=self.overlays,
                fps=options.fps,
                duration_s=options.seconds,
                clock=self._clock,
            )
            self.stats = StatsReporter(
                self.pipeline,
                self.outputs,
                lambda: self.video_source,
                lambda: self.audio_source,
                options.stats_path,
            )
            self.pipeline.start()
        except BaseException:
            self.stop()
            raise

    def reconnect_now(self) -> None:
        for output in self.outputs:
            output.reconnect_now()

    def set_video_source(self, source: VideoSource) -> None:
        """Switch the picture while live; the old source is stopped, the new one started."""
        source.start()
        old, self.video_source = self.video_source, source
        if self.pipeline is not None:
            self.pipeline.set_video_source(source)
        old.stop()

    def set_overlays(self, overlays: Sequence[OverlaySource]) -> None:
        self.overlays = list(overlays)
        if self.pipeline is not None:
            self.pipeline.set_overlays(self.overlays)

    async def run(self, stop: asyncio.Event, log_every_s: float = 10.0) -> None:
        """Until the pipeline finishes (``--seconds``) or ``stop`` is set; stats every second."""
        assert self.pipeline is not None and self.stats is not None, "start() first"
        loop = asyncio.get_running_loop()
        next_sample_s = loop.time() + 1.0
        next_log_s = loop.time() + log_every_s
        while not stop.is_set() and not self.pipeline.finished.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=0.05)
            if loop.time() >= next_sample_s:
                next_sample_s = _next_time(next_sample_s, 1.0, loop.time())
                sample = self.stats.sample()
                for callback in self.on_stats:
                    callback(sample)
                if loop.time() >= next_log_s:
                    next_log_s = _next_time(next_log_s, log_every_s, loop.time())
                    log.info("%s", summary_line(sample))
        if self.pipeline.error is not None:
            raise FatalError(f"the pipeline stopped: {self.pipeline.error}")

    def stop(self, timeout_s: float = 5.0) -> None:
        """Finish the current frame, flush the encoder, close every output, all within
        ``timeout_s`` (a network output that does not finish in time has its child killed)."""
        if self._stopped:
            return
        self._stopped = True
        deadline_s = time.monotonic() + timeout_s

        def left_s(share: float = 1.0) -> float:
            return max(0.05, (deadline_s - time.monotonic()) * share)

        if self.pipeline is not None:
            # The last frame and the encoder's flush: normally a few ms; a stuck source or
            # encoder gets a part of the time, not all of it.
            self.pipeline.stop(left_s(0.4))
        # Outputs (and the ones that never started, which may hold a file created for them)
        # stop in parallel: a stuck network child must not delay the recording's trailer.
        # Daemon threads: one that overruns never holds the process at exit.
        # A network output gets part of the time: a destination that never answered has
        # nothing to finish and its child is killed at the end of it; the recording's trailer
        # may use all of it.
        stoppers = [
            threading.Thread(
                target=output.stop,
                args=(left_s(0.6 if output.status().kind == "network" else 1.0),),
                name=f"stop {output.name}",
                daemon=True,
            )
            for output in self.outputs
        ]
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join(left_s() + 0.3)
        if self.stats is not None and self.pipeline is not None:
            # The last sample once the outputs stopped: what a network output could not send
            # by its deadline is dropped as it stops, and a sample taken before said the
            # server's copy lacked less than it did. The sources still run (their states as
            # they were): they stop after it.
            self.stats.sample()
        sources = [
            threading.Thread(
                target=source.stop,
                name=f"stop {getattr(source, 'name', type(source).__name__)}",
                daemon=True,
            )
            for source in self._started_sources
        ]
        for thread in sources:
            thread.start()
        # A source holds no file: a short wait for it, not the stop's whole budget. A camera
        # URL whose server never answers holds its thread in the reader's open (5 s), and the
        # run, its files finished at once, waited 1.7 s more for it: the process ended 2-2.8 s
        # after SIGTERM.
        for thread in sources:
            thread.join(min(left_s(), _SOURCE_STOP_WAIT_S))
        late = [thread.name for thread in stoppers if thread.is_alive()]
        if late:
            log.warning("still stopping after %.1f s: %s", timeout_s, ", ".join(late))
        if left := [thread.name for thread in sources if thread.is_alive()]:
            log.info("not waited for (it holds no file): %s", ", ".join(left))
            # A microphone stuck in its sound server would hold the process's exit for ever.
            from anchordesk.media.portaudio import not_terminated_at_exit

            not_terminated_at_exit()
        if self._encoder is not None:
            self._encoder.close()
        if self.stats is not None:
            self.stats.close()

    def write_faults(self) -> list[str]:
        """Why a file of this run stopped being written (the recording, ``--stats``): one
        line each, empty when every file is whole."""
        from anchordesk.media.packets import OutputState

        faults: list[str] = []
        for output in self.outputs:
            status = output.status()
            if status.kind != "recording":
                continue
            # A stop for a full disk is lost time even when the recording went on after it.
            faults.extend(status.gaps)
            if status.state is OutputState.FAILED and status.last_error not in status.gaps:
                faults.append(status.last_error or f"{status.name}: failed")
        if self.stats is not None and self.stats.fault is not None:
            faults.append(self.stats.fault)
        return faults

    def output_faults(self) -> dict[str, Words]:
        """Why each output that is failing failed, by its name (a network output's is its
        masked URL), as words a window says in its language. The stats sample beside them
        is the English ``--stats`` line; the window and the snapshot take the words here."""
        return {
            status.name: status.fault
            for status in (output.status() for output in self.outputs)
            if status.fault is not None
        }

    def output_notices(self) -> dict[str, Words]:
        """What each output has to say while it works (a network output dropping frames for a
        slow uplink), by its name, as words a window says in its language (as
        :meth:`output_faults`)."""
        return {
            status.name: status.notice
            for status in (output.status() for output in self.outputs)
            if status.notice is not None
        }

    def network_statuses(self) -> list[OutputStatus]:
        """The network destinations this run started (``--to``), as they are now."""
        from anchordesk.media.network_output import NetworkOutput

        return [o.status() for o in self._started_outputs if isinstance(o, NetworkOutput)]

    def streams_never_live(self, kept: Mapping[str, OutputStatus] | None = None) -> list[str]:
        """The network destinations of this run that were started and never went live, one
        line each with the last reason: nobody saw the show there, however whole the files.
        ``kept``: as :meth:`streams_summary`."""
        from anchordesk.media.network_output import NetworkOutput

        lines = []
        for output in self._started_outputs:
            if not isinstance(output, NetworkOutput):
                continue  # the window's switch: its destinations are the operator's to judge
            status = (kept or {}).get(output.name) or output.status()
            if status.live_s > 0:
                continue
            reason = status.last_error or "the run ended before the server answered"
            lines.append(f"the stream to {status.name} never went live: {reason}")
        return lines

    def streams_summary(self, kept: Mapping[str, OutputStatus] | None = None) -> list[str]:
        """For each network destination of this run that went live: how long it was live,
        and how often it had to connect again. ``kept``: the figures the session kept for its
        report (LiveShow.streams_kept), said instead of the ones measured now: a moment
        later, as the outputs stopped, the run said "live 0:14" and the report "0:13"."""
        from anchordesk.media.network_output import NetworkOutput
        from anchordesk.store.report_streams import stream_duration

        lines = []
        for output in self._started_outputs:
            if not isinstance(output, NetworkOutput):
                continue
            status = (kept or {}).get(output.name) or output.status()
            if status.live_s > 0:
                # Connections made again, not attempts: "3 reconnects" was said of a stream
                # whose server went down for good, after three failed attempts.
                count = status.live_again
                again = f", {count} reconnect{'s' if count > 1 else ''}" if count else ""
                live = stream_duration(status.live_s)
                line = f"Stream to {status.name}: live {live}{again}"
                if status.down_at_stop_s > 0:
                    down = stream_duration(status.down_at_stop_s)
                    why = f": {status.last_error}" if status.last_error else ""
                    line += f"; not live for the last {down} of the run{why}"
                lines.append(line)
        return lines


def dropped_frames_total(sample: dict[str, Any]) -> int:
    """Frames lost at any stage since the start (the log line's and the snapshot's figure)."""
    return sum(
        int(sample.get(f"dropped_frames_{stage}_total", 0) or 0)
        for stage in ("capture", "render", "encode", "network")
    )


def summary_line(sample: dict[str, Any]) -> str:
    from anchordesk.core.money import format_cpu, format_frame_rate  # Babel: not for --help

    dropped = dropped_frames_total(sample)
    media_s = int(sample.get("media_time_s", 0))
    parts = [
        f"{media_s // 3600:02d}:{media_s // 60 % 60:02d}:{media_s % 60:02d}",
        f"{format_frame_rate(sample.get('output_fps', 0))} fps",
        f"encode {sample.get('encode_ms_per_frame') or 0:.1f} ms",
        f"cpu {format_cpu(sample.get('process_cpu_percent', 0))}",
        f"dropped {Count(dropped)}",  # grouped, as the window and the phone write it
    ]
    for output in sample.get("outputs", []):
        # A rate only for an output that is live: "failed 836 kbps" read as if it still wrote.
        rate = f" {output['bitrate_kbps']:.0f} kbps" if output["state"] == "live" else ""
        parts.append(f"{output['name']}: {output['state']}{rate}")
    return "  ".join(parts)
