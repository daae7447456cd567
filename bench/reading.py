"""Benchmark: audio CD rips (seconds per minute of audio) and fingerprint
identification (files/s with the service limits held).

1. Rip: a CUE+WAV image of ``--minutes`` one-minute tracks goes through the whole rip
   below the drive reader (cut the track, encode FLAC, verify with ffprobe and a
   two-ended decode, tag, one atomic album move). Baseline in the same run: one ffmpeg
   FLAC encode of the whole image (the encoding floor).
2. Identify: ``--files`` untagged files in two folders, real fpcalc, the fake AcoustID
   at its documented 3 requests/s and the fake MusicBrainz at 1 request/s, our
   machine-wide limiters at 0.34 s and 1 s. Baselines in the same run: fpcalc alone
   (the local part) and the AcoustID limit itself (3 files/s).

    uv run python -m bench.reading [--minutes 3] [--files 20]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from connectors.metadata.fingerprint import AcoustidClient, fingerprint_file
from connectors.metadata.ratelimit import ProcessRateLimiter
from connectors.metadata.scoring import Thresholds
from connectors.rips.audiocd import CueImageReader, disc_id
from connectors.rips.cdrip import placeholder, rip_disc
from tasks.fingerprint import _identify_folder
from tests.connectors.metadata.albums import (
    SEA_OF_COWARDS,
    TECHPARA,
    make_untagged,
    register_album,
)
from tests.connectors.metadata.conftest import make_mb
from tests.connectors.metadata.fakes import FakeAcoustid, FakeMusicBrainz
from tests.connectors.rips.cdimage import make_image

TEMPLATE = "Music/{artist}/{album} ({year})/{tracknumber} - {title}"


def bench_rip(root: Path, minutes: int) -> None:
    cue = make_image(root / "image", seconds=(60,) * minutes)
    wav = cue.parent / "disc.wav"
    start = time.perf_counter()
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), "-c:a", "flac",
         "-compression_level", "5", str(root / "floor.flac")],
        check=True,
    )  # fmt: skip
    floor = time.perf_counter() - start
    reader = CueImageReader(cue)
    toc = reader.toc()
    start = time.perf_counter()
    files = rip_disc(reader, toc, placeholder(disc_id(toc)), root / "staging",
                     root / "library", TEMPLATE)  # fmt: skip
    ripped = time.perf_counter() - start
    print(f"rip: {len(files)} tracks, {minutes} min of audio")
    print(f"  baseline, one ffmpeg FLAC encode: {floor / minutes:.3f} s per minute")
    print(
        f"  rip (cut, encode, verify, tag, move): {ripped / minutes:.3f} s per minute"
    )
    print(f"  ratio rip/baseline: {ripped / floor:.2f}x;"
          f" {60 * minutes / ripped:.0f}x realtime")  # fmt: skip


def bench_identify(root: Path, count: int) -> None:
    half = count // 2
    first = make_untagged(root / "music" / "a", half, seed=1)
    second = make_untagged(root / "music" / "b", count - half, seed=500)
    start = time.perf_counter()
    for path in [*first, *second]:
        fingerprint_file(path)
    local = time.perf_counter() - start
    with FakeAcoustid(per_second=3.0) as acoustid, FakeMusicBrainz(1.0) as mb:
        register_album(acoustid, first, SEA_OF_COWARDS, "Sea of Cowards", 2)
        register_album(acoustid, second, TECHPARA, "We♥TechPara", 2)
        acoustid.log.clear()
        svc = SimpleNamespace(
            acoustid=AcoustidClient(
                "test-acoustid-key", f"{acoustid.url}/v2",
                ProcessRateLimiter(root / "acoustid.lock", 0.34),
            ),
            musicbrainz=make_mb(mb, root / "mb.lock", interval=1.0),
            thresholds=Thresholds(),
        )  # fmt: skip
        start = time.perf_counter()
        rows = _identify_folder(svc, str(first[0].parent), [str(p) for p in first])
        rows += _identify_folder(svc, str(second[0].parent), [str(p) for p in second])
        took = time.perf_counter() - start
        refused = sum(h.status == 429 for h in acoustid.requests("/v2/lookup"))
    accepted = sum(r["status"] == "accepted" for r in rows)
    print(f"identify: {count} files, {accepted} accepted, {refused} answers 429")
    print(f"  baseline, fpcalc alone (one at a time): {count / local:.1f} files/s")
    print("  baseline, the AcoustID limit: 3.0 files/s")
    print(f"  identification: {count / took:.2f} files/s"
          f" ({count / took / 3.0:.0%} of the limit)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=int, default=3)
    parser.add_argument("--files", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench_rip(Path(tmp), args.minutes)
        bench_identify(Path(tmp), args.files)


if __name__ == "__main__":
    main()
