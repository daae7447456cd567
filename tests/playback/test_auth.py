"""Sign-in on the real ``medialake serve``: pages need a member, logout ends the session
and the tokens issued to it, failures are rate limited, no open redirect, no
cross-site sign-in, the headers every page carries, bounded renewals, CORS."""

from __future__ import annotations

import json
import re
import time
from urllib.parse import urlencode

import pytest

from playback import auth, tokens
from tests import lake
from tests.playback.conftest import PASSWORD, Served
from warehouse import accounts
from warehouse.db import Warehouse

FORM = {"content-type": "application/x-www-form-urlencoded"}


def post_login(
    served: Served, name: str, password: str, headers: dict[str, str] | None = None
):  # type: ignore[no-untyped-def]
    body = urlencode({"username": name, "password": password})
    return served.get("/login?next=%2Fwatch", "POST", {**FORM, **(headers or {})}, body)


@pytest.mark.parametrize("target", ["/", "/watch/{ladder}", "/watch/{ladder}?t=x"])
def test_pages_without_sign_in_go_to_the_login_page(
    served: Served, target: str
) -> None:
    response = served.get(target.format(ladder=served.ladder))
    assert response.status == 303
    location = response.getheader("Location", "")
    assert location.startswith("/login?next=%2F")
    page = served.get(location)
    assert page.status == 200
    assert b'name="password"' in page.body  # type: ignore[attr-defined]
    assert "frame-ancestors 'none'" in page.getheader("Content-Security-Policy", "")
    assert page.getheader("X-Content-Type-Options") == "nosniff"


def test_a_member_signs_in_plays_and_signs_out(served: Served) -> None:
    response = post_login(served, "MEL", PASSWORD)  # names are not case-sensitive
    assert response.status == 303
    assert response.getheader("Location") == "/watch"
    cookie_header = response.getheader("Set-Cookie", "")
    assert "HttpOnly" in cookie_header
    assert "SameSite=lax" in cookie_header
    cookie = cookie_header.split(";")[0].split("=", 1)[1]
    me = served.as_user(cookie)
    index = served.get("/", headers=me)
    assert index.status == 200
    assert b"Signed in as <b>mel</b>" in index.body  # type: ignore[attr-defined]
    page = served.get(f"/watch/{served.ladder}", headers=me)
    assert page.status == 200
    token = json.loads(
        re.search(rb"const cfg = (\{.*?\});", page.body).group(1)  # type: ignore[attr-defined,union-attr]
    )["token"]
    master = f"/hls/{served.ladder}/master.m3u8?t={token}"
    assert served.get(master).status == 200

    out = served.get("/logout", "POST", me)
    assert out.status == 303
    assert f"{auth.COOKIE}=" in out.getheader("Set-Cookie", "")
    assert served.get(f"/watch/{served.ladder}", headers=me).status == 303
    time.sleep(auth.CACHE_S + 0.1)
    refused = served.get(master)
    assert refused.status == 403  # the tokens issued to that sign-in end with it
    assert b"sign-in has ended" in refused.body  # type: ignore[attr-defined]


def test_a_command_line_link_is_not_a_sign_in(served: Served) -> None:
    """A token link (``medialake link``) plays in any player, but the player page
    itself still wants a member."""
    token = served.token(served.copy)
    assert served.get(f"/hls/{served.copy}/master.m3u8?t={token}").status == 200
    assert served.get(f"/watch/{served.copy}?t={token}").status == 303


def test_wrong_passwords_are_refused_then_rate_limited(served: Served) -> None:
    wh = Warehouse(lake.catalog(served.home))
    accounts.add_user(wh, "victim", PASSWORD, "member")
    for _ in range(accounts.MAX_FAILURES):
        refused = post_login(served, "victim", "not the password")
        assert refused.status == 401
        assert b"wrong user name or password" in refused.body  # type: ignore[attr-defined]
    limited = post_login(served, "victim", PASSWORD)
    assert limited.status == 429
    assert b"too many failed sign-ins" in limited.body  # type: ignore[attr-defined]
    unknown = post_login(served, "nobody", "whatever")
    assert unknown.status in (401, 429)  # same answer shape as a wrong password


def test_a_sign_in_from_another_site_is_refused(served: Served) -> None:
    refused = post_login(served, "mel", PASSWORD, {"sec-fetch-site": "cross-site"})
    assert refused.status == 403
    other = post_login(served, "mel", PASSWORD, {"origin": "http://evil.example"})
    assert other.status == 403


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "x"]
)
def test_after_sign_in_only_local_pages_are_opened(served: Served, target: str) -> None:
    body = urlencode({"username": "mel", "password": PASSWORD})
    response = served.get(f"/login?next={target}", "POST", FORM, body)
    assert response.status == 303
    assert response.getheader("Location") == "/"


def test_a_guest_account_cannot_sign_in(served: Served) -> None:
    wh = Warehouse(lake.catalog(served.home))
    accounts.add_user(wh, "visitor", PASSWORD, "guest")
    refused = post_login(served, "visitor", PASSWORD)
    assert refused.status == 401
    assert b"a guest account cannot sign in here" in refused.body  # type: ignore[attr-defined]


def test_a_password_change_ends_every_session(served: Served) -> None:
    wh = Warehouse(lake.catalog(served.home))
    accounts.add_user(wh, "pat", PASSWORD, "member")
    first, second = served.sign_in("pat"), served.sign_in("pat")
    accounts.set_password(wh, "pat", "another long password")
    time.sleep(auth.CACHE_S + 0.1)
    for cookie in (first, second):
        assert (
            served.get(f"/watch/{served.copy}", headers=served.as_user(cookie)).status
            == 303
        )


def test_renewal_never_outlives_the_viewing(served: Served) -> None:
    limit_s = 12 * 3600  # playback.max_viewing_hours
    now = int(time.time())
    old = tokens.issue(
        served.key, served.ladder, 300, now=now, start=now - limit_s + 20
    ).value
    response = served.get(f"/renew/{served.ladder}?t={old}", "POST")
    assert response.status == 200
    fresh = json.loads(response.body)  # type: ignore[attr-defined]
    assert fresh["expires"] <= now + 20 + 1  # not now + 300
    with pytest.raises(tokens.TokenExpired):
        tokens.issue(
            served.key,
            served.ladder,
            300,
            start=now - limit_s - 1,
            max_viewing_s=limit_s,
        )


def test_playlist_uris_last_for_the_viewing(served: Served) -> None:
    link = tokens.issue(served.key, served.ladder, 30).value
    master = served.get(f"/hls/{served.ladder}/master.m3u8?t={link}")
    text = master.body.decode()  # type: ignore[attr-defined]
    inner = re.findall(r"[?&]t=([^\s\"&]+)", text)
    assert inner
    expiries = {int(t.split(".")[0]) for t in inner}
    assert min(expiries) > int(link.split(".")[0])  # longer than the link...
    starts = {int(t.split(".")[1]) for t in inner}
    assert starts == {int(link.split(".")[1])}  # ...within the same viewing


def test_security_headers_on_every_kind_of_answer(served: Served) -> None:
    for target in ("/health", "/login", f"/hls/{served.ladder}/master.m3u8"):
        response = served.get(target)
        assert response.getheader("X-Frame-Options") == "DENY", target
        assert "frame-ancestors" in response.getheader("Content-Security-Policy", "")
        assert response.getheader("Strict-Transport-Security") is None  # plain HTTP
