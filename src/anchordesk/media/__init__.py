"""Capture -> compositor -> encoder -> outputs. Owns every real-time thread and process.

Never imports QtWidgets; overlays draw with QtGui (QImage/QPainter) only.
"""
