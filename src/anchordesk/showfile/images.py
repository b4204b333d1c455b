"""The pictures a show names (product images, the logo): are they there, whole and shareable?

Checked here, in the I/O layer, not in `anchordesk.show.validate`: only regular files are
opened (a FIFO named as an image would block the check forever; a device would be read
without end), their size is bounded, and each is actually decoded — a PNG header followed by
garbage would otherwise pass and leave the card empty on air. A path that leaves the show's
folder works on this computer but not for someone the show folder is given to, hence a warning.
"""

from __future__ import annotations

import os
import re
import stat
import struct
import threading
from pathlib import Path

from anchordesk.core.printable import escape_controls
from anchordesk.core.redact import mask_url
from anchordesk.core.words import QT_TRANSLATE_NOOP, Words
from anchordesk.show.model import Show
from anchordesk.show.validate import MAX_PATH_CHARS, Problem, Severity, product_subject

_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")

MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
"""Below Qt's 256 MB image allocation limit (4 bytes a pixel), so what passes here is drawn."""

_MAGIC_NUMBERS: tuple[tuple[bytes, int], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0),
    (b"\xff\xd8\xff", 0),
    (b"WEBP", 8),
    (b"BM", 0),
)


# What a file is when it is not a regular one, and what a message calls the files it reads.
A_FOLDER = Words(QT_TRANSLATE_NOOP("ShowProblems", "a folder"))
A_NAMED_PIPE = Words(QT_TRANSLATE_NOOP("ShowProblems", "a named pipe (FIFO)"))
A_SOCKET = Words(QT_TRANSLATE_NOOP("ShowProblems", "a socket"))
A_DEVICE = Words(QT_TRANSLATE_NOOP("ShowProblems", "a device"))
NOT_A_REGULAR_FILE = Words(QT_TRANSLATE_NOOP("ShowProblems", "not a regular file"))
AN_IMAGE_FILE = Words(QT_TRANSLATE_NOOP("ShowProblems", "an image file"))
_IMAGE = Words(QT_TRANSLATE_NOOP("ShowProblems", "image"))
_LOGO = Words(QT_TRANSLATE_NOOP("ShowProblems", "logo"))


def no_such_file(path: Path) -> Words:
    return Words(QT_TRANSLATE_NOOP("ShowProblems", "no such file: {path}"), path=str(path))


def cannot_read(path: Path, error: OSError) -> Words:
    """The system's reason is kept as it says it (its words are not ours to translate)."""
    return Words(
        QT_TRANSLATE_NOOP("ShowProblems", "cannot read {path}: {reason}"),
        path=str(path),
        reason=error.strerror or str(error),
    )


def not_a_file_of_its_kind(path: Path, kind: Words | None, wanted: Words) -> Words:
    """Why a path cannot be read as ``wanted``: "/dev/zero is a device, not a show file";
    without a kind (what was opened was swapped for something else): "… is not a regular
    file"."""
    if kind is None or kind == NOT_A_REGULAR_FILE:
        return Words(
            QT_TRANSLATE_NOOP("ShowProblems", "{path} is not a regular file"), path=str(path)
        )
    return Words(
        QT_TRANSLATE_NOOP("ShowProblems", "{path} is {kind}, not {wanted}"),
        path=str(path),
        kind=kind,
        wanted=wanted,
    )


def image_problems(show: Show) -> list[Problem]:
    """Problems with the logo and the product images of `show` (paths from `show.base_dir`)."""
    problems: list[Problem] = []
    if show.theme.logo:
        problems += _check(show, show.theme.logo, "$.theme.logo", _LOGO, None)
    for index, product in enumerate(show.products):
        if product.image:
            subject = product_subject(product.sku, product.title)
            problems += _check(show, product.image, f"$.products[{index}].image", _IMAGE, subject)
    return problems


_WEB_ADDRESS = re.compile(r"(?i)[a-z][a-z0-9+.-]*://")


def is_web_address(image: str) -> bool:
    """``https://shop/x.png`` and the like: said as such, never read as a path (a path would
    fold its ``//`` and look for ``https:/shop/x.png`` beside the show)."""
    return _WEB_ADDRESS.match(image.lstrip()) is not None


