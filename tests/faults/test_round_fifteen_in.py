"""Round fifteen of issue 10 (hunt15in): data from outside — show files, CSV imports, feeds,
the report, secrets in URLs (R15in.md)."""

from __future__ import annotations

from pathlib import Path

from .show_inputs import anchordesk, assert_clean_output, valid_show, write_show

SIGNED = (
    "https://bucket.s3.amazonaws.com/mug.png?X-Amz-Credential=AKIAIOSFODNN7EXAMPLE"
    "&X-Amz-Signature=0123456789abcdef0123456789abcdef"
)


def test_a_signed_image_address_is_said_masked(tmp_path: Path) -> None:
    """F1: `show check` said "the image https://user:secret@cdn/…?X-Amz-Signature=… is a web
    address" with the password and the signature in the clear (a shop's export gives signed
    addresses): the one rule of core/redact masks them as it does every other URL."""
    show = valid_show()
    show["products"][0]["image"] = SIGNED
    show["products"][1]["image"] = "https://anchor:hunter2-pass@cdn.example.com/kettle.png"
    result = anchordesk("show", "check", write_show(tmp_path, show))
    assert result.returncode == 2
    assert_clean_output(result)
    output = result.stdout + result.stderr
    assert "is a web address" in output
    for secret in ("AKIAIOSFODNN7EXAMPLE", "0123456789abcdef0123456789abcdef", "hunter2-pass"):
        assert secret not in output
    assert "bucket.s3.amazonaws.com/mug.png" in output  # which picture is still said
