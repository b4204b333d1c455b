"""Which variables are the program's secrets, and how they are read once withheld."""

from __future__ import annotations

import os

import pytest

from anchordesk.core import environment as environment_module
from anchordesk.core.environment import (
    environment,
    is_secret_variable,
    withhold_secret_variables,
)


@pytest.mark.parametrize(
    "name",
    [
        "ANCHORDESK_STREAM_KEY",
        "ANCHORDESK_JSON_TOKEN",
        "ANCHORDESK_YOUTUBE_CHAT_TOKEN",
        "ANCHORDESK_TWITCH_CHAT_REFRESH_TOKEN",
        "ANCHORDESK_SHOPIFY_ORDERS_CLIENT_SECRET",
        "ANCHORDESK_SHOPIFY_ORDERS_CLIENT_ID",
        "ANCHORDESK_CONTROL_TOKEN",
    ],
)
def test_the_programs_secret_variables_are_known(name: str) -> None:
    assert is_secret_variable(name)


@pytest.mark.parametrize("name", ["ANCHORDESK_CONTROL_URL", "PATH", "GITHUB_TOKEN", "TOKEN"])
def test_other_variables_are_left_to_the_programs_it_starts(name: str) -> None:
    assert not is_secret_variable(name)


def test_withheld_variables_leave_the_environment_and_are_still_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(environment_module, "_withheld", {})
    monkeypatch.setenv("ANCHORDESK_JSON_TOKEN", "t0k3n")
    monkeypatch.setenv("ANCHORDESK_CONTROL_URL", "http://127.0.0.1:8750")
    assert withhold_secret_variables() == ["ANCHORDESK_JSON_TOKEN"]
    assert "ANCHORDESK_JSON_TOKEN" not in os.environ
    assert environment()["ANCHORDESK_JSON_TOKEN"] == "t0k3n"
    assert environment()["ANCHORDESK_CONTROL_URL"] == "http://127.0.0.1:8750"
