"""Real servers for integration tests, started on loopback on free ports and always stopped.

- :class:`NginxRtmp`: nginx with libnginx-mod-rtmp receiving and recording every stream
  (``record_unique on``, so each (re)connection makes a new file).
- :class:`Stunnel`: a TLS terminator with a throw-away self-signed certificate in front of
  nginx, giving an ``rtmps://`` endpoint.
- :class:`BlackHole`: a TCP server that accepts connections and never answers (the case that
  freezes an in-process RTMP muxer forever).
- ffprobe/ffmpeg helpers that read what arrived: streams, keyframe times, duration, audio level.

Each helper raises :class:`MissingTool` when the program it needs is absent; the fixtures in
``conftest.py`` turn that into a skip with the reason.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NGINX_RTMP_MODULE_PATHS = (
    "/usr/lib/nginx/modules/ngx_rtmp_module.so",
    "/usr/share/nginx/modules/ngx_rtmp_module.so",
    "/usr/lib64/nginx/modules/ngx_rtmp_module.so",
)


class MissingTool(RuntimeError):
    """A program a test needs is not installed (the reason says which and how to get it)."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout_s: float = 10.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"nothing listens on {host}:{port} after {timeout_s} s"
                ) from None
            time.sleep(0.05)


def wait_until(predicate: Any, timeout_s: float, interval_s: float = 0.05, what: str = "") -> Any:
    """Poll ``predicate`` until it returns a truthy value (returned) or the deadline passes."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s} s waiting for {what or predicate}")
        time.sleep(interval_s)


def find_program(name: str, package: str) -> str:
    path = shutil.which(name) or (
        f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None
    )
    if path is None:
        raise MissingTool(f"{name} is not installed (Debian package {package})")
    return path


def rtmp_module_path() -> str:
    for path in NGINX_RTMP_MODULE_PATHS:
        if Path(path).exists():
            return path
    raise MissingTool("nginx's RTMP module is not installed (Debian package libnginx-mod-rtmp)")


def _stop_process(process: subprocess.Popen[bytes] | None, timeout_s: float = 5.0) -> None:
    """Stop a process started with start_new_session=True, its whole group, SIGTERM then KILL."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout_s)


