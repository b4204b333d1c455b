"""Stream keys and feed tokens, kept in the system keyring and nowhere else.

Settings files only hold *names* of secrets (``destination/<id>/stream_key``); the values live
under the keyring service ``anchordesk``. On a machine where no keyring backend works (a headless
Linux box without Secret Service, a locked or broken backend) the secret is kept in memory for
this run only, and the user is told so once: the stream still works, nothing is written to disk.

Keyring calls may block (a D-Bus round trip, an unlock prompt): call these functions from a
worker thread or in a dialog's accept, never per keystroke.

No function here logs or raises with a secret value in it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from enum import StrEnum
from typing import Final, TypeVar

import keyring
import keyring.backends.chainer
import keyring.backends.fail
import keyring.errors

SERVICE = "anchordesk"

#: How long a keyring call may take. A Secret Service answers in milliseconds; one that never
#: answers (a hung gnome-keyring, a bus that accepts and says nothing) held
#: `anchordesk live --feed …` for ever before its first line, deaf to SIGTERM: D-Bus calls
#: have no timeout of their own.
ANSWER_DEADLINE_S: Final = 10.0

log = logging.getLogger(__name__)

_T = TypeVar("_T")


class NoAnswer(keyring.errors.KeyringError):
    """The keyring did not answer in time, or a stop came first (str(): which, in words)."""


class NotText(ValueError):
    """A value no keyring can hold: it is not text (str(): why, in words, never the value)."""


def stream_key_name(destination_id: str) -> str:
    return f"destination/{destination_id}/stream_key"


def feed_token_name(feed_id: str) -> str:
    return f"feed/{feed_id}/token"


class KeyringProblem(StrEnum):
    """Why secrets are kept in memory only; a window words each one in the user's language."""

    NO_BACKEND = "no-backend"  # no keyring is installed (a headless Linux box, a bare container)
    UNAVAILABLE = "unavailable"  # a keyring exists but failed or refused (locked, D-Bus down)


