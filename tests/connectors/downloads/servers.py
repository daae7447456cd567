"""Local HTTP servers for download tests: a media file server that behaves like a real
one (HEAD, Range requests, Content-Type, slow transfers, dropped connections, 5xx), and
helpers that generate real media files with ffmpeg.

Query parameters steer a request: ``rate=BYTES_PER_S`` throttles the body,
``drop=BYTES`` closes the connection after that many bytes (the full Content-Length
was announced), ``status=503`` answers that status. The server counts transfers running
at once (``max_active``) so tests and the benchmark can check concurrency limits.
"""

from __future__ import annotations

import mimetypes
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

mimetypes.add_type("application/vnd.apple.mpegurl", ".m3u8")
mimetypes.add_type("video/mp2t", ".ts")
mimetypes.add_type("audio/mpeg", ".mp3")


def ffmpeg(*args: str) -> None:
    """Run ffmpeg quietly; raise on failure."""
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def make_video(path: Path, seconds: float = 4.0) -> Path:
    """A small H.264/AAC MP4 (moov first, like a web download)."""
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc=size=160x120:rate=15",
        "-f", "lavfi", "-i", "sine=frequency=440",
        "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-g", "15",
        "-c:a", "aac", "-shortest", "-movflags", "+faststart", str(path),
    )  # fmt: skip
    return path


def make_mp3(path: Path, seconds: float = 8.0, **tags: str) -> Path:
    """A CBR MP3 with an ID3 header and the given tags."""
    meta = [arg for k, v in tags.items() for arg in ("-metadata", f"{k}={v}")]
    ffmpeg(
        "-f", "lavfi", "-i", f"sine=frequency=330:duration={seconds}",
        "-c:a", "libmp3lame", "-b:a", "192k", *meta, str(path),
    )  # fmt: skip
    return path


def make_hls(video: Path, folder: Path) -> Path:
    """An HLS VOD playlist with 1-second segments made from ``video``."""
    folder.mkdir(parents=True, exist_ok=True)
    playlist = folder / "index.m3u8"
    ffmpeg(
        "-i", str(video), "-c", "copy", "-f", "hls", "-hls_time", "1",
        "-hls_playlist_type", "vod", str(playlist),
    )  # fmt: skip
    return playlist


def truncate(source: Path, dest: Path, keep: float = 0.5) -> Path:
    """A copy of ``source`` cut to ``keep`` of its bytes (a broken upload)."""
    data = source.read_bytes()
    dest.write_bytes(data[: int(len(data) * keep)])
    return dest


class MediaServer:
    """Serves a folder on 127.0.0.1 (a free port) in a background thread."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.active = 0
        self.max_active = 0
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, name: str, **params: object) -> str:
        """The URL of a served file, with steering parameters."""
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"{self.base}/{name}" + (f"?{query}" if query else "")

    def __enter__(self) -> MediaServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def transfer(self, delta: int) -> None:
        with self._lock:
            self.active += delta
            self.max_active = max(self.max_active, self.active)


def _handler(server: MediaServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_HEAD(self) -> None:
            self._serve(body=False)

        def do_GET(self) -> None:
            self._serve(body=True)

        def _serve(self, body: bool) -> None:
            parts = urlsplit(self.path)
            params = {k: v[0] for k, v in parse_qs(parts.query).items()}
            ranged = self.headers.get("Range")
            server.requests.append(
                f"{self.command} {parts.path}" + (f" {ranged}" if ranged else "")
            )
            path = server.root / parts.path.lstrip("/")
            if "status" in params:
                self._status(int(params["status"]))
                return
            if not path.is_file():
                self._status(404)
                return
            data = path.read_bytes()
            start = self._range_start()
            ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            self.send_response(206 if start else 200)
            self.send_header("Content-Type", ctype)
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(len(data) - start))
            if start:
                self.send_header(
                    "Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}"
                )
            self.end_headers()
            if body:
                self._body(data[start:], params)

        def _range_start(self) -> int:
            value = self.headers.get("Range", "")
            if value.startswith("bytes=") and value.endswith("-"):
                return int(value[6:-1] or 0)
            return 0

        def _status(self, code: int) -> None:
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _body(self, data: bytes, params: dict[str, str]) -> None:
            """Send the body in throttled chunks. The transfer counts as active until
            just before its last chunk leaves, so a client can never hold the whole
            body while the server still counts it (two transfers that only touch
            are never seen as overlapping)."""
            rate = float(params.get("rate", 0))
            drop = int(params.get("drop", -1))
            chunk = 16384
            server.transfer(+1)
            active = True
            try:
                for offset in range(0, len(data), chunk):
                    if 0 <= drop <= offset:
                        self.close_connection = True
                        self.connection.shutdown(2)
                        return
                    if rate and offset:
                        time.sleep(chunk / rate)
                    if offset + chunk >= len(data):
                        server.transfer(-1)
                        active = False
                    self.wfile.write(data[offset : offset + chunk])
            except (BrokenPipeError, ConnectionResetError):
                return
            finally:
                if active:
                    server.transfer(-1)

    return Handler
