"""Round five of the hostile runs (issue 10): network outputs, disks, stopping and signals,
secrets hygiene. Each test reproduces one finding with real parts (a small tmpfs, a hostile
TCP server, stunnel, nginx-rtmp) and failed before its fix."""

from __future__ import annotations

import contextlib
import shutil
import socket
import threading
from pathlib import Path

import pytest
from packetgen import PacketGenerator
from servers import NginxRtmp, Stunnel, wait_until

from anchordesk.cli.main import main
from anchordesk.core.backoff import Backoff
from anchordesk.core.redact import mask_url, mask_urls
from anchordesk.media.network_output import NetworkOutput

from ..disk.test_disk_writers import stats_reporter
from ..disks import fill, tmpfs
from ..network_helpers import Feeder

integration = pytest.mark.integration


def test_stats_stopped_by_a_full_disk_never_truncate_a_file_its_name_now_leads_to(
    tmp_path: Path,
) -> None:
    """--stats on a disk that fills, its name replaced meanwhile by a link to another file
    (a clean-up, another program, or someone who may write that folder): the end of the
    stats cut the other file to the stats' size."""
    other = tmp_path / "someone-elses.txt"
    other.write_text("a line that is not ours\n" * 1000, encoding="utf-8")
    before = other.read_bytes()
    with tmpfs(tmp_path / "disk", 64) as disk:
        path = disk / "stats.jsonl"
        reporter, encoder = stats_reporter(path)
        try:
            reporter.sample()
            path.unlink()
            path.symlink_to(other)
            fill(disk)
            for _ in range(20):
                reporter.sample()
            reporter.close()
        finally:
            encoder.close()
        assert reporter.fault is not None and "is full" in reporter.fault
    assert other.read_bytes() == before


PASSWORD = "Pa55-w0rd-of-the-ingest"


