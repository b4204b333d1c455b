"""Cameras and microphones this machine offers, with the ids ``anchordesk live`` accepts."""

from __future__ import annotations

import logging
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


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


def list_microphones() -> list[MicrophoneInfo]:
    """Input devices through PortAudio; empty when PortAudio itself is missing or finds none."""
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


def default_microphone() -> MicrophoneInfo | None:
    microphones = list_microphones()
    for microphone in microphones:
        if microphone.is_default:
            return microphone
    return microphones[0] if microphones else None


def resolve_microphone(spec: str) -> MicrophoneInfo | None:
    """A microphone by id or by (part of) its name, case-insensitive; None if none matches."""
    microphones = list_microphones()
    if spec.strip().isdigit():
        wanted = int(spec)
        return next((m for m in microphones if m.id == wanted), None)
    lowered = spec.strip().lower()
    exact = [m for m in microphones if m.name.lower() == lowered]
    if exact:
        return exact[0]
    partial = [m for m in microphones if lowered in m.name.lower()]
    return partial[0] if partial else None


def format_device_list(cameras: list[CameraInfo], microphones: list[MicrophoneInfo]) -> str:
    lines = ["Cameras (pass the number to --camera):"]
    if cameras:
        lines += [f"  {camera.index}  {camera.name}" for camera in cameras]
    else:
        lines.append("  none found (use --camera test, or a video file / stream URL)")
    lines.append("Microphones (pass the number or the name to --mic):")
    if microphones:
        for mic in microphones:
            default = "  [default]" if mic.is_default else ""
            lines.append(
                f"  {mic.id}  {mic.name}  ({mic.channels} ch, "
                f"{mic.default_sample_rate_hz} Hz, {mic.host_api}){default}"
            )
    else:
        lines.append("  none found (use --mic test or --mic none)")
    return "\n".join(lines)
