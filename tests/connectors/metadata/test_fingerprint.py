"""Fingerprint-first identification against the fake AcoustID: real fpcalc on real
files, the documented answers (errors, rate limiting, no result), the limit held
across limiter instances (processes), and the album vote."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.errors import AuthError, RequestRejected
from connectors.metadata.fingerprint import (
    ACCEPTED,
    NO_MATCH,
    REVIEW,
    AcoustidClient,
    Heard,
    fingerprint_file,
    match_folder,
)
from connectors.metadata.ratelimit import ProcessRateLimiter
from tests.connectors.metadata.albums import (
    COMPILATION,
    SEA_OF_COWARDS,
    answer,
    make_untagged,
    recorded_tracks,
    register_album,
)
from tests.connectors.metadata.fakes import FakeAcoustid


@pytest.fixture
def fake() -> Iterator[FakeAcoustid]:
    with FakeAcoustid() as server:
        yield server


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return make_untagged(tmp_path_factory.mktemp("untagged"), 3, seed=100)


def client(fake: FakeAcoustid, lock: Path, key: str = "test-acoustid-key"):
    limiter = ProcessRateLimiter(lock, 0.34)
    return AcoustidClient(key, f"{fake.url}/v2", limiter, retries=2, backoff=0.05)


def test_a_known_fingerprint_gives_its_recordings(fake, files, tmp_path) -> None:
    register_album(fake, files, SEA_OF_COWARDS, "Sea of Cowards")
    duration, fingerprint = fingerprint_file(files[0])

    results = client(fake, tmp_path / "l").lookup(fingerprint, duration)

    [result] = results
    assert result["recordings"][0]["title"] == "Blue Blood Blues"
    assert fake.requests("/v2/lookup")[0].query["meta"] == ["recordings releases"]


def test_an_unknown_fingerprint_is_no_result(fake, files, tmp_path) -> None:
    duration, fingerprint = fingerprint_file(files[1])

    assert client(fake, tmp_path / "l").lookup(fingerprint, duration) == []


def test_a_rate_limited_answer_is_retried(fake, files, tmp_path) -> None:
    register_album(fake, files, SEA_OF_COWARDS, "Sea of Cowards")
    fake.rate_limit_next, fake.unavailable_next = 1, 0
    duration, fingerprint = fingerprint_file(files[0])

    results = client(fake, tmp_path / "l").lookup(fingerprint, duration)

    assert len(results) == 1
    assert [h.status for h in fake.requests("/v2/lookup")] == [429, 200]


def test_a_refused_key_and_a_broken_fingerprint_are_not_retried(fake, tmp_path) -> None:
    with pytest.raises(AuthError, match=r"enrichment\.acoustid_api_key"):
        client(fake, tmp_path / "l", key="wrong").lookup("AQAAbad", 10)
    with pytest.raises(RequestRejected, match="invalid fingerprint"):
        client(fake, tmp_path / "l").lookup("not a fingerprint!", 10)
    assert len(fake.requests("/v2/lookup")) == 2


def test_three_requests_a_second_hold_across_limiters(fake, files, tmp_path) -> None:
    duration, fingerprint = fingerprint_file(files[2])
    lock = tmp_path / "acoustid.lock"  # shared, like two processes of one machine

    def work() -> None:
        mine = client(fake, lock)
        for _ in range(4):
            mine.lookup(fingerprint, duration)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    hits = fake.requests("/v2/lookup")
    assert [h.status for h in hits] == [200] * 8  # never over the limit
    gaps = [b.at - a.at for a, b in itertools.pairwise(hits)]
    assert min(gaps) >= 0.33


def test_the_album_vote_picks_one_release_not_the_compilation() -> None:
    tracks = recorded_tracks(SEA_OF_COWARDS)[:4]
    heard = [
        Heard(f"f{n}", 200.0, [answer(t, SEA_OF_COWARDS, "Sea of Cowards", 0.9)])
        for n, t in enumerate(tracks)
    ]
    live = {"id": "live-1", "position": 1, "title": "Live"}
    heard[0].results.insert(0, answer(live, COMPILATION, "Compilation", 0.99))
    heard.append(Heard("lost", 100.0, []))
    heard.append(
        Heard("other", 100.0, [answer(live, COMPILATION, "Compilation", 0.95)])
    )

    album, matches = match_folder(heard, accept=0.85, review=0.55)

    assert album == SEA_OF_COWARDS
    assert [m.recording_id for m in matches[:4]] == [t["id"] for t in tracks]
    assert {m.status for m in matches[:4]} == {ACCEPTED}
    assert matches[4].status == NO_MATCH
    assert matches[5].status == REVIEW  # not on the album the others point to
    assert "not on the release" in matches[5].reason
