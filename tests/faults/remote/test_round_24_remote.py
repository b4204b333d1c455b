"""Round twenty-four of issue 10, the remote control (hunt24remote): ``anchordesk control``
against servers that are not AnchorDesk's remote, and the environment it runs in."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import sqlite3
import ssl
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from anchordesk.cli import control
from anchordesk.cli.main import main
from anchordesk.control.security import FailureLimiter
from anchordesk.control.server import ControlServer
from anchordesk.live.factory import build_live_show
from anchordesk.live.options import LiveOptions
from anchordesk.live.show import LiveShowPlan
from anchordesk.live.snapshot import SessionMode
from anchordesk.show.model import Product, Segment, Show

from ..remote_parts import TOKEN as REMOTE_TOKEN
from ..remote_parts import rehearsing, serving
from .test_round_19_remote import SMALL_SHOW

TOKEN = "a-token-of-24-characters"


@contextlib.contextmanager
def _trickling(head_first: bool) -> Iterator[str]:
    """A server that answers a byte or a header line every tenth of a second, for ever: a
    head that never ends, or a body of 100,000 bytes announced and sent a space at a time."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve(connection: socket.socket) -> None:
        with connection, contextlib.suppress(OSError):
            connection.recv(65536)
            if head_first:
                connection.sendall(b"HTTP/1.1 200 OK\r\n")
                piece = b"X-Slow: yes\r\n"
            else:
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
                piece = b" "
            while not stop.wait(0.1):
                connection.sendall(piece)

    def accept() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()


