"""The log file: written where the platform keeps logs, rotated, and never holding a secret,
whichever module logs it and however."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from anchordesk.core import logs


@pytest.fixture
def log_setup(tmp_path: Path) -> Iterator[logs.LogSetup]:
    setup = logs.setup_logging(stderr=None, log_dir=tmp_path, native_crashes=False)
    yield setup
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_anchordesk_handler", False)]:
        root.removeHandler(handler)
        handler.close()


def _log_text(setup: logs.LogSetup) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert setup.log_file is not None
    return setup.log_file.read_text(encoding="utf-8")


def test_the_log_file_is_in_the_user_log_folder(isolated_user_dirs: Path) -> None:
    setup = logs.setup_logging(stderr=None, native_crashes=False)
    assert setup.log_file is not None
    assert setup.log_file.is_relative_to(isolated_user_dirs / "state")
    logging.getLogger("anchordesk.test").info("hello from a test")
    assert "hello from a test" in _log_text(setup)
    assert setup.level == logging.INFO
    logging.getLogger("anchordesk.test").debug("not at info level")
    assert "not at info level" not in _log_text(setup)


def test_verbose_logs_debug(tmp_path: Path) -> None:
    setup = logs.setup_logging(verbose=True, stderr=None, log_dir=tmp_path, native_crashes=False)
    logging.getLogger("anchordesk.test").debug("a debug line")
    assert "a debug line" in _log_text(setup)
    logs.setup_logging(stderr=None, log_dir=tmp_path, native_crashes=False)


def test_a_stream_key_never_reaches_the_file_from_any_logger(log_setup: logs.LogSetup) -> None:
    logs.register_secret("registered-secret-9f8e7d")
    # A third-party module, an f-string, %-arguments, an exception text, a traceback.
    logging.getLogger("a.network.library").warning(
        "push to rtmp://a.rtmp.youtube.com/live2/abcd-efgh-ijkl"
    )
    logging.getLogger("some.library").warning("key=%s", "SUPERSECRETKEY1")
    logging.getLogger("anchordesk.x").error(
        "GET %s", "https://api.example.com/v1/chat?access_token=TOKEN123456&page=2"
    )
    logging.getLogger().info("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload")
    try:
        raise RuntimeError("cannot open rtmps://live.example.com/app/KEYINTRACEBACK")
    except RuntimeError:
        logging.getLogger("deep.module").exception("failed")
    logging.getLogger("anchordesk.y").info("the key is registered-secret-9f8e7d, see?")
    text = _log_text(log_setup)
    for secret in (
        "abcd-efgh-ijkl",
        "SUPERSECRETKEY1",
        "TOKEN123456",
        "eyJhbGciOiJIUzI1NiJ9",
        "KEYINTRACEBACK",
        "registered-secret-9f8e7d",
    ):
        assert secret not in text, secret
    assert "rtmp://a.rtmp.youtube.com/live2/****" in text
    assert "page=2" in text  # what is not secret stays readable
    assert "Traceback" in text and "RuntimeError" in text


def test_a_handler_added_by_a_library_gets_masked_records_too(
    log_setup: logs.LogSetup, tmp_path: Path
) -> None:
    # A library that adds its own handler to its own logger: the mask is applied when the
    # record is made, so this handler never sees the key either.
    own_file = tmp_path / "library.log"
    handler = logging.FileHandler(own_file, encoding="utf-8")
    library = logging.getLogger("library.with.handler")
    library.addHandler(handler)
    try:
        library.warning("url %s", "rtmp://host/app/LIBRARYKEY42")
    finally:
        library.removeHandler(handler)
        handler.close()
    assert "LIBRARYKEY42" not in own_file.read_text(encoding="utf-8")


def test_the_log_rotates_and_keeps_a_few_old_files(log_setup: logs.LogSetup) -> None:
    line = "x" * 1000
    for _ in range(logs.LOG_MAX_BYTES // 1000 + 50):
        logging.getLogger("anchordesk.flood").info(line)
    assert log_setup.log_file is not None
    folder = log_setup.log_file.parent
    assert (folder / f"{logs.LOG_FILE_NAME}.1").is_file()
    assert log_setup.log_file.stat().st_size <= logs.LOG_MAX_BYTES


def _run_python(code: str, env_home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_STATE_HOME": str(env_home)}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )


def test_a_native_crash_leaves_a_report_next_to_the_log(tmp_path: Path) -> None:
    code = (
        "from anchordesk.core import logs; s = logs.setup_logging(stderr=None); "
        "import faulthandler; faulthandler._sigsegv()"
    )
    result = _run_python(code, tmp_path)
    assert result.returncode != 0
    reports = list(tmp_path.rglob("crash-*.txt"))
    assert len(reports) == 1
    report = reports[0].read_text(encoding="utf-8")
    assert "Segmentation fault" in report and "<string>" in report
    assert reports[0].parent == next(tmp_path.rglob(logs.LOG_FILE_NAME)).parent


def test_a_clean_exit_leaves_no_crash_report(tmp_path: Path) -> None:
    result = _run_python("from anchordesk.core import logs; logs.setup_logging()", tmp_path)
    assert result.returncode == 0
    assert list(tmp_path.rglob(logs.LOG_FILE_NAME))
    assert not list(tmp_path.rglob("crash-*.txt"))


def test_an_uncaught_exception_is_in_the_log_without_its_secret(tmp_path: Path) -> None:
    code = (
        "from anchordesk.core import logs; logs.setup_logging(); logs.install_exception_hooks()\n"
        "raise ValueError('bad rtmp://h/app/UNCAUGHTKEY77')"
    )
    result = _run_python(code, tmp_path)
    assert result.returncode == 1
    text = next(tmp_path.rglob(logs.LOG_FILE_NAME)).read_text(encoding="utf-8")
    assert "uncaught exception" in text and "ValueError" in text
    assert "UNCAUGHTKEY77" not in text


def test_an_unwritable_log_folder_falls_back_to_stderr(tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    setup = logs.setup_logging(stderr=None, log_dir=blocked / "log", native_crashes=False)
    assert setup.log_file is None
    logs.setup_logging(stderr=None, log_dir=tmp_path, native_crashes=False)


def test_an_earlier_crash_is_said_once_in_words_then_not_before_every_command(
    tmp_path: Path,
) -> None:
    crashed = "from anchordesk.core import logs; logs.setup_logging(); import faulthandler; "
    assert _run_python(crashed + "faulthandler._sigsegv()", tmp_path).returncode != 0
    report = next(tmp_path.rglob("crash-*.txt"))

    first = _run_python("from anchordesk.core import logs; logs.setup_logging()", tmp_path)
    lines = [line for line in first.stderr.splitlines() if "crash" in line]
    assert len(lines) == 1
    assert "AnchorDesk crashed in an earlier run" in lines[0] and str(report) in lines[0]
    assert "WARNING" in lines[0] and "bug report" in lines[0]

    second = _run_python("from anchordesk.core import logs; logs.setup_logging()", tmp_path)
    assert "crash" not in second.stderr  # the same old crash is not news any more

    assert _run_python(crashed + "faulthandler._sigsegv()", tmp_path).returncode != 0
    third = _run_python("from anchordesk.core import logs; logs.setup_logging()", tmp_path)
    assert "AnchorDesk crashed in an earlier run" in third.stderr  # a new one is
