"""``anchordesk --version``: the program's version and those of the parts a bug report needs.

A video glitch depends on FFmpeg's build, a window problem on Qt's, a capture problem on OpenCV
and PortAudio: the one line of a version number is not enough to reproduce a report. Each part
is imported on its own, so a broken or missing one shows as such instead of hiding the rest.
"""

from __future__ import annotations

import platform
from collections.abc import Callable

from anchordesk import __version__


def _qt() -> str:
    import PySide6
    from PySide6 import QtCore

    return f"PySide6 {PySide6.__version__}, Qt {QtCore.qVersion()} (runtime)"


def _pyav() -> str:
    import av

    ffmpeg = getattr(av, "ffmpeg_version_info", None) or "?"
    codec = ".".join(str(part) for part in av.library_versions.get("libavcodec", ()))
    return f"PyAV {av.__version__}, FFmpeg {ffmpeg} (libavcodec {codec})"


def _opencv() -> str:
    import cv2

    return f"OpenCV {cv2.__version__}"


def _portaudio() -> str:
    import sounddevice

    return f"sounddevice {sounddevice.__version__}, {sounddevice.get_portaudio_version()[1]}"


def _numpy() -> str:
    import numpy

    return f"NumPy {numpy.__version__}"


PARTS: tuple[tuple[str, Callable[[], str]], ...] = (
    ("Qt", _qt),
    ("PyAV/FFmpeg", _pyav),
    ("OpenCV", _opencv),
    ("PortAudio", _portaudio),
    ("NumPy", _numpy),
)


def version_report() -> str:
    """Several lines: AnchorDesk, Python and the platform, then one line per part."""
    lines = [
        f"anchordesk {__version__}",
        f"  Python: {platform.python_implementation()} {platform.python_version()}",
        f"  System: {platform.platform()}",  # with the C library: the frozen app needs glibc 2.36
    ]
    for name, describe in PARTS:
        try:
            text = describe()
        except Exception as error:  # a missing library (PortAudio) must not hide the rest
            text = f"not available ({type(error).__name__}: {str(error).splitlines()[0]})"
        lines.append(f"  {name}: {text}")
    return "\n".join(lines)
