"""Benchmark: this reader against beets on real files other people made.

The corpus is tests/corpus/mutagen (mutagen's own test data, GPL-2) with its table of
what the tags hold (``expected.json``). beets is built in a throwaway virtual
environment under ``bench/.work/beets-venv`` (never in the product) and reads the same
files through its ``Item.from_path``. Printed, measured in this run:

- per field (title, artist, album, track, disc): files read right, ours vs beets;
- durations within 1% (or 50 ms) of what ffmpeg decodes, ours vs beets;
- technical fields (codec, sample rate, channels) stored, and files rejected that
  ffmpeg decodes.

    uv run python -m bench.tag_corpus
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from connectors.media_servers.filesystem.scan import media_kind
from connectors.media_servers.filesystem.tags import UnreadableMedia, read_audio

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus" / "mutagen"
VENV = ROOT / "bench" / ".work" / "beets-venv"
BEETS = "beets==2.14.1"
FIELDS = ("title", "artist", "album", "track", "disc")
_BEETS_READ = """
import json, sys
from beets.library import Item
out = {}
for path in sys.argv[1:]:
    try:
        item = Item.from_path(path)
    except Exception as exc:
        out[path] = {"error": str(exc)}
        continue
    out[path] = {"title": item.title, "artist": item.artist, "album": item.album,
                 "track": item.track, "disc": item.disc, "length": item.length}
print(json.dumps(out))
"""


def beets_python() -> Path:
    """The throwaway venv's python, with beets installed (built once)."""
    python = VENV / "bin" / "python"
    if not python.exists():
        uv = shutil.which("uv") or "uv"
        subprocess.run([uv, "venv", "-q", str(VENV)], check=True)
        subprocess.run(
            [uv, "pip", "install", "-q", "--python", str(python), BEETS], check=True
        )
    return python


def decoded_seconds(path: Path) -> float | None:
    done = subprocess.run(
        ["ffmpeg", "-v", "error", "-stats", "-i", str(path), "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.findall(r"time=(\d+):(\d+):([\d.]+)", done.stderr)
    if done.returncode != 0 or not found:
        return None
    h, m, s = found[-1]
    return int(h) * 3600 + int(m) * 60 + float(s)


def _norm(value: object) -> object:
    return None if value in ("", 0, None) else value


def ours(path: Path) -> dict[str, object]:
    try:
        tags = read_audio(path)
    except UnreadableMedia as exc:
        return {"error": str(exc)}
    return {
        "title": tags.title,
        "artist": tags.artist,
        "album": tags.album,
        "track": tags.track_no,
        "disc": tags.disc_no,
        "length": tags.duration_s,
        "technical": bool(tags.codec and tags.sample_rate and tags.channels),
    }


def main() -> None:
    expected = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
    files = sorted(p for p in CORPUS.iterdir() if media_kind(p.name.encode()))
    read = subprocess.run(
        [str(beets_python()), "-c", _BEETS_READ, *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
    )
    theirs = json.loads(read.stdout)
    mine = {str(p): ours(p) for p in files}
    print(f"corpus: {len(files)} audio files, {len(expected)} with known tags")
    print(f"{'field':8s} {'medialake':>10s} {'beets':>10s}")
    for field in FIELDS:
        counts = []
        for result in (mine, theirs):
            counts.append(
                sum(
                    _norm(result[str(CORPUS / name)].get(field)) == _norm(truth[field])
                    for name, truth in expected.items()
                )
            )
        total = len(expected)
        print(f"{field:8s} {counts[0]:>6d}/{total:<3d} {counts[1]:>6d}/{total}")
    decodable, right, beets_right, rejected, technical = 0, 0, 0, 0, 0
    misses = []
    for path in files:
        seconds = decoded_seconds(path)
        if seconds is None:
            continue
        decodable += 1
        result = mine[str(path)]
        if "error" in result:
            rejected += 1
            continue
        technical += bool(result["technical"])
        tolerance = max(0.01 * seconds, 0.05)
        length_ok = abs(float(result["length"]) - seconds) <= tolerance  # type: ignore[arg-type]
        right += length_ok
        if not length_ok:
            misses.append(f"{path.name} ({result['length']} s, decodes {seconds} s)")
        length = theirs[str(path)].get("length")
        beets_right += length is not None and abs(float(length) - seconds) <= tolerance
    print(
        f"durations within 1% (or 50 ms) of ffmpeg's decode: medialake {right}/"
        f"{decodable} ({right / decodable:.0%}), beets {beets_right}/{decodable}"
        f" ({beets_right / decodable:.0%})"
    )
    print(f"  medialake's misses: {'; '.join(misses) or 'none'}")
    print(
        f"codec, sample rate and channels stored: {technical}/{decodable - rejected};"
        f" files ffmpeg decodes that were rejected: {rejected}"
    )


if __name__ == "__main__":
    sys.exit(main())
