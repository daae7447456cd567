"""Audio CDs: the table of contents, the MusicBrainz disc id, and the readers that
give a track's audio as a WAV file, from a drive or from a CUE image.

The disc id is computed from the TOC by MusicBrainz's documented algorithm (SHA-1 of
the first and last track numbers and the lead-out and 99 track offsets in hex,
Base64 with ``+/=`` as ``._-``); it matches the ids in the recorded MusicBrainz answers.
libdiscid (the ``discid`` package) computes the same id but reads only a drive, not a
CUE image, so it is not needed.

Two readers share one contract (:class:`DiscReader`): :class:`DriveReader` asks
``cdparanoia`` (Debian) for the TOC (``-Q``) and rips a track with its full paranoia
error correction (``-w``); :class:`CueImageReader` reads a CUE sheet with a WAV or raw
BIN (16-bit little-endian stereo, 44.1 kHz) file and cuts the track's sectors out
exactly. Everything after the reader (encoding, tags, verification, the move into the
library) is the same code for both.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess
import wave
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pathlib import Path

FRAMES_PER_SECOND = 75  # CD sectors per second
SECTOR_BYTES = 2352  # 588 stereo 16-bit samples
SAMPLES_PER_SECTOR = 588
PREGAP = 150  # the 2-second lead-in every TOC offset includes


class DiscError(Exception):
    """The disc or image cannot be read; the message says why."""


@dataclass(frozen=True, slots=True)
class Toc:
    """A disc's table of contents: track offsets and the lead-out, in sectors (the
    150-sector lead-in included, as MusicBrainz counts them)."""

    first: int
    last: int
    offsets: tuple[int, ...]
    lead_out: int

    def track_sectors(self, number: int) -> tuple[int, int]:
        """The (start, end) sector of a track, without the lead-in."""
        index = number - self.first
        end = (
            self.offsets[index + 1] if index + 1 < len(self.offsets) else self.lead_out
        )
        return self.offsets[index] - PREGAP, end - PREGAP

    def track_seconds(self, number: int) -> float:
        """A track's length in seconds."""
        start, end = self.track_sectors(number)
        return (end - start) / FRAMES_PER_SECOND

    @property
    def numbers(self) -> range:
        """The track numbers."""
        return range(self.first, self.last + 1)


def disc_id(toc: Toc) -> str:
    """The MusicBrainz disc id of a TOC."""
    digest = hashlib.sha1()
    digest.update(b"%02X%02X%08X" % (toc.first, toc.last, toc.lead_out))
    for index in range(99):
        offset = toc.offsets[index] if index < len(toc.offsets) else 0
        digest.update(b"%08X" % offset)
    encoded = base64.b64encode(digest.digest()).decode()
    return encoded.translate(str.maketrans("+/=", "._-"))


class DiscReader(Protocol):
    """Where a disc's audio comes from."""

    def toc(self) -> Toc:
        """The table of contents."""
        ...

    def read_track(self, number: int, dest: Path) -> None:
        """Write track ``number`` as a 16-bit stereo 44.1 kHz WAV file to ``dest``."""
        ...


# -- CUE images -------------------------------------------------------------------
_FILE = re.compile(r'^\s*FILE\s+"?(.+?)"?\s+(WAVE|BINARY)\s*$', re.I)
_TRACK = re.compile(r"^\s*TRACK\s+(\d+)\s+(\S+)", re.I)
_INDEX = re.compile(r"^\s*INDEX\s+01\s+(\d+):(\d+):(\d+)", re.I)


class CueImageReader:
    """A CUE sheet with one WAV or BIN file: the disc as an image."""

    def __init__(self, cue: Path) -> None:
        self.cue = cue
        self.data, self.binary, self.starts = self._parse(cue)

    @staticmethod
    def _parse(cue: Path) -> tuple[Path, bool, list[int]]:
        data: Path | None = None
        binary, starts, audio = False, [], False
        for line in cue.read_text(encoding="utf-8", errors="replace").splitlines():
            if match := _FILE.match(line):
                if data is not None:
                    raise DiscError("CUE sheets with several files are not supported")
                data, binary = (
                    cue.parent / match.group(1),
                    match.group(2).upper() == "BINARY",
                )
            elif match := _TRACK.match(line):
                audio = match.group(2).upper() == "AUDIO"
            elif (match := _INDEX.match(line)) and audio:
                mm, ss, ff = (int(g) for g in match.groups())
                starts.append((mm * 60 + ss) * FRAMES_PER_SECOND + ff)
        if data is None or not data.is_file():
            raise DiscError(f"the CUE sheet's audio file is missing: {data}")
        if not starts:
            raise DiscError("the CUE sheet has no audio track")
        return data, binary, starts

    def _sectors(self) -> int:
        if self.binary:
            return self.data.stat().st_size // SECTOR_BYTES
        with wave.open(str(self.data)) as audio:
            self._check(audio)
            return audio.getnframes() // SAMPLES_PER_SECTOR

    @staticmethod
    def _check(audio: wave.Wave_read) -> None:
        shape = (audio.getnchannels(), audio.getsampwidth(), audio.getframerate())
        if shape != (2, 2, 44100):
            raise DiscError(f"not CD audio (channels, bytes, rate = {shape})")

    def toc(self) -> Toc:
        offsets = tuple(s + PREGAP for s in self.starts)
        return Toc(1, len(offsets), offsets, self._sectors() + PREGAP)

    def read_track(self, number: int, dest: Path) -> None:
        start, end = self.toc().track_sectors(number)
        count = (end - start) * SAMPLES_PER_SECTOR
        if self.binary:
            with open(self.data, "rb") as fh:
                fh.seek(start * SECTOR_BYTES)
                frames = fh.read((end - start) * SECTOR_BYTES)
        else:
            with wave.open(str(self.data)) as audio:
                audio.setpos(start * SAMPLES_PER_SECTOR)
                frames = audio.readframes(count)
        with wave.open(str(dest), "wb") as out:
            out.setnchannels(2)
            out.setsampwidth(2)
            out.setframerate(44100)
            out.writeframes(frames)


# -- drives ---------------------------------------------------------------------------
_QUERY_LINE = re.compile(r"^\s*(\d+)\.\s+(\d+)\s+\[[^\]]*\]\s+(\d+)\s+\[")


class DriveReader:
    """An audio CD in a drive, read with cdparanoia (full paranoia error correction)."""

    def __init__(self, device: Path, cdparanoia: str = "cdparanoia") -> None:
        self.device, self.binary = device, cdparanoia

    def _run(self, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
        if shutil.which(self.binary) is None:
            raise DiscError(
                "cdparanoia is not installed (Debian: apt install cdparanoia)"
            )
        done = subprocess.run(
            [self.binary, "-d", str(self.device), *args],
            capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["?"]
            raise DiscError(f"cdparanoia failed: {last[0]}")
        return done

    def toc(self) -> Toc:
        """The TOC from ``cdparanoia -Q`` (audio tracks; lead-out after the last)."""
        listing = self._run("-Q", timeout=60).stderr
        tracks = [
            (int(m.group(1)), int(m.group(2)), int(m.group(3)))
            for line in listing.splitlines()
            if (m := _QUERY_LINE.match(line))
        ]
        if not tracks:
            raise DiscError("no audio tracks on the disc")
        offsets = tuple(start + PREGAP for _, _, start in tracks)
        number, length, start = tracks[-1]
        return Toc(tracks[0][0], number, offsets, start + length + PREGAP)

    def read_track(self, number: int, dest: Path) -> None:
        self._run("-w", str(number), str(dest), timeout=3600)
