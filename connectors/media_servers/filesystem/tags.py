"""Audio tags, duration and technical fields: mutagen first, ffprobe where it must.

mutagen reads every format it knows in one pass (4,000 files/s); every tag system it
hands back (ID3 also inside WAV, AIFF and DSF; Vorbis; APEv2; MP4; ASF) and the RIFF
INFO and AIFF text chunks are mapped to the same fields by :mod:`.tagmap`. ffprobe
(a process per file, about 17 files/s) runs only:

- as the fallback, when mutagen rejects a file or finds no duration (ADTS AAC with junk
  in front, a broken Xing header, CAF): a file ffmpeg decodes is read, not failed;
- as the cross-check, where headers are known to lie: compressed WAV and AIFF-C (their
  header describes PCM), and a file too small for the duration its header claims
  (a truncated WMA or MP3). A normal MP3/FLAC library never starts a process.

A file neither can read raises :class:`UnreadableMedia` with a reason a user
understands, naming no absolute path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import mutagen

from connectors.media_servers.filesystem import chunks, tagmap
from connectors.media_servers.filesystem.moves import content_key_of
from connectors.metadata import probe

if TYPE_CHECKING:
    from pathlib import Path

VARIOUS_ARTISTS = "Various Artists"
_CONTAINERS = {
    "MP3": "mp3",
    "FLAC": "flac",
    "OggVorbis": "ogg",
    "OggOpus": "opus",
    "OggSpeex": "ogg",
    "OggFLAC": "ogg",
    "MP4": "mp4",
    "WAVE": "wav",
    "AIFF": "aiff",
    "ASF": "asf",
    "MonkeysAudio": "ape",
    "WavPack": "wavpack",
    "Musepack": "mpc",
    "DSF": "dsf",
    "DSDIFF": "dff",
    "TrueAudio": "tta",
    "OptimFROG": "ofr",
    "TAK": "tak",
    "AC3": "ac3",
    "AAC": "aac",
}
_CODECS = {
    "FLAC": "flac",
    "OggFLAC": "flac",
    "OggVorbis": "vorbis",
    "OggOpus": "opus",
    "OggSpeex": "speex",
    "MonkeysAudio": "ape",
    "WavPack": "wavpack",
    "TrueAudio": "tta",
    "OptimFROG": "optimfrog",
    "TAK": "tak",
    "AAC": "aac",
    "DSF": "dsd_lsbf_planar",
}
_NOT_AUDIO = {"OggTheora", "SMF"}
_LOSSY = {"mp2", "mp3", "aac", "vorbis", "opus", "speex", "ac3", "eac3", "wmav2"}
_LOSSY |= {"wmapro", "wmavoice", "musepack", "musepack7", "musepack8"}
_YEAR = re.compile(r"(\d{4})")
_GAIN = re.compile(r"\s*([+-]?\d+(?:\.\d+)?)")
# A file smaller than this share of what its header's bitrate x duration promises is
# truncated (cover art and tags only ever make a file larger). Checked where the
# duration comes from a header count (MP3's Xing/VBRI frames, ASF's play duration,
# the data size a WAV or AIFF header declares); Ogg, FLAC and MP4 durations come from
# the stream itself.
_TRUNCATED = 0.5
_SIZE_CHECKED = {"MP3", "ASF", "WAVE", "AIFF"}
# FLAC's duration is the STREAMINFO sample count: a cut-off download keeps the full
# count. Even digital silence costs FLAC ~1.5 kb/s, so less than this is a cut file.
_FLAC_FLOOR_BPS = 1000
# the share of STREAMINFO's samples a whole FLAC's last frame reaches
_FLAC_KEPT = 0.99
# an MP3 encoder's delay and padding (two frames at most, <= 0.1 s) are looked up
# only in files this short, where they make 1% of the duration (a read saved per file)
_TRIM_CHECKED_S = 10.0
# even AAC silence needs more: an MP4 whose media gives less cannot last its
# header's time
_MP4_FLOOR_BPS = 1000


_SIGNATURES: list[tuple[bytes, list[Any]]] = []
_AFTER_ID3: dict[str, list[Any]] = {}


class UnreadableMedia(Exception):
    """The file is not media we can read; the message says why."""


@dataclass(slots=True)
class AudioTags:
    """What a track's tags and headers say, normalized across formats."""

    title: str | None
    artist: str | None
    album_artist: str | None
    album: str | None
    track_no: int | None
    track_total: int | None
    disc_no: int | None
    disc_total: int | None
    year: int | None
    genre: str | None
    compilation: bool
    mb_recording_id: str | None
    mb_release_id: str | None
    mb_artist_id: str | None
    duration_s: float
    bitrate: int | None
    container: str
    codec: str | None = None
    sample_rate: int | None = None
    bit_depth: int | None = None
    channels: int | None = None
    replaygain_track_db: float | None = None
    replaygain_album_db: float | None = None
    probed: bool = False  # ffprobe supplied the duration and technical fields
    content_key: str | None = None  # moves.content_key, when asked for


