"""Building blocks for generated audio: ffmpeg templates, tagging, safe writes.

The sample library (:mod:`medialake.sample`) and the bench library
(``bench/build_library.py``) never encode one file per track.  They encode a
handful of short *template* clips once, bit-exactly, then copy a template and
write tags with mutagen in memory.  Files are only written when their bytes
differ from what is already on disk, so regenerating a library is a no-op for
the file system (sizes and mtimes stay the same).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mutagen.flac import FLAC
from mutagen.id3 import (
    ID3,
    TALB,
    TCMP,
    TCON,
    TDRC,
    TIT2,
    TPE1,
    TPE2,
    TPOS,
    TRCK,
    TXXX,
    UFID,
)
from mutagen.mp4 import MP4, MP4FreeForm
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

FFMPEG_MISSING = (
    "ffmpeg not found: install the 'ffmpeg' package (apt-get install ffmpeg)"
)
AUDIO_FORMATS: tuple[str, ...] = ("mp3", "flac", "ogg", "opus", "m4a")
TEMPLATE_SECONDS: tuple[int, ...] = (2, 4, 6)
BITEXACT_AUDIO = tuple("-fflags +bitexact -flags:a +bitexact -map_metadata -1".split())
_CODEC_ARGS: dict[str, tuple[str, ...]] = {
    "mp3": ("-c:a", "libmp3lame", "-b:a", "64k", "-id3v2_version", "0"),
    "flac": ("-c:a", "flac"),
    "ogg": ("-c:a", "libvorbis", "-q:a", "1"),
    "opus": ("-c:a", "libopus", "-b:a", "32k"),
    "m4a": ("-c:a", "aac", "-b:a", "64k"),
}
_MP4_FREEFORM = "----:com.apple.iTunes:"
TemplateKey = tuple[str, int]
"""A template is identified by (format, index into the durations)."""


@dataclass(frozen=True)
class MusicBrainzIds:
    """MusicBrainz identifiers written with a track (Picard's tag names)."""

    recording: str
    release_track: str
    release: str
    artist: str
    album_artist: str

    def fields(self) -> list[tuple[str, str, str]]:
        """Return ``(vorbis key, ID3/MP4 description, value)`` triples."""
        return [
            ("MUSICBRAINZ_TRACKID", "MusicBrainz Track Id", self.recording),
            (
                "MUSICBRAINZ_RELEASETRACKID",
                "MusicBrainz Release Track Id",
                self.release_track,
            ),
            ("MUSICBRAINZ_ALBUMID", "MusicBrainz Album Id", self.release),
            ("MUSICBRAINZ_ARTISTID", "MusicBrainz Artist Id", self.artist),
            (
                "MUSICBRAINZ_ALBUMARTISTID",
                "MusicBrainz Album Artist Id",
                self.album_artist,
            ),
        ]


@dataclass(frozen=True)
class TrackTags:
    """The tags written into one generated audio file."""

    artist: str
    album_artist: str
    album: str
    title: str
    track: int
    track_total: int
    disc: int
    disc_total: int
    year: int
    genre: str
    compilation: bool = False
    musicbrainz: MusicBrainzIds | None = None


def require_ffmpeg() -> str:
    """Return the ffmpeg executable path.

    Raises:
        RuntimeError: if ffmpeg is not on ``PATH``.
    """
    exe = shutil.which("ffmpeg")
    if exe is None:
        raise RuntimeError(FFMPEG_MISSING)
    return exe


def run_ffmpeg(args: Sequence[str]) -> None:
    """Run ffmpeg quietly with ``args``, overwriting the output.

    Raises:
        RuntimeError: if ffmpeg is missing or fails (its stderr is included).
    """
    cmd = [require_ffmpeg(), "-nostdin", "-hide_banner", "-v", "error", "-y", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ffmpeg failed ({done.returncode}): {done.stderr.strip()}")


def template_args(fmt: str, seconds: int, frequency: int, out: Path) -> list[str]:
    """Return ffmpeg arguments encoding a bit-exact mono sine clip to ``out``."""
    source = f"sine=frequency={frequency}:sample_rate=44100:duration={seconds}"
    return [
        "-f",
        "lavfi",
        "-i",
        source,
        *_CODEC_ARGS[fmt],
        *BITEXACT_AUDIO,
        str(out),
    ]


def encode_audio_templates(
    cache: Path,
    *,
    seconds: Sequence[int] = TEMPLATE_SECONDS,
    formats: Sequence[str] = AUDIO_FORMATS,
    executor: Executor | None = None,
) -> dict[TemplateKey, Path]:
    """Encode one template clip per (format, duration) into ``cache``.

    Args:
        cache: Folder for the templates (created if needed).
        seconds: Clip durations; the i-th gets a 220 Hz * (i + 1) tone.
        formats: Extensions from :data:`AUDIO_FORMATS`.
        executor: Pool to run ffmpeg in; by default a private 3-thread pool.

    Returns:
        The template path for each ``(format, duration index)``.
    """
    require_ffmpeg()
    cache.mkdir(parents=True, exist_ok=True)
    paths = {
        (fmt, i): cache / f"template-{i}-{sec}s.{fmt}"
        for fmt in formats
        for i, sec in enumerate(seconds)
    }
    pool = executor or ThreadPoolExecutor(max_workers=3)
    try:
        futures = [
            pool.submit(run_ffmpeg, template_args(fmt, seconds[i], 220 * (i + 1), p))
            for (fmt, i), p in paths.items()
        ]
        for future in futures:
            future.result()
    finally:
        if executor is None:
            pool.shutdown()
    return paths


def _vorbis_fields(tags: TrackTags) -> dict[str, str]:
    """Return the tags as Vorbis comments (the canonical field map)."""
    fields = {
        "ARTIST": tags.artist,
        "ALBUMARTIST": tags.album_artist,
        "ALBUM": tags.album,
        "TITLE": tags.title,
        "TRACKNUMBER": str(tags.track),
        "TRACKTOTAL": str(tags.track_total),
        "DISCNUMBER": str(tags.disc),
        "DISCTOTAL": str(tags.disc_total),
        "DATE": str(tags.year),
        "GENRE": tags.genre,
    }
    if tags.compilation:
        fields["COMPILATION"] = "1"
    if tags.musicbrainz is not None:
        fields.update({key: value for key, _, value in tags.musicbrainz.fields()})
    return fields


def _tag_id3(buf: io.BytesIO, tags: TrackTags) -> None:
    """Write ID3v2.4 frames into the MP3 in ``buf``."""
    id3 = ID3()
    id3.add(TPE1(encoding=3, text=tags.artist))
    id3.add(TPE2(encoding=3, text=tags.album_artist))
    id3.add(TALB(encoding=3, text=tags.album))
    id3.add(TIT2(encoding=3, text=tags.title))
    id3.add(TRCK(encoding=3, text=f"{tags.track}/{tags.track_total}"))
    id3.add(TPOS(encoding=3, text=f"{tags.disc}/{tags.disc_total}"))
    id3.add(TDRC(encoding=3, text=str(tags.year)))
    id3.add(TCON(encoding=3, text=tags.genre))
    if tags.compilation:
        id3.add(TCMP(encoding=3, text="1"))
    if tags.musicbrainz is not None:
        for _, desc, value in tags.musicbrainz.fields()[1:]:
            id3.add(TXXX(encoding=3, desc=desc, text=value))
        recording = tags.musicbrainz.recording.encode("ascii")
        id3.add(UFID(owner="http://musicbrainz.org", data=recording))
    buf.seek(0)
    id3.save(buf, v2_version=4, padding=lambda _info: 512)


def _tag_mp4(buf: io.BytesIO, tags: TrackTags) -> None:
    """Write iTunes-style MP4 atoms into the M4A in ``buf``."""
    audio = MP4(buf)
    if audio.tags is None:
        audio.add_tags()
    assert audio.tags is not None
    audio.tags.update(
        {
            "\xa9ART": [tags.artist],
            "aART": [tags.album_artist],
            "\xa9alb": [tags.album],
            "\xa9nam": [tags.title],
            "trkn": [(tags.track, tags.track_total)],
            "disk": [(tags.disc, tags.disc_total)],
            "\xa9day": [str(tags.year)],
            "\xa9gen": [tags.genre],
        }
    )
    if tags.compilation:
        audio.tags["cpil"] = True
    if tags.musicbrainz is not None:
        for _, desc, value in tags.musicbrainz.fields():
            audio.tags[_MP4_FREEFORM + desc] = [MP4FreeForm(value.encode("utf-8"))]
    buf.seek(0)
    audio.save(buf, padding=lambda _info: 512)


def _tag_vorbis(buf: io.BytesIO, fmt: str, tags: TrackTags) -> None:
    """Write Vorbis comments into the FLAC / Ogg Vorbis / Opus file in ``buf``."""
    kinds = {"flac": FLAC, "ogg": OggVorbis, "opus": OggOpus}
    audio = kinds[fmt](buf)
    if audio.tags is None:
        audio.add_tags()
    assert audio.tags is not None
    audio.tags.clear()
    for key, value in _vorbis_fields(tags).items():
        audio.tags[key] = [value]
    buf.seek(0)
    audio.save(buf, padding=lambda _info: 512)


def tag_audio(data: bytes, fmt: str, tags: TrackTags) -> bytes:
    """Return a copy of the encoded clip ``data`` carrying ``tags``.

    Args:
        data: Bytes of an untagged template clip.
        fmt: Its format, one of :data:`AUDIO_FORMATS`.
        tags: What to write.

    Returns:
        The tagged file's bytes (deterministic for the same inputs).
    """
    buf = io.BytesIO(data)
    if fmt == "mp3":
        _tag_id3(buf, tags)
    elif fmt == "m4a":
        _tag_mp4(buf, tags)
    elif fmt in ("flac", "ogg", "opus"):
        _tag_vorbis(buf, fmt, tags)
    else:
        raise ValueError(f"unsupported audio format: {fmt!r}")
    return buf.getvalue()


def write_if_changed(path: Path, data: bytes) -> bool:
    """Atomically write ``data`` to ``path`` unless it already holds exactly that.

    The bytes go to a temporary file in the same folder, then ``os.replace``
    moves it over ``path``, so readers never see a half-written file.

    Returns:
        True if the file was (re)written, False if it was already identical.
    """
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return True
