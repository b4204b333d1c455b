"""What the rtmps connection says when the server's TLS goes wrong: the user's words, not
Python's ("_ssl.c:989: The handshake operation timed out" before; round seven, R7net left)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from anchordesk.media.tls_relay import Refused, open_checked


@pytest.fixture
def silent_server() -> Iterator[tuple[socket.socket, list[socket.socket]]]:
    """Accepts connections on the loopback and answers nothing (a hung TLS front)."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            held.append(connection)

    threading.Thread(target=accept, daemon=True).start()
    yield listener, held
    listener.close()
    for connection in held:
        connection.close()


def test_a_server_that_never_answers_the_handshake_is_said_in_words(
    silent_server: tuple[socket.socket, list[socket.socket]],
) -> None:
    port = silent_server[0].getsockname()[1]
    with pytest.raises(Refused) as refused:
        open_checked("127.0.0.1", port, 0.3)
    assert str(refused.value) == (
        f"the server at 127.0.0.1:{port} did not answer the TLS handshake within 0.3 s"
    )


def test_a_server_that_does_not_speak_tls_is_said_without_pythons_source_line() -> None:
    listener = socket.create_server(("127.0.0.1", 0))

    def answer_in_plain_text() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(4096)
            connection.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")

    thread = threading.Thread(target=answer_in_plain_text, daemon=True)
    thread.start()
    try:
        with pytest.raises(Refused) as refused:
            open_checked("127.0.0.1", listener.getsockname()[1], 5.0)
    finally:
        thread.join(5)
        listener.close()
    message = str(refused.value)
    assert message.startswith("the TLS handshake failed: "), message
    assert "_ssl.c" not in message
