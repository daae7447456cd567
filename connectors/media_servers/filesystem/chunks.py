"""What mutagen does not read from WAV, AIFF and MP4 headers: RIFF INFO and AIFF text
chunks (tags no peer reads), the WAV format code and the AIFF-C compression type (to
know when the header's duration and bitrate are lies), the size of an MP4's media
data (its true bitrate) and its AAC decoder configuration (its true channels).

Each function reads only chunk headers (seeking over the data) and answers with what it
found; a damaged or foreign file gives an empty answer, never an exception.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

_MAX_CHUNKS = 64
_MAX_TEXT = 4096
# WAVE format codes whose header duration is right (PCM, IEEE float, extensible).
_PLAIN_WAV = {1, 3, 0xFFFE}
WAV_CODECS = {
    1: "pcm",
    2: "adpcm_ms",
    3: "pcm_f",
    6: "pcm_alaw",
    7: "pcm_mulaw",
    0x11: "adpcm_ima_wav",
    0x31: "gsm_ms",
    0x50: "mp2",
    0x55: "mp3",
    0xFF: "aac",
    0x2000: "ac3",
    0xFFFE: "pcm",
}
# AIFF-C compression types that are plain PCM.
_PLAIN_AIFC = {b"NONE", b"sowt", b"twos", b"fl32", b"fl64", b"in24", b"in32", b"raw "}


@dataclass(slots=True)
class ChunkInfo:
    """What the chunk walk found."""

    tags: dict[str, str] = field(default_factory=dict)  # lower-case chunk ids
    codec: str | None = None  # a compressed payload's codec, else None
    compressed: bool = False  # the header's duration/bitrate cannot be trusted


def riff_info(path: Path) -> ChunkInfo:
    """A WAV file's RIFF INFO tags and its format code."""
    found = ChunkInfo()
    try:
        with path.open("rb") as f:
            if f.read(12)[8:12] != b"WAVE":
                return found
            for chunk_id, size in _chunks(f, "<", 12):
                if chunk_id == b"fmt ":
                    code = struct.unpack("<H", f.read(2))[0] if size >= 2 else 1
                    found.compressed = code not in _PLAIN_WAV
                    found.codec = WAV_CODECS.get(code, f"wav_0x{code:04x}")
                elif chunk_id == b"LIST" and f.read(4) == b"INFO":
                    found.tags.update(_info_items(f, size - 4))
    except OSError:
        pass
    return found


def aiff_text(path: Path) -> ChunkInfo:
    """An AIFF file's NAME/AUTH text chunks and its AIFF-C compression type."""
    found = ChunkInfo()
    try:
        with path.open("rb") as f:
            head = f.read(12)
            if head[:4] != b"FORM" or head[8:12] not in {b"AIFF", b"AIFC"}:
                return found
            for chunk_id, size in _chunks(f, ">", 12):
                if chunk_id == b"COMM" and head[8:12] == b"AIFC" and size >= 22:
                    kind = f.read(22)[18:22]
                    found.compressed = kind not in _PLAIN_AIFC
                    if found.compressed:
                        found.codec = kind.decode("latin-1").strip().lower()
                elif chunk_id in {b"NAME", b"AUTH", b"ANNO", b"(c) "}:
                    found.tags.setdefault(chunk_id.decode().lower(), _text(f, size))
    except OSError:
        pass
    return found


def mp4_layout(path: Path) -> tuple[int | None, bool, tuple[int, int, int] | None]:
    """From one walk over an MP4's top-level boxes: the total size of its ``mdat``
    boxes (its coded media), or None; whether a box runs past the end of the file (a
    truncated file: its header's duration is a promise the data does not keep); and
    the first ``mp4a`` track's AudioSpecificConfig: (audio object type, sampling
    frequency, channel configuration), from its ``esds`` (box headers down
    moov/trak/mdia/minf/stbl/stsd and a few hundred bytes are read), or None."""
    total, found, truncated, aac = 0, False, False, None
    try:
        with path.open("rb") as f:
            end = f.seek(0, 2)
            for kind, body, box_end, cut in _boxes(f, 0, end):
                truncated = truncated or cut
                if kind == b"mdat":
                    total, found = total + max(0, box_end - body), True
                elif kind == b"moov" and aac is None:
                    aac = _first_aac(f, body, box_end, 1)
    except (OSError, struct.error, IndexError):
        return None, False, aac
    return (total if found else None), truncated, aac


