"""Capture -> compositor -> encoder -> outputs. Owns every real-time thread and process.

Never imports QtWidgets; overlays draw with QtGui (QImage/QPainter) only.
"""

import os

# OpenCV (and the FFmpeg inside it, which is not PyAV's) print a line per failed open or read
# straight onto stderr ("[ WARN:0@0.1] global cap.cpp:212 ...", "[mov,mp4...] moov atom not
# found"); our own log says it once, in words. Set here, before any module of this package
# imports cv2: OpenCV reads both when it loads.
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
