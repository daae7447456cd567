"""An item as a person reads it: title, year, runtime, codecs and quality, size, the
servers that have it, identities with their confidence; and where to play it.

Everything from a tag, a server or a person goes through :func:`dashboards.data.md`.
"""

from __future__ import annotations

from typing import Any

from dashboards.data import human_bytes, md
from medialake.runtime import settings
from playback.player import clock
from playback.server import base_url


def player_url(asset_id: str) -> str:
    """The player page of an asset on the playback service (the sign-in cookie is
    shared, so a signed-in member opens it without a token)."""
    return f"{base_url(settings())}/watch/{asset_id}"


def _stream(stream: dict[str, Any]) -> str:
    kind, codec = stream.get("kind"), md(stream.get("codec") or "?")
    if kind == "video":
        size = (
            f" {stream['width']}x{stream['height']}"
            if stream.get("width") and stream.get("height")
            else ""
        )
        hdr = f" {md(stream['hdr'])}" if stream.get("hdr") else ""
        return f"video {codec}{size}{hdr}"
    if kind == "audio":
        channels = f" {stream['channels']} ch" if stream.get("channels") else ""
        rate = (
            f" {stream['sample_rate'] / 1000:g} kHz"
            if stream.get("sample_rate")
            else ""
        )
        lang = f" ({md(stream['language'])})" if stream.get("language") else ""
        return f"audio {codec}{channels}{rate}{lang}"
    lang = f" ({md(stream['language'])})" if stream.get("language") else ""
    return f"{md(kind)} {codec}{lang}"


def lines(detail: dict[str, Any]) -> list[str]:
    """Markdown lines of an item's facts (``warehouse.queries.catalog.item``)."""
    item, file = detail["item"], detail.get("file") or {}
    kind = item.get("item_kind")
    head = f"### {md(item.get('title') or '(untitled)')}"
    if item.get("year"):
        head += f" ({item['year']})"
    out = [head]
    if kind == "track":
        who = " · ".join(md(v) for v in (item.get("artist"), item.get("album")) if v)
        if who:
            out.append(
                f"**{who}**"
                + (f" · track {item['track_no']}" if item.get("track_no") else "")
            )
    elif kind == "episode":
        out.append(
            f"**{md(item.get('show_title') or '')}** · season {item.get('season')}"
            f" episode {item.get('episode')}"
        )
    facts = []
    length = item.get("duration_s") or file.get("duration_s")
    if length:
        facts.append(f"runtime {clock(length)}")
    if file.get("container"):
        facts.append(f"container {md(file['container'])}")
    if file.get("bitrate"):
        facts.append(f"{file['bitrate'] // 1000} kb/s")
    if file.get("size"):
        facts.append(human_bytes(file["size"]))
    if facts:
        out.append(" · ".join(facts))
    streams = [_stream(s) for s in detail.get("streams") or []]
    if streams:
        out.append("Streams: " + "; ".join(streams))
    servers = detail.get("servers") or [item.get("server_id")]
    out.append("On " + ", ".join(f"**{md(s)}**" for s in servers))
    if file.get("path"):
        out.append(f"File: {md(file['path'])}")
    for ident in detail.get("identities") or []:
        confidence = ident.get("confidence")
        shown = f"{confidence:.0%}" if isinstance(confidence, int | float) else "?"
        out.append(
            f"Identity: {md(ident.get('provider'))}"
            f" {md(ident.get('provider_id') or '—')}"
            f" · {md(ident.get('title') or '')} · {md(ident.get('status'))}"
            f" · confidence {shown}"
        )
    return out