class SecretStore:
    """The keyring under service ``anchordesk``, with an in-memory fallback for this run.

    ``persistent`` is False once a backend has failed; ``problem`` then says which kind of
    failure, and ``fallback_reason`` says it in one English line without any secret (for logs
    and the command line; never an exception's class name).
    """

    def __init__(self, service: str = SERVICE) -> None:
        self.service = service
        self._memory: dict[str, str] = {}
        self._lock = threading.Lock()
        self._fallback_reason: str | None = None
        self._problem: KeyringProblem | None = None
        self._listeners: list[Callable[[str], None]] = []
        self.deadline_s = ANSWER_DEADLINE_S
        self._give_up: Callable[[], bool] | None = None
        # Counts resets: a call that began before one (a D-Bus answer that came late, from a
        # keyring since fixed or replaced) must not turn the store to memory after it.
        self._generation = 0

    def give_up_when(self, stopping: Callable[[], bool] | None) -> None:
        """Stop waiting for the keyring as soon as ``stopping()`` is true (a run's stop
        request: a signal handler cannot interrupt a D-Bus call that waits in the C library).
        It must only read a flag: it is polled from the thread that waits."""
        self._give_up = stopping

    def _ask(self, call: Callable[..., _T], *args: str) -> _T:
        """``call(*args)`` on a thread of its own, waited for until it answers, the deadline
        passes or the run is asked to stop (``NoAnswer``; the call is left to itself)."""
        answer: list[_T] = []
        failure: list[BaseException] = []
        done = threading.Event()

        def work() -> None:
            try:
                answer.append(call(*args))
            except BaseException as error:  # handed to the caller as it was raised
                failure.append(error)
            finally:
                done.set()

        threading.Thread(target=work, name="keyring", daemon=True).start()
        deadline = time.monotonic() + self.deadline_s
        # Short slices: the stop's flag is read between them.
        while not done.wait(0.05):
            give_up = self._give_up
            if give_up is not None and give_up():
                raise NoAnswer("the system keyring had not answered when the run was stopped")
            if time.monotonic() >= deadline:
                raise NoAnswer(f"the system keyring did not answer within {self.deadline_s:g} s")
        if failure:
            raise failure[0]
        return answer[0]

    # -- state ----------------------------------------------------------------------------------

    @property
    def persistent(self) -> bool:
        return self._fallback_reason is None

    @property
    def fallback_reason(self) -> str | None:
        return self._fallback_reason

    @property
    def problem(self) -> KeyringProblem | None:
        return self._problem

    def probe(self) -> bool:
        """Find out, without touching any secret, whether a keyring backend is installed.

        The first key a user types must already be told the truth: a store that has never been
        asked anything still looks persistent. This looks at the configured backend only (no
        D-Bus call, no unlock prompt). Returns ``persistent`` afterwards.
        """
        if not self.persistent:
            return False
        generation = self._generation
        try:
            backend = self._ask(keyring.get_keyring)
        except Exception as error:  # a broken keyring configuration: no backend to use
            self._fall_back(error, generation)
            return False
        missing = isinstance(backend, keyring.backends.fail.Keyring) or (
            isinstance(backend, keyring.backends.chainer.ChainerBackend) and not backend.backends
        )
        if missing:
            self._fall_back(keyring.errors.NoKeyringError(), generation)
        return self.persistent

    def on_fallback(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(reason)`` once when the store falls back to memory (or now if it has)."""
        with self._lock:
            reason = self._fallback_reason
            if reason is None:
                self._listeners.append(listener)
        if reason is not None:
            listener(reason)

    def reset(self) -> None:
        """Forget the fallback and memory (tests, or after the user fixed their keyring)."""
        with self._lock:
            self._memory.clear()
            self._fallback_reason = None
            self._problem = None
            self._generation += 1

    def _fall_back(self, error: BaseException, generation: int) -> None:
        # The exception text of a backend never carries the password, but keep it short anyway.
        # Only the first sentence: backends append install advice the user cannot act on here.
        first_line = str(error).splitlines()[0] if str(error) else ""
        first_sentence = first_line.split(". ")[0].rstrip(".")
        if isinstance(error, keyring.errors.NoKeyringError):
            problem = KeyringProblem.NO_BACKEND
            reason = "no system keyring is installed"
        elif isinstance(error, NoAnswer):
            problem = KeyringProblem.UNAVAILABLE
            reason = str(error)
        else:
            problem = KeyringProblem.UNAVAILABLE
            detail = f" ({first_sentence})" if first_sentence else ""
            reason = f"the system keyring failed{detail}"
        with self._lock:
            if self._fallback_reason is not None or generation != self._generation:
                return
            self._fallback_reason = reason
            self._problem = problem
            listeners = list(self._listeners)
            self._listeners.clear()
        log.warning("Stream keys and tokens are kept for this run only: %s", reason)
        for listener in listeners:
            listener(reason)

    # -- operations -----------------------------------------------------------------------------

    def get(self, name: str) -> str | None:
        generation = self._generation
        if self.persistent:
            try:
                value = self._ask(keyring.get_password, self.service, name)
            except (keyring.errors.KeyringError, RuntimeError, OSError) as error:
                self._fall_back(error, generation)
            else:
                with self._lock:
                    # A secret set during a fallback period stays visible for this run.
                    return value if value is not None else self._memory.get(name)
        with self._lock:
            return self._memory.get(name)

    def set(self, name: str, value: str) -> None:
        """Store ``value``; an empty value deletes the secret. ``NotText`` when ``value``
        cannot be stored anywhere (no keyring is failed for it)."""
        if not value:
            self.delete(name)
            return
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            # A lone surrogate (JSON's "\ud800", a byte that was not UTF-8): a keyring stores
            # UTF-8, and its UnicodeEncodeError ended `anchordesk live` and the window with a
            # traceback when the settings loader moved such a feed token. No server takes it
            # either: the value is refused, whichever keyring (or none) is here.
            raise NotText("it holds a character that is not text (a lone surrogate)") from None
        generation = self._generation
        if self.persistent:
            try:
                self._ask(keyring.set_password, self.service, name, value)
            except (keyring.errors.KeyringError, RuntimeError, OSError) as error:
                self._fall_back(error, generation)
            else:
                with self._lock:
                    self._memory.pop(name, None)
                return
        with self._lock:
            self._memory[name] = value

    def delete(self, name: str) -> None:
        with self._lock:
            self._memory.pop(name, None)
        if not self.persistent:
            return
        generation = self._generation
        try:
            self._ask(keyring.delete_password, self.service, name)
        except keyring.errors.PasswordDeleteError:
            pass  # nothing stored under that name: already deleted
        except (keyring.errors.KeyringError, RuntimeError, OSError) as error:
            self._fall_back(error, generation)

    def secret_values(self) -> list[str]:
        """Values held in memory, for ``redact.mask_secrets`` on messages built this run."""
        with self._lock:
            return list(self._memory.values())


_store = SecretStore()


def store() -> SecretStore:
    """The process-wide secret store."""
    return _store


def get_secret(name: str) -> str | None:
    return _store.get(name)


def set_secret(name: str, value: str) -> None:
    _store.set(name, value)


def delete_secret(name: str) -> None:
    _store.delete(name)


def keyring_available() -> bool:
    """False once a keyring call failed this run (the secrets then live in memory only)."""
    return _store.persistent


def fallback_reason() -> str | None:
    return _store.fallback_reason
