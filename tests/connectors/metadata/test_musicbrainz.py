"""The MusicBrainz client (musicbrainzngs) and album matching against the fake server,
including the rate limit under threads and across two processes."""

from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from connectors.errors import NotFound, TransientError
from connectors.metadata.music import AlbumQuery, TrackQuery, match_album
from connectors.metadata.scoring import ACCEPTED, REVIEW, Thresholds
from tests.connectors.metadata.conftest import make_mb
from tests.connectors.metadata.fakes import FakeMusicBrainz

REPO = Path(__file__).resolve().parents[3]
SEA_OF_COWARDS = "8eb2b179-643d-3507-b64c-29fcc6745156"


def _gaps(fake: FakeMusicBrainz) -> list[float]:
    times = sorted(h.at for h in fake.requests("/ws/2/"))
    return [b - a for a, b in itertools.pairwise(times)]


def test_lookup_sends_our_user_agent_and_is_cached(
    fake_mb: FakeMusicBrainz, tmp_path: Path
) -> None:
    client = make_mb(fake_mb, tmp_path / "mb.lock")
    release = client.release(SEA_OF_COWARDS)
    assert release["title"] == "Sea of Cowards"
    assert client.release(SEA_OF_COWARDS) == release
    (hit,) = fake_mb.requests("/ws/2/")
    assert hit.user_agent.startswith("medialake/0.1 python-musicbrainzngs/")
    assert "tests@example.org" in hit.user_agent
    assert client.stats.cache_hits["musicbrainz"] == 1


def test_unknown_release_is_not_found_and_cached(
    fake_mb: FakeMusicBrainz, tmp_path: Path
) -> None:
    client = make_mb(fake_mb, tmp_path / "mb.lock")
    for _ in range(2):
        with pytest.raises(NotFound):
            client.release("00000000-0000-0000-0000-000000000000")
    assert len(fake_mb.requests("/ws/2/")) == 1


def test_tagged_release_is_accepted_with_its_tracks(
    fake_mb: FakeMusicBrainz, tmp_path: Path
) -> None:
    client = make_mb(fake_mb, tmp_path / "mb.lock")
    query = AlbumQuery(
        "Sea of Cowards",
        "The Dead Weather",
        2010,
        11,
        SEA_OF_COWARDS,
        [TrackQuery("t1", "Blue Blood Blues", 1, 1, 202.0)],
    )
    found = match_album(client, query, Thresholds())
    assert (found.decision.status, found.decision.provider_id) == (
        ACCEPTED,
        SEA_OF_COWARDS,
    )
    assert "tagged with this release MBID" in found.decision.reason
    (track,) = found.tracks
    assert track.recording_id == "4f16eff1-0df6-4d94-89ba-e1470bc7b61f"
    assert track.score == 1.0
    assert found.has_front_cover
    assert client.front_cover(SEA_OF_COWARDS).startswith(b"\xff\xd8")


def test_search_picks_the_right_release_among_close_ones(
    fake_mb: FakeMusicBrainz, tmp_path: Path
) -> None:
    client = make_mb(fake_mb, tmp_path / "mb.lock")
    query = AlbumQuery("Pop Music", "Todor Kobakov", 2009, 11)
    found = match_album(client, query, Thresholds())
    assert found.decision.status == ACCEPTED
    assert found.decision.provider_id == "83703bdb-2df3-4883-a536-5a073b2ec80f"
    titles = [c.title for c in found.candidates]
    assert titles.count("Pop Music") >= 4  # Thierry Hazard (twice), Iggy Pop, Eva Braun


def test_identical_candidates_are_queued_for_review(
    fake_mb: FakeMusicBrainz, tmp_path: Path
) -> None:
    client = make_mb(fake_mb, tmp_path / "mb.lock")
    found = match_album(
        client, AlbumQuery("Pop Music", "Thierry Hazard", 1990, 12), Thresholds()
    )
    assert found.decision.status == REVIEW
    assert found.decision.reason.startswith("ambiguous")
    assert found.tracks == []


def test_503_when_too_fast_is_retried_with_backoff(tmp_path: Path) -> None:
    with FakeMusicBrainz(min_interval=0.5) as fake:
        client = make_mb(fake, tmp_path / "mb.lock", interval=0.0, backoff=0.6)
        client.release(SEA_OF_COWARDS)
        client.release("212895ca-ee36-439a-a824-d2620cd10461")
    statuses = [h.status for h in fake.requests("/ws/2/")]
    assert statuses[0] == 200
    assert 503 in statuses
    assert statuses[-1] == 200


def test_offline_is_transient(tmp_path: Path) -> None:
    fake = FakeMusicBrainz(min_interval=0).start()
    client = make_mb(fake, tmp_path / "mb.lock", interval=0.0, retries=0)
    fake.stop()
    with pytest.raises(TransientError, match="unreachable"):
        client.release(SEA_OF_COWARDS)


def test_rate_limit_holds_across_threads(tmp_path: Path) -> None:
    ids = ["a", "b", "c", "d", "e", "f"]
    with FakeMusicBrainz(min_interval=0.3) as fake:
        client = make_mb(fake, tmp_path / "mb.lock", interval=0.3)

        def worker(mbid: str) -> None:
            with pytest.raises(NotFound):
                client.release(f"{mbid}0000000-0000-0000-0000-000000000000")

        threads = [threading.Thread(target=worker, args=(i,)) for i in ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert [h.status for h in fake.requests("/ws/2/")] == [404] * len(ids)
    assert min(_gaps(fake)) >= 0.28


_CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from connectors.errors import NotFound
    from tests.connectors.metadata.fakes import FakeMusicBrainz
    from tests.connectors.metadata.conftest import make_mb

    class Remote:
        url = sys.argv[1]

    client = make_mb(Remote, Path(sys.argv[2]), interval=1.0, retries=0)
    for n in range(3):
        try:
            client.release(f"{sys.argv[3]}{n}000000-0000-0000-0000-000000000000")
        except NotFound:
            pass
    """
)


def test_one_request_per_second_across_two_processes(tmp_path: Path) -> None:
    lock = tmp_path / "shared" / "musicbrainz.lock"
    with FakeMusicBrainz(min_interval=1.0) as fake:
        children = [
            subprocess.Popen(
                [sys.executable, "-c", _CHILD, fake.url, str(lock), name], cwd=REPO
            )
            for name in ("a", "b")
        ]
        assert [child.wait(timeout=60) for child in children] == [0, 0]
    hits = fake.requests("/ws/2/")
    assert len(hits) == 6
    assert [h.status for h in hits] == [404] * 6  # never a 503 "too fast"
    assert min(_gaps(fake)) >= 0.95