def tta_header(path: Path) -> tuple[int | None, int | None]:
    """A TrueAudio file's channels and bits per sample (after any ID3v2 tag)."""
    try:
        with path.open("rb") as f:
            head = f.read(10)
            offset = 0
            if head[:3] == b"ID3" and len(head) == 10:
                size = 0
                for byte in head[6:10]:
                    size = (size << 7) | (byte & 0x7F)
                offset = 10 + size
            f.seek(offset)
            raw = f.read(10)
    except OSError:
        return None, None
    if len(raw) < 10 or raw[:4] != b"TTA1":
        return None, None
    channels, bits = struct.unpack("<HH", raw[6:10])
    return channels or None, bits or None


def _chunks(f: BinaryIO, order: str, start: int) -> Iterator[tuple[bytes, int]]:
    """Chunk ids and sizes from ``start``, the file positioned at each chunk's data
    when it is yielded (the caller may read it)."""
    offset = start
    for _ in range(_MAX_CHUNKS):
        f.seek(offset)
        head = f.read(8)
        if len(head) < 8:
            return
        chunk_id, size = struct.unpack(f"{order}4sI", head)
        yield chunk_id, size
        offset += 8 + size + (size & 1)


def _info_items(f: BinaryIO, size: int) -> dict[str, str]:
    items: dict[str, str] = {}
    end = f.tell() + max(0, size)
    while f.tell() + 8 <= end and len(items) < _MAX_CHUNKS:
        head = f.read(8)
        if len(head) < 8:
            break
        item_id, item_size = struct.unpack("<4sI", head)
        start = f.tell()
        text = _text(f, item_size)
        if text:
            items.setdefault(item_id.decode("latin-1").lower(), text)
        f.seek(start + item_size + (item_size & 1))
    return items


def _text(f: BinaryIO, size: int) -> str:
    raw = f.read(min(size, _MAX_TEXT)).split(b"\0", 1)[0]
    try:
        return raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        return raw.decode("latin-1").strip()


def trailing_tags(path: Path) -> int:
    """Bytes of tags after an MP3's last frame: ID3v1, an APEv2 tag and an appended
    ID3v2.4 tag (the ``3DI`` footer), in any order a tagger leaves them; 0 if none."""
    total = 0
    try:
        with path.open("rb") as f:
            end = f.seek(0, 2)
            for _ in range(3):
                if end < 32:
                    break
                f.seek(max(0, end - 128))
                tail = f.read(end - max(0, end - 128))
                if len(tail) == 128 and tail[:3] == b"TAG":
                    size = 128
                elif tail[-32:-24] == b"APETAGEX":
                    body = struct.unpack("<I", tail[-20:-16])[0]
                    flags = struct.unpack("<I", tail[-12:-8])[0]
                    size = body + (32 if flags & 0x80000000 else 0)
                elif tail[-10:-7] == b"3DI":
                    raw = tail[-4:]
                    body = (raw[0] << 21) | (raw[1] << 14) | (raw[2] << 7) | raw[3]
                    size = body + 20
                else:
                    break
                if size <= 0 or size > end:
                    break
                total, end = total + size, end - size
    except (OSError, struct.error):
        return 0
    return total


_FLAC_CRC8 = [0] * 256
for _byte in range(256):
    _crc = _byte
    for _ in range(8):
        _crc = ((_crc << 1) ^ 0x07) & 0xFF if _crc & 0x80 else (_crc << 1) & 0xFF
    _FLAC_CRC8[_byte] = _crc


