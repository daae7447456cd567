"""Ladder planning and the ffmpeg commands built from it (not run here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.transcode import decide as d
from connectors.transcode.command import build_command, make_plan
from connectors.transcode.hardware import SOFTWARE, candidate
from connectors.transcode.ladder import DEFAULT_LADDER, RenditionSpec, plan_ladder
from connectors.transcode.probe import MediaInfo, StreamInfo, parse_probe


def _info(width: int, height: int, fps: float = 24.0) -> MediaInfo:
    return MediaInfo(
        container="matroska,webm",
        duration_s=60.0,
        streams=(
            StreamInfo(0, "video", "hevc", width=width, height=height, fps=fps),
            StreamInfo(1, "audio", "ac3", channels=6),
            StreamInfo(2, "subtitle", "subrip", language="eng"),
            StreamInfo(3, "subtitle", "hdmv_pgs_subtitle", language="fra"),
        ),
    )


@pytest.mark.parametrize(
    ("size", "heights"),
    [
        ((1920, 1080), [1080, 720, 480, 360]),
        ((1280, 720), [720, 480, 360]),
        ((1920, 800), [720, 480, 360]),  # 2.40:1 film: 800 lines, no 1080
        ((640, 360), [360]),
        ((320, 180), [180]),  # smaller than every rung: one rendition at its size
    ],
)
def test_never_upscaled(size: tuple[int, int], heights: list[int]) -> None:
    plan = plan_ladder(_info(*size), DEFAULT_LADDER)
    assert [r.height for r in plan] == heights
    assert all(r.width <= size[0] and r.width % 2 == 0 for r in plan)


def test_widths_keep_the_aspect_and_stay_even() -> None:
    plan = plan_ladder(_info(1920, 800), DEFAULT_LADDER)
    assert [(r.width, r.height) for r in plan] == [(1728, 720), (1152, 480), (864, 360)]


def test_rendition_names_and_sizes_are_checked() -> None:
    with pytest.raises(ValueError, match="a-z, 0-9"):
        RenditionSpec("720p -y", 720, 2800)
    with pytest.raises(ValueError, match="even"):
        RenditionSpec("721p", 721, 2800)


def _ladder_command(encoder_kind: str | None = None) -> list[str]:
    encoder = candidate(encoder_kind) if encoder_kind else SOFTWARE
    info = _info(1920, 1080)
    plan = make_plan(
        info,
        d.decide(info, "video"),
        specs=DEFAULT_LADDER,
        audio_kbps=[128],
        segment_s=4,
        encoder=encoder,
    )
    return build_command(Path("/media/-y film.mkv"), Path("/assets/.tmp-x"), plan)


def _value(args: list[str], flag: str) -> str:
    return args[args.index(flag) + 1]


def test_one_process_splits_one_decode_into_every_rendition() -> None:
    args = _ladder_command()
    graph = _value(args, "-filter_complex")
    assert graph.count("split=4") == 1
    assert graph.count("scale=") == 4
    assert args.count("-i") == 1
    assert _value(args, "-var_stream_map") == (
        "v:0,a:0,name:1080p v:1,a:1,name:720p v:2,a:2,name:480p v:3,a:3,name:360p"
    )
    assert _value(args, "-master_pl_name") == "master.m3u8"
    assert _value(args, "-force_key_frames") == "expr:gte(t,n_forced*4)"
    assert _value(args, "-g") == "97"  # keyframes only where forced: every 96 frames
    assert _value(args, "-sc_threshold:v:0") == "0"
    assert (_value(args, "-c:a"), _value(args, "-ac")) == ("aac", "2")
    assert _value(args, "-b:v:1") == "2800k"


def test_source_is_read_as_a_file_even_with_an_odd_name() -> None:
    args = _ladder_command()
    assert _value(args, "-i") == "file:/media/-y film.mkv"


def test_text_subtitles_become_webvtt_bitmaps_are_skipped() -> None:
    args = _ladder_command()
    assert args.count("webvtt") == 2  # -f webvtt -c:s webvtt, for one track
    assert "/assets/.tmp-x/subs/sub0_eng.vtt" in args
    assert "0:3" not in args  # the PGS (bitmap) track is not mapped


def test_nvenc_command_uses_the_gpu_encoder_with_forced_idr() -> None:
    args = _ladder_command("nvenc")
    assert _value(args, "-c:v:0") == "h264_nvenc"
    assert _value(args, "-forced-idr:v:3") == "1"
    assert _value(args, "-preset:v:0") == "p4"
    assert "libx264" not in args


def test_vaapi_command_uploads_frames_to_the_device() -> None:
    args = _ladder_command("vaapi")
    assert "hwupload" in _value(args, "-filter_complex")
    assert _value(args, "-init_hw_device") == "vaapi=va:/dev/dri/renderD128"
    assert _value(args, "-c:v:0") == "h264_vaapi"


def test_vaapi_device_must_be_a_render_node() -> None:
    with pytest.raises(ValueError, match="renderD"):
        candidate("vaapi", Path("/etc/passwd"))


def test_copy_plan_copies_video_and_keeps_aac() -> None:
    info = parse_probe(
        {
            "format": {"format_name": "matroska,webm", "duration": "5"},
            "streams": [
                {
                    "index": 0,
                    "codec_type": "video",
                    "codec_name": "h264",
                    "profile": "High",
                    "width": 320,
                    "height": 180,
                    "pix_fmt": "yuv420p",
                },
                {
                    "index": 1,
                    "codec_type": "audio",
                    "codec_name": "aac",
                    "channels": 2,
                    "tags": {"language": "en;rm -rf"},
                },
            ],
        }
    )
    assert info.audio is not None
    assert info.audio.language == "und"
    plan = make_plan(
        info,
        d.decide(info, "video"),
        specs=DEFAULT_LADDER,
        audio_kbps=[128],
        segment_s=4,
    )
    args = build_command(Path("/m/a.mkv"), Path("/assets/.tmp-y"), plan)
    assert (_value(args, "-c:v"), _value(args, "-c:a")) == ("copy", "copy")
    assert "-filter_complex" not in args
    assert "-master_pl_name" not in args


def test_output_folder_with_a_pattern_character_is_refused() -> None:
    info = _info(640, 360)
    plan = make_plan(
        info,
        d.decide(info, "video"),
        specs=DEFAULT_LADDER,
        audio_kbps=[128],
        segment_s=4,
    )
    with pytest.raises(Exception, match="without '%'"):
        build_command(Path("/m/a.mkv"), Path("/assets/100%/x"), plan)