@dataclass(slots=True)
class _Technical:
    container: str
    codec: str | None
    duration_s: float
    bitrate: int | None
    sample_rate: int | None
    bit_depth: int | None
    channels: int | None


def read_audio(path: Path, size: int | None = None, keyed: bool = False) -> AudioTags:
    """Read one audio file's tags, duration and technical fields.

    Args:
        path: the file.
        size: its size, when a walk already knows it (no ``stat`` again).
        keyed: also give the file's content key (:func:`.moves.content_key`), read
            through the same open file as the tags.

    Raises:
        UnreadableMedia: empty, not audio, or unreadable by mutagen and ffmpeg alike.
    """
    if size is None:
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise UnreadableMedia(f"cannot read the file: {exc.strerror}") from None
    if size == 0:
        raise UnreadableMedia("empty file (0 bytes)")
    audio, failure, key = _mutagen(path, size if keyed else None)
    tags = _read(path, size, audio, failure)
    tags.content_key = key
    return tags


def _read(path: Path, size: int, audio: Any, failure: str | None) -> AudioTags:
    if audio is not None:
        name = type(audio).__name__
        fields, tech, lies = _from_mutagen(path, audio, size)
        if tech.duration_s > 0 and not lies:
            return _build(fields, tech)
        failure = failure or "no audio frames (duration is 0)"
        if name in _NOT_AUDIO:
            raise UnreadableMedia(f"not audio: a {name} file")
        probed = _probe(path)
        if probed is not None:
            return _build(tagmap.merge(fields, probed[0]), probed[1], probed=True)
        if tech.duration_s > 0:  # headers doubted, ffprobe unavailable: keep them
            return _build(fields, tech)
        raise UnreadableMedia(failure)
    probed = _probe(path)
    if probed is not None:
        return _build(probed[0], probed[1], probed=True)
    raise UnreadableMedia(failure or "not a recognised audio file")


def load_formats() -> None:
    """Import mutagen's format modules now (a worker's start-up, not its first file)."""
    _kinds(b"", "")


def _kinds(head: bytes, suffix: str) -> list[Any] | None:
    """The mutagen classes a file is tried with first: the format its first bytes
    name (a misnamed file included); after an ID3 tag or at an MPEG frame sync, the
    one its name suggests. None: let mutagen.File score every format."""
    if not _SIGNATURES:
        from mutagen.aiff import AIFF
        from mutagen.asf import ASF
        from mutagen.dsdiff import DSDIFF
        from mutagen.dsf import DSF
        from mutagen.flac import FLAC
        from mutagen.monkeysaudio import MonkeysAudio
        from mutagen.mp3 import MP3
        from mutagen.mp4 import MP4
        from mutagen.oggflac import OggFLAC
        from mutagen.oggopus import OggOpus
        from mutagen.oggspeex import OggSpeex
        from mutagen.oggtheora import OggTheora
        from mutagen.oggvorbis import OggVorbis
        from mutagen.wave import WAVE
        from mutagen.wavpack import WavPack

        _AFTER_ID3.update({".mp3": [MP3], ".flac": [FLAC]})
        _SIGNATURES.extend(
            [
                (b"fLaC", [FLAC]),
                (b"OggS", [OggVorbis, OggOpus, OggFLAC, OggSpeex, OggTheora]),
                (b"RIFF", [WAVE]),
                (b"FORM", [AIFF]),
                (b"wvpk", [WavPack]),
                (b"MAC ", [MonkeysAudio]),
                (b"DSD ", [DSF]),
                (b"FRM8", [DSDIFF]),
                (b"\x30\x26\xb2\x75\x8e\x66\xcf\x11", [ASF]),
                (b"ftyp", [MP4]),  # at offset 4, after the box size
            ]
        )
    for magic, kinds in _SIGNATURES:
        if head.startswith(magic) or (magic == b"ftyp" and head[4:8] == magic):
            return kinds
    if head.startswith(b"ID3") or head[:1] == b"\xff":
        return _AFTER_ID3.get(suffix)
    return None


