"""Round thirty-five, net35: a stream key in a push address's parameters by its looks alone.

``rtmp://host/app;x=KEY/stream`` (a path parameter of the application) and
``rtmp://host/app?x=KEY`` (a query item) under a name that says nothing: the one rule
(core/redact) printed the first whole in every line naming the destination, and the settings
saved both in the file in clear."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from anchordesk.core.redact import mask_url, url_secrets
from anchordesk.live.settings import Destination, Settings, load_settings, save_settings

from ..show_inputs import anchordesk, assert_clean_output

KEY = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
SHAPED = "abcd-efgh-ijkl-mnop"  # a YouTube key's shape: no digit needed


def test_a_key_in_the_applications_parameter_is_never_printed(tmp_path: Path) -> None:
    # A real run against a port where nothing listens: every line naming the destination
    # (log, stderr, the final error) printed "app;x=sk_live_…/****".
    result = anchordesk(
        "live", "--camera", "test", "--mic", "test", "--no-record", "--seconds", "2",
        "--to", f"rtmp://127.0.0.1:9/app;x={KEY}/stream",
        cwd=tmp_path,
    )  # fmt: skip
    assert_clean_output(result)
    output = result.stdout + result.stderr
    assert KEY not in output
    assert "rtmp://127.0.0.1:9/app;x=****/****" in output
    assert "never went live" in output


@pytest.mark.parametrize(
    "url",
    [
        f"rtmp://127.0.0.1/app;x={KEY}/stream",
        f"rtmp://127.0.0.1/app;x={KEY}",
        f"rtmp://127.0.0.1/app?x={KEY}",
        f"rtmps://127.0.0.1/app;note={SHAPED}",
        f"rtmp://127.0.0.1/app?{KEY}",
    ],
)
def test_a_key_shaped_parameter_value_is_no_part_of_the_saved_server_url(
    tmp_path: Path, url: str
) -> None:
    value = KEY if KEY in url else SHAPED
    assert value not in mask_url(url)
    assert value in url_secrets(url)
    # An older file holding it: the load says so (naming the destination only) ...
    path = tmp_path / "settings.json"
    data = {"destinations": [{"id": "d1", "name": "Main", "preset": "custom", "server_url": url}]}
    path.write_text(json.dumps(data), "utf-8")
    settings = load_settings(path)
    assert any("stream key" in str(problem) for problem in settings.problems), settings.problems
    assert all(value not in str(problem) for problem in settings.problems)
    # ... and the file written back never holds it.
    save_settings(settings, path)
    assert value not in path.read_text("utf-8")
    # Nor does a destination typed in the window saved the same way.
    fresh = Settings()
    fresh.destinations.append(
        Destination(destination_id="d2", name="Typed", preset_id="custom", server_url=url)
    )
    save_settings(fresh, path)
    assert value not in path.read_text("utf-8")


@pytest.mark.parametrize(
    "url",
    [
        "rtmp://127.0.0.1/live2?backup=1",
        "rtmp://127.0.0.1/app;v=2",
        "rtmps://127.0.0.1:443/app?region=eu-west",
    ],
)
def test_harmless_parameters_of_a_server_url_are_kept(tmp_path: Path, url: str) -> None:
    path = tmp_path / "settings.json"
    data = {"destinations": [{"id": "d1", "name": "Main", "preset": "custom", "server_url": url}]}
    path.write_text(json.dumps(data), "utf-8")
    settings = load_settings(path)
    save_settings(settings, path)
    assert json.loads(path.read_text("utf-8"))["destinations"][0]["server_url"] == url
