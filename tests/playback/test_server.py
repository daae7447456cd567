"""The real service over HTTP: tokens, playlists rewritten to carry them, strict paths,
headers, a token-free access log, and no file read outside the assets folder."""

from __future__ import annotations

import json
import os
import re
import sys
import time

import pytest

from playback import tokens
from tests.playback.conftest import Served


def test_health_needs_no_token(served: Served) -> None:
    response = served.get("/health")
    assert response.status == 200
    assert json.loads(response.body) == {"status": "ok"}  # type: ignore[attr-defined]
    assert response.getheader("Referrer-Policy") == "no-referrer"


def test_playlists_carry_the_token_to_every_uri(served: Served) -> None:
    token = served.token(served.ladder)
    master = served.get(f"/hls/{served.ladder}/master.m3u8?t={token}")
    assert master.status == 200
    assert master.getheader("Content-Type") == "application/vnd.apple.mpegurl"
    text = master.body.decode()  # type: ignore[attr-defined]
    found = re.search(r"180p/index\.m3u8\?t=([^\s]+)", text)
    assert found is not None
    viewing = found.group(1)  # a token for the whole viewing: same start, later expiry
    assert viewing.split(".")[1] == token.split(".")[1]
    assert f"120p/index.m3u8?t={viewing}" in text
    assert f'URI="subs/sub0_eng.m3u8?t={viewing}"' in text
    variant = served.get(f"/hls/{served.ladder}/120p/index.m3u8?t={viewing}")
    segments = [
        line
        for line in variant.body.decode().splitlines()  # type: ignore[attr-defined]
        if line and not line.startswith("#")
    ]
    assert len(segments) == 5
    assert all("?t=" in s for s in segments)
    segment = served.get(f"/hls/{served.ladder}/120p/{segments[1]}")
    assert segment.status == 200
    assert segment.getheader("Content-Type") == "video/mp2t"
    assert segment.body[:1] == b"\x47"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "bad",
    ["forged", "expired", "other asset", "truncated", "missing", "tampered expiry"],
)
def test_bad_tokens_are_refused(served: Served, bad: str) -> None:
    good = served.token(served.ladder)
    token = {
        "forged": tokens.issue(b"not the key" * 4, served.ladder, 300).value,
        "expired": tokens.issue(
            served.key, served.ladder, 60, now=time.time() - 61
        ).value,
        "other asset": served.token(served.copy),
        "truncated": good[:-3],
        "missing": "",
        "tampered expiry": ".".join(
            [str(int(good.split(".")[0]) + 60), *good.split(".")[1:]]
        ),
    }[bad]
    for target in (
        f"/hls/{served.ladder}/master.m3u8?t={token}",
        f"/hls/{served.ladder}/180p/seg_00000.ts?t={token}",
        f"/watch/{served.ladder}/hls.min.js?t={token}",
    ):
        response = served.get(target)
        assert response.status == 403, target
        assert response.getheader("Referrer-Policy") == "no-referrer"
    assert served.get(f"/renew/{served.ladder}?t={token}", "POST").status == 403


def test_renewal_gives_a_new_token_while_the_current_is_valid(served: Served) -> None:
    old = tokens.issue(served.key, served.ladder, 60, now=time.time() - 30).value
    response = served.get(f"/renew/{served.ladder}?t={old}", "POST")
    assert response.status == 200
    assert response.getheader("Cache-Control") == "no-store"
    fresh = json.loads(response.body)  # type: ignore[attr-defined]
    assert fresh["expires"] > time.time() + 200
    assert (
        served.get(f"/hls/{served.ladder}/master.m3u8?t={fresh['token']}").status == 200
    )


def traversal_targets(served: Served) -> list[str]:
    a, other = served.ladder, served.copy
    return [
        f"/hls/{a}/../../playback.key",
        f"/hls/{a}/../{other}/master.m3u8",
        f"/hls/{a}/%2e%2e/%2e%2e/playback.key",
        f"/hls/{a}/..%2f..%2fplayback.key",
        f"/hls/{a}/%2e%2e%2f%2e%2e%2fplayback.key",
        f"/hls/{a}/180p%2fseg_00000.ts",
        f"/hls/{a}/..%5c..%5cplayback.key",
        f"/hls/{a}/..\\..\\playback.key",
        f"/hls/{a}//etc/passwd",
        f"/hls/{a}/%2fetc%2fpasswd",
        f"/hls/{a}/180p/./seg_00000.ts",
        f"/hls/{a}/leak.ts",
        f"/hls/{a}/180p/seg_00099.ts",
        f"/hls/.tmp-{a}/master.m3u8",
        f"/hls/{a}%2f..%2f..%2fplayback.key",
        "/hls/../playback.key",
        "/watch/..%2f..%2fplayback.key",
    ]


def test_traversal_answers_404_and_reads_nothing_outside(served: Served) -> None:
    a = served.ladder
    os.symlink(
        served.home / "playback.key"
        if (served.home / "playback.key").exists()
        else served.log,
        served.home / "hls" / a / "leak.ts",
    )
    token = served.token(a)
    served.get(f"/hls/{a}/180p/seg_00000.ts?t={token}")  # warm every code path first
    start = served.audit.stat().st_size
    for target in traversal_targets(served):
        sep = "&" if "?" in target else "?"
        response = served.get(f"{target}{sep}t={token}")
        assert response.status == 404, target
        assert response.getheader("Referrer-Policy") == "no-referrer"
    served.get(f"/hls/{a}/180p/seg_00001.ts?t={token}")
    with served.audit.open(encoding="utf-8") as fh:
        fh.seek(start)
        opened = [line.strip() for line in fh if line.strip()]
    outside = [
        p
        for p in opened
        if not p.startswith(str(served.home / "hls")) and not _python(p)
    ]
    assert outside == []
    assert any(p.endswith("/180p/seg_00001.ts") for p in opened)  # the audit works


def _python(path: str) -> bool:
    """Module and library loads of the interpreter itself."""
    return path.startswith((sys.prefix, sys.base_prefix)) or path.endswith(
        (".py", ".pyc", ".so")
    )


def test_the_player_page_is_served_without_leaking_referrers(served: Served) -> None:
    token = served.token(served.copy)
    me = served.as_user(served.sign_in("mel"))
    page = served.get(f"/watch/{served.copy}", headers=me)
    assert page.status == 200
    assert "default-src 'none'" in page.getheader("Content-Security-Policy", "")
    assert page.getheader("Referrer-Policy") == "no-referrer"
    body = page.body.decode()  # type: ignore[attr-defined]
    assert f"/watch/{served.copy}/hls.min.js?t=" in body
    script = served.get(f"/watch/{served.copy}/hls.min.js?t={token}")
    assert script.status == 200
    assert b"Hls" in script.body
    assert served.get(f"/watch/{served.copy}/hls.min.js").status == 403
    assert served.get(f"/watch/{'0' * 32}", headers=me).status == 404


def test_tokens_never_reach_the_log(served: Served) -> None:
    token = served.token(served.ladder)
    served.get(f"/hls/{served.ladder}/master.m3u8?t={token}")
    served.get(f"/hls/{served.ladder}/master.m3u8?t={token}x")
    time.sleep(0.2)
    log = served.log.read_text(encoding="utf-8")
    assert f"GET /hls/{served.ladder}/master.m3u8 200" in log
    assert f"GET /hls/{served.ladder}/master.m3u8 403" in log
    assert token.split(".")[-1] not in log
    assert "?t=" not in log
