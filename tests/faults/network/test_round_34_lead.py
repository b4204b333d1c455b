"""Round thirty-four (lead): a network child's end said by its exit status, not by the moment
its output closed."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

from anchordesk.media.network_output import NetworkOutput

# A child that closes its output, then is killed from outside half a second later: the gap
# between the end of its stdout and its exit status, which a loaded machine stretches.
_CLOSES_THEN_KILLED = (
    "import os, signal, time; os.close(1); time.sleep(0.5); os.kill(os.getpid(), signal.SIGKILL)"
)


def test_a_child_killed_just_after_its_output_closed_is_said_killed() -> None:
    """Before: the reason was read the moment the child's stdout ended; its exit status was
    not there yet, and a child killed from outside was said "the server closed the
    connection" (round 29's test failed so in CI under load). Now its exit is waited for."""
    process = subprocess.Popen([sys.executable, "-c", _CLOSES_THEN_KILLED], stdout=subprocess.PIPE)
    try:
        assert process.stdout is not None
        assert process.stdout.read() == b""  # its output ended: the supervisor looks now
        said = NetworkOutput._exit_reason(SimpleNamespace(process=process))  # type: ignore[arg-type]
    finally:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()
    assert str(said) == (
        "the network process was ended by the signal SIGKILL (killed from outside)"
    )