def _mutagen(path: Path, size: int | None = None) -> tuple[Any, str | None, str | None]:
    """mutagen's reading of ``path``: first with the classes its first bytes (and
    name) point to (mutagen.File otherwise scores all 24 formats on every file, a
    tenth of a scan's time, and picks by name a FLAC named ``.mp3``), then, if they do
    not take it (a damaged file), with all of them, as mutagen.File chooses. With
    ``size``, the file's content key is read through the same open file."""
    key = None
    try:
        with path.open("rb") as f:
            head = f.read(16)
            if size is not None:
                key = content_key_of(f, size)
            kinds = _kinds(head, path.suffix.lower())
            if kinds is not None:
                f.seek(0)
                audio = mutagen.File(f, options=kinds)
                if audio is not None:
                    return audio, None, key
    except PermissionError as exc:
        raise UnreadableMedia(f"permission denied: {exc.strerror}") from None
    except Exception:  # read again below with every class
        pass
    try:
        audio = mutagen.File(path)
    except PermissionError as exc:
        raise UnreadableMedia(f"permission denied: {exc.strerror}") from None
    except Exception as exc:  # a malformed file may raise anything from a parser
        return None, f"corrupt or truncated audio: {describe_error(exc, path)}", key
    if audio is None:
        return None, "not a recognised audio file", key
    return audio, None, key


def _from_mutagen(
    path: Path, audio: Any, size: int
) -> tuple[tagmap.Fields, _Technical, bool]:
    """Fields, technical values and whether the header is known to lie."""
    name, info = type(audio).__name__, audio.info
    fields = tagmap.from_mutagen(audio.tags)
    extra = chunks.ChunkInfo()
    if name == "WAVE":
        extra = chunks.riff_info(path)
        fields = tagmap.merge(fields, tagmap.map_fields(extra.tags, tagmap.RIFF_INFO))
    elif name == "AIFF":
        extra = chunks.aiff_text(path)
        fields = tagmap.merge(fields, tagmap.map_fields(extra.tags, tagmap.AIFF_TEXT))
    length = float(getattr(info, "length", 0) or 0)
    nominal = int(getattr(info, "bitrate", 0) or 0)
    tech = _Technical(
        container=_CONTAINERS.get(name, name.lower()),
        codec=_codec(name, info, extra),
        duration_s=round(length, 3),
        bitrate=nominal or None,
        sample_rate=getattr(info, "sample_rate", None) or None,
        bit_depth=getattr(info, "bits_per_sample", None) or None,
        channels=int(getattr(info, "channels", 0) or 0) or None,  # WavPack: True
    )
    truncated = name in _SIZE_CHECKED and bool(
        nominal and length and size * 8 < _TRUNCATED * nominal * length
    )
    if name == "FLAC" and length > 0:
        truncated = size * 8 / length < _FLAC_FLOOR_BPS or _flac_cut(path, info)
    if name == "MP3" and nominal and _estimated(info, size, length):
        # no Xing/VBRI count: mutagen divides the whole file by the bitrate, tags
        # appended after the audio (ID3v1, APEv2, a trailing ID3v2) included
        audio_bytes = size - info.frame_offset - chunks.trailing_tags(path)
        tech.duration_s = round(max(0.0, 8 * audio_bytes / nominal), 3)
    elif name == "MP3" and 0 < length < _TRIM_CHECKED_S and not info.encoder_info:
        # a Xing count without LAME's header (ffmpeg's encoder writes its own, which
        # mutagen skips): the encoder's delay and padding are not played
        trim = chunks.xing_trim(path, info.frame_offset + _xing_offset(info))
        tech.duration_s = round(max(0.0, length - trim / info.sample_rate), 3)
    if name == "MP4":  # the header's bitrate is nominal; the media data is the truth
        media, truncated, aac = chunks.mp4_layout(path)
        if media and length > 0:
            tech.bitrate = int(media * 8 / length)
            # a duration its media cannot fill (a chapter track's empty audio)
            truncated = truncated or tech.bitrate < _MP4_FLOOR_BPS
        if tech.codec == "aac" and tech.channels == 2 and _mono(aac):
            tech.channels = 1
    elif name == "TrueAudio":
        tech.channels, tech.bit_depth = chunks.tta_header(path)
    elif name == "DSF":  # a sample count short of the data: ffmpeg plays the data
        data = chunks.dsf_data_seconds(path)
        if data is not None and data > length:
            tech.duration_s = round(data, 3)
    elif name == "OggOpus":  # Opus always decodes at 48 kHz
        tech.sample_rate = 48000
    if not nominal and length > 0 and name != "MP4":  # APE, WavPack, TAK: none
        tech.bitrate = int(size * 8 / length)
    # raw ADTS AAC: its duration is mutagen's estimate from the first frames'
    # bitrate, and HE-AAC's headers give the core's half rate and mono; ffmpeg's
    # packet count and decoder are the truth (a process per raw .aac file only)
    adts = name == "AAC" and getattr(info, "_type", "") == "ADTS"
    return fields, tech, extra.compressed or truncated or adts or name in _NOT_AUDIO