@pytest.mark.parametrize("head_first", [True, False], ids=["head", "body"])
def test_anchordesk_control_gives_up_on_an_answer_that_trickles_in_for_ever(
    head_first: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: httpx's timeout is for each read, and a server sending a byte every few seconds
    held `anchordesk control` (and the stream deck button that ran it) for good: killed by
    `timeout` after 40 s, the promised "no answer within 10 s" never said."""
    monkeypatch.setenv("ANCHORDESK_CONTROL_TOKEN", TOKEN)
    monkeypatch.setattr(control, "ANSWER_TIMEOUT_S", 0.5)
    codes: list[int] = []
    with _trickling(head_first) as url:
        worker = threading.Thread(
            target=lambda: codes.append(main(["control", "--url", url, "next_segment"])),
            daemon=True,
        )
        began = time.monotonic()
        worker.start()
        worker.join(20)
        took_s = time.monotonic() - began
    assert not worker.is_alive(), "anchordesk control still waiting after 20 s"
    assert codes == [1]
    assert capsys.readouterr().err.splitlines() == [
        f"error: anchordesk control: {url}: no answer within 0 s (is AnchorDesk running with "
        "the remote control on?)"
    ]
    assert took_s < 10  # (0.5 s given; the trickle would go on for hours)


def _request(connection: socket.socket) -> bytes:
    """A request read whole (its head, and the body its Content-Length announces): one left
    unread makes the close a reset, and the client loses the answer."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += connection.recv(65536) or b"\r\n\r\n"
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        body += connection.recv(65536) or b" " * length
    return data


@contextlib.contextmanager
def _answering(body: bytes, status: int = 200) -> Iterator[tuple[str, list[bytes]]]:
    """A server answering every request ``status`` with ``body``; the requests it got."""
    listener = socket.create_server(("127.0.0.1", 0))
    got: list[bytes] = []

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection, contextlib.suppress(OSError):
                got.append(_request(connection))
                connection.sendall(
                    f"HTTP/1.1 {status} Whatever\r\nContent-Type: application/json\r\n".encode()
                    + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                    + body
                )

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", got
    finally:
        listener.close()


def test_anchordesk_control_goes_straight_to_the_remote_whatever_proxy_the_environment_names(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: with http_proxy set (as VPN tools export it) the command, its token in the
    header, went to the proxy even for 127.0.0.1; with ALL_PROXY=socks5://… it ended in a
    traceback (httpx's "pip install httpx[socks]"), a mistyped one blamed --url."""
    monkeypatch.setenv("ANCHORDESK_CONTROL_TOKEN", TOKEN)
    with _answering(b"{}") as (proxy, proxied), _answering(b'{"ok": true}') as (url, got):
        for name, value in [
            ("http_proxy", proxy),
            ("HTTP_PROXY", proxy),
            ("ALL_PROXY", "socks5://127.0.0.1:7890"),
            ("HTTPS_PROXY", " http://proxy.example:3128"),
            ("NO_PROXY", "[::1]"),
        ]:
            monkeypatch.setenv(name, value)
            assert main(["control", "--url", url, "next_segment"]) == 0, name
            out, err = capsys.readouterr()
            assert (out, err) == ('{\n  "ok": true\n}\n', ""), name
            monkeypatch.delenv(name)
    assert proxied == [], "the proxy was sent the command and its token"
    assert len(got) == 5 and all(f"Bearer {TOKEN}".encode() in request for request in got)


def test_certificates_anchordesk_control_cannot_load_are_said_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: SSL_CERT_FILE naming a file that is gone (or is no certificate) ended
    `anchordesk control --url https://…` with a traceback (FileNotFoundError)."""
    monkeypatch.setenv("ANCHORDESK_CONTROL_TOKEN", TOKEN)
    (tmp_path / "not-a-certificate.pem").write_text("x\n")
    for path, reason in [
        (tmp_path / "gone.pem", "no such file or directory"),
        (tmp_path / "not-a-certificate.pem", "no certificate or crl found"),
    ]:
        monkeypatch.setenv("SSL_CERT_FILE", str(path))
        assert main(["control", "--url", "https://127.0.0.1:9", "state"]) == 2
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 1, err
        assert err[0].startswith(
            f"error: anchordesk control: the certificates cannot be loaded from '{path}' "
            "(SSL_CERT_FILE or SSL_CERT_DIR): "
        )
        assert reason in err[0] and err[0].endswith("; fix or unset it")


def test_anchordesk_control_prints_a_titles_override_as_the_report_does_escaped(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: `anchordesk control state` printed a show's right-to-left override, line and
    paragraph separators and isolates raw (the line after it read backwards in a terminal that
    does bidi), where `anchordesk report --json` of the same session wrote them as escapes."""
    title = "中文 L\u2028S \u2066iso \u202eevil\u202c \u2029 \u200f end"
    state = {"products": [{"sku": "RLO", "title": title, "price": "5.00"}], "emoji": "🏴\U000e0067"}
    body = json.dumps({"ok": True, "state": state}, ensure_ascii=False).encode()
    monkeypatch.setenv("ANCHORDESK_CONTROL_TOKEN", TOKEN)
    with _answering(body) as (url, _):
        assert main(["control", "--url", url, "state"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out) == state  # the same JSON
    raw = [char for char in out if char in "\u2028\u2029\u2066\u202e\u202c\u200f"]
    assert raw == [], raw
    assert "\\u202eevil\\u202c" in out and "中文" in out and "🏴" in out


def test_anchordesk_control_says_a_refusal_of_megabytes_in_one_short_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: a server (not AnchorDesk's remote) refusing with an "error" of 7 MB had it all
    printed as the one line on stderr."""
    body = json.dumps({"ok": False, "error": "A" * 7_000_000}).encode()
    monkeypatch.setenv("ANCHORDESK_CONTROL_TOKEN", TOKEN)
    with _answering(body, 409) as (url, _):
        monkeypatch.setattr(control, "ANSWER_TIMEOUT_S", 30.0)  # (7 MB on a loaded machine)
        assert main(["control", "--url", url, "next_segment"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and len(err[0]) < 400, len(err[0])
    assert err[0].startswith("error: anchordesk control next_segment: 409: AAAA")
    assert err[0].endswith("A…")


async def _restarted_with_a_body_coming(folder: Path, with_token: bool) -> tuple[float, int]:
    """The remote stopped (the window's "New token", another port, the remote off) while a
    client sends a command's body a byte at a time, and started again on the same port: how
    long it was not listening, and the new server's answer to the new token."""
    async with rehearsing(SMALL_SHOW, folder) as live:
        old = ControlServer(lambda: live, "the-old-token-of-24-chars", port=0)
        await old.start()
        new = ControlServer(lambda: live, "the-new-token-of-24-chars", port=old.port)
        _reader, writer = await asyncio.open_connection("127.0.0.1", old.port)
        token = b"Authorization: Bearer the-old-token-of-24-chars\r\n" if with_token else b""
        writer.write(
            b"POST /api/v1/commands HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + token
            + b'Content-Length: 100\r\n\r\n{"comm'
        )
        await writer.drain()
        await asyncio.sleep(0.2)  # (the request is in: its head read, its handler waiting)
        began = asyncio.get_running_loop().time()
        await old.stop()
        await new.start()
        off_s = asyncio.get_running_loop().time() - began
        try:
            answer = await _get_state(new.port, "the-new-token-of-24-chars")
        finally:
            writer.close()
            await new.stop()
        return off_s, answer


async def _get_state(port: int, token: str) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET /api/v1/state HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        "Connection: close\r\n\r\n".encode()
    )
    status = (await asyncio.wait_for(reader.read(), 30)).split(b" ", 2)[1]
    writer.close()
    return int(status)


@pytest.mark.parametrize("with_token", [True, False], ids=["its-token", "no-token"])
def test_a_body_sent_a_byte_at_a_time_never_holds_the_remote_off_when_it_restarts(
    with_token: bool, tmp_path: Path
) -> None:
    """Before: the stop waited for the request still coming in, aiohttp's shutdown allowing a
    minute: 14.5 s with a phone's half-sent command, 10 s with a stranger's (no token: aiohttp
    reads on after the 401), the remote not listening meanwhile (the window's "New token")."""
    off_s, status = asyncio.run(_restarted_with_a_body_coming(tmp_path, with_token))
    assert status == 200
    assert off_s < 5, f"the remote was off {off_s:.1f} s"  # (1 s now; 10-15 s before)


async def _deals_after_stop_deal(folder: Path) -> tuple[int, list[tuple[str, str]], list[Any]]:
    async with rehearsing(SMALL_SHOW, folder) as live, serving(lambda: live) as server:
        async with aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {REMOTE_TOKEN}"}
        ) as deck:
            for body in (
                {"command": "show_product", "sku": "MUG"},
                {"command": "start_deal", "sku": "LAMP", "price": "0.00", "seconds": 600},
                {"command": "start_deal", "sku": "MUG", "price": "9.00", "seconds": 600},
                {"command": "stop_deal"},
            ):
                async with deck.post(f"{server.url}api/v1/commands", json=body) as answer:
                    status = answer.status
            async with deck.get(f"{server.url}api/v1/state") as answer:
                state = await answer.json()
        assert live.session is not None
        path = live.session.path
    deals = [(deal["sku"], deal["state"]) for deal in state["deals"]]
    with contextlib.closing(sqlite3.connect(path)) as db:
        kept = [
            json.loads(data)["arguments"]
            for (data,) in db.execute("SELECT data FROM show_events WHERE kind = 'command'")
        ]
    return status, deals, kept


def test_stop_deal_without_a_sku_stops_every_live_deal_as_the_api_says(tmp_path: Path) -> None:
    """Before: `{"command": "stop_deal"}` (docs: "no sku: every live deal") stopped the deal
    of the product on air only: the $0.00 deal on the lamp stayed on air, live."""
    status, deals, kept = asyncio.run(_deals_after_stop_deal(tmp_path))
    assert status == 200
    assert sorted(deals) == [("LAMP", "ended"), ("MUG", "ended")]
    assert {"sku": "LAMP"} in kept and {"sku": "MUG"} in kept  # each kept as stopped


async def _kept_commands(folder: Path, bodies: list[dict[str, Any]]) -> list[Any]:
    async with rehearsing(SMALL_SHOW, folder) as live, serving(lambda: live) as server:
        async with aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {REMOTE_TOKEN}"}
        ) as deck:
            for body in bodies:
                async with deck.post(f"{server.url}api/v1/commands", json=body) as answer:
                    assert answer.status == 200, await answer.text()
        assert live.session is not None
        path = live.session.path
    with contextlib.closing(sqlite3.connect(path)) as db:
        return [
            json.loads(data)
            for (data,) in db.execute("SELECT data FROM show_events WHERE kind = 'command'")
        ]


def test_a_deal_at_no_price_is_kept_in_the_session_with_the_price_given(tmp_path: Path) -> None:
    """Before: a deal started at 0.00 (or -0, 0e5) was kept in the session's commands without
    its price, as if the plan's price had been asked for: who did what said another deal."""
    kept = asyncio.run(
        _kept_commands(
            tmp_path,
            [
                {"command": "start_deal", "sku": "LAMP", "price": "0.00", "seconds": 60},
                {"command": "start_deal", "sku": "MUG", "price": -0, "seconds": 60},
            ],
        )
    )
    assert [entry["arguments"] for entry in kept] == [
        {"sku": "LAMP", "price": "0.00", "seconds": 60},
        {"sku": "MUG", "price": "0", "seconds": 60},
    ]


async def _served_with_a_session_named_in_latin1(folder: Path) -> dict[str, Any]:
    """A session file whose name is not UTF-8 (named in GBK or Latin-1 on another system, then
    continued with --session): Python reads its bytes as lone surrogates."""
    options = LiveOptions(camera="test", microphone="none", canvas_width=320, canvas_height=180)
    plan = LiveShowPlan(
        show=SMALL_SHOW, sessions_dir=folder, first_session_path=folder / "caf\udce9.sqlite"
    )
    live = build_live_show(options, plan, switched=True)
    seen: dict[str, Any] = {}
    try:
        live.begin_session(SessionMode.REHEARSAL)
        async with (
            serving(lambda: live) as server,
            aiohttp.ClientSession(headers={"Authorization": f"Bearer {REMOTE_TOKEN}"}) as phone,
        ):
            async with phone.get(f"{server.url}api/v1/state") as answer:
                seen["state"] = answer.status, (await answer.read()).decode("utf-8")
            events = f"{server.url}api/v1/events?token={REMOTE_TOKEN}&changes=1"
            async with phone.ws_connect(events) as stream:
                first = await asyncio.wait_for(stream.receive(), 30)
                if first.type != aiohttp.WSMsgType.TEXT:  # (closed as it opened)
                    seen["stream"] = first.type, None
                    return seen
                seen["stream"] = first.type, json.loads(first.data)["session"]["id"]
                # The page sends the session it shows with each tap.
                tap = {"command": "next_segment", "session": seen["stream"][1]}
                async with phone.post(f"{server.url}api/v1/commands", json=tap) as answer:
                    seen["tap"] = answer.status
                second = await asyncio.wait_for(stream.receive(), 30)
                seen["stream_after"] = second.type
    finally:
        await live.close()
    return seen


def test_a_session_file_named_in_another_encoding_leaves_the_remote_working(
    tmp_path: Path,
) -> None:
    """Before: every state was a 500 with a traceback in the log ('surrogates not allowed'),
    and every phone's event stream was closed as it opened, for the whole show."""
    seen = asyncio.run(_served_with_a_session_named_in_latin1(tmp_path))
    status, text = seen["state"]
    assert seen["stream"] == (aiohttp.WSMsgType.TEXT, "caf\udce9")
    assert status == 200, text
    assert json.loads(text)["session"]["id"] == "caf\udce9"  # (JSON's escape: \udce9)
    assert seen["tap"] == 200  # the session sent back is the show's
    assert seen["stream_after"] == aiohttp.WSMsgType.TEXT


async def _locked_out_with_the_pass_in_a_second_cookie_field(folder: Path) -> list[int]:
    async with (
        rehearsing(SMALL_SHOW, folder) as live,
        serving(lambda: live, limiter=FailureLimiter(limit=3)) as server,
    ):

        async def get(*fields: str) -> tuple[int, bytes]:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            head = "GET /api/v1/state HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            writer.write((head + "".join(f"{field}\r\n" for field in fields) + "\r\n").encode())
            answer = await asyncio.wait_for(reader.read(), 30)
            writer.close()
            return int(answer.split(b" ", 2)[1]), answer

        right = f"Authorization: Bearer {REMOTE_TOKEN}"
        status, answer = await get(right)
        assert status == 200
        given = answer.split(b"Set-Cookie: ")[1].split(b";")[0].decode()  # anchordesk_pass=…
        for _ in range(3):  # another device behind the same address, yesterday's token
            await get("Authorization: Bearer yesterdays-token-of-24-chars")
        return [
            (await get(right, "Cookie: theme=dark", f"Cookie: {given}"))[0],
            (await get(right, f"Cookie: theme=dark; {given}"))[0],
            (await get(right, "Cookie: theme=dark"))[0],
        ]


def test_the_pass_in_a_second_cookie_field_still_gets_the_operator_through(
    tmp_path: Path,
) -> None:
    """Before: a client sending its cookies in two fields (HTTP/2 lets a client split them)
    was locked out with the right token and its pass: only the first field was read."""
    statuses = asyncio.run(_locked_out_with_the_pass_in_a_second_cookie_field(tmp_path))
    assert statuses == [200, 200, 429]


@contextlib.contextmanager
def _answering_over_tls(folder: Path) -> Iterator[tuple[int, Path]]:
    """A TLS server with a certificate of its own (stunnel or Caddy in front of the remote, as
    the docs suggest) answering `{"ok": true}`; its port and its certificate."""
    from servers import make_self_signed_certificate

    cert, key = make_self_signed_certificate(folder)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                plain, _ = listener.accept()
            except OSError:
                return
            with contextlib.suppress(OSError), context.wrap_socket(plain, server_side=True) as tls:
                _request(tls)
                body = b'{"ok": true}'
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\nConnection: close\r\n\r\n")
                tls.sendall(body)

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield listener.getsockname()[1], cert
    finally:
        listener.close()


def test_anchordesk_control_says_when_tls_is_why_it_cannot_connect(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: https:// for the remote's plain HTTP, and a TLS terminator whose certificate is
    not trusted, were both "nothing answers there (is AnchorDesk running…)", though something
    had answered; http:// for the terminator was "ReadError: " and nothing after it."""
    monkeypatch.setenv("ANCHORDESK_CONTROL_TOKEN", TOKEN)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    said = []

    async def https_for_the_remote() -> tuple[str, int]:
        async with rehearsing(SMALL_SHOW, tmp_path) as live, serving(lambda: live) as server:
            url = f"https://127.0.0.1:{server.port}"
            return url, await asyncio.to_thread(main, ["control", "--url", url, "state"])

    https, code = asyncio.run(https_for_the_remote())
    assert code == 1
    said.append(capsys.readouterr().err)
    with _answering_over_tls(tmp_path) as (port, cert):
        assert main(["control", "--url", f"https://localhost:{port}", "state"]) == 1
        said.append(capsys.readouterr().err)
        assert main(["control", "--url", f"http://127.0.0.1:{port}", "state"]) == 1
        said.append(capsys.readouterr().err)
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # as the message says: then it works
        assert main(["control", "--url", f"https://localhost:{port}", "state"]) == 0
        assert capsys.readouterr().out == '{\n  "ok": true\n}\n'
    # (The server's own log lines may come before or after it.)
    assert next(line for line in said[0].splitlines() if line.startswith("error:")) == (
        f"error: anchordesk control: {https}: no TLS there (wrong version number): is it "
        "http:// rather than https://?"
    )
    assert said[1] == (
        f"error: anchordesk control: https://localhost:{port}: its certificate is not trusted "
        "(self-signed certificate): name the authority that signed it with SSL_CERT_FILE\n"
    )
    head, _, rest = said[2].partition(f"http://127.0.0.1:{port}: ")
    assert head == "error: anchordesk control: " and rest.strip().split(": ", 1)[1:] != [""], rest


async def _tap_on_a_session_named(folder: Path, name: str) -> tuple[int, str]:
    options = LiveOptions(camera="test", microphone="none", canvas_width=320, canvas_height=180)
    plan = LiveShowPlan(
        show=SMALL_SHOW, sessions_dir=folder, first_session_path=folder / f"{name}.sqlite"
    )
    live = build_live_show(options, plan, switched=True)
    try:
        live.begin_session(SessionMode.REHEARSAL)
        async with (
            serving(lambda: live) as server,
            aiohttp.ClientSession(headers={"Authorization": f"Bearer {REMOTE_TOKEN}"}) as phone,
        ):
            async with phone.get(f"{server.url}api/v1/state") as answer:
                session = (await answer.json())["session"]["id"]
            assert session == name
            # The page sends the session it shows with each tap.
            tap = {"command": "next_segment", "session": session}
            async with phone.post(f"{server.url}api/v1/commands", json=tap) as answer:
                return answer.status, await answer.text()
    finally:
        await live.close()


@pytest.mark.parametrize(
    "name",
    ["rehearsal-" + "of-the-autumn-collection-" * 9, "   "],  # 235 characters; blank
    ids=["long", "blank"],
)
def test_a_session_with_a_long_or_blank_file_name_leaves_the_phones_taps_working(
    name: str, tmp_path: Path
) -> None:
    """Before: every tap of the phone was refused for the whole show, "未执行：next_segment:
    session is longer than 200 characters" (or "must be a non-empty string" for a session kept
    as "   .sqlite"): the session's id is its file's name (up to 255 bytes), checked as a SKU."""
    status, text = asyncio.run(_tap_on_a_session_named(tmp_path, name))
    assert status == 200, text


def test_a_wrong_address_in_the_environment_is_named_as_the_environments(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: ANCHORDESK_CONTROL_URL=127.0.0.1:8750 (no scheme) was refused as
    "anchordesk control --url '127.0.0.1:8750': …", an option the user never gave."""
    monkeypatch.setenv("ANCHORDESK_CONTROL_TOKEN", TOKEN)
    monkeypatch.setenv("ANCHORDESK_CONTROL_URL", "127.0.0.1:8750")
    assert main(["control", "state"]) == 2
    assert capsys.readouterr().err == (
        "error: anchordesk control ANCHORDESK_CONTROL_URL='127.0.0.1:8750': expected "
        "http://HOST:PORT\n"
    )
    assert main(["control", "--url", "127.0.0.1:9", "state"]) == 2  # --url wins, and is named
    assert "control --url '127.0.0.1:9': expected" in capsys.readouterr().err


SEPARATED = Show(
    "Separated",
    "USD",
    "en",
    (Product("MUG", "Mug", Decimal("12.00"), 50),),
    (Segment("Hello", 60, None), Segment("Wrap\u2028up \u2029now", 60, "MUG")),
)


async def _refused_at_the_last_segment(folder: Path) -> list[Any]:
    async with rehearsing(SEPARATED, folder) as live, serving(lambda: live) as server:
        said = []
        async with aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {REMOTE_TOKEN}"}
        ) as deck:
            for body in ({"command": "goto_segment", "index": 1}, {"command": "next_segment"}):
                async with deck.post(
                    f"{server.url}api/v1/commands",
                    json=body,
                    headers={"Accept-Language": "zh-CN", "Prefer": "return=minimal"},
                ) as answer:
                    said.append((answer.status, await answer.json()))
        return said


def test_a_refusal_naming_a_title_with_a_line_separator_is_said_whole(tmp_path: Path) -> None:
    """Before: the reason was cut at the title's U+2028 (the show's checks let it through):
    error "Wrap", message "「Wrap" on the phone ("未执行：「Wrap")."""
    said = asyncio.run(_refused_at_the_last_segment(tmp_path))
    assert said[0] == (200, {"ok": True})
    status, answer = said[1]
    assert status == 409
    assert answer["error"] == ("Wrap\u2028up \u2029now is the last segment: there is no next one")
    assert (
        answer["message"].startswith("「Wrap\u2028up \u2029now」") and "最后" in answer["message"]
    )
