"""Five headless Chromium members of one session on a real ``medialake serve`` playing
a real HLS asset: three with 50-300 ms of latency and jitter on their WebSocket, one
with a clock 5 s ahead. Play, pause and seek converge; a late joiner lands on the group;
a member whose network drops comes back in sync; the service restarts mid-session and
everyone converges again; a guest's seek and an invalid invite are refused."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from playback.player import load_hls_js
from tests.playback.sessions import harness as h
from tests.playback.sessions.stack import Service

pytestmark = pytest.mark.skipif(
    shutil.which(h.CHROMIUM) is None, reason="Debian's chromium is not installed"
)


@dataclass
class Group:
    service: Service
    session: dict[str, Any]
    browser: Any
    members: list[h.Member]

    @property
    def sid(self) -> str:
        return str(self.session["session_id"])

    def playing_from(self, position: float) -> None:
        """Seek the group to ``position``, play, and wait until it is in sync."""
        self.service.control(self.sid, "seek", position=position)
        self.service.control(self.sid, "play")
        h.converge_time(self.members, 0.1, timeout_s=10)


@pytest.fixture(scope="module")
def group(service: Service) -> Iterator[Group]:
    from playwright.sync_api import sync_playwright

    assert load_hls_js(), "hls.js is missing: run scripts/setup.sh (npm ci)"
    session = service.create()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=h.CHROMIUM, args=h.ARGS)
        members = h.open_group(browser, session)
        yield Group(service, session, browser, members)
        errors = {m.name: m.errors for m in members if m.errors}
        browser.close()
    assert errors == {}


def test_play_starts_everyone_together_and_they_stay_in_sync(group: Group) -> None:
    host = group.members[0]
    assert host.info()["role"] == "host"
    h.wait_until(
        lambda: all(m.sample()["ready"] >= 3 for m in group.members), 20, what="ready"
    )
    host.request("play")
    assert h.converge_time(group.members, 0.1, timeout_s=5) < 3.0
    spreads = h.percentiles(h.measure_spread(group.members, 5))
    print("spread while playing (ms):", spreads)
    assert spreads["p95"] < 100
    # The skewed member's clock really is 5 s ahead (its estimated offset to the
    # server says so, against the real clock); it follows anyway.
    errors = [
        m.page.evaluate("window.sync.info().offset - performance.timeOrigin / 1000")
        for m in group.members
    ]
    assert errors[3] == pytest.approx(-5, abs=0.1)
    assert all(abs(e) < 0.1 for i, e in enumerate(errors) if i != 3)


def test_pause_stops_everyone_at_one_position(group: Group) -> None:
    group.playing_from(4.0)
    time.sleep(1)
    group.service.control(group.sid, "pause")
    h.wait_until(
        lambda: all(m.sample()["paused"] for m in group.members), 5, what="paused"
    )
    time.sleep(0.8)  # members re-anchor on the exact pause position
    where = group.service.session(group.sid)["position"]
    found = h.positions(group.members)
    assert found is not None
    assert max(found) - min(found) < 0.05
    assert all(abs(p - where) < 0.05 for p in found)


def test_a_seek_converges_within_two_seconds(group: Group) -> None:
    group.playing_from(2.0)
    started = time.monotonic()
    group.members[0].request("seek", 18.0)
    took = h.converge_time(group.members, 0.1, timeout_s=8)
    print(f"converged {took:.2f} s after the seek")
    assert took < 2.5
    found = h.positions(group.members)
    assert found is not None
    assert 17.5 < min(found) < 18.0 + (time.monotonic() - started) + 0.2


def test_a_guest_seek_is_refused(group: Group) -> None:
    group.playing_from(3.0)
    guest = group.members[2]
    before = group.service.session(group.sid)["seq"]
    guest.request("seek", 25.0)
    h.wait_until(
        lambda: any(e["code"] == "forbidden" for e in guest.info()["errors"]),
        5,
        what="the refusal",
    )
    after = group.service.session(group.sid)
    assert after["seq"] == before
    assert after["position"] < 10
    found = h.positions(group.members)
    assert found is not None
    assert max(found) < 10


def test_an_invalid_invite_is_refused(group: Group) -> None:
    bad = group.session["invite_url"].rsplit("#", 1)[0] + "#invite=" + "A" * 22
    stranger = h.open_member(group.browser, bad, "stranger")
    try:
        h.wait_until(
            lambda: "not valid" in stranger.page.inner_text("body"),
            10,
            what="the refusal page",
        )
        assert "/join/" in stranger.page.url
        assert group.session["title"] not in stranger.page.content()
    finally:
        stranger.context.close()
    names = [m["name"] for m in group.service.session(group.sid)["members"]]
    assert "stranger" not in names


def test_a_late_joiner_lands_on_the_group_position(group: Group) -> None:
    group.playing_from(2.0)
    time.sleep(1.5)
    started = time.monotonic()
    late = h.open_member(group.browser, group.session["invite_url"], "late", 80, 200)
    try:
        late.page.wait_for_url("**/watch/**")
        h.wait_until(lambda: (late.info() or {}).get("connected"), 10, what="joined")
        h.converge_time([*group.members, late], 0.1, timeout_s=10)
        took = time.monotonic() - started
        print(f"late joiner in sync {took:.2f} s after opening the link")
        assert took < 8
    finally:
        late.context.close()


def test_a_member_that_drops_and_returns_converges(group: Group) -> None:
    group.playing_from(2.0)
    dropped = group.members[2]
    dropped.page.evaluate("window.__net.cut(3000)")
    h.wait_until(lambda: not dropped.info()["connected"], 5, what="the drop")
    group.service.control(group.sid, "seek", position=15.0)
    time.sleep(1.5)
    found = h.positions(group.members)
    assert found is not None
    assert max(found) - min(found) > 5
    took = h.converge_time(group.members, 0.1, timeout_s=10)
    print(f"back in sync {took:.2f} s after the seek it missed")
    assert dropped.info()["connected"]


def test_a_service_restart_mid_session_converges(group: Group) -> None:
    group.playing_from(2.0)
    group.service.stop()
    time.sleep(1.0)  # members play on alone meanwhile
    restarted = time.monotonic()
    answering = group.service.start()
    h.wait_until(
        lambda: all(m.info()["connected"] for m in group.members),
        10,
        what="every member to reconnect",
    )
    h.converge_time(group.members, 0.1, timeout_s=5)
    took = time.monotonic() - restarted
    print(f"in sync {took:.2f} s after the restart began ({answering:.2f} s to answer)")
    assert took - answering < 3.0  # reconnecting and converging
    assert took < 8.0  # the target (5 s) is the bench's; CI machines start slowly
    group.members[0].request("seek", 20.0)  # the restarted service leads again
    h.converge_time(group.members, 0.1, timeout_s=5)
    found = h.positions(group.members)
    assert found is not None
    assert min(found) > 19.5
