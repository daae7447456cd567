"""Reading M3U/M3U8, PLS, XSPF and JSPF files the way players write them, and the
M3U8 export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.playlists.formats import (
    Entry,
    ExportItem,
    PlaylistFormatError,
    read_playlist,
    write_m3u8,
)

MBID = "3fd4237c-a63f-52e9-9b9c-1b587f9af20a"


def test_m3u_with_extinf_relative_absolute_and_url_entries(tmp_path: Path) -> None:
    """#EXTINF says artist and title; a bare path says them through its folders."""
    folder = tmp_path / "lists"
    folder.mkdir()
    (folder / "mix.m3u8").write_text(
        "\ufeff#EXTM3U\n#PLAYLIST:Road Trip\n"
        "#EXTINF:212,Zoë Keating - Lost\n"
        "../Music/Zoë Keating/Into the Trees/01 Lost.flac\n"
        "\n# a comment\n"
        '#EXTINF:-1 tvg-id="x",Just A Title\n/srv/music/a.mp3\n'
        "http://radio.example/stream.mp3\n"
        "C:\\Music\\Björk\\Homogenic (1997)\\03 Jóga.mp3\n"
        "file:///srv/music/Some%20Artist/Album/02%20Song.ogg\n",
        encoding="utf-8",
    )
    parsed = read_playlist(folder / "mix.m3u8")
    assert parsed.name == "Road Trip"
    assert parsed.entries[0] == Entry(
        title="Lost",
        artist="Zoë Keating",
        duration_s=212.0,
        location=str(tmp_path / "Music/Zoë Keating/Into the Trees/01 Lost.flac"),
    )
    assert parsed.entries[1].title == "Just A Title"
    assert parsed.entries[1].duration_s is None
    assert parsed.entries[1].location == "/srv/music/a.mp3"
    assert parsed.entries[2].location == "http://radio.example/stream.mp3"
    bjork = parsed.entries[3]
    assert (bjork.artist, bjork.album, bjork.title) == ("Björk", "Homogenic", "Jóga")
    assert parsed.entries[4].location == "/srv/music/Some Artist/Album/02 Song.ogg"
    assert parsed.entries[4].title == "Song"


def test_latin1_m3u_is_read_and_a_latin1_m3u8_is_refused(tmp_path: Path) -> None:
    body = "#EXTM3U\n#EXTINF:100,Beyoncé - Déjà Vu\nx.mp3\n".encode("latin-1")
    (tmp_path / "old.m3u").write_bytes(body)
    assert read_playlist(tmp_path / "old.m3u").entries[0].artist == "Beyoncé"
    (tmp_path / "bad.m3u8").write_bytes(body)
    with pytest.raises(PlaylistFormatError, match=r"bad.m3u8: an \.m3u8 must be UTF-8"):
        read_playlist(tmp_path / "bad.m3u8")


def test_pls_entries_in_index_order_and_a_missing_file_is_listed(
    tmp_path: Path,
) -> None:
    (tmp_path / "radio.pls").write_text(
        "[playlist]\nFile2=b.mp3\nTitle2=Artist B - Song B\nLength2=180\n"
        "File1=http://stream.example/a\nTitle1=Station\nLength1=-1\n"
        "Title3=orphan\nNumberOfEntries=3\nVersion=2\n"
    )
    parsed = read_playlist(tmp_path / "radio.pls")
    assert [e.title for e in parsed.entries] == ["Station", "Song B"]
    assert parsed.entries[1].artist == "Artist B"
    assert parsed.entries[1].duration_s == 180.0
    assert parsed.entries[1].location == str(tmp_path / "b.mp3")
    assert parsed.problems == ["radio.pls: entry 3 has no File3; skipped"]
    (tmp_path / "nope.pls").write_text("File1=a.mp3\n")
    with pytest.raises(PlaylistFormatError, match="no \\[playlist\\] section"):
        read_playlist(tmp_path / "nope.pls")


def test_xspf_with_musicbrainz_identifier(tmp_path: Path) -> None:
    (tmp_path / "l.xspf").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<playlist version="1" xmlns="http://xspf.org/ns/0/"><title>Chill</title>'
        "<trackList><track><location>file:///m/a.flac</location>"
        "<title>Quiet Signal</title><creator>The Sine Waves</creator>"
        "<album>First Harmonics</album><duration>201500</duration>"
        f"<identifier>https://musicbrainz.org/recording/{MBID}</identifier></track>"
        "<track><annotation>nothing usable</annotation></track>"
        "</trackList></playlist>"
    )
    parsed = read_playlist(tmp_path / "l.xspf")
    assert parsed.name == "Chill"
    assert parsed.entries == [
        Entry(
            title="Quiet Signal",
            artist="The Sine Waves",
            album="First Harmonics",
            duration_s=201.5,
            location="/m/a.flac",
            mb_recording_id=MBID,
        )
    ]
    assert parsed.problems == ["l.xspf: track 2 has no title or location"]


def test_jspf_as_listenbrainz_exports_it(tmp_path: Path) -> None:
    doc = {
        "playlist": {
            "title": "Weekly Jams",
            "track": [
                {
                    "title": "Quiet Signal",
                    "creator": "The Sine Waves",
                    "identifier": [f"https://musicbrainz.org/recording/{MBID}"],
                    "duration": 200000,
                },
                "not a track",
            ],
        }
    }
    (tmp_path / "w.jspf").write_text(json.dumps(doc))
    parsed = read_playlist(tmp_path / "w.jspf")
    assert parsed.name == "Weekly Jams"
    assert parsed.entries[0].mb_recording_id == MBID
    assert parsed.entries[0].duration_s == 200.0
    assert parsed.problems == ["w.jspf: track 2 is not an object; skipped"]
    (tmp_path / "x.jspf").write_text('{"tracks": []}')
    with pytest.raises(PlaylistFormatError, match="not JSPF"):
        read_playlist(tmp_path / "x.jspf")


def test_binary_and_unknown_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "song.m3u").write_bytes(b"ID3\x00\x00\x00binary")
    with pytest.raises(PlaylistFormatError, match="binary data"):
        read_playlist(tmp_path / "song.m3u")
    with pytest.raises(PlaylistFormatError, match="cannot read"):
        read_playlist(tmp_path / "absent.m3u")


def test_export_is_relative_under_its_folder_and_reads_back(tmp_path: Path) -> None:
    inside = str(tmp_path / "Artist" / "Album" / "01 Song.flac")
    items = [
        ExportItem(inside, "Song", "Artist", 181.4),
        ExportItem("/elsewhere/x.mp3", "X", None, None),
    ]
    target = write_m3u8(tmp_path / "My\nList.m3u8", "My\nList", items)
    text = target.read_text(encoding="utf-8")
    assert (
        "#PLAYLIST:My List\n#EXTINF:181,Artist - Song\nArtist/Album/01 Song.flac"
        in text
    )
    back = read_playlist(target)
    assert [e.location for e in back.entries] == [inside, "/elsewhere/x.mp3"]
    assert back.entries[0].artist == "Artist"
