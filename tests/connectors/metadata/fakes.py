"""Local fake MusicBrainz (with the Cover Art Archive), TMDb and AcoustID servers on
127.0.0.1.

They serve the recorded responses in ``<repo>/../shared/peers/{musicbrainz,tmdb}/``,
read at run time, and behave like the real services where it matters to a client:
searches filter and rank the recorded entities by the query's words (and
``limit``/``offset``), lookups of unknown ids answer 404 with the service's error body,
MusicBrainz answers 503 when hit faster than its interval and refuses requests without a
User-Agent, TMDb answers 401 for a wrong key, 404 for unknown resources, 422 without a
query and 429 with ``Retry-After`` over its request budget, and both can be made slow or
stopped. Every request is logged with its arrival time so tests can count and space
them.
"""

from __future__ import annotations

import json
import re
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

PEERS = Path(__file__).resolve().parents[4] / "shared" / "peers"
MB_DIR, TMDB_DIR = PEERS / "musicbrainz", PEERS / "tmdb"
MMD, EXT = "http://musicbrainz.org/ns/mmd-2.0#", "http://musicbrainz.org/ns/ext#-2.0"
ET.register_namespace("", MMD)
ET.register_namespace("ext", EXT)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
_WORD = re.compile(r"\w+")
_FIELD = re.compile(r"(\w+):\(((?:\\.|[^)])*)\)")


@dataclass
class Hit:
    """One request as the fake saw it."""

    at: float
    path: str
    query: dict[str, list[str]]
    user_agent: str
    status: int = 0


