"""A stand-in for ``cdparanoia`` where no drive exists: the "disc" is the CUE image
named by ``FAKE_CDPARANOIA_CUE``. ``-d DEV -Q`` prints the table of contents on stderr
in cdparanoia 10.2's format; ``-d DEV -w N FILE`` writes track N as a WAV file.

Run as ``python fake_cdparanoia.py ...`` through a small shell wrapper made by the test.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from connectors.rips.audiocd import PREGAP, CueImageReader


def _stamp(sectors: int) -> str:
    seconds, frames = divmod(sectors, 75)
    return f"[{seconds // 60:02d}:{seconds % 60:02d}.{frames:02d}]"


def main(args: list[str]) -> int:
    reader = CueImageReader(Path(os.environ["FAKE_CDPARANOIA_CUE"]))
    toc = reader.toc()
    if "-Q" in args:
        lines = [
            "cdparanoia III release 10.2 (September 11, 2008)",
            "",
            "Table of contents (audio tracks only):",
            "track        length               begin        copy pre ch",
            "===========================================================",
        ]
        for number in toc.numbers:
            start, end = toc.track_sectors(number)
            lines.append(
                f"{number:3d}.  {end - start:7d} {_stamp(end - start)}  {start:7d}"
                f" {_stamp(start)}    no   no  2"
            )
        total = toc.lead_out - PREGAP
        lines.append(f"TOTAL  {total:7d} {_stamp(total)}    (audio only)")
        print("\n".join(lines), file=sys.stderr)
        return 0
    if "-w" in args:
        at = args.index("-w")
        reader.read_track(int(args[at + 1]), Path(args[at + 2]))
        return 0
    print("fake cdparanoia: unsupported arguments", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
