"""Cameras and microphones this machine offers, with the ids ``anchordesk live`` accepts."""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from anchordesk.core.printable import escape_controls

log = logging.getLogger(__name__)

#: How long the sound system may take to list its devices. PortAudio's start (ALSA's PulseAudio
#: plugin) waits without a limit for a PulseAudio/PipeWire server that accepts and never
#: answers (a hung daemon): `anchordesk live` hung in its start-up, deaf to SIGINT and SIGTERM
#: (the main thread was inside the C call), for as long as the server hung.
AUDIO_PROBE_TIMEOUT_S = 5.0
_cancelled: Callable[[], bool] = lambda: False  # noqa: E731


def stop_waiting_when(cancelled: Callable[[], bool]) -> None:
    """A stop request (``anchordesk live``'s SIGINT/SIGTERM/SIGHUP/--seconds) ends the wait for
    the sound system at once: the start-up then stops as it does between its steps."""
    global _cancelled
    _cancelled = cancelled


@dataclass(frozen=True)
class CameraInfo:
    index: int
    name: str


@dataclass(frozen=True)
class MicrophoneInfo:
    id: int
    name: str
    channels: int
    default_sample_rate_hz: int
    host_api: str
    is_default: bool


def list_cameras(probe_limit: int = 6) -> list[CameraInfo]:
    """Cameras by OpenCV index.

    On Linux the V4L2 capture nodes and their names come from sysfs, without opening anything
    (metadata nodes of UVC cameras have ``index`` 1 and are left out). Elsewhere OpenCV has no
    enumeration, so the first ``probe_limit`` indexes are opened in turn.
    """
    sysfs = Path("/sys/class/video4linux")
    if sys.platform.startswith("linux"):
        cameras: list[CameraInfo] = []
        if sysfs.is_dir():
            for node in sorted(sysfs.iterdir(), key=lambda p: int(re.sub(r"\D", "", p.name) or 0)):
                match = re.fullmatch(r"video(\d+)", node.name)
                if not match:
                    continue
                try:
                    if (node / "index").read_text().strip() not in ("", "0"):
                        continue
                    name = (node / "name").read_text().strip()
                except OSError:
                    name = node.name
                cameras.append(CameraInfo(int(match.group(1)), name))
        return cameras
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    import cv2

    from anchordesk.media.sources.camera import camera_backend

    cameras = []
    for index in range(probe_limit):
        capture = cv2.VideoCapture(index, camera_backend())
        if capture.isOpened():
            cameras.append(CameraInfo(index, f"camera {index}"))
        capture.release()
    return cameras


def list_microphones(timeout_s: float | None = None) -> list[MicrophoneInfo]:
    """Input devices through PortAudio; empty when PortAudio itself is missing or finds none,
    or when the sound system does not answer within ``timeout_s`` (the query goes on in a
    thread of its own; the caller's thread stays free to take a stop request)."""
    return _probe_microphones(timeout_s) or []


class SoundSystemSilent(Exception):
    """The sound system did not answer the query of its devices in time (str(): why)."""


def _probe_microphones(timeout_s: float | None = None) -> list[MicrophoneInfo] | None:
    """:func:`list_microphones`; None when the sound system did not answer in time."""
    from anchordesk.media.portaudio import give_back_stderr

    limit_s = AUDIO_PROBE_TIMEOUT_S if timeout_s is None else timeout_s
    found: list[list[MicrophoneInfo]] = []
    thread = threading.Thread(
        target=lambda: found.append(_query_microphones()), name="audio devices", daemon=True
    )
    thread.start()
    deadline_s = time.monotonic() + limit_s
    while not found and thread.is_alive():
        if _cancelled():
            give_back_stderr()
            return []
        left_s = deadline_s - time.monotonic()
        if left_s <= 0:
            give_back_stderr()
            log.warning("no audio devices: %s", _silent_words(limit_s))
            return None
        thread.join(min(left_s, 0.05))
    return found[0] if found else []


