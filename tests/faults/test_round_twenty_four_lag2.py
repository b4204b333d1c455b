"""Round twenty-four of issue 10, the tail left by hunt24lag (R24hunt24lag2.md): the sound held
in the network child's FLV muxer while the picture is dropped for delay (R20hunt20net F2), and
the stall that made round twenty revert its fix.
"""

from __future__ import annotations

from anchordesk.media.network_watch import AcknowledgementWatch, SocketState


def closed(waiting: int, acknowledged: int) -> SocketState:
    """The child's socket as sock_diag showed it on a slow path: bytes waiting behind a zero
    window (a zero-window probe pending), the server's count of acknowledged bytes."""
    return SocketState(
        unacknowledged_bytes=waiting,
        window_closed=True,
        retransmissions=0,
        acknowledged_bytes=acknowledged,
        send_window_bytes=0,
    )


def test_a_slow_path_closed_at_every_look_from_the_first_is_not_said_to_have_stopped() -> None:
    # Measured (half-rate path into nginx-rtmp, a child 2.5 s late with the muxer's sound
    # flowing): the first look at the connection found 99 kB waiting behind a closed window,
    # and so did every look after it, while the path read 4 kB every 68 ms and the server
    # acknowledged 27.7 kB every half second. A stall that begins later is ended by what the
    # server reads; one that began at the first look had no look before it to count from:
    # it ran on until one look happened to catch the window open, and at 4 s the stream was
    # cut, "the server stopped taking the stream (nothing read for 4 s)" (round twenty: 2 runs
    # of 5, the fix of the held sound reverted for it).
    watch = AcknowledgementWatch()
    acknowledged, waiting, now_s = 25_291, 99_346, 3.856
    watch.update(closed(waiting, acknowledged), now_s)
    for look in range(1, 30):  # 7 s of looks, a quarter second apart
        now_s += 0.25
        if look % 2 == 0:
            acknowledged += 27_666
        waiting = max(30_000, waiting + 20_000 - 13_833)  # the sound keeps coming
        watch.update(closed(waiting, acknowledged), now_s)
        assert watch.stalled_for_s(now_s) < 1.0, (look, watch.stalled_for_s(now_s))


def test_a_server_stopped_from_the_first_look_is_still_seen() -> None:
    # Its window closed and nothing acknowledged: taking nothing, from the first look on.
    watch = AcknowledgementWatch()
    for look in range(18):
        watch.update(closed(99_346, 25_291), 10.0 + look * 0.25)
    assert watch.stalled_for_s(14.25) == 4.25
    # Stopped with its kernel still acknowledging (the window shrinks by as much): the same.
    buffering = AcknowledgementWatch()
    for look in range(18):
        state = SocketState(
            unacknowledged_bytes=50_000,
            window_closed=False,
            retransmissions=0,
            acknowledged_bytes=100_000 + look * 8_000,
            send_window_bytes=200_000 - look * 8_000,
        )
        buffering.update(state, 10.0 + look * 0.25)
    assert buffering.stalled_for_s(14.25) >= 4.0
