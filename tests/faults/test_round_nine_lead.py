"""Round nine of issue 10: what the lead found or took over from the hunters' notes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from anchordesk.cli import main as cli_main
from anchordesk.showfile.files import read_show_file
from anchordesk.showfile.samples import sample_show_path


@pytest.mark.parametrize(
    ("key", "what", "limit"), [("rundown", "segments", 20_000), ("products", "products", 10_000)]
)
def test_a_show_of_too_many_segments_or_products_is_refused_before_they_are_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str, what: str, limit: int
) -> None:
    """R9in L3: a 20 MB show of 806,581 one-second segments passed ``show check`` (11 s, 766
    MB), a run of it took 21 s to stop and its report 25 s. A show holds at most 20,000
    segments (twice its 10,000 products), said in one line before any of them is read: each
    part here is broken too, and none of its problems is said beside the count."""
    folder = tmp_path / "show"
    shutil.copytree(sample_show_path("en").parent, folder)
    data = json.loads((folder / "show.json").read_text(encoding="utf-8"))
    data[key] = [{"title": ""}] * (limit + 1)
    (folder / "show.json").write_text(json.dumps(data), encoding="utf-8")

    report = read_show_file(folder / "show.json")
    assert report.show is None
    assert [(p.path, str(p.message)) for p in report.problems] == [
        (f"$.{key}", f"{limit + 1:,} {what}; a show holds at most {limit:,}")
    ]

    assert cli_main(["show", "check", str(folder / "show.json")]) == 2
    said = capsys.readouterr()
    assert f"{limit + 1:,} {what}; a show holds at most {limit:,}" in said.out + said.err
    assert "Traceback" not in said.out + said.err