@pytest.mark.parametrize(
    ("url", "hidden"),
    [
        # A password pasted with a character that ends the server's name: every parser read
        # its first part as a port and its rest as the path; both were printed.
        (f"rtmp://streamer:{PASSWORD[:4]}/{PASSWORD[4:]}@ingest.example/live/key", PASSWORD),
        (f"rtmp://streamer:{PASSWORD[:4]}#{PASSWORD[4:]}@ingest.example/live/key", PASSWORD),
        (f"rtmps://streamer:{PASSWORD[:4]}?{PASSWORD[4:]}@ingest.example:443/a/k", PASSWORD),
        (f"rtmp://{PASSWORD[:4]}/{PASSWORD[4:]}@ingest.example/live/key", PASSWORD),
        # A backslash for a slash: the whole "host\app\KEY" was taken for the server's name.
        ("rtmp://ingest.example\\live\\sk_live_51Round5KEYc0ffee", "Round5KEYc0ffee"),
    ],
)
def test_a_password_or_key_that_breaks_the_server_s_name_is_masked_and_refused(
    url: str, hidden: str, capsys: pytest.CaptureFixture[str]
) -> None:
    parts = [hidden[:4], hidden[4:]]
    for shown in (mask_url(url), mask_urls(f"pushing to {url} now")):
        assert not any(part in shown for part in parts), shown
        assert "ingest.example" in shown  # still says which server
    assert main(["live", "--camera", "test", "--mic", "test", "--to", url, "--seconds", "1"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert not any(part in err for part in parts), err
    assert "%2F" in err or "backslash" in err, err


def test_an_at_sign_in_a_key_or_a_feed_query_is_not_taken_for_user_info() -> None:
    assert mask_url("rtmp://ingest.example/live/k@y") == "rtmp://ingest.example/live/****"
    assert (
        mask_url("https://api.example.com/feed?email=a@b.com")
        == "https://api.example.com/feed?email=****"
    )


class HalfClosingProxy:
    """Forwards one connection to ``target_port``; once ``after_bytes`` of the stream went
    through, it closes its side towards the client in order (a FIN: what a server's orderly
    close sends) and forwards nothing more."""

    def __init__(self, target_port: int, after_bytes: int) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._server.getsockname()[1])
        self._target_port = target_port
        self._after_bytes = after_bytes
        self._sockets: list[socket.socket] = [self._server]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            client, _ = self._server.accept()
            upstream = socket.create_connection(("127.0.0.1", self._target_port))
            self._sockets += [client, upstream]
            closed = threading.Event()

            def answers() -> None:
                with contextlib.suppress(OSError):
                    while (data := upstream.recv(65536)) and not closed.is_set():
                        client.sendall(data)

            threading.Thread(target=answers, daemon=True).start()
            forwarded = 0
            while data := client.recv(65536):
                if forwarded < self._after_bytes:
                    upstream.sendall(data)
                    forwarded += len(data)
                elif not closed.is_set():
                    closed.set()
                    client.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()


@integration
def test_a_server_that_closes_its_side_in_order_is_said_in_words(nginx_rtmp: NginxRtmp) -> None:
    proxy = HalfClosingProxy(nginx_rtmp.port, after_bytes=200_000)
    generator = PacketGenerator(width=320, height=240, fps=30)
    output = NetworkOutput(
        f"rtmp://127.0.0.1:{proxy.port}/live/round5-key", backoff=Backoff(initial_delay_s=30.0)
    )
    output.start(generator.templates)
    try:
        with Feeder(output, generator):
            status = wait_until(
                lambda: (s := output.status()).last_error is not None and s, 30, what="a failure"
            )
        output.stop(timeout_s=2)
    finally:
        generator.close()
        proxy.close()
    # Before: "[Errno 541478725] End of file: 'rtmp://127.0.0.1:PORT/live/****'".
    assert status.last_error.startswith("the server closed the connection (end of file"), (
        status.last_error
    )
    assert "Errno" not in status.last_error and "rtmp://" not in status.last_error


def test_stats_deleted_with_their_folder_mid_run_are_written_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A clean-up removed the --stats folder while the run wrote it: every sample went into
    a file with no name, and the run ended with exit 0 and no figures anywhere."""
    path = tmp_path / "figures" / "stats.jsonl"
    path.parent.mkdir()
    reporter, encoder = stats_reporter(path)
    try:
        for _ in range(3):
            reporter.sample()
        shutil.rmtree(path.parent)
        for _ in range(2):
            reporter.sample()
        reporter.close()
    finally:
        encoder.close()
    assert reporter.fault is None
    assert len(path.read_text(encoding="utf-8").splitlines()) == 5
    said = [r.getMessage() for r in caplog.records if "was deleted" in r.getMessage()]
    assert said == [
        f"--stats {path} was deleted, or its disk went away, while being written: written again "
        f"into {path}; "
        "the samples go on"
    ]


class SwitchingProxy:
    """TCP on 127.0.0.1: the first connection goes to ``first_port``, every later one to
    ``later_port`` (someone between this machine and the ingest who lets one connection
    through and answers the next ones)."""

    def __init__(self, first_port: int, later_port: int) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._server.getsockname()[1])
        self._ports = (first_port, later_port)
        self.connections = 0
        self._sockets: list[socket.socket] = [self._server]
        threading.Thread(target=self._serve, daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = self._server.accept()
                self.connections += 1
                port = self._ports[0] if self.connections == 1 else self._ports[1]
                upstream = socket.create_connection(("127.0.0.1", port))
                self._sockets += [client, upstream]
                for source, target in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def close(self) -> None:
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()


@integration
def test_the_stream_key_goes_only_on_the_connection_whose_certificate_was_checked(
    tmp_path: Path, ffprobe: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: the child checked the certificate on a connection of its own, then FFmpeg
    connected again, unchecked: the second server, with a certificate nobody trusts, got the
    key and the stream while the run said "live"."""
    ingest, other = NginxRtmp(tmp_path / "ingest"), NginxRtmp(tmp_path / "other")
    trusted = Stunnel(tmp_path / "trusted", ingest.port)
    untrusted = Stunnel(tmp_path / "untrusted", other.port)
    monkeypatch.setenv("SSL_CERT_FILE", str(trusted.cert))  # the network child inherits it
    servers = (ingest, other, trusted, untrusted)
    proxy = None
    generator = PacketGenerator(width=320, height=240, fps=30)
    try:
        for server in servers:
            server.start()
        proxy = SwitchingProxy(trusted.port, untrusted.port)
        output = NetworkOutput(
            f"rtmps://127.0.0.1:{proxy.port}/live/round5-secret-key",
            backoff=Backoff(initial_delay_s=30.0),
        )
        output.start(generator.templates)
        with Feeder(output, generator):
            wait_until(
                lambda: output.status().state.value == "live" or output.status().last_error,
                30,
                what="live or a failure",
            )
            ingest.wait_for_recording(min_bytes=30_000)
        output.stop(timeout_s=5)
    finally:
        generator.close()
        if proxy is not None:
            proxy.close()
        for server in reversed(servers):
            server.stop()
    assert other.recordings() == []
    assert "round5-secret-key" not in other.error_log.read_text(errors="replace")
    assert proxy.connections == 1
    # What the server was told it was reached at is the address streamed to, not the relay's.
    assert f"tc_url='rtmps://127.0.0.1:{proxy.port}/live'" in ingest.error_log.read_text()


def test_a_scheme_named_in_a_sentence_is_left_as_written() -> None:
    # Before: the log said "(is this an RTMPS port? rtmps: needs the server's TLS port...)".
    hint = "is this an RTMPS port? rtmps:// needs the server's TLS port, often 443"
    assert mask_urls(hint) == hint
    assert (
        mask_urls("to rtmps://ingest.example/app/KEY12345.")
        == "to rtmps://ingest.example/app/****."
    )


@integration
def test_an_rtmps_server_that_breaks_off_the_rtmp_handshake_is_said_in_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Behind a TLS terminator, an RTMP server that reads the client's first bytes and
    closes (crashed, overloaded). Before: "[Errno 541478725] End of file"."""
    closer = socket.create_server(("127.0.0.1", 0))

    def close_after_c0c1() -> None:
        with contextlib.suppress(OSError):
            while True:
                connection, _ = closer.accept()
                with connection:
                    wanted = 1537
                    while wanted > 0 and (data := connection.recv(wanted)):
                        wanted -= len(data)

    threading.Thread(target=close_after_c0c1, daemon=True).start()
    tunnel = Stunnel(tmp_path / "tls", int(closer.getsockname()[1]))
    monkeypatch.setenv("SSL_CERT_FILE", str(tunnel.cert))
    generator = PacketGenerator(width=320, height=240, fps=30)
    try:
        tunnel.start()
        output = NetworkOutput(tunnel.url(key="round5-key"), backoff=Backoff(initial_delay_s=30.0))
        output.start(generator.templates)
        with Feeder(output, generator):
            status = wait_until(
                lambda: (s := output.status()).last_error is not None and s, 30, what="a failure"
            )
        output.stop(timeout_s=2)
    finally:
        generator.close()
        tunnel.stop()
        closer.close()
    assert status.last_error == "the server broke off the RTMP handshake"


def test_a_stream_key_from_the_environment_with_a_space_says_what_is_wrong(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: "the server and key do not make an rtmp://HOST/APP/<KEY> ... address", and
    # nothing about the space pasted into the key.
    monkeypatch.setenv("ANCHORDESK_STREAM_KEY", "live_abcd efgh1234")
    args = ["live", "--camera", "test", "--mic", "test", "--to", "rtmp://ingest.example/live"]
    assert main([*args, "--seconds", "1"]) == 2
    err = capsys.readouterr().err
    assert "ANCHORDESK_STREAM_KEY" in err and "holds a space" in err, err
    assert "abcd" not in err and "efgh1234" not in err


def _chunked(body: bytes, csid: int = 3) -> bytes:
    header = bytes([csid]) + bytes(3) + len(body).to_bytes(3, "big") + b"\x14" + bytes(4)
    parts = [body[start : start + 128] for start in range(0, len(body), 128)]
    return header + bytes([0xC0 | csid]).join(parts)


def test_the_relay_writes_back_the_real_address_however_the_connect_is_chunked() -> None:
    """FFmpeg's connect crosses RTMP's 128-byte chunks (its tcUrl did, in the captured one);
    the address written back may be much longer than the relay's."""
    from anchordesk.media.tls_relay import rewrite_tcurl

    def connect(tcurl: bytes) -> bytes:
        amf = b"\x02\x00\x07connect\x00?\xf0" + bytes(6) + b"\x03\x00\x03app\x02\x00\x04live"
        amf += b"\x00\x08flashVer\x02\x00\x24" + b"FMLE/3.0 (compatible; Lavf62.12.102)"
        return amf + b"\x00\x05tcUrl\x02" + len(tcurl).to_bytes(2, "big") + tcurl + b"\x00\x00\x09"

    relay, real = b"rtmp://127.0.0.1:36645", b"rtmps://live-api-s.facebook.com:443"
    after = b"\x02\x00\x00\x00\x00\x00\x04\x01\x00\x00\x00\x00\x00\x00\x10\x00"
    sent = _chunked(connect(relay + b"/live")) + after
    assert rewrite_tcurl(sent[:100], relay, real) is None  # not whole yet: wait for the rest
    assert rewrite_tcurl(sent, relay, real) == _chunked(connect(real + b"/live")) + after
    other = _chunked(b"\x02\x00\x0creleaseStream")
    assert rewrite_tcurl(other, relay, real) == other  # anything else goes through as it is


def test_a_key_behind_an_encoded_slash_is_masked() -> None:
    # Before: "rtmp://ingest.example/live%2FMYSTREAMKEYxyz" was printed as it is (one segment
    # that does not look like a key by itself).
    url = "rtmp://ingest.example/live%2FMYSTREAMKEYxyz"
    assert "MYSTREAMKEY" not in mask_url(url)
    assert "MYSTREAMKEY" not in mask_urls(f"to {url} now")
    assert mask_url("rtmp://ingest.example/live2") == "rtmp://ingest.example/live2"


def test_stats_deleted_mid_run_are_not_written_into_a_pipe_put_at_their_name(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Round seven (R7net, left): --stats deleted mid-run and a FIFO made at its name: the
    samples went into that pipe (a stranger's reader, or a run that hangs on a full pipe)."""
    import os

    path = tmp_path / "stats.jsonl"
    reporter, encoder = stats_reporter(path)
    try:
        for _ in range(2):
            reporter.sample()
        path.unlink()
        os.mkfifo(path)
        reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # someone reading that pipe
        try:
            for _ in range(2):
                reporter.sample()
            reporter.close()
            with contextlib.suppress(BlockingIOError):
                assert os.read(reader, 1 << 16) == b""  # nothing went into the pipe
        finally:
            os.close(reader)
    finally:
        encoder.close()
    numbered = tmp_path / "stats-2.jsonl"
    assert reporter.fault is None
    assert len(numbered.read_text(encoding="utf-8").splitlines()) == 4
    said = [r.getMessage() for r in caplog.records if "was deleted" in r.getMessage()]
    assert said == [
        f"--stats {path} was deleted, or its disk went away, while being written: written again "
        f"into {numbered} "
        "(under a new name, stats-2.jsonl); the samples go on"
    ]