def _mono(config: tuple[int, int, int] | None) -> bool:
    """An AAC decoder configuration (object type, rate, channel configuration) that
    says mono at more than 24 kHz, under a sample entry that says 2 channels
    (mutagen keeps the entry's 2, as a mono config may hide Parametric Stereo): PS
    needs SBR, and SBR a core rate of 24 kHz or less, so it is mono, as ffmpeg
    decodes it."""
    return config is not None and config[2] == 1 and config[1] > 24000


def _flac_cut(path: Path, info: Any) -> bool:
    """A FLAC whose last frame starts well before STREAMINFO's sample count ends:
    cut off in transfer (reads only the file's tail)."""
    total, block = info.total_samples, info.max_blocksize
    if not total or not block:
        return False
    last = chunks.flac_last_sample(path, info.max_framesize, block)
    return last is not None and last + block < _FLAC_KEPT * total


def _xing_offset(info: Any) -> int:
    """Where a Xing/Info header starts in an MP3's first frame (after the 4-byte
    frame header and the side information)."""
    mono = info.channels == 1
    if info.version == 1:
        return 4 + (17 if mono else 32)
    return 4 + (9 if mono else 17)


def _estimated(info: Any, size: int, length: float) -> bool:
    """Whether mutagen's MP3 duration is its estimate from the file size."""
    offset = getattr(info, "frame_offset", None)
    if offset is None or not info.bitrate:
        return False
    return abs(length - 8 * (size - offset) / info.bitrate) < 1e-6


def _codec(name: str, info: Any, extra: chunks.ChunkInfo) -> str | None:
    """ffprobe's name for the codec, from what mutagen and the chunks say."""
    bits = getattr(info, "bits_per_sample", 0) or 16
    if name == "MP3":
        layer = getattr(info, "layer", 3)
        return "mp3" if layer == 3 else f"mp{layer}"
    if name in {"MP4", "AC3"}:
        codec = str(getattr(info, "codec", "") or "")
        aliases = {"ac-3": "ac3", "ec-3": "eac3"}
        return "aac" if codec.startswith("mp4a.40") else aliases.get(codec, codec)
    if name == "ASF":
        text = str(getattr(info, "codec_name", "") or "")
        for word, codec in (("Lossless", "wmalossless"), ("Professional", "wmapro")):
            if word in text:
                return codec
        return "wmavoice" if "Voice" in text else "wmav2"
    if name == "WAVE":
        if extra.codec in {None, "pcm"}:
            return "pcm_u8" if bits == 8 else f"pcm_s{bits}le"
        return f"pcm_f{bits}le" if extra.codec == "pcm_f" else extra.codec
    if name == "AIFF":
        return extra.codec if extra.compressed else f"pcm_s{bits}be"
    if name == "DSDIFF":
        compressed = "DST" in str(getattr(info, "compression", "")).upper()
        return "dst" if compressed else "dsd_msbf"
    if name == "Musepack":
        version = getattr(info, "version", 0)
        return f"musepack{version}" if version in {7, 8} else "musepack"
    return _CODECS.get(name)


