"""The tag reader over the whole fetched corpus: the media test files of twelve
projects on PyPI (mutagen, beets, picard, pytaglib, hachoir, puremagic, ...: 310 files
other people made, fetched by ``scripts/setup.sh --tests``; sources and licences in
tests/corpus/README.md), scored against what ffmpeg makes of them
(tests/corpus/reference.json, written by tests/corpus/reference.py): the duration ffmpeg
decodes, its codec, sample rate and channels, and the tags a player built on ffmpeg
shows; and against beets reading the same files (tests/corpus/beets.json, recorded by
``bench.tag_corpus --record``). Each file is read once per session."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import pytest

from connectors.media_servers.filesystem.scan import media_kind
from connectors.media_servers.filesystem.tags import (
    AudioTags,
    UnreadableMedia,
    read_audio,
)

CORPUS = Path(__file__).resolve().parents[3] / "corpus"
CACHE = CORPUS / ".cache"
REFERENCE = json.loads((CORPUS / "reference.json").read_text(encoding="utf-8"))
BEETS = json.loads((CORPUS / "beets.json").read_text(encoding="utf-8"))
AUDIO = sorted(k for k in REFERENCE if media_kind(Path(k).name.encode()) == "audio")
DECODED = [k for k in AUDIO if REFERENCE[k]["decoded_s"] is not None]
FIELDS = ("title", "artist", "album", "track", "disc")
# ffprobe gives DSD's byte rate (705600) as the sample rate; the reader the DSD rate
DSD = {"dsd_lsbf_planar", "dsd_msbf"}


def _names(text: object) -> set[str]:
    """A tag's values as a set (ffprobe joins several with ';' or ', ')."""
    return {part.strip() for part in re.split(r";|, | / ", str(text)) if part.strip()}


def _number(text: str) -> int | None:
    match = re.match(r"\s*(\d+)", text)
    return (int(match.group(1)) or None) if match else None


@functools.cache
def _read(key: str) -> AudioTags | UnreadableMedia:
    """Our reading of one corpus file (or its refusal), once per session."""
    try:
        return read_audio(CACHE / key)
    except UnreadableMedia as error:
        return error


def _right(value: object, shown: str, field: str) -> bool:
    """Whether a reader's field is what ffprobe shows: the same number for track and
    disc; for text, one or more of the values ffprobe joins (';', ', ' or ' / ')."""
    if field in {"track", "disc"}:
        return (value or None) == _number(shown)
    return bool(value) and _names(value) <= _names(shown)


def _fields(tags: AudioTags) -> dict[str, object]:
    return {
        "title": tags.title,
        "artist": tags.artist,
        "album": tags.album,
        "track": tags.track_no,
        "disc": tags.disc_no,
    }


def test_the_corpus_is_fetched() -> None:
    missing = [k for k in REFERENCE if not (CACHE / k).is_file()]
    assert not missing, "run scripts/setup.sh --tests (tests/corpus/fetch.py)"
    assert len(REFERENCE) >= 300
    assert len(DECODED) >= 220  # audio files ffmpeg decodes
    assert set(BEETS) == set(AUDIO), "run python -m bench.tag_corpus --record"


@pytest.mark.parametrize("field", FIELDS)
def test_tags_are_read_right_at_least_as_often_as_beets_reads_them(field: str) -> None:
    """Per field, of the files whose tag ffprobe shows: as many or more read right by
    us as by beets 2.14.1 (its reading recorded in tests/corpus/beets.json)."""
    having = [k for k in AUDIO if field in REFERENCE[k]["tags"]]
    assert len(having) >= {"disc": 20}.get(field, 50)
    ours = beets = 0
    for key in having:
        shown = REFERENCE[key]["tags"][field]
        tags = _read(key)
        ours += isinstance(tags, AudioTags) and _right(
            _fields(tags)[field], shown, field
        )
        beets += "error" not in BEETS[key] and _right(BEETS[key][field], shown, field)
    assert ours >= beets, f"{field}: ours {ours}/{len(having)}, beets {beets}"


