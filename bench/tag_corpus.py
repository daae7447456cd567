"""Benchmark: this reader against beets on real files other people made.

The corpus is tests/corpus/mutagen (mutagen's own test data, GPL-2) with its table of
what the tags hold (``expected.json``), and the fetched corpus (the media test files of
twelve projects on PyPI, mutagen and beets among them: tests/corpus/README.md;
``python tests/corpus/fetch.py``), whose tags are scored against what ffprobe shows.
beets is built in a throwaway virtual environment under ``bench/.work/beets-venv``
(never in the product) and reads the same files through its ``Item.from_path``.
Printed, measured in this run:

- per field (title, artist, album, track, disc): files read right, ours vs beets;
- durations within 1% (or 50 ms) of what ffmpeg decodes (its decoded samples
  counted, in this run), ours vs beets, on every file;
- technical fields (codec, sample rate, channels) stored, and files rejected that
  ffmpeg decodes.

With ``--record``, what beets read from each fetched file is written to
tests/corpus/beets.json, the bar the corpus test holds this reader to (at least as
many files right as beets, per field, against what ffprobe shows).

    uv run python -m bench.tag_corpus [--record]
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
from tests.corpus.reference import corpus_files, decoded_seconds, probed

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus" / "mutagen"
CACHE = ROOT / "tests" / "corpus" / ".cache"
RECORD = ROOT / "tests" / "corpus" / "beets.json"
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


def _agrees(value: object, shown: object, field: str) -> bool:
    """Whether a reader's field is what ffprobe shows: the same number for track and
    disc; for text, one or more of the values ffprobe joins (';', ', ' or ' / ')."""
    if field in {"track", "disc"}:
        match = re.match(r"\s*(\d+)", str(shown))
        return _norm(value) == ((int(match.group(1)) or None) if match else None)
    if not value:
        return False

    def names(text: object) -> set[str]:
        return {x.strip() for x in re.split(r";|, | / ", str(text)) if x.strip()}

    return names(value) <= names(shown)


def main() -> None:
    expected = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
    small = sorted(p for p in CORPUS.iterdir() if media_kind(p.name.encode()))
    fetched = [p for p in corpus_files() if media_kind(p.name.encode()) == "audio"]
    if not fetched:
        sys.exit("tag_corpus: run python tests/corpus/fetch.py first")
    files = small + fetched
    read = subprocess.run(
        [str(beets_python()), "-c", _BEETS_READ, *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
    )
    theirs = json.loads(read.stdout)
    if "--record" in sys.argv[1:]:
        record = {  # no path of this machine in the file: the cache's is cut
            str(p.relative_to(CACHE)): {
                k: str(v).replace(f"{CACHE}/", "") if k == "error" else v
                for k, v in theirs[str(p)].items()
                if k in {*FIELDS, "error"}
            }
            for p in fetched
        }
        RECORD.write_text(
            json.dumps(record, indent=1, ensure_ascii=False, sort_keys=True) + "\n",
            encoding="utf-8",
        )
    mine = {str(p): ours(p) for p in files}
    sources = sorted({p.parent.name for p in fetched})
    print(
        f"corpus: {len(files)} audio files ({len(small)} in tests/corpus/mutagen,"
        f" {len(fetched)} fetched from {len(sources)} sdists: {', '.join(sources)})"
    )
    print(f"tags against tests/corpus/mutagen/expected.json ({len(expected)} files):")
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
    shown = {str(p): probed(p)["tags"] for p in fetched}
    print("tags against what ffprobe shows, fetched corpus (files with the tag):")
    for field in FIELDS:
        having = [k for k, tags in shown.items() if field in tags]  # type: ignore[operator]
        counts = [
            sum(
                _agrees(result[k].get(field), shown[k][field], field)  # type: ignore[index]
                for k in having
            )
            for result in (mine, theirs)
        ]
        total = len(having)
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
        f"durations within 1% (or 50 ms) of ffmpeg's decode (samples counted):"
        f" medialake {right}/{decodable} ({right / decodable:.1%}), beets"
        f" {beets_right}/{decodable} ({beets_right / decodable:.1%})"
    )
    print(f"  medialake's misses: {'; '.join(misses) or 'none'}")
    print(
        f"codec, sample rate and channels stored: {technical}/{decodable - rejected};"
        f" files ffmpeg decodes that were rejected: {rejected}"
    )


if __name__ == "__main__":
    sys.exit(main())
