"""Remote playlists from a web server on 127.0.0.1: a playlist file by URL, a list
yt-dlp reads, and the errors a user gets for a missing or non-playlist page."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from connectors.errors import NotFound
from connectors.playlists.remote import read_remote


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    handler = partial(_Quiet, directory=str(tmp_path))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", tmp_path
    httpd.shutdown()
    httpd.server_close()


def test_a_playlist_file_by_url_resolves_relative_entries(
    web: tuple[str, Path],
) -> None:
    url, root = web
    (root / "lists").mkdir()
    (root / "lists" / "mix.m3u").write_text(
        "#EXTM3U\n#EXTINF:180,Björk - Jóga\nsongs/joga.mp3\n"
    )
    parsed = read_remote(f"{url}/lists/mix.m3u")
    [entry] = parsed.entries
    assert (entry.artist, entry.title, entry.duration_s) == ("Björk", "Jóga", 180.0)
    assert entry.location == f"{url}/lists/songs/joga.mp3"


def test_a_list_read_by_ytdlp(web: tuple[str, Path]) -> None:
    url, root = web
    (root / "feed").write_text(
        '<?xml version="1.0"?><playlist version="1" xmlns="http://xspf.org/ns/0/">'
        f"<trackList><track><location>{url}/a.mp3</location>"
        "<title>Sade - Smooth Operator</title><duration>258000</duration></track>"
        "</trackList></playlist>"
    )
    [entry] = read_remote(f"{url}/feed").entries
    assert (entry.artist, entry.title) == ("Sade", "Smooth Operator")
    assert entry.duration_s == 258.0


def test_missing_and_non_playlist_pages_say_so(web: tuple[str, Path]) -> None:
    url, root = web
    with pytest.raises(NotFound, match="no such playlist"):
        read_remote(f"{url}/gone.m3u8")
    (root / "page").write_text("<html><body>hello</body></html>")
    with pytest.raises(NotFound):
        read_remote(f"{url}/page")
