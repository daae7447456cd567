"""Putting a verified file into the library: tags, a templated name, an atomic move.

Nothing appears under the library root until the file is complete: the file is linked
into its final name in one step (``os.link``, which also refuses to overwrite), and only
where staging and library sit on different filesystems is it copied first to a hidden
``.name.part`` beside its destination (the library scan skips hidden files) and renamed.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import shutil
import string
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors.downloads.records import Kind

if TYPE_CHECKING:
    from connectors.downloads.records import Candidate, Fetched, Request

log = logging.getLogger(__name__)
DEFAULTS = {
    "artist": "Unknown Artist",
    "album": "Singles",
    "title": "Untitled",
    "show": "Unknown Podcast",
    "date": "undated",
    "year": "",
}
_UNSAFE = re.compile(r'[\x00-\x1f/\\:*?"<>|]+')
_TAG_KEYS = ("title", "artist", "album", "date", "genre", "tracknumber")


def safe_component(text: str) -> str:
    """One path component: no separators, controls or characters SMB shares refuse."""
    cleaned = _UNSAFE.sub("_", text).strip().strip(".")
    return cleaned[:180] or "_"


def render_name(template: str, fields: dict[str, Any], extension: str) -> Path:
    """The relative library path for ``fields`` under ``template`` plus the extension.

    Raises:
        ValueError: the template names a field that does not exist.
    """
    names = {n for _, n, _, _ in string.Formatter().parse(template) if n}
    values = {}
    for name in names:
        value = fields.get(name)
        if value in (None, "") and name not in DEFAULTS:
            raise ValueError(f"the name template uses an unknown field {{{name}}}")
        text = str(value) if value not in (None, "") else DEFAULTS[name]
        values[name] = safe_component(text) if text else ""
    rel = template.format(**values).replace(" ()", "")
    parts = [safe_component(p) for p in rel.split("/") if p.strip()]
    ext = extension.lower().lstrip(".")
    return Path(*parts).with_name(f"{parts[-1]}.{ext}")


def tag_file(path: Path, fields: dict[str, Any]) -> bool:
    """Write title/artist/album/date/genre tags with mutagen; False if none fit."""
    import mutagen

    try:
        audio = mutagen.File(path, easy=True)
    except mutagen.MutagenError as exc:
        log.info("not tagging %s: %s", path.name, exc)
        return False
    if audio is None:
        return False
    if audio.tags is None:
        with contextlib.suppress(mutagen.MutagenError, AttributeError):
            audio.add_tags()
    wrote = False
    for key in _TAG_KEYS:
        value = fields.get(key)
        if value not in (None, ""):
            try:
                audio[key] = str(value)
                wrote = True
            except (KeyError, ValueError, mutagen.MutagenError):
                continue
    if wrote:
        audio.save()
    return wrote


def read_tags(path: Path) -> dict[str, str]:
    """The file's own title/artist/album/date tags (empty when it has none)."""
    import mutagen

    try:
        audio = mutagen.File(path, easy=True)
    except mutagen.MutagenError:
        return {}
    if audio is None or not audio.tags:
        return {}
    found = {}
    for key in ("title", "artist", "album", "date"):
        values = audio.tags.get(key) if hasattr(audio.tags, "get") else None
        if values:
            found[key] = str(values[0])
    return found


def place(source: Path, root: Path, relative: Path) -> Path:
    """Move ``source`` to ``root/relative`` atomically, never overwriting a file.

    When the name is taken, `` (2)``, `` (3)``... is added before the extension.
    """
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    for n in range(1, 1000):
        candidate = target if n == 1 else target.with_stem(f"{target.stem} ({n})")
        try:
            _link_or_copy(source, candidate)
        except FileExistsError:
            continue
        source.unlink(missing_ok=True)
        return candidate
    raise FileExistsError(f"no free name for {relative} in the library")


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
        return
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EMLINK):
            raise
    if target.exists():
        raise FileExistsError(target)
    hidden = target.with_name(f".{target.name}.part")
    try:
        shutil.copyfile(source, hidden)
        with open(hidden, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(hidden, target)
    finally:
        hidden.unlink(missing_ok=True)


def naming_fields(
    request: Request, candidate: Candidate, fetched: Fetched, read_file: bool = False
) -> dict[str, Any]:
    """Tag and naming fields: what the user asked, the source's metadata, the file's
    own tags, then the search result."""
    layers = [request.as_row(), fetched.metadata]
    if read_file and fetched.path is not None:
        layers.append(read_tags(fetched.path))
    layers.append({"title": candidate.title, "artist": candidate.artist})
    layers.append({"album": candidate.album, "published": candidate.published})

    def first(*keys: str) -> Any:
        for layer in layers:
            for key in keys:
                if layer.get(key):
                    return layer[key]
        return None

    published = str(first("published", "date") or "")
    fields = {
        "artist": first("artist"),
        "title": first("title"),
        "album": first("album"),
        "show": first("album"),
        "date": published[:10] or None,
        "year": published[:4] or None,
    }
    if request.kind is Kind.EPISODE:
        fields["genre"] = "Podcast"
    return fields
