"""Resume in a real headless Chromium: a member opens a movie's page and sees its
poster, plays, closes the tab, comes back and is offered to resume where they
stopped; another member's progress is separate."""

from __future__ import annotations

import time
from typing import Any

from tests import lake
from tests.playback import test_player
from tests.playback.conftest import PASSWORD, Served
from tests.playback.test_art import SERVER, give_pictures, take_pictures
from tests.playback.test_player import until
from warehouse import accounts
from warehouse.db import Warehouse

pytestmark = test_player.pytestmark
_browser = test_player.browser  # the module's Chromium fixture, ``browser``


def signed_in(browser: Any, served: Served, name: str) -> Any:
    """A browser context signed in as a new member ``name`` (nothing played yet)."""
    accounts.add_user(Warehouse(lake.catalog(served.home)), name, PASSWORD, "member")
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{served.base}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.close()
    return context


def test_closing_the_tab_and_coming_back_offers_to_resume(
    _browser: Any,  # noqa: PT019 (the Chromium fixture of test_player, ``browser``)
    served: Served,
) -> None:
    browser = _browser
    watch = f"{served.base}/watch/{served.ladder}"
    stored = give_pictures(served)  # the ladder plays a movie that has a poster
    try:
        rita = signed_in(browser, served, "rita")
        page = rita.new_page()
        page.goto(watch)
        poster = page.get_attribute("#video", "poster") or ""
        width = page.evaluate(
            "new Promise(r => { const i = new Image(); i.onload = () =>"
            " r(i.naturalWidth); i.onerror = () => r(0); i.src = player.video.poster })"
        )
    finally:
        take_pictures(served)
    digest = stored["movie"].digest
    assert poster == f"/art/movie/{SERVER}/m1?size=full&v={digest[:16]}"
    assert width == 200  # the poster itself, served through /art to the member
    assert page.locator("#resume").is_hidden()
    page.evaluate("player.video.play()")
    until(page, "player.video.currentTime > 3")
    stopped = page.evaluate("player.video.currentTime")
    page.close(run_before_unload=True)  # the player reports on pagehide
    saved = f"{served.base}/api/progress/{served.ladder}"
    deadline = time.monotonic() + 10
    while rita.request.get(saved).status != 200:  # the report arrives, then they return
        assert time.monotonic() < deadline, "the position was never reported"
        time.sleep(0.1)

    started = time.monotonic()
    page = rita.new_page()
    page.goto(watch)
    offer = page.locator("#resume-go")
    offer.wait_for(state="visible", timeout=2000)
    assert time.monotonic() - started < 2
    label = offer.text_content()
    assert label.startswith("Resume at 0:0")
    assert abs(int(label.rsplit(":", 1)[1]) - stopped) <= 1.5
    offer.click()
    until(page, f"Math.abs(player.video.currentTime - {stopped}) < 1.5")
    page.close()

    sam = signed_in(browser, served, "sam")  # another member: their own progress
    other = sam.new_page()
    other.goto(watch)
    until(other, "player.video.readyState >= 1 || player.hls")
    assert other.locator("#resume").is_hidden()
    rita.close()
    sam.close()
