"""The tag reader on real files other people made: mutagen's own test data (GPL-2,
see tests/corpus/mutagen/README.md) and files ffmpeg writes, one per class of problem
seen in real libraries: every tag system, the formats once missing, files the tag
library rejects that ffmpeg decodes, and headers that lie about duration and bitrate."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zlib
from pathlib import Path

import mutagen
import pytest
from mutagen.apev2 import APEv2

from connectors.media_servers.filesystem.scan import media_kind
from connectors.media_servers.filesystem.tags import (
    UnreadableMedia,
    describe_error,
    read_audio,
)

CORPUS = Path(__file__).resolve().parents[3] / "corpus" / "mutagen"
AUDIO = sorted(p for p in CORPUS.iterdir() if media_kind(p.name.encode()) == "audio")
pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")

# file -> the fields its tags hold (as mutagen's own tests and ffprobe read them); the
# benchmark bench/tag_corpus.py scores this reader and beets against the same table
EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
# ffmpeg decodes none of these: their errors are honest
UNDECODABLE = {"almostempty.mpc", "emptyfile.mp3", "too-short.mp3"}
# ffmpeg 5.1's WMA Lossless decoder outputs 5.63 s of this 3.68 s file (its header and
# packet timestamps agree on 3.68 s); the truncated WMA is checked on its own below.
DECODER_DISAGREES = {"silence-3.wma", "issue_29.wma"}


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def decoded(path: Path) -> tuple[float | None, str | None]:
    """(seconds ffmpeg decodes, ffprobe's audio codec name) for ``path``."""
    done = subprocess.run(
        ["ffmpeg", "-v", "error", "-stats", "-i", str(path), "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=False,
    )
    times = re.findall(r"time=(\d+):(\d+):([\d.]+)", done.stderr)
    seconds = None
    if done.returncode == 0 and times:
        h, m, s = times[-1]
        seconds = int(h) * 3600 + int(m) * 60 + float(s)
    probe = subprocess.run(
        [
            *("ffprobe", "-v", "error", "-select_streams", "a:0"),
            *("-show_entries", "stream=codec_name", "-of", "default=nw=1:nk=1"),
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return seconds, (probe.stdout.strip().splitlines() or [None])[0]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_tag_system_gives_the_same_fields(name: str) -> None:
    tags = read_audio(CORPUS / name)
    got = (
        tags.title,
        tags.artist,
        tags.album,
        tags.track_no,
        tags.track_total,
        tags.disc_no,
        tags.year,
    )
    assert got == tuple(EXPECTED[name].values())


@pytest.mark.parametrize("path", AUDIO, ids=lambda p: p.name)
def test_every_file_ffmpeg_decodes_is_read_with_true_technical_fields(
    path: Path,
) -> None:
    seconds, codec = decoded(path)
    if path.name in UNDECODABLE:
        assert seconds is None
        with pytest.raises(UnreadableMedia) as error:
            read_audio(path)
        assert str(CORPUS) not in str(error.value)
        return
    tags = read_audio(path)
    assert tags.sample_rate
    assert tags.channels
    if codec is None:  # OptimFROG: ffmpeg has no decoder; the headers are all we have
        assert tags.duration_s > 0
        return
    assert tags.codec == codec
    if path.name in DECODER_DISAGREES or seconds is None:
        return
    assert tags.duration_s == pytest.approx(seconds, rel=0.01, abs=0.05)


def test_musicbrainz_ids_and_replaygain_are_read() -> None:
    tags = read_audio(CORPUS / "flac_application.flac")
    assert tags.mb_recording_id == "e65fb332-0c1e-4172-85e0-59cd37e5669e"
    assert tags.mb_release_id == "359a91e9-3bb3-4b60-a823-8aaa4bad1e36"
    assert tags.replaygain_track_db == pytest.approx(-8.08)
    assert tags.replaygain_album_db == pytest.approx(-8.14)
    assert (tags.codec, tags.bit_depth, tags.sample_rate) == ("flac", 16, 44100)


def test_nonstandard_vorbis_track_and_disc_keys(tmp_path: Path) -> None:
    path = shutil.copy(CORPUS / "flac_application.flac", tmp_path / "x.flac")
    audio = mutagen.File(path)
    del audio.tags["tracknumber"]
    audio.tags["TRACK"] = "5"
    audio.tags["DISC"] = "2/3"
    audio.save()
    tags = read_audio(Path(path))
    assert (tags.track_no, tags.disc_no, tags.disc_total) == (5, 2, 3)


def test_apev2_track_and_disc(tmp_path: Path) -> None:
    path = Path(shutil.copy(CORPUS / "silence-44-s.wv", tmp_path / "x.wv"))
    ape = APEv2(path)
    ape["Track"] = "9/12"
    ape["Disc"] = "2/2"
    ape["Album Artist"] = "Various Artists"
    ape.save(path)
    tags = read_audio(path)
    assert (tags.track_no, tags.track_total, tags.disc_no, tags.disc_total) == (
        9,
        12,
        2,
        2,
    )
    assert tags.album_artist == "Various Artists"


def test_riff_info_and_aiff_text_chunks_are_read(tmp_path: Path) -> None:
    wav, aiff = tmp_path / "info.wav", tmp_path / "text.aiff"
    meta = ("-metadata", "title=Info Title", "-metadata", "artist=Info Artist")
    more = ("-metadata", "album=Info Album", "-metadata", "track=7")
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "sine=d=1",
        *meta,
        *more,
        "-metadata",
        "date=1999",
        str(wav),
    )
    _ffmpeg("-f", "lavfi", "-i", "sine=d=1", "-metadata", "title=Aiff Name", str(aiff))
    info = read_audio(wav)
    assert (info.title, info.artist, info.album, info.track_no, info.year) == (
        "Info Title",
        "Info Artist",
        "Info Album",
        7,
        1999,
    )
    assert read_audio(aiff).title == "Aiff Name"


def test_headers_that_lie_are_cross_checked(tmp_path: Path) -> None:
    mp3_wav, ima, junk = tmp_path / "mp3.wav", tmp_path / "ima.aiff", tmp_path / "j.aac"
    _ffmpeg(
        "-f", "lavfi", "-i", "sine=d=5", "-c:a", "libmp3lame", "-f", "wav", str(mp3_wav)
    )
    _ffmpeg("-f", "lavfi", "-i", "sine=d=12.3", "-c:a", "adpcm_ima_qt", str(ima))
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "sine=d=3",
        "-c:a",
        "aac",
        "-f",
        "adts",
        str(tmp_path / "a.aac"),
    )
    junk.write_bytes(b"\x00junk" * 600 + (tmp_path / "a.aac").read_bytes())
    inside = read_audio(mp3_wav)
    assert (inside.container, inside.codec) == ("wav", "mp3")
    assert inside.duration_s == pytest.approx(5.0, rel=0.01)
    assert inside.bitrate is not None
    assert inside.bitrate < 200_000  # not 705.6k PCM
    adpcm = read_audio(ima)
    assert adpcm.codec == "adpcm_ima_qt"
    assert adpcm.duration_s == pytest.approx(12.3, rel=0.01)
    aac = read_audio(junk)  # mutagen: "can't sync"; ffmpeg decodes it
    assert aac.codec == "aac"
    assert aac.duration_s == pytest.approx(3.0, abs=0.1)
    wma = read_audio(CORPUS / "issue_29.wma")  # truncated: header says 40.6 s
    assert wma.duration_s == pytest.approx(
        decoded(CORPUS / "issue_29.wma")[0], abs=0.15
    )
    short = read_audio(CORPUS / "vbri.mp3")  # 8 KiB cut of a song: VBRI says 222 s
    assert short.duration_s == pytest.approx(0.44, abs=0.05)


def test_lossless_without_a_header_bitrate_gets_one() -> None:
    for name in ("mac-399.ape", "silence-44-s.wv", "empty.tta"):
        tags = read_audio(CORPUS / name)
        assert tags.bitrate, name


def test_error_texts_say_what_and_name_no_absolute_path() -> None:
    with pytest.raises(UnreadableMedia) as error:
        read_audio(CORPUS / "almostempty.mpc")
    text = str(error.value)
    assert "ID3v2.32 not supported" in text
    assert str(CORPUS) not in text
    with pytest.raises(UnreadableMedia, match="empty file"):
        read_audio(CORPUS / "emptyfile.mp3")


@pytest.mark.parametrize(
    "name",
    ["a.dsf", "a.dff", "a.tta", "a.ofr", "a.ofs", "a.spx", "a.ac3", "a.caf", "a.asf"],
)
def test_the_missing_formats_are_listed(name: str) -> None:
    assert media_kind(name.encode()) == "audio"


def test_bare_reader_errors_are_described_without_the_path() -> None:
    from mutagen.id3._util import error as id3_error

    path = Path("/library/Artist/song.mp3")
    assert describe_error(id3_error(), path) == "ID3: damaged tag or stream data"
    assert describe_error(zlib.error(), path) == (
        "a compressed tag frame cannot be decompressed"
    )
    text = describe_error(OSError(2, "No such file", str(path)), path)
    assert "/library" not in text
    assert "song.mp3" in text
