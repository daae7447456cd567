"""Strict path resolution: only plain names inside the asset's folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from playback import paths

ASSET = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    "raw",
    [
        f"/hls/{ASSET}/../../playback.key",
        f"/hls/{ASSET}/%2e%2e/%2e%2e/playback.key",
        f"/hls/{ASSET}/..%2f..%2fplayback.key",
        f"/hls/{ASSET}/source%2findex.m3u8",
        f"/hls/{ASSET}/..\\..\\playback.key",
        f"/hls/{ASSET}//etc/passwd.ts",
        f"/hls/{ASSET}/source/./index.m3u8",
        f"/hls/{ASSET}/.hidden.ts",
        f"/hls/{ASSET}/source/index.m3u8.bak",
        f"/hls/{ASSET}/",
        f"/hls/{ASSET}",
        f"/hls/{ASSET.upper()}/master.m3u8",
        "/hls/../master.m3u8",
        f"/hls/.tmp-{ASSET}/master.m3u8",
        f"/hls/{ASSET}/a/b/c/d.ts",
        "/hls/\u00e9/master.m3u8",
    ],
)
def test_anything_but_a_plain_path_is_refused(raw: str) -> None:
    assert paths.split_asset_path(raw.encode("utf-8"), "/hls/") is None


def test_a_plain_path_is_split() -> None:
    got = paths.split_asset_path(f"/hls/{ASSET}/180p/seg_00001.ts".encode(), "/hls/")
    assert got == (ASSET, ["180p", "seg_00001.ts"])


def test_symlinks_leading_outside_are_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "hls"
    folder = root / ASSET / "source"
    folder.mkdir(parents=True)
    (folder / "seg_00000.ts").write_bytes(b"ok")
    secret = tmp_path / "playback.key"
    secret.write_text("secret", encoding="utf-8")
    os.symlink(secret, folder / "seg_00001.ts")
    os.symlink(folder / "seg_00000.ts", folder / "seg_00002.ts")  # inside: fine
    assert paths.resolve(root, ASSET, ["source", "seg_00000.ts"]) is not None
    assert paths.resolve(root, ASSET, ["source", "seg_00001.ts"]) is None
    assert paths.resolve(root, ASSET, ["source", "seg_00002.ts"]) is not None
    outside = tmp_path / "elsewhere"
    (outside / "source").mkdir(parents=True)
    (outside / "master.m3u8").write_text("#EXTM3U\n", encoding="utf-8")
    other = "f" * 32
    os.symlink(outside, root / other)  # a whole asset folder pointing outside
    assert paths.asset_folder(root, other) is None
    assert paths.resolve(root, other, ["master.m3u8"]) is None