def _check(
    show: Show, relative: str, path: str, what: Words, subject: Words | None
) -> list[Problem]:
    problems: list[Problem] = []

    def error(message: Words) -> list[Problem]:
        problems.append(Problem(path, message, subject=subject))
        return problems

    resolved = show.resolve(relative)
    if resolved is None or len(relative) > MAX_PATH_CHARS or _CONTROLS.search(relative):
        return problems  # the rules of texts report such a path (anchordesk.show.validate)
    name = escape_controls(relative)
    if is_web_address(relative):
        # "https://shop/x.png" was "file not found (looked for …/https:/shop/x.png)". Said
        # masked by the one rule: a shop's export gives signed addresses (?X-Amz-Signature=…,
        # user:password@), and the check printed them in the clear.
        masked, scheme = mask_url(relative), relative.partition(":")[0]
        if masked.startswith(scheme.lower() + ":"):  # its scheme as written ("HTTPS://")
            masked = scheme + masked[len(scheme) :]
        name = escape_controls(masked)
        return error(
            Words(
                QT_TRANSLATE_NOOP(
                    "ShowProblems",
                    "the {what} {name} is a web address: a show's pictures are files (save it "
                    "next to the show file and give its name)",
                ),
                what=what,
                name=name,
            )
        )
    if show.base_dir is not None:
        folder = Path(os.path.abspath(show.base_dir))
        target = Path(os.path.normpath(folder / relative))
        if not target.is_relative_to(folder):
            problems.append(
                Problem(
                    path,
                    Words(
                        QT_TRANSLATE_NOOP(
                            "ShowProblems",
                            "the {what} {name} is outside the show's folder ({folder}): a copy "
                            "of the folder given to someone else would lack it",
                        ),
                        what=what,
                        name=name,
                        folder=escape_controls(str(folder)),
                    ),
                    Severity.WARNING,
                    subject=subject,
                )
            )
    where: Words | str = (
        Words(
            QT_TRANSLATE_NOOP("ShowProblems", "{name} (looked for {resolved})"),
            name=name,
            resolved=escape_controls(str(resolved)),
        )
        if show.base_dir
        else name
    )
    try:
        info = os.stat(resolved)
    except (FileNotFoundError, NotADirectoryError):
        return error(
            Words(
                QT_TRANSLATE_NOOP("ShowProblems", "{what} file not found: {where}"),
                what=what,
                where=where,
            )
        )
    except ValueError:  # a NUL in the show's folder
        return error(
            Words(
                QT_TRANSLATE_NOOP("ShowProblems", "{what} path {name} is not a valid path"),
                what=what,
                name=name,
            )
        )
    except OSError as error_:
        return error(_unreadable(what, where, error_))
    kind = _not_regular(info.st_mode)
    if kind == NOT_A_REGULAR_FILE:
        return error(_not_regular_image(what, name))
    if kind is not None:
        return error(_is_not(what, name, kind, AN_IMAGE_FILE))
    if info.st_size > MAX_IMAGE_BYTES:
        return error(
            Words(
                QT_TRANSLATE_NOOP(
                    "ShowProblems", "{what} {name} is {size} MB; an image is at most {limit} MB"
                ),
                what=what,
                name=name,
                size=info.st_size // 1_048_576,
                limit=MAX_IMAGE_BYTES // 1_048_576,
            )
        )
    # What the file holds is judged once per version of the file (its decoding is most of a
    # check's time): the show editor checks the whole show as you type, on the window's thread,
    # and decoded every picture again at every pause (twenty 40-megapixel pictures: 9 s
    # without a key press answered, while live).
    key = (
        os.fspath(resolved),
        info.st_dev,
        info.st_ino,
        info.st_size,
        info.st_mtime_ns,
        info.st_ctime_ns,
    )
    with _VERDICTS_LOCK:
        verdict = _VERDICTS.get(key, _UNJUDGED)
    if verdict is _UNJUDGED:
        try:
            data = _read_regular_file(resolved)
        except OSError as error_:
            return error(_unreadable(what, where, error_))
        if data is None:
            return error(_not_regular_image(what, name))
        verdict = _content_verdict(data)
        with _VERDICTS_LOCK:
            if len(_VERDICTS) >= _MAX_VERDICTS:
                _VERDICTS.clear()
            _VERDICTS[key] = verdict
    if verdict is None:
        return problems
    assert isinstance(verdict, tuple)
    return error(_content_words(verdict, what, name, relative))


# A file's content judged (see _check): None when it is a whole picture, else why not.
_Verdict = tuple[str, int, int] | None
_UNJUDGED: object = object()
_VERDICTS: dict[tuple[str, int, int, int, int, int], _Verdict] = {}
_VERDICTS_LOCK = threading.Lock()
_MAX_VERDICTS = 40_000  # two pictures for each of a show's 10,000 products, twice over


def _content_verdict(data: bytes) -> _Verdict:
    if not any(data[offset : offset + len(magic)] == magic for magic, offset in _MAGIC_NUMBERS):
        return ("not_an_image" if data else "empty", 0, 0)
    size = image_size(data)
    if size is not None and size[0] * size[1] > MAX_IMAGE_PIXELS:
        return ("too_many_pixels", size[0], size[1])
    # A header of no pixels is a damaged file: said without the decoder, whose library
    # (libpng) printed its own three lines to the terminal beside ours (R8in N3). So is one
    # whose size cannot be read: the decoder would allocate what the file claims unbounded.
    if size is None or 0 in size or not _decodes(data):
        return ("damaged", 0, 0)
    return None