class NginxRtmp:
    """nginx-rtmp on 127.0.0.1:``port`` recording every published stream into ``record_dir``."""

    def __init__(self, base_dir: Path, port: int | None = None, app: str = "live") -> None:
        self.nginx = find_program("nginx", "nginx-light")
        self.module = rtmp_module_path()
        self.base_dir = base_dir
        self.port = port or free_port()
        self.app = app
        self.record_dir = base_dir / "record"
        self.record_dir.mkdir(parents=True, exist_ok=True)
        (base_dir / "temp").mkdir(exist_ok=True)
        self.config_path = base_dir / "nginx.conf"
        self.error_log = base_dir / "error.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._write_config()

    def _write_config(self) -> None:
        temp = self.base_dir / "temp"
        # Running as root, nginx workers would switch to "nobody", who cannot write into the
        # test's private temp dir.
        user = "user root;" if os.geteuid() == 0 else ""
        self.config_path.write_text(
            f"""
load_module {self.module};
{user}
daemon off;
master_process on;
worker_processes 1;
pid {self.base_dir / "nginx.pid"};
error_log {self.error_log} info;
events {{ worker_connections 64; }}
rtmp {{
    server {{
        listen 127.0.0.1:{self.port};
        chunk_size 4096;
        application {self.app} {{
            live on;
            record all;
            record_path {self.record_dir};
            record_unique on;
        }}
    }}
}}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
}}
""",
            encoding="utf-8",
        )

    def url(self, key: str = "test-key", host: str = "127.0.0.1") -> str:
        return f"rtmp://{host}:{self.port}/{self.app}/{key}"

    def start(self, timeout_s: float = 10.0) -> None:
        self.process = subprocess.Popen(
            [self.nginx, "-c", str(self.config_path), "-p", str(self.base_dir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_for_port(self.port, timeout_s)
        except TimeoutError:
            log = self.error_log.read_text(errors="replace") if self.error_log.exists() else ""
            self.stop()
            raise RuntimeError(
                f"nginx-rtmp did not start on port {self.port}: {log[-500:]}"
            ) from None

    def stop(self) -> None:
        """Graceful stop (SIGTERM to nginx and its worker)."""
        self.thaw()
        _stop_process(self.process)
        self.process = None

    def kill(self) -> None:
        """Kill nginx and its worker at once (SIGKILL): connections are reset, nothing flushed."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
        self.process = None

    def freeze(self) -> None:
        """SIGSTOP nginx: connections stay open but nothing is read any more (a hung server)."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGCONT)

    def restart(self) -> None:
        """Start again on the same port (after stop() or kill())."""
        self.stop()
        self.start()

    def recordings(self) -> list[Path]:
        """Recorded .flv files, oldest first (one per publishing connection)."""
        return sorted(self.record_dir.glob("*.flv"), key=lambda p: (p.stat().st_mtime, p.name))

    def wait_for_recording(
        self, min_bytes: int = 50_000, timeout_s: float = 20.0, count: int = 1
    ) -> list[Path]:
        """Wait until at least ``count`` recordings exist and the newest holds ``min_bytes``."""

        def ready() -> list[Path] | None:
            files = self.recordings()
            if len(files) >= count and files[-1].stat().st_size >= min_bytes:
                return files
            return None

        result: list[Path] = wait_until(
            ready, timeout_s, what=f"{count} recording(s) in {self.record_dir}"
        )
        return result

    def __enter__(self) -> NginxRtmp:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def make_self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A throw-away certificate for 127.0.0.1/localhost, made with the openssl CLI."""
    openssl = find_program("openssl", "openssl")
    cert = directory / "cert.pem"
    key = directory / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


class Stunnel:
    """TLS on 127.0.0.1:``port`` forwarded as plain TCP to ``target_port`` (rtmps -> rtmp)."""

    def __init__(self, base_dir: Path, target_port: int, port: int | None = None) -> None:
        self.stunnel = (
            find_program("stunnel4", "stunnel4")
            if shutil.which("stunnel4")
            else find_program("stunnel", "stunnel4")
        )
        base_dir.mkdir(parents=True, exist_ok=True)
        self.base_dir = base_dir
        self.port = port or free_port()
        self.target_port = target_port
        self.cert, self.key = make_self_signed_certificate(base_dir)
        self.config_path = base_dir / "stunnel.conf"
        self.log_path = base_dir / "stunnel.log"
        self.config_path.write_text(
            f"""
foreground = yes
pid =
output = {self.log_path}
debug = 4
[rtmps]
accept = 127.0.0.1:{self.port}
connect = 127.0.0.1:{self.target_port}
cert = {self.cert}
key = {self.key}
""",
            encoding="utf-8",
        )
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, app: str = "live", key: str = "test-key") -> str:
        return f"rtmps://127.0.0.1:{self.port}/{app}/{key}"

    def start(self, timeout_s: float = 10.0) -> None:
        self.process = subprocess.Popen(
            [self.stunnel, str(self.config_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_for_port(self.port, timeout_s)
        except TimeoutError:
            log = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
            self.stop()
            raise RuntimeError(f"stunnel did not start on port {self.port}: {log[-500:]}") from None

    def stop(self) -> None:
        _stop_process(self.process)
        self.process = None

    def __enter__(self) -> Stunnel:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class BlackHole:
    """Accepts TCP connections and never reads or answers: an RTMP handshake waits forever."""

    def __init__(self) -> None:
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(16)
        self.port = int(self._server.getsockname()[1])
        self.connections: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._accept, name="black-hole", daemon=True)
        self._thread.start()

    def url(self, app: str = "live", key: str = "test-key") -> str:
        return f"rtmp://127.0.0.1:{self.port}/{app}/{key}"

    @property
    def accepted(self) -> int:
        with self._lock:
            return len(self.connections)

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return
            with self._lock:
                if self._closed:
                    connection.close()
                    return
                self.connections.append(connection)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for connection in self.connections:
                connection.close()
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)
        self._server.close()
        self._thread.join(5)

    def __enter__(self) -> BlackHole:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- ffprobe / ffmpeg helpers ----------------------------------------------------------------


def ffprobe_path() -> str:
    return find_program("ffprobe", "ffmpeg")


def ffprobe_json(path: Path | str, *args: str) -> dict[str, Any]:
    result = subprocess.run(
        [ffprobe_path(), "-v", "error", "-of", "json", *args, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise AssertionError(f"ffprobe failed on {path}: {result.stderr.strip()[-500:]}")
    data: dict[str, Any] = json.loads(result.stdout or "{}")
    return data


@dataclass(frozen=True)
class StreamInfo:
    codec_type: str
    codec_name: str
    width: int | None
    height: int | None
    fps: float | None
    sample_rate: int | None
    channels: int | None
    profile: str | None


def probe_streams(path: Path | str) -> list[StreamInfo]:
    data = ffprobe_json(path, "-show_streams")
    streams = []
    for s in data.get("streams", []):
        fps = None
        rate = s.get("avg_frame_rate") or s.get("r_frame_rate")
        if rate and rate != "0/0":
            num, _, den = rate.partition("/")
            fps = float(num) / float(den or 1) if float(den or 1) else None
        streams.append(
            StreamInfo(
                codec_type=s.get("codec_type", ""),
                codec_name=s.get("codec_name", ""),
                width=s.get("width"),
                height=s.get("height"),
                fps=fps,
                sample_rate=int(s["sample_rate"]) if "sample_rate" in s else None,
                channels=s.get("channels"),
                profile=s.get("profile"),
            )
        )
    return streams


def codecs(path: Path | str) -> dict[str, str]:
    """{"video": "h264", "audio": "aac"} for the first stream of each type."""
    result: dict[str, str] = {}
    for stream in probe_streams(path):
        result.setdefault(stream.codec_type, stream.codec_name)
    return result


def video_frame_times_s(path: Path | str) -> list[tuple[float, bool]]:
    """(pts in seconds, is keyframe) for every video packet, in file order."""
    return media_packet_times_s(path, "v")


def media_packet_times_s(path: Path | str, stream: str) -> list[tuple[float, bool]]:
    """(pts in seconds, is keyframe) for every packet of the first ``stream`` ("v" or "a")."""
    data = ffprobe_json(
        path, "-select_streams", f"{stream}:0", "-show_entries", "packet=pts_time,flags",
        "-show_packets",
    )  # fmt: skip
    frames = []
    for packet in data.get("packets", []):
        if packet.get("pts_time") in (None, "N/A"):
            continue
        frames.append((float(packet["pts_time"]), "K" in packet.get("flags", "")))
    return frames


def keyframe_times_s(path: Path | str) -> list[float]:
    return [t for t, key in video_frame_times_s(path) if key]


def decoded_video_frames(path: Path | str) -> int:
    """How many video frames ffprobe actually decodes (a corrupt tail decodes fewer)."""
    data = ffprobe_json(
        path, "-select_streams", "v:0", "-count_frames", "-show_entries", "stream=nb_read_frames"
    )
    streams = data.get("streams", [])
    return int(streams[0].get("nb_read_frames", 0)) if streams else 0


def duration_s(path: Path | str) -> float:
    """Span of the video packets' timestamps plus one frame (works without an index)."""
    times = [t for t, _ in video_frame_times_s(path)]
    if not times:
        return 0.0
    frame_s = (max(times) - min(times)) / max(len(times) - 1, 1)
    return max(times) - min(times) + frame_s


def audio_rms_db(path: Path | str) -> float:
    """Overall RMS level of the first audio stream in dBFS (-inf for silence), via astats."""
    ffmpeg = find_program("ffmpeg", "ffmpeg")
    result = subprocess.run(
        [ffmpeg, "-nostdin", "-v", "info", "-i", str(path), "-map", "0:a:0",
         "-af", "astats=measure_perchannel=none", "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    matches = re.findall(r"RMS level dB:\s*(-?inf|-?[\d.]+)", result.stderr)
    if not matches:
        raise AssertionError(f"no audio level from ffmpeg for {path}: {result.stderr[-500:]}")
    value = matches[-1]
    return float("-inf") if "inf" in value else float(value)
