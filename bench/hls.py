"""Benchmark: HLS ladders, remux speed, and time to first frame in a browser.

Prints, all measured in this run:

- one-pass 1080p/720p/360p ladder (one ffmpeg: one decode, ``split``) against three
  separate encodes of the same renditions: the ratio (target >= 1.2x) and the one-pass
  speed as a multiple of realtime (source: a generated 1080p HEVC clip, the kind of
  source that needs a ladder; ``--codec h264`` for an H.264 one, cheaper to decode);
- remux to HLS (``-c copy``) as a multiple of realtime (target >= 100x), on a long file
  made by looping a sample-library video (stream copy), and on each sample video as is
  (there a process start dominates);
- time to first frame in headless Chromium from a cold request to ``medialake serve``
  (target < 1.5 s), the median of several fresh browser contexts.

    uv run python -m bench.hls [--seconds 10] [--codec hevc] [--loops 150] [--pages 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from connectors.transcode import decide as d
from connectors.transcode import publish
from connectors.transcode.command import build_command, make_plan
from connectors.transcode.ladder import RenditionSpec
from connectors.transcode.probe import probe
from connectors.transcode.runner import run_ffmpeg
from medialake.sample import generate_sample

WORK = Path(__file__).resolve().parent / ".work" / "hls"
LADDER = (
    RenditionSpec("1080p", 1080, 5000, 128),
    RenditionSpec("720p", 720, 2800, 128),
    RenditionSpec("360p", 360, 800, 96),
)
CHROMIUM = "/usr/bin/chromium"
SERVE = "from cli.main import main; main()"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--mute-audio",
    "--autoplay-policy=no-user-gesture-required",
]


def ffmpeg(*args: str) -> None:
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-y", *args], check=True
    )


def encode(
    source: Path, specs: tuple[RenditionSpec, ...], out: Path
) -> tuple[float, float]:
    """(wall, CPU) seconds of one ffmpeg run writing ``specs`` for ``source``."""
    info = probe(source)
    plan = make_plan(
        info,
        d.Decision(d.TRANSCODE, "bench", d.LADDER),
        specs=specs,
        audio_kbps=[128],
        segment_s=4,
    )
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    before = _child_cpu()
    started = time.perf_counter()
    run_ffmpeg(build_command(source, out, plan), info.media_duration_s)
    return time.perf_counter() - started, _child_cpu() - before


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def ladder_figures(seconds: int, codec: str) -> None:
    source = WORK / f"source-1080p-{codec}-{seconds}s.mkv"
    if not source.exists():
        video = (
            [
                "-c:v",
                "libx265",
                "-preset",
                "ultrafast",
                "-x265-params",
                "log-level=error:crf=20",
            ]
            if codec == "hevc"
            else ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "18"]
        )
        ffmpeg(
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size=1920x1080:rate=24:duration={seconds}",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:duration={seconds}",
            *video,
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            str(source),
        )
    one_pass, separate = [], []
    for _ in range(3):  # alternate and keep the best of each: other load is noise
        one_pass.append(encode(source, LADDER, WORK / "one-pass"))
        runs = [
            encode(source, (spec,), WORK / f"separate-{spec.name}") for spec in LADDER
        ]
        separate.append((sum(r[0] for r in runs), sum(r[1] for r in runs)))
    one_wall, one_cpu = min(w for w, _ in one_pass), min(c for _, c in one_pass)
    sep_wall, sep_cpu = min(w for w, _ in separate), min(c for _, c in separate)
    print(
        f"ladder 1080/720/360 of a {seconds} s 1080p {codec} clip"
        f" ({os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, libx264 veryfast):"
    )
    print(
        f"  one ffmpeg (split):  {one_wall:6.2f} s wall, {one_cpu:6.2f} s CPU"
        f"  = {seconds / one_wall:4.2f}x realtime"
    )
    print(
        f"  three separate runs: {sep_wall:6.2f} s wall, {sep_cpu:6.2f} s CPU"
        f"  = {seconds / sep_wall:4.2f}x realtime"
    )
    print(
        f"  one-pass is {sep_wall / one_wall:.2f}x faster by wall clock and needs"
        f" {sep_cpu / one_cpu:.2f}x less CPU (target >= 1.2x)"
    )


def remux_speed(source: Path, out: Path) -> tuple[float, float]:
    """(seconds of media, wall seconds) of a stream-copy HLS of ``source``."""
    info = probe(source)
    plan = make_plan(
        info, d.decide(info, "video"), specs=LADDER, audio_kbps=[128], segment_s=4
    )
    assert plan.mode == d.COPY, plan.mode
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    started = time.perf_counter()
    run_ffmpeg(build_command(source, out, plan), info.media_duration_s)
    return info.media_duration_s, time.perf_counter() - started


def remux_figures(videos: list[Path], loops: int) -> None:
    long = WORK / f"looped-{loops}.mkv"
    if not long.exists():
        ffmpeg(
            "-stream_loop", str(loops), "-i", str(videos[0]), "-c", "copy", str(long)
        )
    media, wall = remux_speed(long, WORK / "remux-long")
    print(f"remux to HLS (-c copy), {media / 60:.1f} min looped from {videos[0].name}:")
    print(f"  {wall:.2f} s = {media / wall:.0f}x realtime (target >= 100x)")
    info = probe(long)
    plan = make_plan(
        info, d.decide(info, "video"), specs=LADDER, audio_kbps=[128], segment_s=4
    )
    started = time.perf_counter()
    asset = publish.build_asset(long, WORK / "published", plan, info.media_duration_s)
    total = time.perf_counter() - started
    print(
        f"  with verification and atomic publish: {total:.2f} s ="
        f" {media / total:.0f}x realtime"
    )
    shutil.rmtree(WORK / "published" / asset.asset_id)
    speeds = [m / w for m, w in (remux_speed(v, WORK / "remux-small") for v in videos)]
    print(
        f"  each of the {len(videos)} sample videos (2-4 s; process start dominates):"
        f" median {statistics.median(speeds):.0f}x realtime"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def first_frame_figures(videos: list[Path], pages: int) -> None:
    if not Path(CHROMIUM).exists():
        print("time to first frame: skipped (no chromium at /usr/bin/chromium)")
        return
    from playwright.sync_api import sync_playwright

    from playback.tokens import issue

    home = Path(tempfile.mkdtemp(prefix="medialake-bench-hls-"))
    ids = []
    for video in videos[:pages]:
        info = probe(video)
        plan = make_plan(
            info, d.decide(info, "video"), specs=LADDER, audio_kbps=[128], segment_s=4
        )
        ids.append(
            publish.build_asset(
                video, home / "hls", plan, info.media_duration_s
            ).asset_id
        )
    secret, port = os.urandom(32).hex(), _free_port()
    env = {
        **os.environ,
        "MEDIALAKE_HOME": str(home),
        "MEDIALAKE_PLAYBACK_SECRET": secret,
        "MEDIALAKE_PLAYBACK_PORT": str(port),
    }
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE, "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        times = _measure_pages(sync_playwright, port, secret.encode(), ids, issue)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(home, ignore_errors=True)
    print(f"time to first frame in Chromium, cold request ({len(times)} fresh pages):")
    print(
        f"  median {statistics.median(times):.2f} s, max {max(times):.2f} s"
        " (target < 1.5 s)"
    )


def _measure_pages(sync_playwright, port, key, ids, issue) -> list[float]:  # type: ignore[no-untyped-def]
    _wait_healthy(port)
    times = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for asset_id in ids:
            context = browser.new_context()
            page = context.new_page()
            token = issue(key, asset_id, 300).value
            url = f"http://127.0.0.1:{port}/watch/{asset_id}?t={token}"
            started = time.perf_counter()
            page.goto(url, wait_until="commit")
            page.wait_for_selector("#video")
            page.evaluate("player.video.play()")
            while not page.evaluate("player.video.currentTime > 0"):
                time.sleep(0.01)
            times.append(time.perf_counter() - started)
            context.close()
        browser.close()
    return times


def _wait_healthy(port: int) -> None:
    import http.client

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            con = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            con.request("GET", "/health")
            if con.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the playback service did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10, help="1080p clip length")
    parser.add_argument(
        "--codec",
        choices=["hevc", "h264"],
        default="hevc",
        help="the 1080p clip's codec (HEVC: a source that needs a ladder)",
    )
    parser.add_argument(
        "--loops", type=int, default=150, help="loops of the remux file"
    )
    parser.add_argument("--pages", type=int, default=5, help="browser pages to time")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    library = generate_sample(WORK / "library").root
    videos = sorted((library / "Video").rglob("*.m*"))
    ladder_figures(args.seconds, args.codec)
    remux_figures(videos, args.loops)
    first_frame_figures(videos, args.pages)


if __name__ == "__main__":
    main()
