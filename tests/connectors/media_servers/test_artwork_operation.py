"""The contract's ``artwork`` operation at the edges: a picture over the cap is refused
while it is read; a redirect is not followed; items without a picture of their own
(and folder servers) answer "unsupported"; a server without the picture says
``NotFound``."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.errors import NotFound, RequestRejected
from connectors.media_servers.base import Unsupported
from connectors.media_servers.registry import create_client
from tests.connectors.media_servers.plex.fakes import from_sample, running
from tests.connectors.media_servers.subsonic.conftest import make_client
from tests.connectors.media_servers.subsonic.stub import OpenSubsonicFake, Stub
from tests.connectors.metadata import pictures


def test_plex_refuses_a_picture_over_the_cap_and_answers_for_what_has_none() -> None:
    with running(from_sample()) as fake:
        client = create_client(
            "pms", {"kind": "plex", "url": fake.url, "token": fake.token}
        )
        album = next(k for k, i in fake.library.items.items() if i.type == "album")
        picture = pictures.jpeg(60, 90, "navy")
        assert client.artwork("album", str(album), len(picture)) == picture
        with pytest.raises(RequestRejected, match="over the 100 byte limit"):
            client.artwork("album", str(album), 100)
        refused = client.artwork("artist", str(album), 10**6)
        assert isinstance(refused, Unsupported)
        assert refused.operation == "artwork"


def test_subsonic_does_not_follow_a_redirect_and_knows_a_missing_cover() -> None:
    fake = OpenSubsonicFake()
    with Stub(app=fake) as stub:
        table = {"kind": "subsonic", "url": stub.url, "username": "alice"}
        client = make_client({**table, "password": "sesame"})
        album = "al:" + fake.albums[0]["id"]
        assert client.artwork("album", album, 10**6) == pictures.jpeg(60, 60, "olive")
        stub.fail_next, stub.status = 1, 302
        with pytest.raises(RequestRejected, match="redirected the picture"):
            client.api.binary("getCoverArt", {"id": f"al-{album[3:]}"}, 10**6)
        with pytest.raises(NotFound):
            client.api.binary("getCoverArt", {"id": "al-nothing"}, 10**6)
        assert isinstance(client.artwork("movie", "m1", 10**6), Unsupported)
        client.close()


def test_a_folder_server_has_no_server_pictures(tmp_path: Path) -> None:
    client = create_client("local", {"kind": "filesystem", "roots": [str(tmp_path)]})
    assert isinstance(client.artwork("album", "al:x", 10**6), Unsupported)
