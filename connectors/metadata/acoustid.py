"""AcoustID as a verifier: fingerprint a track with ``fpcalc`` and ask which recordings
sound like it. Optional (only with an API key) and failing open: any problem (no
``fpcalc``, no network, a refused key) yields ``unavailable`` and leaves the decision as
MusicBrainz made it.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from medialake.log import redact, register_secret

if TYPE_CHECKING:
    from collections.abc import Collection
    from pathlib import Path

CONFIRMED, CONTRADICTED, INCONCLUSIVE, UNAVAILABLE = (
    "confirmed",
    "contradicted",
    "inconclusive",
    "unavailable",
)
CONFIDENT = 0.8


@dataclass(frozen=True, slots=True)
class Verification:
    """What AcoustID said about a track and a chosen recording."""

    status: str
    detail: str


class AcoustidVerifier:
    """Checks chosen recordings against AcoustID's fingerprint database."""

    def __init__(
        self, api_key: str | None, base_url: str, timeout: float = 10.0
    ) -> None:
        self.api_key = api_key
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout = timeout
        register_secret(api_key)

    @property
    def configured(self) -> bool:
        """Whether a key is set (without one AcoustID is not asked at all)."""
        return bool(self.api_key)

    def verify(self, path: Path, recording_ids: Collection[str]) -> Verification:
        """Fingerprint ``path`` and compare AcoustID's recordings with
        ``recording_ids``."""
        try:
            import acoustid

            acoustid.set_base_url(self.base_url)
            duration, fingerprint = fingerprint_file(path, self.timeout)
            answer = acoustid.lookup(
                self.api_key,
                fingerprint,
                duration,
                meta="recordings",
                timeout=self.timeout,
            )
        except Exception as exc:  # fail open: AcoustID only ever confirms or warns
            text = redact(str(exc).splitlines()[0] if str(exc) else "")[:160]
            return Verification(
                UNAVAILABLE, f"AcoustID unavailable ({type(exc).__name__}: {text})"
            )
        return judge(answer, recording_ids)


def fingerprint_file(path: Path, timeout: float = 30.0) -> tuple[float, str]:
    """Run ``fpcalc -json`` on a file: (duration, fingerprint).

    Debian's fpcalc 1.5.1 with a newer FFmpeg may exit with status 3 ("error decoding
    audio frame (End of file)") after printing a complete fingerprint, which
    pyacoustid's own wrapper treats as a failure; here a printed fingerprint counts.

    Raises:
        OSError: fpcalc is missing. ValueError: it printed no fingerprint.
    """
    done = subprocess.run(
        ["fpcalc", "-json", "-length", "120", str(path)],
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    try:
        found = json.loads(done.stdout or b"{}")
    except json.JSONDecodeError:
        found = {}
    if not found.get("fingerprint"):
        raise ValueError(
            f"fpcalc printed no fingerprint (exit status {done.returncode})"
        )
    return float(found.get("duration") or 0), str(found["fingerprint"])


def judge(answer: dict[str, Any], recording_ids: Collection[str]) -> Verification:
    """Compare an AcoustID lookup answer with the chosen recordings."""
    if answer.get("status") != "ok":
        message = (answer.get("error") or {}).get("message", "error")
        return Verification(UNAVAILABLE, f"AcoustID answered: {redact(str(message))}")
    best_other = 0.0
    for result in answer.get("results") or []:
        score = float(result.get("score") or 0)
        ids = {r.get("id") for r in result.get("recordings") or []}
        if ids & set(recording_ids):
            return Verification(CONFIRMED, f"AcoustID confirms it (score {score:.2f})")
        if ids:
            best_other = max(best_other, score)
    if best_other >= CONFIDENT:
        return Verification(
            CONTRADICTED, f"AcoustID hears other recordings (score {best_other:.2f})"
        )
    return Verification(
        INCONCLUSIVE, "AcoustID knows no recording for this fingerprint"
    )