def flac_last_sample(path: Path, max_framesize: int, blocksize: int) -> int | None:
    """The first sample of a FLAC file's last whole frame header, found by reading
    only its tail: a file cut off in transfer keeps STREAMINFO's full sample count,
    and this shows where its audio really ends. None when no frame header is found."""
    span = max(2 * max_framesize, 16384) if max_framesize else 65536
    try:
        with path.open("rb") as f:
            end = f.seek(0, 2)
            start = max(0, end - span)
            f.seek(start)
            tail = f.read(end - start)
    except OSError:
        return None
    at = len(tail)
    while True:
        at = max(tail.rfind(b"\xff\xf8", 0, at), tail.rfind(b"\xff\xf9", 0, at))
        if at < 0:
            return None
        number = _flac_frame_number(tail, at)
        if number is not None:
            variable = tail[at + 1] == 0xF9
            return number if variable else number * blocksize


def _flac_frame_number(data: bytes, at: int) -> int | None:
    """The frame (or sample) number of a FLAC frame header at ``at``, if its CRC-8
    holds; None for a false sync."""
    head = data[at : at + 16]
    if len(head) < 6 or head[3] & 1 or head[2] >> 4 == 0:
        return None
    first, pos = head[4], 5
    if first < 0x80:
        number, extra = first, 0
    elif first >= 0xFE or 0x80 <= first < 0xC0:
        return None
    else:
        extra = 1 if first < 0xE0 else 2 if first < 0xF0 else 3 if first < 0xF8 else 4
        extra = extra if first < 0xF8 else (5 if first < 0xFC else 6)
        number = first & (0x7F >> (extra + 1))
        for byte in head[pos : pos + extra]:
            if byte >> 6 != 2:
                return None
            number = (number << 6) | (byte & 0x3F)
        pos += extra
    pos += {6: 1, 7: 2}.get(head[2] >> 4, 0)
    pos += {12: 1, 13: 2, 14: 2}.get(head[2] & 0x0F, 0)
    if pos >= len(head):
        return None
    crc = 0
    for byte in head[:pos]:
        crc = _FLAC_CRC8[crc ^ byte]
    return number if crc == head[pos] else None


