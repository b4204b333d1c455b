"""Pictures named by a show: a FIFO no longer blocks the check, a damaged PNG no longer passes,
a picture outside the show's folder is pointed out."""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

from anchordesk.core.paths import resources_dir
from anchordesk.showfile.files import read_show_file

from ..show_inputs import anchordesk, assert_clean_output, valid_show, write_show

SAMPLE_PNG = resources_dir() / "shows" / "en" / "images" / "mug.png"


def _show_with_image(folder: Path, image: str) -> Path:
    data = valid_show()
    data["products"][0]["image"] = image
    return write_show(folder, data)


def test_a_fifo_as_image_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "mug.png")  # opening it would wait for a writer forever
    path = _show_with_image(tmp_path, "mug.png")
    result = anchordesk("show", "check", path)  # killed, and failing, at the deadline
    assert result.returncode == 2
    assert_clean_output(result)
    assert result.stdout.splitlines()[0] == (
        f"{path}: error: $.products[0].image (product MUG, Travel mug): image mug.png is a named "
        "pipe (FIFO), not an image file"
    )


def test_a_device_as_image_is_refused(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "zero.png").symlink_to("/dev/zero")  # endless bytes
    report = read_show_file(_show_with_image(tmp_path, "images/zero.png"))
    assert [p.message for p in report.errors] == [
        "image images/zero.png is a device, not an image file"
    ]


def test_a_png_header_followed_by_garbage_is_refused(tmp_path: Path) -> None:
    (tmp_path / "mug.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(4096))
    report = read_show_file(_show_with_image(tmp_path, "mug.png"))
    assert [p.message for p in report.errors] == [
        "image mug.png cannot be decoded: the file is damaged or incomplete"
    ]
    # Cut in half (an interrupted copy) is damaged too.
    (tmp_path / "mug.png").write_bytes(SAMPLE_PNG.read_bytes()[:4000])
    assert [p.message for p in read_show_file(tmp_path / "show.json").errors] == [
        "image mug.png cannot be decoded: the file is damaged or incomplete"
    ]
    shutil.copy(SAMPLE_PNG, tmp_path / "mug.png")
    assert read_show_file(tmp_path / "show.json").problems == []


def test_an_image_declaring_billions_of_pixels_is_refused_before_decoding(tmp_path: Path) -> None:
    # A few KB that would make a decoder allocate gigabytes.
    png = bytearray(SAMPLE_PNG.read_bytes())
    png[16:24] = struct.pack(">II", 60_000, 60_000)
    (tmp_path / "bomb.png").write_bytes(bytes(png))
    report = read_show_file(_show_with_image(tmp_path, "bomb.png"))
    assert [p.message for p in report.errors] == [
        "image bomb.png is 60000×60000 pixels; an image has at most 40 million"
    ]


def test_images_outside_the_show_folder_are_warned_about(tmp_path: Path) -> None:
    folder = tmp_path / "shows" / "tonight"
    folder.mkdir(parents=True)
    shutil.copy(SAMPLE_PNG, tmp_path / "mug.png")
    data = valid_show()
    data["products"][0]["image"] = "../../mug.png"
    data["products"][1]["image"] = str(tmp_path / "mug.png")
    path = write_show(folder, data)
    report = read_show_file(path)
    assert report.show is not None  # a warning: it works on this computer
    assert [str(p) for p in report.warnings] == [
        f"$.products[0].image (product MUG, Travel mug): the image ../../mug.png is outside the "
        f"show's folder ({folder}): a copy of the folder given to someone else would lack it",
        f"$.products[1].image (product KETTLE, Gooseneck kettle): the image {tmp_path}/mug.png "
        f"is outside the show's folder ({folder}): a copy of the folder given to someone else "
        "would lack it",
    ]
    # And a path that climbs out to system files is named the same way (and is no image).
    data["products"][0]["image"] = "../../../../../../../../etc/hostname"
    report = read_show_file(write_show(folder, data))
    messages = [p.message for p in report.problems if p.path == "$.products[0].image"]
    assert messages[0].startswith("the image ../../../../../../../../etc/hostname is outside")
    assert messages[1] == (
        "image ../../../../../../../../etc/hostname is not a PNG, JPEG, WebP or BMP image"
    )
