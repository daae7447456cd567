"""Generate a small, deterministic sample media library of real, playable files.

``generate_sample(dest)`` writes ~200 tagged audio tracks (mp3, flac, ogg
vorbis, opus, m4a) under ``dest/Music`` and a few short H.264/AAC movies and
TV episodes under ``dest/Video`` (one movie of 60 s in 1080p).  Only a handful of
clips are encoded with ffmpeg (bit-exact); every track is a template copy with its
own mutagen tags.
Running it again over the same ``dest`` rewrites nothing that is unchanged.

Music layout: ``Music/<Album Artist>/<Album (Year)>/[<disc>-]<NN> <Title>.<ext>``
(the disc prefix only on multi-disc albums).  The catalog has one 2-disc
album, one "Various Artists" compilation, non-ASCII names (French, Icelandic,
Japanese, Russian, Spanish) and artists whose albums span several formats.
"""

from __future__ import annotations

import subprocess
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import mutagen

from medialake.sample_audio import (
    AUDIO_FORMATS,
    BITEXACT_AUDIO,
    TEMPLATE_SECONDS,
    MusicBrainzIds,
    TemplateKey,
    TrackTags,
    encode_audio_templates,
    require_ffmpeg,
    run_ffmpeg,
    tag_audio,
    write_if_changed,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from concurrent.futures import Future

__all__ = [
    "AUDIO_FORMATS",
    "SAMPLE_VIDEOS",
    "VARIOUS_ARTISTS",
    "SampleSummary",
    "SampleTrack",
    "SampleVideo",
    "encode_audio_templates",
    "generate_sample",
    "sample_tracks",
]

VARIOUS_ARTISTS = "Various Artists"
_VARIOUS_MBID = "89ad4ac3-39f7-470e-963a-56509c546377"  # MusicBrainz's real VA id
_MBID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://medialake.invalid/sample")


@dataclass(frozen=True)
class SampleSummary:
    """What :func:`generate_sample` produced.

    Attributes:
        root: The ``dest`` folder.
        tracks: Number of audio files.
        artists: Distinct names used as a track artist or an album artist
            (``"Various Artists"`` included).
        albums: Distinct ``(album artist, album)`` pairs.
        movies: Number of movie files.
        shows: Distinct TV show titles.
        episodes: Number of episode files.
        seconds: Total playing time of every file: audio lengths as mutagen
            reads them plus video lengths as ffprobe reads them.
    """

    root: Path
    tracks: int
    artists: int
    albums: int
    movies: int
    shows: int
    episodes: int
    seconds: float


@dataclass(frozen=True)
class SampleTrack:
    """One planned audio file: relative path, format, template index and tags."""

    path: str
    fmt: str
    template: int
    tags: TrackTags


@dataclass(frozen=True)
class SampleVideo:
    """One planned video file and what guessit should parse from its path."""

    path: str
    kind: Literal["movie", "episode"]
    title: str
    year: int | None = None
    season: int | None = None
    episode: int | None = None
    seconds: int = 2
    height: int = 180  # 16:9; 1080: the clip that shows a real ladder and seeking
    loop_s: int = 0  # >0: encode this many seconds, then repeat them (stream copy)


@dataclass(frozen=True)
class _Album:
    artist: str
    title: str
    year: int
    genre: str
    fmt: str
    lang: str
    tracks: int
    discs: int = 1
    mbids: bool = True


_SINE, _ELODIE, _HRAFN = "The Sine Waves", "Élodie Marchand", "Hrafnhildur Þórsdóttir"
_MINATO, _VOLNY, _OSC = "星野みなと", "Ночные Волны", "Oscillator Club"
_MANANA, _VA = "Mañana Eléctrica", VARIOUS_ARTISTS
_ALBUMS: tuple[_Album, ...] = (
    _Album(_SINE, "First Harmonics", 2012, "Rock", "mp3", "en", 12),
    _Album(_SINE, "Square Deal", 2015, "Rock", "mp3", "en", 11, mbids=False),
    _Album(_SINE, "Sawtooth Sunrise", 2019, "Alternative", "flac", "en", 10),
    _Album(_ELODIE, "Rêveries d'été", 2014, "Chanson", "flac", "fr", 12),
    _Album(_ELODIE, "Café Lumière", 2017, "Chanson", "ogg", "fr", 13, mbids=False),
    _Album(_ELODIE, "Nuit Blanche", 2020, "Pop", "flac", "fr", 10),
    _Album(_HRAFN, "Jökulsárlón Sessions", 2016, "Ambient", "flac", "is", 11, discs=2),
    _Album(_HRAFN, "Þokan", 2021, "Ambient", "opus", "is", 11),
    _Album(_MINATO, "夜明けの街", 2018, "J-Pop", "m4a", "ja", 12),
    _Album(_MINATO, "桜前線", 2022, "J-Pop", "m4a", "ja", 10, mbids=False),
    _Album(_VOLNY, "Белые ночи", 2013, "Post-Punk", "ogg", "ru", 12),
    _Album(_VOLNY, "Дорога домой", 2020, "Post-Punk", "opus", "ru", 11, mbids=False),
    _Album(_OSC, "Low Pass", 2011, "Electronic", "m4a", "en", 13),
    _Album(_OSC, "High Pass", 2014, "Electronic", "mp3", "en", 12, mbids=False),
    _Album(_OSC, "Band Pass", 2023, "Electronic", "opus", "en", 10),
    _Album(_MANANA, "Señales", 2019, "Latin", "ogg", "es", 12),
    _Album(_VA, "Test Tones, Vol. 1", 2024, "Electronic", "mp3", "en", 15),
)
# Track artists of the compilation: some album artists, two guests only found here.
_GUESTS = (_SINE, "Zoë & the Nulls", _ELODIE, "DJ Bitexact", _VOLNY, _OSC, _MINATO)
# Track titles are "<first><joiner><second>"; 9 firsts x 8 seconds per language.
_WORDS: dict[str, tuple[str, str, str]] = {
    "en": (
        "Quiet|Electric|Hollow|Golden|Distant|Broken|Silver|Midnight|Paper",
        "Signal|Harbor|Engine|Lantern|Signal/Noise|Echo|Meridian|Orbit",
        " ",
    ),
    "fr": (
        "Lumière|Rêverie|Forêt|Mémoire|Fenêtre|Été|Château|Ciel|Océan",
        "d'automne|à Noël|sans fin|éternelle|du soir|en été|au café|de Nîmes",
        " ",
    ),
    "is": (
        "Ljós|Þoka|Hafið|Vetur|Sól|Jökull|Fjörður|Nótt|Eldur",
        "og myrkur|í dögun|á Íslandi|undir jökli|við hafið|í þögn|og ís|á ný",
        " ",
    ),
    "ja": (
        "夜明け|桜|月光|雨|海辺|星空|風|夏祭り|雪",
        "の街|の歌|の約束|の記憶|の道|の夢|の窓|の光",
        "",
    ),
    "ru": (
        "Зима|Ночь|Река|Берёза|Звёзды|Дорога|Огни|Рассвет|Ветер",
        "над городом|под луной|в тумане|и снег|без конца|за окном|домой|в июле",
        " ",
    ),
    "es": (
        "Señal|Mañana|Corazón|Canción|Árbol|Camión|Niño|Jardín|Relámpago",
        "de otoño|en el mar|sin fin|del sur|para ti|de neón|en Almería|bajo la lluvia",
        " ",
    ),
}
_VIDEO_CODECS = (
    "-map 0:v -map 1:a -c:v libx264 -preset veryfast -crf 32 -pix_fmt yuv420p"
    " -threads 1 -c:a aac -b:a 64k"
).split()
_FFPROBE_DURATION = (
    "ffprobe -v error -show_entries format=duration"
    " -of default=noprint_wrappers=1:nokey=1"
).split()
_MOVIES = (
    ("Big Test Picture", 2019, "mp4", 3),
    ("The Color Bars", 2021, "mkv", 4),
    ("Signal and Noise", 2015, "mp4", 2),
)
_EPISODES = (
    ("Sample Show", 1, 1, "Pilot", "mkv"),
    ("Sample Show", 1, 2, "Second Light", "mkv"),
    ("Sample Show", 2, 1, "New Beginnings", "mkv"),
    ("Sample Show", 2, 2, "The Long Night", "mkv"),
    ("Night Signals", 1, 1, "Static", "mp4"),
    ("Night Signals", 1, 2, "Carrier Wave", "mp4"),
)


def _movie(title: str, year: int, ext: str, seconds: int) -> SampleVideo:
    name = f"{title} ({year})"
    path = f"Video/Movies/{name}/{name}.{ext}"
    return SampleVideo(path, "movie", title, year=year, seconds=seconds)


def _episode(show: str, season: int, episode: int, name: str, ext: str) -> SampleVideo:
    file = f"{show} - S{season:02d}E{episode:02d} - {name}.{ext}"
    path = f"Video/Shows/{show}/Season {season:02d}/{file}"
    return SampleVideo(path, "episode", show, season=season, episode=episode)


# One 60 s 1080p movie, so the demo shows a real ladder (1080/720/360), seeking and a
# watch session. 2 s are encoded (one keyframe each 2 s) and repeated by stream copy:
# seconds of encoding instead of a minute.
HD_MOVIE = SampleVideo(
    "Video/Movies/One Long Minute (2024)/One Long Minute (2024).mp4",
    "movie",
    "One Long Minute",
    year=2024,
    seconds=60,
    height=1080,
    loop_s=2,
)
SAMPLE_VIDEOS: tuple[SampleVideo, ...] = (
    *(_movie(*movie) for movie in _MOVIES),
    *(_episode(*episode) for episode in _EPISODES),
    HD_MOVIE,  # last: the other files' bytes stay as they were
)


def _safe(name: str) -> str:
    """Make ``name`` usable as one path component (no ``/`` or NUL)."""
    return name.replace("/", "_").replace("\0", "_").strip() or "_"


def _mbid(*parts: object) -> str:
    """Return a deterministic fake MusicBrainz id for ``parts``."""
    return str(uuid.uuid5(_MBID_NAMESPACE, "\x1f".join(map(str, parts))))


def _title(album_index: int, lang: str, n: int) -> str:
    """Return the n-th (0-based) track title of an album; unique per album."""
    first_words, second_words, joiner = _WORDS[lang]
    firsts, seconds = first_words.split("|"), second_words.split("|")
    k = (album_index * 11 + n * 7) % (len(firsts) * len(seconds))
    return f"{firsts[k % len(firsts)]}{joiner}{seconds[k // len(firsts)]}"


def _plan_track(index: int, album: _Album, n: int) -> SampleTrack:
    """Plan the n-th (0-based, across discs) track of album number ``index``."""
    compilation = album.artist == VARIOUS_ARTISTS
    disc, track = (x + 1 for x in divmod(n, album.tracks))
    title = _title(index, album.lang, n)
    artist = _GUESTS[n % len(_GUESTS)] if compilation else album.artist
    ids = None
    if album.mbids:
        ids = MusicBrainzIds(
            recording=_mbid("recording", artist, title),
            release_track=_mbid("track", album.artist, album.title, disc, track),
            release=_mbid("release", album.artist, album.title),
            artist=_mbid(artist),
            album_artist=_VARIOUS_MBID if compilation else _mbid(album.artist),
        )
    tags = TrackTags(
        artist=artist,
        album_artist=album.artist,
        album=album.title,
        title=title,
        track=track,
        track_total=album.tracks,
        disc=disc,
        disc_total=album.discs,
        year=album.year,
        genre=album.genre,
        compilation=compilation,
        musicbrainz=ids,
    )
    folder = f"Music/{_safe(album.artist)}/{_safe(f'{album.title} ({album.year})')}"
    prefix = f"{disc}-" if album.discs > 1 else ""
    path = f"{folder}/{prefix}{track:02d} {_safe(title)}.{album.fmt}"
    return SampleTrack(path, album.fmt, (index + n) % len(TEMPLATE_SECONDS), tags)


def sample_tracks() -> list[SampleTrack]:
    """Return every planned audio track, in generation order."""
    return [
        _plan_track(i, album, n)
        for i, album in enumerate(_ALBUMS)
        for n in range(album.tracks * album.discs)
    ]


def _video_args(video: SampleVideo, index: int, out: Path) -> list[str]:
    """Return ffmpeg arguments for a bit-exact H.264/AAC test clip."""
    sec = video.loop_s or video.seconds
    size = f"{video.height * 16 // 9}x{video.height}"
    picture = f"testsrc2=size={size}:rate=24:duration={sec}"
    tone = f"sine=frequency={300 + 50 * index}:duration={sec}"
    return [
        *("-f", "lavfi", "-i", picture, "-f", "lavfi", "-i", tone),
        *_VIDEO_CODECS,
        *(("-g", "48") if video.loop_s else ()),
        *BITEXACT_AUDIO,
        *("-flags:v", "+bitexact", "-shortest", str(out)),
    ]


def _loop_args(video: SampleVideo, part: Path, out: Path) -> list[str]:
    """Return ffmpeg arguments repeating ``part`` up to the video's length."""
    repeats = -(-video.seconds // video.loop_s) - 1
    return [
        *("-stream_loop", str(repeats), "-i", str(part), "-c", "copy"),
        *("-t", str(video.seconds), *BITEXACT_AUDIO, str(out)),
    ]


def _encode_video(video: SampleVideo, index: int, cache: Path) -> tuple[bytes, float]:
    """Encode one video into ``cache``; return its bytes and ffprobe duration."""
    out = cache / f"video-{index}{Path(video.path).suffix}"
    if video.loop_s:
        part = out.with_name(f"part-{out.name}")
        run_ffmpeg(_video_args(video, index, part))
        run_ffmpeg(_loop_args(video, part, out))
    else:
        run_ffmpeg(_video_args(video, index, out))
    probe = subprocess.run(
        [*_FFPROBE_DURATION, str(out)], capture_output=True, text=True, check=True
    )
    return out.read_bytes(), float(probe.stdout.strip())


def _summarize(dest: Path, tracks: list[SampleTrack], seconds: float) -> SampleSummary:
    """Count what was generated."""
    names = {t.tags.artist for t in tracks} | {t.tags.album_artist for t in tracks}
    return SampleSummary(
        root=dest,
        tracks=len(tracks),
        artists=len(names),
        albums=len({(t.tags.album_artist, t.tags.album) for t in tracks}),
        movies=sum(v.kind == "movie" for v in SAMPLE_VIDEOS),
        shows=len({v.title for v in SAMPLE_VIDEOS if v.kind == "episode"}),
        episodes=sum(v.kind == "episode" for v in SAMPLE_VIDEOS),
        seconds=round(seconds, 3),
    )


def _audio_files(
    tracks: list[SampleTrack], templates: dict[TemplateKey, Path]
) -> Iterator[tuple[str, bytes, float]]:
    """Yield ``(relative path, bytes, seconds)`` for every tagged track."""
    data = {key: path.read_bytes() for key, path in templates.items()}
    lengths = {key: _length(path) for key, path in templates.items()}
    for track in tracks:
        key = (track.fmt, track.template)
        yield track.path, tag_audio(data[key], track.fmt, track.tags), lengths[key]


def _video_files(
    futures: list[Future[tuple[bytes, float]]],
) -> Iterator[tuple[str, bytes, float]]:
    """Yield ``(relative path, bytes, seconds)`` for every encoded video."""
    for video, future in zip(SAMPLE_VIDEOS, futures, strict=True):
        content, length = future.result()
        yield video.path, content, length


def _length(path: Path) -> float:
    """Return the playing time mutagen reads from an audio file."""
    audio = mutagen.File(path)
    if audio is None:
        raise RuntimeError(f"mutagen cannot read generated template {path}")
    return float(audio.info.length)


def generate_sample(
    dest: Path, *, progress: Callable[[int, int], None] | None = None
) -> SampleSummary:
    """Write (or refresh) the deterministic sample library under ``dest``.

    Each file goes to a temporary name in its folder and is moved into place
    only if its bytes differ from the file already there; files this module
    does not generate are never touched or removed.

    Args:
        dest: Library root; ``Music/`` and ``Video/`` are created inside it.
        progress: Called as ``progress(done, total)`` after each file.

    Returns:
        Counts of what the library holds.

    Raises:
        RuntimeError: if ffmpeg is not installed or an encode fails.
    """
    require_ffmpeg()
    tracks = sample_tracks()
    total = len(tracks) + len(SAMPLE_VIDEOS)
    seconds = 0.0
    with (
        tempfile.TemporaryDirectory(prefix="medialake-sample-") as tmp,
        ThreadPoolExecutor(max_workers=3) as pool,
    ):
        cache = Path(tmp)
        videos = [
            pool.submit(_encode_video, v, i, cache) for i, v in enumerate(SAMPLE_VIDEOS)
        ]
        templates = encode_audio_templates(cache, executor=pool)
        files = chain(_audio_files(tracks, templates), _video_files(videos))
        for done, (relative, content, length) in enumerate(files, start=1):
            write_if_changed(dest / relative, content)
            seconds += length
            if progress is not None:
                progress(done, total)
    return _summarize(dest, tracks, seconds)
