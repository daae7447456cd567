"""AcoustID as a verifier: confirms, contradicts, or fails open."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from connectors.metadata.acoustid import (
    CONFIRMED,
    CONTRADICTED,
    INCONCLUSIVE,
    UNAVAILABLE,
    AcoustidVerifier,
    judge,
)

REC = "4f16eff1-0df6-4d94-89ba-e1470bc7b61f"


def _answer(*results: tuple[float, list[str]]) -> dict:
    return {
        "status": "ok",
        "results": [
            {"score": score, "recordings": [{"id": i} for i in ids]}
            for score, ids in results
        ],
    }


def test_judge_confirms_contradicts_or_shrugs() -> None:
    assert judge(_answer((0.93, [REC, "other"])), {REC}).status == CONFIRMED
    assert judge(_answer((0.95, ["someone-else"])), {REC}).status == CONTRADICTED
    assert judge(_answer((0.4, ["someone-else"])), {REC}).status == INCONCLUSIVE
    assert judge(_answer(), {REC}).status == INCONCLUSIVE
    refused = {"status": "error", "error": {"message": "invalid API key"}}
    assert judge(refused, {REC}).status == UNAVAILABLE


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(
    shutil.which("fpcalc") is None, reason="needs fpcalc (libchromaprint-tools)"
)
def test_unreachable_acoustid_fails_open_without_the_key(tmp_path: Path) -> None:
    track = tmp_path / "tone.flac"  # long enough for a fingerprint (fpcalc needs ~3 s+)
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=12",
            "-f",
            "lavfi",
            "-i",
            "anoisesrc=d=12:a=0.1",
            "-filter_complex",
            "amix=inputs=2",
            str(track),
        ],
        check=True,
    )
    verifier = AcoustidVerifier(
        "secret-acoustid-key", f"http://127.0.0.1:{_closed_port()}/v2"
    )
    result = verifier.verify(track, {REC})
    assert result.status == UNAVAILABLE
    assert "WebServiceError" in result.detail  # it got as far as asking the network
    assert "secret-acoustid-key" not in result.detail


def test_without_a_key_it_is_not_configured() -> None:
    assert not AcoustidVerifier(None, "http://127.0.0.1:9/v2").configured