def test_durations_are_right_within_one_percent_on_99_percent_of_files() -> None:
    """Against the seconds ffmpeg decodes (its samples counted), within 1% (50 ms for
    the shortest cuts): headers that lie (truncated files, estimates) are caught."""
    wrong = []
    for key in DECODED:
        tags, seconds = _read(key), REFERENCE[key]["decoded_s"]
        if not isinstance(tags, AudioTags) or abs(tags.duration_s - seconds) > max(
            0.01 * seconds, 0.05
        ):
            wrong.append(key)
    assert len(wrong) <= 0.01 * len(DECODED), wrong


@pytest.mark.parametrize("key", AUDIO)
def test_every_real_file_is_read_as_ffmpeg_plays_it(key: str) -> None:
    truth = REFERENCE[key]
    tags = _read(key)
    if truth["decoded_s"] is None:  # ffmpeg decodes nothing: an honest error or a read
        if isinstance(tags, UnreadableMedia):
            assert str(tags)
            assert str(CACHE) not in str(tags)
            assert str(tags) not in {"error", "ID3: error"}
        return
    assert isinstance(tags, AudioTags), f"rejected: {tags}"  # ffmpeg decodes it
    assert tags.codec == truth["codec"]
    assert tags.sample_rate
    assert tags.channels
    if truth["codec"] not in DSD:
        assert tags.sample_rate == truth["sample_rate"]
    assert tags.channels == truth["channels"]
    got = _fields(tags)
    for field, shown in truth["tags"].items():  # of several values the first is kept
        assert _right(got[field], shown, field), (field, got[field], shown)


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


def test_a_tag_longer_than_its_file_is_an_error_that_says_so() -> None:
    """pytaglib's compressed-ID3-frame file, cut to 5,000 bytes: ffmpeg decodes
    nothing; the reason given is the tag's, not mutagen's bare ``error``."""
    refused = _read("pytaglib-3.2.0/compressed_id3_frame.mp3")
    assert isinstance(refused, UnreadableMedia)
    assert "ID3: the tag runs past the end of the file" in str(refused)


def test_an_mp3_from_ffmpegs_encoder_lasts_what_it_plays() -> None:
    """puremagic's MPEG-2 VBR file: its Xing count promises 3.265 s; the delay and
    padding in ffmpeg's own LAME-style header (which mutagen skips) are not played."""
    tags = _read("puremagic-2.2.0/test_mpeg2_mp3_VBR_128k_id3v2_24.mp3")
    assert isinstance(tags, AudioTags)
    assert tags.duration_s == pytest.approx(3.196, abs=0.002)


def test_mono_aac_under_a_stereo_sample_entry_is_mono() -> None:
    """beets' AAC files: the sample entry says 2 channels, the decoder configuration
    mono at 44.1 kHz (no room for Parametric Stereo); ffmpeg decodes one channel."""
    for name in ("full", "min", "partial", "image"):
        tags = _read(f"beets-2.14.1/{name}.m4a")
        assert isinstance(tags, AudioTags)
        assert tags.channels == 1
    stereo = _read("pytaglib-3.2.0/issue46.m4a")
    assert isinstance(stereo, AudioTags)
    assert stereo.channels == 2


@pytest.mark.parametrize(
    "key",
    [
        "hachoir-3.4.0/ladouce_1h15.wav",  # a WAV header promising 534 s, 5 KB kept
        "audiofile-1.6.1/gs-16b-1c-44100hz.aac",  # ADTS: mutagen estimates 13.9 s
        "pymediainfo-7.0.1/aac_he_v2.aac",  # HE-AAC v2: headers say 22 kHz mono
        "hachoir-3.4.0/hotel_california.flac",  # a FLAC cut to 32 KB
        "mutagen-1.47.0/issue_29.wma",  # a truncated WMA whose header says 40.6 s
    ],
)
def test_a_header_that_lies_is_checked_against_what_ffmpeg_decodes(key: str) -> None:
    truth, tags = REFERENCE[key], _read(key)
    assert isinstance(tags, AudioTags)
    assert tags.duration_s == pytest.approx(truth["decoded_s"], rel=0.01, abs=0.05)
    assert tags.sample_rate == truth["sample_rate"]
    assert tags.channels == truth["channels"]
