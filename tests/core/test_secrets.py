"""Stream keys live in the keyring; without a working keyring they live in memory, said once."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import keyring
import keyring.backends.fail
import keyring.errors
import pytest
from keyring.backend import KeyringBackend

from anchordesk.core import secrets


@pytest.fixture(autouse=True)
def fresh_store() -> Iterator[None]:
    secrets.store().reset()
    yield
    secrets.store().reset()


class BrokenKeyring(KeyringBackend):
    """A backend that fails like a locked or unreachable Secret Service."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.calls += 1
        raise keyring.errors.KeyringError("org.freedesktop.DBus.Error.ServiceUnknown")

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls += 1
        raise keyring.errors.PasswordSetError("Secret Service is locked")

    def delete_password(self, service: str, username: str) -> None:
        self.calls += 1
        raise keyring.errors.KeyringError("Secret Service is locked")


def test_secret_goes_to_the_keyring_under_the_anchordesk_service(
    memory_keyring: Any,
) -> None:
    name = secrets.stream_key_name("yt-main")
    secrets.set_secret(name, "abcd-efgh-ijkl-mnop")
    assert memory_keyring.passwords == {("anchordesk", name): "abcd-efgh-ijkl-mnop"}
    assert secrets.get_secret(name) == "abcd-efgh-ijkl-mnop"
    assert secrets.keyring_available()

    secrets.set_secret(name, "")  # clearing the field deletes the key
    assert memory_keyring.passwords == {}
    assert secrets.get_secret(name) is None


def test_without_a_keyring_the_secret_lives_for_this_run_and_the_user_is_told_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())  # what a headless machine has
    told: list[str] = []
    secrets.store().on_fallback(told.append)
    try:
        with caplog.at_level(logging.WARNING):
            secrets.set_secret("feed/shop/token", "shpat_0123456789abcdef")
            secrets.set_secret("destination/d1/stream_key", "live_999_secretkey")
            assert secrets.get_secret("feed/shop/token") == "shpat_0123456789abcdef"
            secrets.delete_secret("feed/shop/token")
            assert secrets.get_secret("feed/shop/token") is None
    finally:
        keyring.set_keyring(previous)

    assert not secrets.keyring_available()
    assert told == ["no system keyring is installed"]  # words, never an exception's class name
    assert secrets.store().problem is secrets.KeyringProblem.NO_BACKEND
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "this run only" in warnings[0].getMessage()
    assert "shpat_" not in caplog.text and "secretkey" not in caplog.text


def test_a_failing_backend_falls_back_without_retrying_it_on_every_call() -> None:
    previous = keyring.get_keyring()
    broken = BrokenKeyring()
    keyring.set_keyring(broken)
    try:
        secrets.set_secret("destination/d1/stream_key", "k-123456")
        calls_after_failure = broken.calls
        assert secrets.get_secret("destination/d1/stream_key") == "k-123456"
        secrets.set_secret("destination/d2/stream_key", "k-654321")
    finally:
        keyring.set_keyring(previous)
    assert calls_after_failure == 1 and broken.calls == 1
    assert "locked" in (secrets.fallback_reason() or "")
    assert sorted(secrets.store().secret_values()) == ["k-123456", "k-654321"]


def test_a_missing_keyring_is_known_before_the_first_key_is_stored(memory_keyring: Any) -> None:
    assert secrets.store().probe()  # a working backend: nothing is asked, nothing changes
    assert memory_keyring.passwords == {}
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        assert not secrets.store().probe()
    finally:
        keyring.set_keyring(previous)
        problem = secrets.store().problem
        secrets.store().reset()
    assert problem is secrets.KeyringProblem.NO_BACKEND


class _LateFailingKeyring(BrokenKeyring):
    """A Secret Service that answers a call only when told, and then with a failure."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = threading.Event()
        self.answer = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        self.asked.set()
        self.answer.wait(10)
        return super().get_password(service, username)


def test_a_failure_that_answers_after_a_reset_does_not_turn_the_store_to_memory(
    memory_keyring: Any,
) -> None:
    """A call to a keyring that failed late (a D-Bus answer that took its time) turned the
    store to memory after it had been reset and a working keyring put in place: the next
    secret saved went to memory for the rest of the run, not to the keyring (seen in the
    lowest-versions CI job, where a test's stale lookup failed during the next test)."""
    late = _LateFailingKeyring()
    keyring.set_keyring(late)
    store = secrets.store()
    asking = threading.Thread(target=store.get, args=("feed/old/token",))
    asking.start()
    assert late.asked.wait(10)
    store.reset()  # the keyring fixed, or replaced
    keyring.set_keyring(memory_keyring)
    late.answer.set()
    asking.join(10)
    assert store.persistent
    secrets.set_secret("feed/f1/token", "tok-123")
    assert memory_keyring.passwords == {("anchordesk", "feed/f1/token"): "tok-123"}