def _query_microphones() -> list[MicrophoneInfo]:
    from anchordesk.media.portaudio import import_sounddevice

    try:
        sounddevice = import_sounddevice()
    except OSError as error:  # libportaudio2 not installed
        log.warning("no audio devices: PortAudio is not available (%s)", error)
        return []
    try:
        devices = sounddevice.query_devices()
        host_apis = sounddevice.query_hostapis()
        default_input = sounddevice.default.device[0]
    except Exception as error:  # PortAudioError on a machine without audio
        log.warning("no audio devices: %s", error)
        return []
    microphones = []
    for index, device in enumerate(devices):
        if int(device["max_input_channels"]) <= 0:
            continue
        microphones.append(
            MicrophoneInfo(
                id=index,
                name=str(device["name"]),
                channels=int(device["max_input_channels"]),
                default_sample_rate_hz=int(device["default_samplerate"]),
                host_api=str(host_apis[int(device["hostapi"])]["name"]),
                is_default=index == default_input,
            )
        )
    return microphones


def _silent_words(limit_s: float) -> str:
    return f"the sound system did not answer within {limit_s:g} s (is PulseAudio or PipeWire hung?)"


def default_microphone() -> MicrophoneInfo | None:
    microphones = list_microphones()
    for microphone in microphones:
        if microphone.is_default:
            return microphone
    return microphones[0] if microphones else None


#: More digits than any machine's count of devices: such a number names no device. int() of
#: over 4,300 digits raises ValueError, and `--camera 999…` (5,000 digits) ended in a traceback.
_MOST_DEVICE_DIGITS = 9


def device_number(spec: str) -> int:
    """The number a device spec of digits names (``"2"``, ``" 2 "``); -1, which no device has,
    for one longer than any machine's count of devices."""
    digits = spec.strip()
    return int(digits) if len(digits) <= _MOST_DEVICE_DIGITS else -1


def resolve_microphone(spec: str) -> MicrophoneInfo | None:
    """A microphone by id or by (part of) its name, case-insensitive; None if none matches.
    Raises :class:`SoundSystemSilent` when the sound system does not answer: a hung PulseAudio
    was "--mic pulse: no such microphone", exit 2, as if the user had mistyped its name."""
    microphones = _probe_microphones()
    if microphones is None:
        raise SoundSystemSilent(_silent_words(AUDIO_PROBE_TIMEOUT_S))
    if spec.strip().isdecimal():
        wanted = device_number(spec)
        return next((m for m in microphones if m.id == wanted), None)
    lowered = spec.strip().lower()
    exact = [m for m in microphones if m.name.lower() == lowered]
    if exact:
        return exact[0]
    partial = [m for m in microphones if lowered in m.name.lower()]
    return partial[0] if partial else None


def format_device_list(cameras: list[CameraInfo], microphones: list[MicrophoneInfo]) -> str:
    """The names come from drivers and sound-system configuration (a V4L2 card name, an ALSA
    PCM of ``~/.asoundrc``) and may hold control characters: escaped, as everything printed
    from outside (an ESC there drove the terminal)."""
    lines = ["Cameras (pass the number to --camera):"]
    if cameras:
        lines += [f"  {camera.index}  {escape_controls(camera.name)}" for camera in cameras]
    else:
        lines.append("  none found (use --camera test, or a video file / stream URL)")
    lines.append("Microphones (pass the number or the name to --mic):")
    if microphones:
        for mic in microphones:
            default = "  [default]" if mic.is_default else ""
            lines.append(
                f"  {mic.id}  {escape_controls(mic.name)}  ({mic.channels} ch, "
                f"{mic.default_sample_rate_hz} Hz, {escape_controls(mic.host_api)}){default}"
            )
    else:
        lines.append("  none found (use --mic test or --mic none)")
    return "\n".join(lines)
