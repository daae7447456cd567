"""Conformance factory for the filesystem client: the sample library on disk."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from connectors.media_servers.base import MediaServerClient
from connectors.media_servers.registry import create_client
from medialake.sample import SampleSummary

KIND = "filesystem"


@contextmanager
def live_client(tmp_path: Path, sample: SampleSummary) -> Iterator[MediaServerClient]:
    yield create_client("fs", {"kind": KIND, "roots": [str(sample.root)]})


@contextmanager
def unreachable_client(tmp_path: Path) -> Iterator[MediaServerClient]:
    yield create_client("fs", {"kind": KIND, "roots": [str(tmp_path / "unmounted")]})
