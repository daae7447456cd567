"""The tag reader over the whole fetched corpus: every audio test file of mutagen 1.47.0
and beets 2.14.1 (167 files other people made, fetched from PyPI by
``scripts/setup.sh --tests``; sources and licences in tests/corpus/fetch.py), scored
against what ffmpeg makes of them (tests/corpus/reference.json, written by
tests/corpus/reference.py): the duration ffmpeg decodes, its codec, sample rate and
channels, and the tags a player built on ffmpeg shows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from connectors.media_servers.filesystem.scan import media_kind
from connectors.media_servers.filesystem.tags import UnreadableMedia, read_audio

CORPUS = Path(__file__).resolve().parents[3] / "corpus"
CACHE = CORPUS / ".cache"
REFERENCE = json.loads((CORPUS / "reference.json").read_text(encoding="utf-8"))
AUDIO = sorted(k for k in REFERENCE if media_kind(Path(k).name.encode()) == "audio")
# ffprobe gives DSD's byte rate (705600) as the sample rate; the reader the DSD rate
DSD = {"dsd_lsbf_planar", "dsd_msbf"}
# AAC LC in MP4 whose sample entry says 2 channels and whose decoder config says 1:
# mutagen reports the sample entry (not built: reading the decoder config ourselves)
MONO_AAC_AS_STEREO = {
    f"beets-2.14.1/{name}.m4a"
    for name in (
        "empty",
        "full",
        "image",
        "min",
        "partial",
        "soundcheck-nonascii",
        "t_time",
        "unparseable",
    )
}


def _names(text: object) -> set[str]:
    """A tag's values as a set (ffprobe joins several with ';' or ', ')."""
    return {part.strip() for part in re.split(r";|, | / ", str(text)) if part.strip()}


def _number(text: str) -> int | None:
    match = re.match(r"\s*(\d+)", text)
    return (int(match.group(1)) or None) if match else None


def test_the_corpus_is_fetched() -> None:
    missing = [k for k in REFERENCE if not (CACHE / k).is_file()]
    assert not missing, "run scripts/setup.sh --tests (tests/corpus/fetch.py)"
    assert len(REFERENCE) >= 150


@pytest.mark.parametrize("key", AUDIO)
def test_every_real_file_is_read_as_ffmpeg_plays_it(key: str) -> None:
    truth = REFERENCE[key]
    path = CACHE / key
    if truth["decoded_s"] is None:  # ffmpeg decodes nothing: an honest error or a read
        try:
            read_audio(path)
        except UnreadableMedia as error:
            message = str(error)
        else:
            return
        assert str(CACHE) not in message
        return
    tags = read_audio(path)  # never rejected: ffmpeg decodes it
    seconds = truth["decoded_s"]
    assert tags.duration_s == pytest.approx(seconds, rel=0.01, abs=0.05)
    assert tags.codec == truth["codec"]
    assert tags.sample_rate
    assert tags.channels
    if truth["codec"] not in DSD:
        assert tags.sample_rate == truth["sample_rate"]
    if key not in MONO_AAC_AS_STEREO:
        assert tags.channels == truth["channels"]
    shown = truth["tags"]
    got = {"title": tags.title, "artist": tags.artist, "album": tags.album}
    for field in ("title", "artist", "album"):
        if field in shown:  # of several values (Vorbis, APEv2) the first is kept
            assert got[field], field
            assert _names(got[field]) <= _names(shown[field]), field
    for field, value in (("track", tags.track_no), ("disc", tags.disc_no)):
        if field in shown:
            assert value == _number(shown[field]), field


@pytest.mark.parametrize(
    ("source", "name", "codec"),
    [
        ("mutagen-1.47.0/silence-44-s.flac", "really-flac.mp3", "flac"),
        ("beets-2.14.1/full.mp3", "really-mp3.ogg", "mp3"),
        ("beets-2.14.1/full.ogg", "really-ogg.m4a", "vorbis"),
        ("mutagen-1.47.0/with-id3.aif", "really-aiff.wav", "pcm_s16be"),
    ],
)
def test_a_misnamed_file_is_read_as_what_it_is(
    tmp_path: Path, source: str, name: str, codec: str
) -> None:
    """The reader tries the format a file's name suggests first; a file whose bytes
    say otherwise is still read as what it is, tags included."""
    path = tmp_path / name
    path.write_bytes((CACHE / source).read_bytes())
    tags = read_audio(path)
    assert tags.codec == codec
    assert tags.title == read_audio(CACHE / source).title
    assert tags.duration_s == pytest.approx(read_audio(CACHE / source).duration_s)
