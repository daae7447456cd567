"""What ffmpeg makes of every file of the fetched corpus: the reference the corpus test
and ``bench.tag_corpus`` score the tag reader against.

For each file (``<source>/<name>`` under ``tests/corpus/.cache``), ``reference.json``
holds the seconds ffmpeg decodes to the end (the decoded samples counted, not a header
or a progress line: ffmpeg 5.1's DSF demuxer reports 8 times the real time), the audio
codec, sample rate and channels ffprobe names, and the tags ffprobe shows (title,
artist, album, track, disc: what a player built on ffmpeg displays). ``decoded_s`` is
null where ffmpeg decodes nothing.

    python tests/corpus/fetch.py && .venv/bin/python tests/corpus/reference.py
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
REFERENCE = HERE / "reference.json"
_RATE = 48000  # every decode is resampled to this, mono, 16-bit: bytes / 96000 = s
_TAGS = ("title", "artist", "album", "track", "disc")


def corpus_files() -> list[Path]:
    """Every fetched file, in a stable order."""
    if not CACHE.is_dir():
        return []
    return sorted(
        p
        for source in CACHE.iterdir()
        if source.is_dir()
        for p in source.iterdir()
        if not p.name.startswith(".")
    )


def decoded_seconds(path: Path) -> float | None:
    """Seconds of audio ffmpeg decodes from ``path`` to its end; None if none."""
    done = subprocess.run(
        [
            *("ffmpeg", "-v", "quiet", "-i", str(path), "-map", "0:a:0"),
            *("-ac", "1", "-ar", str(_RATE), "-f", "s16le", "-"),
        ],
        capture_output=True,
        check=False,
    )
    if not done.stdout:
        return None
    return round(len(done.stdout) / (2 * _RATE), 3)


def probed(path: Path) -> dict[str, object]:
    """ffprobe's codec, sample rate, channels and tags for the first audio stream."""
    done = subprocess.run(
        [
            *("ffprobe", "-v", "quiet", "-of", "json", "-select_streams", "a:0"),
            *("-show_entries", "stream=codec_name,sample_rate,channels:format_tags"),
            *("-show_entries", "stream_tags"),
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        data = json.loads(done.stdout or "{}")
    except json.JSONDecodeError:
        data = {}
    stream = (data.get("streams") or [{}])[0]
    tags = {
        k.lower(): v
        for k, v in {
            **stream.get("tags", {}),
            **data.get("format", {}).get("tags", {}),
        }.items()
    }
    return {
        "codec": stream.get("codec_name"),
        "sample_rate": int(stream["sample_rate"]) if "sample_rate" in stream else None,
        "channels": stream.get("channels"),
        "tags": {k: tags[k] for k in _TAGS if tags.get(k)},
    }


def _entry(path: Path) -> tuple[str, dict[str, object]]:
    return str(path.relative_to(CACHE)), {
        "decoded_s": decoded_seconds(path),
        **probed(path),
    }


def main() -> None:
    files = corpus_files()
    if not files:
        sys.exit("reference: no corpus; run tests/corpus/fetch.py first")
    with ThreadPoolExecutor(4) as pool:
        table = dict(pool.map(_entry, files))
    REFERENCE.write_text(
        json.dumps(table, indent=1, ensure_ascii=False, sort_keys=True) + "\n",
        encoding="utf-8",
    )
    print(f"reference: {len(table)} files")


if __name__ == "__main__":
    main()
