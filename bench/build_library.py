"""Build a large, deterministic, tagged audio library for benchmarks, fast.

Only a few template clips are encoded (with :mod:`medialake.sample_audio`, the
same bit-exact templates the sample library uses); every file is a template
copy with its own mutagen tags, written by a pool of worker processes.

Layout: ``<dest>/Music/<Artist>/<Album (Year)>/<NN> <Title>.<ext>`` with 10
tracks per album and 20 albums per artist, in mp3, flac, ogg and m4a.  Files
that already hold the right bytes are not rewritten.

Usage::

    uv run python bench/build_library.py --files 20000 --dest /some/where
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from medialake.sample_audio import (
    MusicBrainzIds,
    TemplateKey,
    TrackTags,
    encode_audio_templates,
    tag_audio,
    write_if_changed,
)

BENCH_FORMATS = ("mp3", "flac", "ogg", "m4a")
BENCH_SECONDS = (2, 3)
TRACKS_PER_ALBUM = 10
ALBUMS_PER_ARTIST = 20
DEFAULT_DEST = Path(__file__).resolve().parent / ".work" / "library"
_GENRES = ("Rock", "Jazz", "Electronic", "Classical", "Hip-Hop", "Folk", "Pop")
_NAMES = ("Bench Artist", "Bénch Ärtist", "Тест Артист", "ベンチ", "Prófun")
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://medialake.invalid/bench")

_templates: dict[TemplateKey, bytes] = {}
"""Template bytes, loaded once per worker process by :func:`_load_templates`."""


def _load_templates(paths: dict[TemplateKey, Path]) -> None:
    """Pool initializer: read every template into this process's memory."""
    _templates.update({key: path.read_bytes() for key, path in paths.items()})


def _mbid(*parts: object) -> str:
    """Return a deterministic fake MusicBrainz id."""
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(map(str, parts))))


def bench_track(i: int) -> tuple[str, str, int, TrackTags]:
    """Describe the i-th bench file.

    Returns:
        ``(relative path, format, template index, tags)``.
    """
    artist_no, rest = divmod(i, TRACKS_PER_ALBUM * ALBUMS_PER_ARTIST)
    album_no, track_no = divmod(rest, TRACKS_PER_ALBUM)
    artist = f"{_NAMES[artist_no % len(_NAMES)]} {artist_no:04d}"
    album = f"Album {album_no + 1:02d} of {artist}"
    year = 1960 + (artist_no * 7 + album_no) % 64
    title = f"Track {track_no + 1:02d} ({i:06d})"
    fmt = BENCH_FORMATS[(artist_no + album_no) % len(BENCH_FORMATS)]
    ids = None
    if album_no % 2 == 0:
        ids = MusicBrainzIds(
            recording=_mbid("recording", i),
            release_track=_mbid("track", i),
            release=_mbid("release", artist_no, album_no),
            artist=_mbid("artist", artist_no),
            album_artist=_mbid("artist", artist_no),
        )
    tags = TrackTags(
        artist=artist,
        album_artist=artist,
        album=album,
        title=title,
        track=track_no + 1,
        track_total=TRACKS_PER_ALBUM,
        disc=1,
        disc_total=1,
        year=year,
        genre=_GENRES[(artist_no + album_no) % len(_GENRES)],
        musicbrainz=ids,
    )
    path = f"Music/{artist}/{album} ({year})/{track_no + 1:02d} {title}.{fmt}"
    return path, fmt, i % len(BENCH_SECONDS), tags


def _build_range(dest: Path, start: int, stop: int) -> int:
    """Write bench files ``start`` to ``stop - 1``; return how many changed."""
    written = 0
    for i in range(start, stop):
        path, fmt, template, tags = bench_track(i)
        data = tag_audio(_templates[(fmt, template)], fmt, tags)
        written += write_if_changed(dest / path, data)
    return written


def build_bench_library(
    dest: Path, n_files: int = 20000, *, workers: int | None = None
) -> Path:
    """Build (or refresh) a bench library of ``n_files`` tagged audio files.

    Args:
        dest: Library root; files go under ``dest/Music``.
        n_files: Number of audio files.
        workers: Worker processes (default: one per CPU, at most 8).

    Returns:
        ``dest``.

    Raises:
        RuntimeError: if ffmpeg is missing or a template encode fails.
    """
    workers = workers or min(os.cpu_count() or 1, 8)
    step = max(50, n_files // (workers * 8) + 1)
    with tempfile.TemporaryDirectory(prefix="medialake-bench-") as tmp:
        paths = encode_audio_templates(
            Path(tmp), seconds=BENCH_SECONDS, formats=BENCH_FORMATS
        )
        with ProcessPoolExecutor(
            workers, initializer=_load_templates, initargs=(paths,)
        ) as pool:
            futures = [
                pool.submit(_build_range, dest, start, min(start + step, n_files))
                for start in range(0, n_files, step)
            ]
            for future in futures:
                future.result()
    return dest


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point: build the library and print the time taken."""
    parser = argparse.ArgumentParser(description="Build a large bench library.")
    parser.add_argument("--files", type=int, default=20000, help="number of files")
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST, help="library root")
    parser.add_argument("--workers", type=int, default=None, help="processes")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    build_bench_library(args.dest, args.files, workers=args.workers)
    elapsed = time.perf_counter() - began
    print(f"built {args.files} files under {args.dest} in {elapsed:.1f}s")


if __name__ == "__main__":
    main()
