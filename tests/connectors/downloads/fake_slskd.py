"""A fake slskd that follows ``../shared/peers/slskd/`` (read at run time).

It serves only routes the endpoint summary lists (checked at start), emits the
summary's Search/Response/File/Transfer fields and TransferStates words, enforces the
``X-API-Key`` header (401 otherwise), answers a second concurrent search or enqueue with
HTTP 429 as slskd's throttling does, and simulates peers: a transfer waits queued
remotely, then writes the file slowly into ``incomplete/`` and moves it into the
downloads folder (``<downloads>/<remote folder>/<file>``) when done. Peers can be
offline (enqueue fails) or reject the transfer; the whole server can answer 5xx.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path, PureWindowsPath
from typing import Any
from urllib.parse import unquote

import yaml

from tests.connectors.downloads.fake_api import FakeApi, Route

PEERS = Path(__file__).resolve().parents[3].parent / "shared" / "peers"
SPEC = PEERS / "slskd" / "slskd-api-v0-endpoints.yaml"


@dataclass
class Peer:
    """A Soulseek user sharing files (remote path -> local file with the bytes)."""

    name: str
    files: dict[str, Path]
    free_slot: bool = True
    queue_length: int = 0
    offline: bool = False
    rejects: bool = False
    bitrate: int = 320
    lengths: dict[str, int] = field(default_factory=dict)


def _spec_routes() -> set[tuple[str, str]]:
    spec = yaml.safe_load(SPEC.read_text())
    routes = set()
    for group in spec["endpoints"].values():
        for line in group if isinstance(group, list) else []:
            parts = str(line).split()
            if parts[0] in ("GET", "POST", "PUT", "DELETE") and len(parts) > 1:
                routes.add((parts[0], parts[1].split("?")[0]))
    return routes


class FakeSlskd(FakeApi):
    """The fake server; ``with FakeSlskd(root, key, peers) as fake: fake.url``."""

    SERVED = (
        ("GET", "/api/v0/session"),
        ("POST", "/api/v0/searches"),
        ("GET", "/api/v0/searches/{id}"),
        ("GET", "/api/v0/searches/{id}/responses"),
        ("GET", "/api/v0/transfers/downloads/{username}"),
        ("POST", "/api/v0/transfers/downloads/{username}"),
        ("DELETE", "/api/v0/transfers/downloads/{username}/{id}"),
    )

    def __init__(
        self, root: Path, api_key: str, peers: list[Peer], rate: float = 200_000
    ) -> None:
        missing = set(self.SERVED) - _spec_routes()
        assert not missing, f"the fake serves routes slskd does not have: {missing}"
        self.root, self.rate = root, rate
        self.downloads = root / "downloads"
        self.peers = {p.name: p for p in peers}
        self.searches: dict[str, dict[str, Any]] = {}
        self.transfers: dict[str, dict[str, Any]] = {}
        self.search_delay = 0.2
        self.throttled = 0
        self._busy = threading.Lock()
        super().__init__(api_key, ROUTES)

    # -- searches ----------------------------------------------------------------------
    def start_search(self, body: dict[str, Any]) -> tuple[int, Any]:
        if not self._busy.acquire(blocking=False):
            self.throttled += 1
            return 429, None
        try:
            time.sleep(0.05)  # the one-at-a-time window slskd enforces
            search_id = body.get("id") or str(uuid.uuid4())
            words = str(body["searchText"]).casefold().split()
            self.searches[search_id] = {
                "id": search_id, "searchText": body["searchText"],
                "state": "InProgress",
                "startedAt": _now(), "endedAt": None, "fileCount": 0,
                "lockedFileCount": 0, "responseCount": 0, "token": 1,
                "_words": words, "_ends": time.monotonic() + self.search_delay,
            }  # fmt: skip
            return 200, _public(self.searches[search_id])
        finally:
            self._busy.release()

    def search(self, search_id: str) -> tuple[int, Any]:
        search = self.searches.get(search_id)
        if search is None:
            return 404, None
        if time.monotonic() >= search["_ends"] and search["state"] == "InProgress":
            search["state"] = "Completed, TimedOut"
            search["endedAt"] = _now()
            search["responseCount"] = len(self._responses(search["_words"]))
        return 200, _public(search)

    def _responses(self, words: list[str]) -> list[dict[str, Any]]:
        found = []
        for peer in self.peers.values():
            files = [
                _file(remote, local, peer)
                for remote, local in peer.files.items()
                if all(w in remote.casefold() for w in words)
            ]
            if files:
                found.append({
                    "username": peer.name, "token": 1, "fileCount": len(files),
                    "files": files, "lockedFileCount": 0, "lockedFiles": [],
                    "hasFreeUploadSlot": peer.free_slot,
                    "queueLength": peer.queue_length, "uploadSpeed": 100000,
                })  # fmt: skip
        return found

    def responses(self, search_id: str) -> tuple[int, Any]:
        search = self.searches.get(search_id)
        if search is None:
            return 404, None
        return 200, self._responses(search["_words"])

    # -- transfers --------------------------------------------------------------------
    def enqueue(self, username: str, body: list[dict[str, Any]]) -> tuple[int, Any]:
        if not self._busy.acquire(blocking=False):
            self.throttled += 1
            return 429, None
        try:
            peer = self.peers.get(username)
            if peer is None or peer.offline:
                why = f"User {username} appears to be offline"
                failed = [{"filename": f["filename"], "message": why} for f in body]
                return 201, {"enqueued": [], "failed": failed}
            enqueued = [self._add_transfer(peer, item["filename"]) for item in body]
            return 201, {"enqueued": enqueued, "failed": []}
        finally:
            self._busy.release()

    def _add_transfer(self, peer: Peer, filename: str) -> dict[str, Any]:
        transfer = {
            "id": str(uuid.uuid4()), "batchId": None, "username": peer.name,
            "direction": "Download", "filename": filename,
            "size": peer.files[filename].stat().st_size,
            "state": "Queued, Remotely", "stateDescription": "Queued, Remotely",
            "requestedAt": _now(), "enqueuedAt": _now(), "startedAt": None,
            "endedAt": None, "bytesTransferred": 0, "averageSpeed": 0.0,
            "placeInQueue": None, "exception": None, "attempts": 1,
            "nextAttemptAt": None, "removed": False,
        }  # fmt: skip
        self.transfers[transfer["id"]] = transfer
        threading.Thread(target=self._run, args=(peer, transfer), daemon=True).start()
        return transfer

    def _run(self, peer: Peer, transfer: dict[str, Any]) -> None:
        time.sleep(0.1)  # queued remotely
        if peer.rejects:
            transfer.update(state="Completed, Rejected", exception="File not shared.")
            return
        folder, name = (
            PureWindowsPath(transfer["filename"]).parent.name,
            PureWindowsPath(transfer["filename"]).name,
        )
        data = peer.files[transfer["filename"]].read_bytes()
        partial = self.root / "incomplete" / folder / name
        partial.parent.mkdir(parents=True, exist_ok=True)
        transfer.update(state="InProgress", startedAt=_now())
        with open(partial, "wb") as fh:
            for offset in range(0, len(data), 16384):
                if "Cancelled" in transfer["state"]:
                    return
                fh.write(data[offset : offset + 16384])
                transfer["bytesTransferred"] = min(len(data), offset + 16384)
                time.sleep(16384 / self.rate)
        final = self.downloads / folder / name
        final.parent.mkdir(parents=True, exist_ok=True)
        partial.replace(final)
        transfer.update(state="Completed, Succeeded", endedAt=_now())

    def user_downloads(self, username: str) -> tuple[int, Any]:
        mine = [t for t in self.transfers.values() if t["username"] == username]
        if not mine:
            return 404, None
        folders: dict[str, list[dict[str, Any]]] = {}
        for transfer in mine:
            folders.setdefault(
                str(PureWindowsPath(transfer["filename"]).parent), []
            ).append(transfer)
        directories = [
            {"directory": d, "fileCount": len(f), "files": f}
            for d, f in folders.items()
        ]
        return 200, {"username": username, "directories": directories}

    def cancel(self, transfer_id: str) -> tuple[int, Any]:
        transfer = self.transfers.get(transfer_id)
        if transfer is None:
            return 404, None
        transfer["state"] = "Completed, Cancelled"
        return 204, None


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _public(search: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in search.items() if not k.startswith("_")}


def _file(remote: str, local: Path, peer: Peer) -> dict[str, Any]:
    return {
        "filename": remote, "size": local.stat().st_size,
        "extension": remote.rsplit(".", 1)[-1], "code": 1, "bitRate": peer.bitrate,
        "bitDepth": None, "sampleRate": 44100, "length": peer.lengths.get(remote),
        "isVariableBitRate": False, "isLocked": False,
    }  # fmt: skip


ROUTES: list[Route] = [
    ("GET", re.compile(r"^/api/v0/session$"), lambda f, q, b, m: (200, {"ok": True})),
    ("POST", re.compile(r"^/api/v0/searches$"), lambda f, q, b, m: f.start_search(b)),
    ("GET", re.compile(r"^/api/v0/searches/([^/]+)$"),
     lambda f, q, b, m: f.search(m[1])),
    ("GET", re.compile(r"^/api/v0/searches/([^/]+)/responses$"),
     lambda f, q, b, m: f.responses(m[1])),
    ("GET", re.compile(r"^/api/v0/transfers/downloads/([^/]+)$"),
     lambda f, q, b, m: f.user_downloads(unquote(m[1]))),
    ("POST", re.compile(r"^/api/v0/transfers/downloads/([^/]+)$"),
     lambda f, q, b, m: f.enqueue(unquote(m[1]), b)),
    ("DELETE", re.compile(r"^/api/v0/transfers/downloads/([^/]+)/([^/]+)$"),
     lambda f, q, b, m: f.cancel(m[2])),
]  # fmt: skip
