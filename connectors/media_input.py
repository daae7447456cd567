"""Opening library media safely with ffmpeg and ffprobe, and keeping reads inside the
library roots.

A file's name says nothing about what it is: a ``.mkv`` may really be an HLS
playlist and a ``.mp4`` an ffconcat list, and either makes ffmpeg open other files,
anywhere on the machine (the CVE-2025-31499 class; a downloaded file can carry it).
So every ffmpeg and ffprobe run on library media names the demuxers it may use
(:data:`DEMUXERS`: real media containers; no playlist, concat, image-sequence or
network demuxers) and allows only the ``file`` protocol. ffmpeg matches a whitelist
entry against each name of a demuxer (``mp4`` allows ``mov,mp4,m4a,3gp,3g2,mj2``) and
refuses anything else with "Format not on whitelist" before it follows a reference.

A symlink inside a root that points out of every root is not media of this library:
:func:`inside_roots` resolves real paths against the roots' real paths.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

# Demuxers of single-file media containers. Deliberately absent: hls, dash, concat,
# ffmetadata, image2 and the other pattern/sequence readers, lavfi, tee, and anything
# that opens a URL or a second file.
DEMUXERS = (
    "matroska,mov,avi,mpegts,mpeg,flv,ogg,asf,rm,mxf,nut,dv,wtv,ivf,"
    "h264,hevc,m4v,mpegvideo,"
    "wav,w64,aiff,flac,mp3,aac,ape,wv,mpc,mpc8,dsf,iff,tta,tak,ac3,eac3,dts,"
    "truehd,caf,amr,au,voc,shn"
)
PROTOCOLS = "file"


def input_options() -> dict[str, str]:
    """ffmpeg/ffprobe input options that confine a run to the named file."""
    return {"format_whitelist": DEMUXERS, "protocol_whitelist": PROTOCOLS}


def input_args() -> list[str]:
    """:func:`input_options` as command-line arguments (put them before the input)."""
    args: list[str] = []
    for name, value in input_options().items():
        args += [f"-{name}", value]
    return args


def inside_roots(path: Path, roots: Sequence[Path]) -> Path | None:
    """``path``'s real path when it lies inside one of ``roots`` (also resolved), else
    None: a symlink out of the library, or ``..`` climbing out of it."""
    try:
        real = Path(os.path.realpath(path))
    except (OSError, ValueError):
        return None
    for root in roots:
        try:
            real_root = Path(os.path.realpath(root))
        except (OSError, ValueError):
            continue
        if real == real_root or real.is_relative_to(real_root):
            return real
    return None


_REFUSED = re.compile(r"\[([\w,]+) @ [^\]]*\] Format not on whitelist")


def refusal(stderr: str) -> str | None:
    """The reason to give when ffmpeg refused a demuxer, else None."""
    match = _REFUSED.search(stderr)
    if match is None:
        return None
    return (
        f"refused: the file is a {match.group(1)} list, not media (it would make"
        " ffmpeg read other files; only media demuxers are on the whitelist)"
    )
