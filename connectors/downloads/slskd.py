"""Soulseek through slskd's REST API (v0): search, pick, enqueue, follow the transfer.

slskd is driven with its ``X-API-Key``. A search is started, polled until its state is
complete, and its responses become candidates (one per shared file, with the sharing
user's free slot and queue length for ranking). A download is enqueued with
``POST /transfers/downloads/{username}`` (works on every version; 0.26 also has
batches), then polled until ``Completed, Succeeded``; slskd writes the file into its
downloads folder (``downloads.slskd_downloads_dir`` here, under the remote folder's last
name), from where it is moved into the staging folder. slskd allows one concurrent
search and enqueue: a second gets HTTP 429, which the shared HTTP client retries.
"""

from __future__ import annotations

import re
import shutil
import time
import uuid
from pathlib import PureWindowsPath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from connectors.downloads.base import DownloadSource, register
from connectors.downloads.fetch import staged
from connectors.downloads.http_file import http_client
from connectors.downloads.records import Candidate, Fetched, Kind
from connectors.errors import NotFound, TransientError

if TYPE_CHECKING:
    from pathlib import Path

    from connectors.downloads.base import ProgressFn
    from connectors.downloads.records import Request
    from medialake.settings import DownloadsSettings

SEARCH_TIMEOUT_MS = 15_000
_PUNCTUATION = re.compile(r"[^\w\s]+")  # peers match words; " - " would match nothing
_FAILED = ("Errored", "Rejected", "TimedOut", "Cancelled", "Aborted")


def remote_parts(filename: str) -> tuple[str, str]:
    """(last folder name, file name) of a backslash-separated remote path."""
    path = PureWindowsPath(filename)
    return path.parent.name, path.name


@register
class SlskdSource(DownloadSource):
    """Soulseek via slskd."""

    name = "slskd"
    kinds = frozenset({Kind.TRACK, Kind.FILE})

    def reload_settings(self, settings: DownloadsSettings) -> None:
        super().reload_settings(settings)
        key = (
            settings.slskd_api_key.get_secret_value() if settings.slskd_api_key else ""
        )
        self.http = http_client(
            self.name,
            settings,
            base_url=(settings.slskd_url or "").rstrip("/") + "/api/v0",
            headers={"X-API-Key": key},
            credential="downloads.slskd_api_key",
        )

    def is_configured(self) -> bool:
        s = self.settings
        return bool(s.slskd_url and s.slskd_api_key and s.slskd_downloads_dir)

    def check_connection(self) -> None:
        self.http.get("/session")

    # -- search --------------------------------------------------------------------
    def search_raw(self, request: Request) -> list[Candidate]:
        text = " ".join(_PUNCTUATION.sub(" ", request.text).split())
        if not text:
            return []
        search_id = str(uuid.uuid4())
        body = {"id": search_id, "searchText": text, "searchTimeout": SEARCH_TIMEOUT_MS}
        self.http.post("/searches", json=body)
        deadline = time.monotonic() + SEARCH_TIMEOUT_MS / 1000 + 30
        while (
            "Completed" not in self.http.get(f"/searches/{search_id}").json()["state"]
        ):
            if time.monotonic() > deadline:
                raise TransientError(self.name, "the search did not complete in time")
            time.sleep(min(self.settings.poll_interval_s, 1.0))
        responses = self.http.get(f"/searches/{search_id}/responses").json()
        return [
            self._candidate(response, item)
            for response in responses
            for item in response.get("files", [])
            if not item.get("isLocked")
        ]

    def _candidate(self, response: dict[str, Any], item: dict[str, Any]) -> Candidate:
        user, filename = str(response["username"]), str(item["filename"])
        folder, name = remote_parts(filename)
        return Candidate(
            source=self.name,
            key=f"{user}|{filename}",
            title=name.rsplit(".", 1)[0],
            album=folder or None,
            extension=(item.get("extension") or name.rsplit(".", 1)[-1]).lower(),
            bitrate_kbps=item.get("bitRate"),
            sample_rate_hz=item.get("sampleRate"),
            size=item.get("size"),
            duration_s=item.get("length"),
            user=user,
            queue_length=response.get("queueLength"),
            free_slot=response.get("hasFreeUploadSlot"),
            extra={"filename": filename},
        )

    # -- download ------------------------------------------------------------------
    def download_raw(
        self, candidate: Candidate, staging: Path, progress: ProgressFn
    ) -> Fetched:
        user, filename = str(candidate.user), str(candidate.extra["filename"])
        answer = self.http.post(
            f"/transfers/downloads/{quote(user)}",
            json=[{"filename": filename, "size": candidate.size}],
        )
        _raise_enqueue_failures(answer.json() if answer.content else {}, user)
        self._follow(candidate, progress)
        folder, name = remote_parts(filename)
        assert self.settings.slskd_downloads_dir is not None
        done = self.settings.slskd_downloads_dir / folder / name
        if not done.exists():
            raise TransientError(
                self.name, f"slskd finished but {folder}/{name} is missing"
            )
        dest = staged(staging, name)
        shutil.move(done, dest)
        return Fetched(dest, announced_size=candidate.size, metadata={"album": folder})

    def _transfer(self, user: str, filename: str) -> dict[str, Any] | None:
        try:
            grouped = self.http.get(f"/transfers/downloads/{quote(user)}").json()
        except NotFound:
            return None
        for directory in grouped.get("directories", []):
            for transfer in directory.get("files", []):
                if transfer.get("filename") == filename:
                    return dict(transfer)
        return None

    def _follow(self, candidate: Candidate, progress: ProgressFn) -> None:
        """Poll the transfer until it succeeds; raise when it fails or stalls."""
        user, filename = str(candidate.user), str(candidate.extra["filename"])
        deadline = time.monotonic() + self.settings.transfer_timeout_s
        while time.monotonic() < deadline:
            transfer = self._transfer(user, filename)
            if transfer is None:
                raise TransientError(self.name, "slskd lost the transfer")
            state = str(transfer.get("state", ""))
            progress(int(transfer.get("bytesTransferred") or 0), candidate.size)
            if "Succeeded" in state:
                return
            if any(word in state for word in _FAILED):
                why = transfer.get("exception") or state
                raise TransientError(self.name, f"transfer from {user} failed: {why}")
            time.sleep(self.settings.poll_interval_s)
        raise TransientError(self.name, f"transfer from {user} did not finish in time")

    def cancel_raw(self, candidate: Candidate) -> None:
        transfer = self._transfer(str(candidate.user), str(candidate.extra["filename"]))
        if transfer:
            user = quote(str(candidate.user))
            self.http.request(
                "DELETE", f"/transfers/downloads/{user}/{transfer['id']}?remove=true"
            )

    def close(self) -> None:
        self.http.close()


def _raise_enqueue_failures(answer: Any, user: str) -> None:
    failed = answer.get("failed") if isinstance(answer, dict) else None
    if failed:
        first = failed[0]
        why = first.get("message") if isinstance(first, dict) else str(first)
        raise TransientError("slskd", f"{user} refused the download: {why}")
