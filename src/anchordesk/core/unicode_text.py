"""The one reading of a text file's bytes as Unicode (a show, a spreadsheet, the settings):
UTF-8 with or without its byte-order mark, or UTF-16/UTF-32 told by theirs (Notepad's
"Unicode", Excel's "Unicode Text"). Used by show files, CSV imports and the settings alike:
a show file or the settings saved as UTF-16 were refused (the settings set aside with every
destination) where the same sheet as a CSV was read, and a file with a UTF-8 mark named the
wrong byte at the wrong offset (3 early: "byte 0x43", the "C" of "Café", for the 0xe9 after
it). A UTF-16/UTF-32 file without its mark is told by the NULs beside its first characters
(:func:`unmarked_codec`, RFC 4627's rule for JSON), for every reader alike: the CSV import
told them, while a show file so saved said "invalid JSON: Expecting property name"."""

from __future__ import annotations

import codecs

# The 32-bit marks first (UTF-32 LE's begins with UTF-16 LE's).
UNICODE_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def marked_codec(raw: bytes) -> str | None:
    """The UTF-16 or UTF-32 codec ``raw``'s byte-order mark names, or None."""
    return next((codec for mark, codec in UNICODE_MARKS if raw.startswith(mark)), None)


def unmarked_codec(raw: bytes) -> str | None:
    """The UTF-16 or UTF-32 codec of text written without its byte-order mark (a tool's
    export, or a mark cut off), told by the NULs beside its first characters: a show (JSON), a
    CSV's header and the settings begin with ASCII, never with NUL, which UTF-8 text does not
    hold there. Both of the first two characters must show it (RFC 4627's rule): a UTF-8 file
    with one stray NUL first ("\x00{...") was read as UTF-16 and said in words about bytes it
    never held. None for any other text."""
    head = raw[:8]
    if len(head) < 4 or b"\x00" not in head[:2]:
        return None
    if head[1:4] == b"\x00\x00\x00" and (len(head) < 8 or head[5:8] == b"\x00\x00\x00"):
        return "utf-32-le"
    if head[:3] == b"\x00\x00\x00" and (len(head) < 8 or head[4:7] == b"\x00\x00\x00"):
        return "utf-32-be"
    if head[1] == 0 and head[0] != 0 and head[3] == 0 and head[2] != 0:
        return "utf-16-le"
    if head[0] == 0 and head[1] != 0 and head[2] == 0 and head[3] != 0:
        return "utf-16-be"
    return None


def decoded(raw: bytes, codec: str | None = None) -> str:
    """``raw`` as text: by ``codec`` (or the one its mark names, or :func:`unmarked_codec`),
    else as UTF-8 without its mark. Raises UnicodeDecodeError whose ``start`` counts from the
    file's first byte (the UTF-8 mark included: "utf-8-sig" counts from after it)."""
    codec = codec or marked_codec(raw) or unmarked_codec(raw)
    if codec is not None:
        return raw.decode(codec)
    skipped = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    try:
        return raw[skipped:].decode()
    except UnicodeDecodeError as error:
        raise UnicodeDecodeError(
            error.encoding, raw, error.start + skipped, error.end + skipped, error.reason
        ) from None


def encoding_name(codec: str) -> str:
    """A codec as the words name it: ``"UTF-16"`` for ``utf-16-le``, ``"UTF-8"`` for ``utf-8``.
    A UTF-16 file with a bad byte was said "not UTF-8 text", a file it was never read as."""
    name = codecs.lookup(codec).name
    family = next((f for f in ("utf-32", "utf-16", "utf-8") if name.startswith(f)), name)
    return family.upper()
