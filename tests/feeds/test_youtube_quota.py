"""YouTube's quota is a project's, per Pacific-time day: the units a key spent today survive a
restart (kept in the user data folder under a digest of the key, never the key), start again at
midnight in Los Angeles (not UTC), and count the calls Google answered 503 too."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
from platform_servers import YouTubeLiveServer
from test_poller import Collector, FakeTime, make_poller

from anchordesk.core.paths import user_data_dir
from anchordesk.feeds.quota import QUOTA_FILE_NAME, DailyQuota, key_digest
from anchordesk.feeds.youtube import YouTubeChatAdapter

LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def pacific(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=LOS_ANGELES).timestamp()


class WallClock:
    def __init__(self, text: str) -> None:
        self.now_s = pacific(text)

    def __call__(self) -> float:
        return self.now_s


def run_polls(server: YouTubeLiveServer, wall: WallClock, count: int) -> YouTubeChatAdapter:
    """A run of the program: a new adapter (as after a restart) polls ``count`` times."""
    fake = FakeTime()

    async def scenario() -> YouTubeChatAdapter:
        async with httpx.AsyncClient() as client:
            adapter = YouTubeChatAdapter(
                server.feed_url, server.api_key, clock=fake.clock, wall_clock=wall
            )
            poller = make_poller(adapter, client, Collector(), fake)
            for _ in range(count):
                await poller.poll_once()
            return adapter

    return asyncio.run(scenario())


def test_a_restart_continues_the_day_s_units_and_the_status_shows_them() -> None:
    wall = WallClock("2026-11-28T14:00:00")
    with YouTubeLiveServer() as server:
        server.add_text("amy", "hello")
        first = run_polls(server, wall, 4)
        assert first.quota_units == first.daily.units == server.units == 20
        wall.now_s += 600  # the program is restarted ten minutes later
        second = YouTubeChatAdapter(server.feed_url, server.api_key, wall_clock=wall)
        assert second.daily.units == 20 and second.quota_units == 0  # before any call
        second = run_polls(server, wall, 3)
        assert second.daily.units == server.units == 35 and second.quota_units == 15
        note = second.status().note
        assert "35 of 10,000 quota units spent today (Pacific day 2026-11-28" in note
        assert "15 quota units spent by this run" in note
        # Another key (another Cloud project) has its own day.
        assert YouTubeChatAdapter(server.feed_url, "AIza-other", wall_clock=wall).daily.units == 0
    kept = (user_data_dir() / QUOTA_FILE_NAME).read_text(encoding="utf-8")
    assert server.api_key not in kept  # never the key itself
    assert json.loads(kept)["keys"][key_digest(server.api_key)] == {
        "day": "2026-11-28",
        "units": 35,
    }


def test_the_day_ends_at_midnight_in_los_angeles_not_in_utc() -> None:
    wall = WallClock("2026-11-28T10:00:00")
    path = user_data_dir() / QUOTA_FILE_NAME
    quota = DailyQuota("AIza-key", path, wall_clock=wall)
    quota.spend(4_000)
    wall.now_s = pacific("2026-11-28T16:30:00")  # 00:30 on the 29th in UTC: same quota day
    assert DailyQuota("AIza-key", path, wall_clock=wall).units == 4_000
    wall.now_s = pacific("2026-11-28T23:59:59")
    assert quota.spend(5) == 4_005
    wall.now_s = pacific("2026-11-29T00:00:01")  # midnight Pacific: Google starts again
    assert quota.units == 0 and quota.day == "2026-11-29"
    assert DailyQuota("AIza-key", path, wall_clock=wall).units == 0  # a restart agrees
    assert quota.spend(5) == 5
    # The day clocks go back (1 Nov 2026) is 25 hours long: still one quota day.
    wall.now_s = pacific("2026-11-01T00:30:00")
    autumn = DailyQuota("AIza-autumn", path, wall_clock=wall)
    autumn.spend(1)
    wall.now_s += 24 * 3600  # 23:30 the same Pacific day (PDT -> PST)
    assert autumn.units == 1 and autumn.day == "2026-11-01"


def test_calls_answered_503_are_counted_as_google_counts_them() -> None:
    wall = WallClock("2026-11-28T14:00:00")
    with YouTubeLiveServer() as server:
        server.add_text("amy", "hello")
        server.busy_answers = 2
        adapter = run_polls(server, wall, 3)  # 503, 503, then the page
        paths = [path for path, _, _ in server.requests]
        assert paths == [server.path] * 3
        assert adapter.quota_units == adapter.daily.units == server.units == 15


def test_a_quota_file_that_cannot_be_read_starts_at_zero_and_is_rewritten() -> None:
    wall = WallClock("2026-11-28T14:00:00")
    path = user_data_dir() / QUOTA_FILE_NAME
    path.write_text("{not json", encoding="utf-8")
    quota = DailyQuota("AIza-key", path, wall_clock=wall)
    assert quota.units == 0
    assert quota.spend(5) == 5
    assert DailyQuota("AIza-key", path, wall_clock=wall).units == 5


def test_the_status_warns_when_the_day_s_quota_will_not_last_the_hour() -> None:
    wall = WallClock("2026-11-28T18:00:00")
    quota = DailyQuota("AIza-key", user_data_dir() / QUOTA_FILE_NAME, wall_clock=wall)
    quota.spend(8_500)  # two shows earlier today
    adapter = YouTubeChatAdapter(
        "https://www.googleapis.com/youtube/v3/liveChat/messages?liveChatId=c",
        "AIza-key",
        wall_clock=wall,
    )
    note = adapter.status().note
    assert "8,500 of 10,000 quota units spent today" in note
    assert "only 1,500 units left today: ~20 min of chat" in note