def _content_words(verdict: tuple[str, int, int], what: Words, name: str, relative: str) -> Words:
    kind, width, height = verdict
    if kind == "empty":
        return Words(
            QT_TRANSLATE_NOOP("ShowProblems", "{what} {name} is an empty file"),
            what=what,
            name=name,
        )
    if kind == "not_an_image":
        suffix = Path(relative).suffix.lower()
        if not suffix:
            # "… image ()": a name without a suffix (/etc/hostname, "mug") showed empty marks.
            return Words(
                QT_TRANSLATE_NOOP(
                    "ShowProblems", "{what} {name} is not a PNG, JPEG, WebP or BMP image"
                ),
                what=what,
                name=name,
            )
        return Words(
            QT_TRANSLATE_NOOP(
                "ShowProblems", "{what} {name} is not a PNG, JPEG, WebP or BMP image ({suffix})"
            ),
            what=what,
            name=name,
            suffix=escape_controls(suffix),
        )
    if kind == "too_many_pixels":
        return Words(
            QT_TRANSLATE_NOOP(
                "ShowProblems",
                "{what} {name} is {width}×{height} pixels; an image has at most {limit} million",
            ),
            what=what,
            name=name,
            width=width,
            height=height,
            limit=MAX_IMAGE_PIXELS // 1_000_000,
        )
    return Words(
        QT_TRANSLATE_NOOP(
            "ShowProblems", "{what} {name} cannot be decoded: the file is damaged or incomplete"
        ),
        what=what,
        name=name,
    )


def _unreadable(what: Words, where: Words | str, error: OSError) -> Words:
    return Words(
        QT_TRANSLATE_NOOP("ShowProblems", "{what} file cannot be read: {where}: {reason}"),
        what=what,
        where=where,
        reason=error.strerror or str(error),
    )


def _not_regular_image(what: Words, name: str) -> Words:
    return Words(
        QT_TRANSLATE_NOOP("ShowProblems", "{what} {name} is not a regular file"),
        what=what,
        name=name,
    )


def _is_not(what: Words, name: str, kind: Words, wanted: Words) -> Words:
    return Words(
        QT_TRANSLATE_NOOP("ShowProblems", "{what} {name} is {kind}, not {wanted}"),
        what=what,
        name=name,
        kind=kind,
        wanted=wanted,
    )


def _not_regular(mode: int) -> Words | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return A_FOLDER
    if stat.S_ISFIFO(mode):
        return A_NAMED_PIPE
    if stat.S_ISSOCK(mode):
        return A_SOCKET
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return A_DEVICE
    return NOT_A_REGULAR_FILE


def _read_regular_file(path: Path) -> bytes | None:
    return read_regular_file(path, MAX_IMAGE_BYTES)


def not_a_regular_file(path: Path) -> Words | None:
    """What ``path`` is when it is not a regular file ("a named pipe (FIFO)", "a device"...),
    None when it is one. Raises OSError as ``os.stat`` does."""
    return _not_regular(os.stat(path).st_mode)


def read_regular_file(path: Path, max_bytes: int) -> bytes | None:
    """At most ``max_bytes + 1`` bytes of the file (one more tells it is too long); None when
    what is opened is not a regular file (a FIFO, /dev/zero, or swapped in after a stat).

    O_NONBLOCK: opening a FIFO does not wait for a writer (a blocked open is deaf to SIGTERM
    once ``anchordesk live`` has taken the signal).
    """
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(descriptor, "rb") as file:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        return file.read(max_bytes + 1)


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG, BMP, WebP or JPEG header, without decoding the pixels.

    So that a small file declaring 60,000 × 60,000 pixels is refused before a decoder
    allocates gigabytes for it. None when the header does not say.
    """
    try:
        if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
            width, height = struct.unpack(">II", data[16:24])
            return width, height
        if data.startswith(b"BM"):
            width, height = struct.unpack("<ii", data[18:26])
            return abs(width), abs(height)
        if data[8:12] == b"WEBP":
            return _webp_size(data)
        if data.startswith(b"\xff\xd8"):
            return _jpeg_size(data)
    except struct.error:
        return None
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X":
        width = 1 + int.from_bytes(data[24:27], "little")
        height = 1 + int.from_bytes(data[27:30], "little")
        return width, height
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    return None


_JPEG_FRAMES = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    index = 2
    while index + 9 <= len(data):
        if data[index] != 0xFF:
            # Bytes between segments are skipped up to the next marker, as libjpeg does
            # ("extraneous bytes before marker"): stopping here left the size unknown, and
            # the decoder then read a frame of 30,000 × 30,000 from a 632-byte file (5.3 GB).
            index = data.find(b"\xff", index)
            if index < 0:
                return None
            continue
        marker = data[index + 1]
        if marker == 0xFF:  # fill byte
            index += 1
            continue
        if marker in _JPEG_FRAMES:
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return width, height
        if marker == 0x01 or 0xD0 <= marker <= 0xD9:
            index += 2
            continue
        (length,) = struct.unpack(">H", data[index + 2 : index + 4])
        index += 2 + length
    return None


def _decodes(data: bytes) -> bool:
    """True when OpenCV (already a dependency, and not Qt: this layer is below the window)
    decodes the image; its decoder's complaints are kept off the user's terminal."""
    import cv2
    import numpy as np

    previous = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    except cv2.error:
        return False
    finally:
        cv2.utils.logging.setLogLevel(previous)
    return image is not None and image.size > 0