def dsf_data_seconds(path: Path) -> float | None:
    """How long a DSF file's data chunk lasts, less the last block's padding; what
    ffmpeg plays (it ignores the header's sample count, which some writers fill with
    bytes instead of samples). None for a file that is not a DSF."""
    try:
        with path.open("rb") as f:
            head = f.read(28 + 52 + 12)
    except OSError:
        return None
    if len(head) < 92 or head[:4] != b"DSD " or head[28:32] != b"fmt ":
        return None
    channels, rate = struct.unpack("<II", head[52:60])
    block = struct.unpack("<I", head[72:76])[0]
    start = 28 + struct.unpack("<Q", head[32:40])[0]
    if start != 80 or head[80:84] != b"data" or not channels or not rate:
        return None
    data = struct.unpack("<Q", head[84:92])[0] - 12
    per_channel = max(0, data // channels - block)
    return per_channel * 8 / rate


_MP4_TO_STSD = (b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd")
_AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000)
_AAC_RATES_LOW = (12000, 11025, 8000, 7350)


def _first_aac(
    f: BinaryIO, start: int, end: int, depth: int
) -> tuple[int, int, int] | None:
    """Down the box path from ``depth`` (0: moov), to the first mp4a's esds."""
    for kind, body, box_end, _ in _boxes(f, start, end):
        if depth < len(_MP4_TO_STSD) and kind == _MP4_TO_STSD[depth]:
            found = _first_aac(
                f, body + (8 if kind == b"stsd" else 0), box_end, depth + 1
            )
            if found is not None or kind != b"trak":  # one of each, but every track
                return found
        elif depth == len(_MP4_TO_STSD) and kind == b"mp4a":
            # AudioSampleEntry: 28 bytes (v0), 44 (v1) or 64 (v2) before its boxes
            f.seek(body + 8)
            version = struct.unpack(">H", f.read(2))[0]
            skip = {0: 28, 1: 44, 2: 64}.get(version, 28)
            for child, child_body, child_end, _ in _boxes(f, body + skip, box_end):
                if child == b"esds":
                    f.seek(child_body + 4)  # version and flags
                    return _audio_specific_config(
                        f.read(min(512, child_end - child_body))
                    )
    return None


def _boxes(f: BinaryIO, start: int, end: int) -> Iterator[tuple[bytes, int, int, bool]]:
    """(type, body offset, end offset, whether the box runs past ``end``) of each box
    from ``start`` to ``end``; a box's size 0 means "to ``end``"."""
    offset = start
    for _ in range(_MAX_CHUNKS):
        if offset + 8 > end:
            return
        f.seek(offset)
        size, kind = struct.unpack(">I4s", f.read(8))
        header = 8
        if size == 1:
            size, header = struct.unpack(">Q", f.read(8))[0], 16
        elif size == 0:
            size = end - offset
        if size < header:
            return
        yield kind, offset + header, min(offset + size, end), offset + size > end
        offset += size


def _audio_specific_config(data: bytes) -> tuple[int, int, int] | None:
    """From an ES_Descriptor: the DecoderSpecificInfo's first bits (ISO 14496-1/-3)."""
    at = 0

    def descriptor() -> tuple[int, int]:  # (tag, length), ``at`` moved to the body
        nonlocal at
        tag, length = data[at], 0
        at += 1
        for _ in range(4):
            byte = data[at]
            at += 1
            length = (length << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        return tag, length

    tag, _ = descriptor()
    if tag != 0x03:  # ES_Descriptor
        return None
    flags = data[at + 2]
    at += 3 + (2 if flags & 0x80 else 0) + (2 if flags & 0x20 else 0)
    if flags & 0x40:  # a URL
        at += 1 + data[at]
    tag, _ = descriptor()
    if tag != 0x04 or data[at] != 0x40:  # DecoderConfigDescriptor, MPEG-4 audio
        return None
    at += 13
    tag, _ = descriptor()
    if tag != 0x05:  # DecoderSpecificInfo: the AudioSpecificConfig
        return None
    bits = int.from_bytes(data[at : at + 4], "big")
    object_type, index = bits >> 27, (bits >> 23) & 0xF
    if object_type == 31 or index == 15:  # escapes: not needed for the mono check
        return None
    channels = (bits >> 19) & 0xF
    rates = (*_AAC_RATES, *_AAC_RATES_LOW)
    return object_type, rates[index] if index < len(rates) else 0, channels


def xing_trim(path: Path, offset: int) -> int:
    """Samples an MP3's encoder delay and padding add, from the LAME-style extension
    that ffmpeg (``Lavc``/``Lavf``) writes after the Xing/Info header at ``offset``
    (mutagen reads this only from LAME's own); 0 where there is none."""
    try:
        with path.open("rb") as f:
            f.seek(offset)
            head = f.read(8)
            if len(head) < 8 or head[:4] not in {b"Xing", b"Info"}:
                return 0
            flags = struct.unpack(">I", head[4:8])[0]
            skip = 4 * (flags & 1) + 4 * (flags >> 1 & 1) + 100 * (flags >> 2 & 1)
            f.seek(skip + 4 * (flags >> 3 & 1), 1)
            extension = f.read(24)
    except (OSError, struct.error):
        return 0
    if len(extension) < 24 or not extension.startswith((b"Lavc", b"Lavf")):
        return 0
    packed = int.from_bytes(extension[21:24], "big")
    return (packed >> 12) + (packed & 0xFFF)
