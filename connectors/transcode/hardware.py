"""Hardware encoders: NVENC, VAAPI or QSV when a trial encode works, libx264 otherwise.

Listing an encoder in ``ffmpeg -encoders`` proves nothing (Debian's ffmpeg lists NVENC
on every machine), so each candidate must encode a short test picture before it is used.
The answer is cached per process. Decoding and scaling stay on the CPU; only the encode
moves to the device, which keeps one command shape for every encoder.
"""

from __future__ import annotations

import logging
import re
import subprocess
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import ffmpeg

from connectors.transcode.probe import last_line

log = logging.getLogger(__name__)

TRIAL_TIMEOUT_S = 20.0
X264_PRESETS = (
    "ultrafast superfast veryfast faster fast medium slow slower veryslow".split()
)
HARDWARE_KINDS = ("nvenc", "vaapi", "qsv")
_RENDER_NODE = re.compile(r"^/dev/dri/renderD[0-9]{1,4}$")
DEFAULT_VAAPI_DEVICE = Path("/dev/dri/renderD128")


@dataclass(frozen=True, slots=True)
class Encoder:
    """An H.264 encoder and how to drive it."""

    kind: str  # software, nvenc, vaapi, qsv
    codec: str  # libx264, h264_nvenc, h264_vaapi, h264_qsv
    device: str | None = None  # the VAAPI render node

    def global_args(self) -> list[str]:
        """Arguments before the inputs (hardware device set-up)."""
        if self.kind == "vaapi" and self.device:
            return [
                "-init_hw_device",
                f"vaapi=va:{self.device}",
                "-filter_hw_device",
                "va",
            ]
        return []

    def upload_filters(self) -> list[tuple[str, dict[str, str]]]:
        """Filters after scaling that hand frames to the encoder."""
        if self.kind == "vaapi":
            return [("format", {"pix_fmts": "nv12"}), ("hwupload", {})]
        if self.kind == "qsv":
            return [("format", {"pix_fmts": "nv12"})]
        return [("format", {"pix_fmts": "yuv420p"})]

    def stream_options(self, index: int, kbps: int, preset: str) -> dict[str, str]:
        """Per-stream options for output video stream ``index`` at ``kbps``."""
        v = f"v:{index}"
        rate = {
            f"b:{v}": f"{kbps}k",
            f"maxrate:{v}": f"{round(kbps * 1.1)}k",
            f"bufsize:{v}": f"{kbps * 2}k",
        }
        if self.kind == "nvenc":
            extra = {"preset": "p4", "rc": "vbr", "forced-idr": "1", "no-scenecut": "1"}
        elif self.kind == "vaapi":
            extra = {"rc_mode": "VBR"}
        elif self.kind == "qsv":
            extra = {"preset": "veryfast", "forced_idr": "1", "look_ahead": "0"}
        else:
            extra = {"preset": _checked_preset(preset), "sc_threshold": "0"}
        options = {f"c:{v}": self.codec, f"profile:{v}": "high", **rate}
        options.update({f"{key}:{v}": value for key, value in extra.items()})
        return options


SOFTWARE = Encoder("software", "libx264")


@dataclass(slots=True)
class Detection:
    """The encoder chosen and what was tried on the way."""

    encoder: Encoder
    tried: list[tuple[str, str]] = field(default_factory=list)


def _checked_preset(preset: str) -> str:
    if preset not in X264_PRESETS:
        raise ValueError(f"unknown x264 preset {preset!r}")
    return preset


def candidate(kind: str, vaapi_device: Path = DEFAULT_VAAPI_DEVICE) -> Encoder:
    """The encoder of a hardware ``kind`` (not yet tried)."""
    if kind == "nvenc":
        return Encoder("nvenc", "h264_nvenc")
    if kind == "vaapi":
        device = str(vaapi_device)
        if not _RENDER_NODE.match(device):
            raise ValueError(
                f"VAAPI device must be /dev/dri/renderD<N>, not {device!r}"
            )
        return Encoder("vaapi", "h264_vaapi", device)
    if kind == "qsv":
        return Encoder("qsv", "h264_qsv")
    raise ValueError(f"unknown hardware kind {kind!r}")


def trial_args(encoder: Encoder, ffmpeg_bin: str = "ffmpeg") -> list[str]:
    """A half-second test encode that succeeds only where ``encoder`` really works."""
    picture = ffmpeg.input("testsrc2=size=320x240:rate=25:duration=0.5", f="lavfi")
    stream = picture.video.filter("scale", -2, 240)
    for name, kwargs in encoder.upload_filters():
        stream = stream.filter(name, **kwargs)
    out = ffmpeg.output(
        stream, "-", f="null", **encoder.stream_options(0, 500, "veryfast")
    )
    out = out.global_args(
        "-hide_banner", "-nostdin", "-v", "error", *encoder.global_args()
    )
    return list(out.compile(cmd=ffmpeg_bin))


def listed_encoders(ffmpeg_bin: str = "ffmpeg") -> set[str]:
    """Encoder names this ffmpeg build knows (not proof that they work)."""
    try:
        done = subprocess.run(
            [ffmpeg_bin, "-hide_banner", "-nostdin", "-encoders"],
            capture_output=True,
            text=True,
            timeout=TRIAL_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return set()
    names = set()
    for line in done.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and len(parts[0]) == 6 and parts[0][0] in "VAS":
            names.add(parts[1])
    return names


def try_encoder(encoder: Encoder, ffmpeg_bin: str = "ffmpeg") -> str | None:
    """Run the trial encode; None when it worked, else why it did not."""
    try:
        done = subprocess.run(
            trial_args(encoder, ffmpeg_bin),
            capture_output=True,
            timeout=TRIAL_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"trial encode took more than {TRIAL_TIMEOUT_S:g} s"
    except OSError as exc:
        return f"cannot run ffmpeg: {exc.strerror}"
    return None if done.returncode == 0 else last_line(done.stderr)


def detect(
    prefer: str = "auto",
    ffmpeg_bin: str = "ffmpeg",
    vaapi_device: Path = DEFAULT_VAAPI_DEVICE,
) -> Detection:
    """Choose the encoder: ``prefer`` is ``auto``, ``none`` or a hardware kind."""
    if prefer == "none":
        return Detection(SOFTWARE, [("hardware", "disabled in settings")])
    kinds = HARDWARE_KINDS if prefer == "auto" else (prefer,)
    listed = listed_encoders(ffmpeg_bin)
    result = Detection(SOFTWARE)
    for kind in kinds:
        enc = candidate(kind, vaapi_device)
        if enc.codec not in listed:
            result.tried.append((kind, "not in this ffmpeg build"))
            continue
        if enc.kind == "vaapi" and not Path(str(enc.device)).exists():
            result.tried.append((kind, f"no device {enc.device}"))
            continue
        failure = try_encoder(enc, ffmpeg_bin)
        if failure is None:
            result.tried.append((kind, "trial encode worked"))
            result.encoder = enc
            return result
        result.tried.append((kind, f"trial encode failed: {failure}"))
    if prefer != "auto":
        log.warning(
            "hardware encoder %s unavailable, using libx264: %s",
            prefer,
            result.tried[-1][1],
        )
    return result


@cache
def detect_cached(
    prefer: str = "auto",
    ffmpeg_bin: str = "ffmpeg",
    vaapi_device: Path = DEFAULT_VAAPI_DEVICE,
) -> Detection:
    """:func:`detect`, once per process and arguments."""
    return detect(prefer, ffmpeg_bin, vaapi_device)
