"""The fake Jellyfin itself: it must reject what the real one (by its spec) would,
and catch its own answers breaking the spec, or the client tests prove little."""

from __future__ import annotations

import httpx
import pytest

from tests.connectors.media_servers.jellyfin.fake_server import API_KEY, FakeJellyfin

AUTH = {
    "Authorization": 'MediaBrowser Client="t", Device="t", DeviceId="t", Version="1", '
    f'Token="{API_KEY}"'
}


def get(fake: FakeJellyfin, path: str, **kw: object) -> httpx.Response:
    return httpx.get(fake.url + path, timeout=5, **kw)  # type: ignore[arg-type]


def test_unknown_query_parameters_and_bad_values_are_refused(
    fake: FakeJellyfin,
) -> None:
    assert get(fake, "/Items", params={"limit": 1}, headers=AUTH).status_code == 200
    assert get(fake, "/Items", params={"limitt": 1}, headers=AUTH).status_code == 400
    assert (
        get(
            fake, "/Items", params={"includeItemTypes": "Song"}, headers=AUTH
        ).status_code
        == 400
    )
    assert get(fake, "/Nowhere", headers=AUTH).status_code == 404
    assert len(fake.problems) == 3
    fake.problems.clear()


def test_legacy_token_header_only_works_on_10_11(fake: FakeJellyfin) -> None:
    legacy = get(fake, "/System/Info", headers={"X-Emby-Token": API_KEY})
    assert legacy.status_code == (200 if fake.version.startswith("10.") else 401)
    assert get(fake, "/System/Info").status_code == 401
    assert (
        get(
            fake, "/System/Info", headers={"Authorization": 'MediaBrowser Token="nope"'}
        ).status_code
        == 401
    )
    fake.log.clear()  # this test sent legacy auth on purpose


def test_paging_counts_and_slices(fake: FakeJellyfin) -> None:
    query = {"includeItemTypes": "Audio", "recursive": "true", "sortBy": "DateCreated"}
    first = get(
        fake, "/Items", params={**query, "startIndex": 0, "limit": 50}, headers=AUTH
    ).json()
    last = get(
        fake, "/Items", params={**query, "startIndex": 200, "limit": 50}, headers=AUTH
    ).json()
    assert first["TotalRecordCount"] == last["TotalRecordCount"] == 208
    assert (len(first["Items"]), len(last["Items"]), last["StartIndex"]) == (50, 8, 200)


@pytest.mark.parametrize(
    "bad", [{"Bogus": 1}, {"Type": "Song"}, {"RunTimeTicks": "long"}]
)
def test_an_answer_outside_the_schema_fails_loudly(
    fake: FakeJellyfin, bad: dict
) -> None:
    item = next(iter(fake.library.items.values()))
    item.dto.update(bad)
    fake.library.version += 1
    answer = get(fake, "/Items", params={"limit": 500}, headers=AUTH)
    assert answer.status_code == 500
    assert fake.problems
    assert "GET /Items -> 200" in fake.problems[0]
    fake.problems.clear()
    for key in bad:
        item.dto.pop(key, None)
    item.dto["Type"] = "MusicAlbum" if "Type" in bad else item.dto["Type"]