@dataclass
class _Fake:
    delay: float = 0.0
    log: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> _Fake:
        handler = type("Handler", (_Handler,), {"fake": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def requests(self, prefix: str = "") -> list[Hit]:
        with self.lock:
            return [h for h in self.log if h.path.startswith(prefix)]

    def answer(self, hit: Hit) -> tuple[int, dict[str, str], bytes]:
        raise NotImplementedError


class _Handler(BaseHTTPRequestHandler):
    fake: _Fake

    def do_GET(self) -> None:
        self._serve(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._serve(self.rfile.read(length) if length else b"")

    def _serve(self, body: bytes) -> None:
        parts = urlsplit(self.path)
        form = parse_qs(body.decode("utf-8")) if body else {}
        hit = Hit(
            time.monotonic(),
            unquote(parts.path),
            {**parse_qs(parts.query), **form},
            self.headers.get("User-Agent", ""),
        )
        with self.fake.lock:
            self.fake.log.append(hit)
        if self.fake.delay:
            time.sleep(self.fake.delay)
        status, headers, body = self.fake.answer(hit)
        hit.status = status
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def _words(*texts: str | None) -> set[str]:
    return {w for t in texts if t for w in _WORD.findall(t.casefold())}


class FakeMusicBrainz(_Fake):
    """MusicBrainz WS/2 (XML) and the Cover Art Archive, from the recorded files."""

    def __init__(self, min_interval: float = 1.0, delay: float = 0.0) -> None:
        super().__init__(delay=delay)
        self.min_interval = min_interval
        self._last = -1e9
        self.extra: dict[str, bytes] = {}  # "entity/id" -> an answer a test derived

    def answer(self, hit: Hit) -> tuple[int, dict[str, str], bytes]:
        if not hit.path.startswith("/ws/2/"):
            return self._cover(hit.path)
        if not hit.user_agent or hit.user_agent.startswith("Python-urllib"):
            return _xml_error(403, "Please provide a meaningful User-Agent")
        with self.lock:
            too_fast = hit.at - self._last < self.min_interval
            self._last = hit.at
        if too_fast:
            return _xml_error(
                503, "Your requests are exceeding the allowable rate limit"
            )
        entity, _, rest = hit.path[len("/ws/2/") :].partition("/")
        if not rest:
            return self._search(entity, hit.query)
        return self._lookup(entity, rest, hit.query)

    def _lookup(
        self, entity: str, mbid: str, query: dict[str, list[str]]
    ) -> tuple[int, dict[str, str], bytes]:
        if f"{entity}/{mbid}" in self.extra:
            return (
                200,
                {"Content-Type": "application/xml"},
                self.extra[f"{entity}/{mbid}"],
            )
        folder = MB_DIR / entity
        inc = (query.get("inc") or [""])[0].replace(" ", "+")
        exact = folder / f"{mbid}-{inc}.xml" if inc else folder / f"{mbid}.xml"
        found = [exact] if exact.is_file() else sorted(folder.glob(f"{mbid}*.xml"))
        if not found:
            return _xml_error(404, "Not Found")
        return 200, {"Content-Type": "application/xml"}, found[0].read_bytes()

    def _search(
        self, entity: str, query: dict[str, list[str]]
    ) -> tuple[int, dict[str, str], bytes]:
        source = MB_DIR / "search" / f"search-{entity}.xml"
        if not source.is_file():
            return _xml_error(400, f"unsupported search: {entity}")
        text = (query.get("query") or [""])[0]
        wanted = _words(
            *(
                v.replace("\\", "")
                for k, v in _FIELD.findall(text)
                if k not in ("tracks", "tracksmedium", "date")
            )
        )
        root = ET.parse(source).getroot()
        listing = root[0]
        entries = list(listing)
        ranked = sorted(
            ((len(wanted & _entity_words(e)), i, e) for i, e in enumerate(entries)),
            key=lambda x: (-x[0], x[1]),
        )
        kept = [e for n, _, e in ranked if n > 0]
        offset = int((query.get("offset") or ["0"])[0])
        limit = int((query.get("limit") or ["25"])[0])
        for entry in entries:
            listing.remove(entry)
        listing.extend(kept[offset : offset + limit])
        listing.set("count", str(len(kept)))
        listing.set("offset", str(offset))
        return (
            200,
            {"Content-Type": "application/xml"},
            ET.tostring(root, xml_declaration=True, encoding="utf-8"),
        )

    def _cover(self, path: str) -> tuple[int, dict[str, str], bytes]:
        match = re.fullmatch(r"/release/([0-9a-f-]{36})/front(-\d+)?", path)
        if match:
            for file in (MB_DIR / "release").glob(f"{match.group(1)}*.xml"):
                if "<front>true</front>" in file.read_text(encoding="utf-8"):
                    return 200, {"Content-Type": "image/jpeg"}, JPEG
        return 404, {"Content-Type": "text/plain"}, b"Not Found"


def _entity_words(entry: ET.Element) -> set[str]:
    texts = [
        el.text
        for el in entry.iter()
        if el.tag in (f"{{{MMD}}}title", f"{{{MMD}}}name")
    ]
    return _words(*texts)


def _xml_error(status: int, text: str) -> tuple[int, dict[str, str], bytes]:
    body = f'<?xml version="1.0" encoding="UTF-8"?><error><text>{text}</text></error>'
    return status, {"Content-Type": "application/xml"}, body.encode()


class FakeTmdb(_Fake):
    """TMDb v3 (JSON) and its image host (``/t/p/<size>/<file>``)."""

    def __init__(
        self, api_key: str = "test-tmdb-key", per_second: int = 40, delay: float = 0.0
    ) -> None:
        super().__init__(delay=delay)
        self.api_key, self.per_second = api_key, per_second
        self.movies = _index("search-movie.json", "movie-details.json")
        self.shows = _index(
            "search-tv.json", "search-tv-rick-and-morty.json", "tv-details.json"
        )
        self.images = {
            p
            for r in [*self.movies.values(), *self.shows.values()]
            for p in (r.get("poster_path"), r.get("backdrop_path"))
            if p
        }

    def answer(self, hit: Hit) -> tuple[int, dict[str, str], bytes]:
        if hit.path.startswith("/t/p/"):
            name = "/" + hit.path.rsplit("/", 1)[-1]
            if name in self.images:
                return 200, {"Content-Type": "image/jpeg"}, JPEG
            return 404, {}, b""
        with self.lock:
            recent = [
                h
                for h in self.log
                if hit.at - h.at < 1.0 and h.status != 429 and h is not hit
            ]
        if len(recent) >= self.per_second:
            body = {
                "status_code": 25,
                "status_message": "Your request count is over the allowed limit.",
            }
            return (
                429,
                {"Retry-After": "1", "Content-Type": "application/json"},
                json.dumps(body).encode(),
            )
        if (hit.query.get("api_key") or [""])[0] != self.api_key:
            return _file(401, "invalid-api-key.json")
        return self._route(hit.path.removeprefix("/3"), hit.query)

    def _route(
        self, path: str, query: dict[str, list[str]]
    ) -> tuple[int, dict[str, str], bytes]:
        if path in ("/search/movie", "/search/tv"):
            text = (query.get("query") or [""])[0]
            if not text.strip():
                return _file(422, "validation-error.json")
            movie = path == "/search/movie"
            year = (query.get("year" if movie else "first_air_date_year") or [""])[0]
            return _json(
                _search(self.movies if movie else self.shows, text, year, movie)
            )
        recorded = {
            "/movie/550": "movie-details.json",
            "/movie/550/external_ids": "movie-external-ids.json",
            "/tv/1399": "tv-details.json",
            "/tv/1399/season/1": "tv-season-details.json",
            "/tv/1399/season/1/episode/1": "tv-episode-details.json",
        }
        if path in recorded:
            return _file(200, recorded[path])
        match = re.fullmatch(r"/(movie|tv)/(\d+)", path)
        index = self.movies if match and match.group(1) == "movie" else self.shows
        if match and int(match.group(2)) in index:
            return _json(index[int(match.group(2))])
        return _file(404, "resource-not-found.json")


def _index(*names: str) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for name in names:
        data = json.loads((TMDB_DIR / name).read_text(encoding="utf-8"))
        for record in data.get("results") or [data]:
            found.setdefault(int(record["id"]), record)
    return found


def _search(
    index: dict[int, dict[str, Any]], text: str, year: str, movie: bool
) -> dict[str, Any]:
    wanted = _words(text)
    results = []
    for record in sorted(
        index.values(), key=lambda r: -float(r.get("popularity") or 0)
    ):
        title = record.get("title") if movie else record.get("name")
        original = (
            record.get("original_title") if movie else record.get("original_name")
        )
        date = str(record.get("release_date" if movie else "first_air_date") or "")
        if wanted & _words(title, original) and (not year or date.startswith(year)):
            results.append(
                {k: v for k, v in record.items() if k not in ("seasons", "genres")}
            )
    return {
        "page": 1,
        "results": results,
        "total_pages": 1,
        "total_results": len(results),
    }


def _file(status: int, name: str) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, (TMDB_DIR / name).read_bytes()


def _json(data: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "application/json"}, json.dumps(data).encode()


class FakeAcoustid(_Fake):
    """AcoustID's ``/v2/lookup`` (GET or form POST), answering as its documentation
    and server do: ``{"status": "ok", "results": [...]}`` with ``meta`` recordings and
    releases, ``{"status": "error", "error": {"code", "message"}}`` with HTTP 400 for
    a missing parameter (2), an invalid fingerprint (3) or key (4), and HTTP 429 with
    code 14 when asked more often than ``per_second`` (or for the next
    ``rate_limit_next`` requests); ``unavailable_next`` answers 503 with code 13.

    ``answers`` maps a fingerprint to its results (a fingerprint it does not hold gets
    ``results: []``, AcoustID's "no result").
    """

    def __init__(self, api_key: str = "test-acoustid-key", per_second: float = 3.0):
        super().__init__()
        self.api_key, self.per_second = api_key, per_second
        self.answers: dict[str, list[dict[str, Any]]] = {}
        self.rate_limit_next = 0
        self.unavailable_next = 0
        self._last = -1e9

    def answer(self, hit: Hit) -> tuple[int, dict[str, str], bytes]:
        if hit.path.rstrip("/") != "/v2/lookup":
            return 404, {"Content-Type": "text/plain"}, b"Not Found"
        value = {k: v[0] for k, v in hit.query.items()}
        with self.lock:
            too_fast = hit.at - self._last < 1.0 / self.per_second - 0.005
            self._last = hit.at
            forced, self.rate_limit_next = (
                self.rate_limit_next > 0,
                max(0, self.rate_limit_next - 1),
            )
            down, self.unavailable_next = (
                self.unavailable_next > 0,
                max(0, self.unavailable_next - 1),
            )
        if too_fast or forced:
            return _acoustid_error(
                429, 14, "rate limit (3 requests per second) exceeded, try again later"
            )
        if down:
            return _acoustid_error(503, 13, "service unavailable")
        for name in ("client", "duration", "fingerprint"):
            if not value.get(name):
                return _acoustid_error(400, 2, f'missing required parameter "{name}"')
        if value["client"] != self.api_key:
            return _acoustid_error(400, 4, "invalid API key")
        if not re.fullmatch(r"[A-Za-z0-9_\-]+", value["fingerprint"]):
            return _acoustid_error(400, 3, "invalid fingerprint")
        results = self.answers.get(value["fingerprint"], [])
        return _json({"status": "ok", "results": results})


def _acoustid_error(
    status: int, code: int, message: str
) -> tuple[int, dict[str, str], bytes]:
    body = {"status": "error", "error": {"code": code, "message": message}}
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()
