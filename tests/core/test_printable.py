from anchordesk.core.printable import escape_controls


def test_terminal_escape_sequences_are_shown_not_obeyed() -> None:
    # An ESC ] 0 ; title BEL would retitle the terminal; ESC [ 2 J would clear it.
    assert escape_controls("SKU\x1b]0;pwned\x07") == "SKU\\x1b]0;pwned\\x07"
    assert escape_controls("\x1b[2J") == "\\x1b[2J"


def test_a_newline_cannot_forge_a_second_log_line() -> None:
    assert escape_controls("A-1\nERROR fake line") == "A-1\\nERROR fake line"
    assert "\n" not in escape_controls("a\r\nb\tc\x00d\x9b")


def test_bidi_overrides_are_visible() -> None:
    assert escape_controls("\u202egnp.exe") == "\\u202egnp.exe"


def test_plain_text_in_any_script_is_unchanged() -> None:
    text = "精华液 30ml — セール 🔥 Serum \\ ok"
    assert escape_controls(text) == text


def test_a_lone_surrogate_is_escaped_so_a_utf8_stream_can_take_the_line() -> None:
    # JSON's "\ud800" decodes to half a UTF-16 pair: print() and a log file raised on it.
    line = escape_controls("order \ud800 and \udfff, not 😀")
    assert line == "order \\ud800 and \\udfff, not 😀"
    line.encode("utf-8")  # no UnicodeEncodeError