def _probe(path: Path) -> tuple[tagmap.Fields, _Technical] | None:
    """Tags and technical fields from ffprobe, the duration from reading every packet
    (ffprobe's own is the header's again); None (no audio, or no ffmpeg)."""
    try:
        result = probe.probe_file(path, timeout_s=30.0)
    except probe.ProbeUnavailable:
        return None
    audio = next((s for s in result.streams if s.kind == "audio"), None)
    if not result.ok or audio is None or not audio.codec:
        return None
    seconds = probe.demuxed_seconds(path, timeout_s=30.0)
    tech = _Technical(
        container=result.container or path.suffix.lstrip(".").lower(),
        codec=audio.codec,
        duration_s=seconds or result.duration_s or 0.0,
        bitrate=audio.bitrate or result.bitrate,
        sample_rate=audio.sample_rate,
        bit_depth=audio.bit_depth,
        channels=audio.channels,
    )
    return tagmap.from_ffprobe(result.tags), tech


def _build(fields: tagmap.Fields, tech: _Technical, probed: bool = False) -> AudioTags:
    track_no, track_total = _number_pair(fields.get("track"))
    disc_no, disc_total = _number_pair(fields.get("disc"))
    compilation = fields.get("compilation", "").lower() in {"1", "true", "yes"}
    return AudioTags(
        title=fields.get("title"),
        artist=fields.get("artist"),
        album_artist=fields.get("albumartist"),
        album=fields.get("album"),
        track_no=track_no,
        track_total=track_total or _int(fields.get("tracktotal")),
        disc_no=disc_no,
        disc_total=disc_total or _int(fields.get("disctotal")),
        year=_year(fields.get("date")),
        genre=fields.get("genre"),
        compilation=compilation,
        mb_recording_id=fields.get("mb_track"),
        mb_release_id=fields.get("mb_album"),
        mb_artist_id=fields.get("mb_artist"),
        duration_s=tech.duration_s,
        bitrate=tech.bitrate,
        container=tech.container,
        codec=tech.codec,
        sample_rate=tech.sample_rate,
        bit_depth=None if tech.codec in _LOSSY else tech.bit_depth,
        channels=tech.channels,
        replaygain_track_db=_gain(fields.get("rg_track")),
        replaygain_album_db=_gain(fields.get("rg_album")),
        probed=probed,
    )


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    match = re.match(r"\s*(\d+)", text)
    return int(match.group(1)) if match else None


def _number_pair(text: str | None) -> tuple[int | None, int | None]:
    """``"3/12"`` -> (3, 12); ``"3"`` -> (3, None); ``"0"`` -> (None, None)."""
    if text is None:
        return None, None
    number, _, total = text.partition("/")
    return _int(number) or None, _int(total) or None


def _year(text: str | None) -> int | None:
    match = _YEAR.search(text or "")
    return (int(match.group(1)) or None) if match else None


def _gain(text: str | None) -> float | None:
    match = _GAIN.match(text or "")
    return float(match.group(1)) if match else None


_EMPTY_ERRORS = {
    "error": "damaged tag or stream data",
    "ID3JunkFrameError": "a damaged ID3 frame",
    "HeaderNotFoundError": "no audio frame header found",
}


def describe_error(exc: BaseException, path: Path) -> str:
    """One short line for a reader's exception: never an absolute path, never a bare
    class name such as ``error``."""
    text = str(exc).strip()
    for noise in (f"'{path}'", f'"{path}"', str(path), str(path.absolute())):
        text = text.replace(noise, path.name)
    name = type(exc).__name__
    module = type(exc).__module__.split(".")
    where = module[1].upper() if len(module) > 1 and module[0] == "mutagen" else ""
    if not text or text == name:
        text = _EMPTY_ERRORS.get(name, name)
        if name == "error" and type(exc).__module__ == "zlib":
            text = "a compressed tag frame cannot be decompressed"
        elif isinstance(exc.__context__, OSError) and not str(exc.__context__):
            # mutagen's short read: a tag that says it is longer than the file
            text = "the tag runs past the end of the file (truncated)"
    if where and where.lower() not in text.lower() and not where.startswith("_"):
        text = f"{where}: {text}"
    return text.splitlines()[0][:200]
