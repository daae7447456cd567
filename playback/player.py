"""The player page (hls.js, quality and subtitle selection, seeking, token renewal) and
the playlist rewriting that carries the token to every request hls.js makes.

hls.js is installed from npm by ``scripts/setup.sh`` into ``playback/static`` and read
once at start-up; it is served under the asset's prefix, behind the same token. The page
renews its token at half its lifetime and hands the newest one to every request through
hls.js's ``xhrSetup``, so a long film keeps playing on a short-lived token.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

HLS_JS = (
    Path(__file__).with_name("static")
    / "node_modules"
    / "hls.js"
    / "dist"
    / "hls.min.js"
)
_URI_ATTR = re.compile(r'URI="([^"]*)"')


def load_hls_js(path: Path = HLS_JS) -> bytes | None:
    """hls.js's bytes, or None when the set-up has not installed it."""
    try:
        return path.read_bytes()
    except OSError:
        return None


def _with_token(uri: str, token: str) -> str:
    if not uri or "://" in uri or uri.startswith(("/", "data:")):
        return uri
    base = re.sub(r"([?&])t=[^&]*&?", r"\1", uri).rstrip("?&")
    return f"{base}{'&' if '?' in base else '?'}t={token}"


def rewrite_playlist(text: str, token: str) -> str:
    """``text`` with the token added to every relative URI (lines and ``URI=``)."""
    out = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            line = _with_token(stripped, token)
        elif 'URI="' in line:
            line = _URI_ATTR.sub(
                lambda m: f'URI="{_with_token(m.group(1), token)}"', line
            )
        out.append(line)
    return "\n".join(out) + "\n"


def content_security_policy(nonce: str) -> str:
    """The page's CSP: its own scripts and requests only, media through MSE blobs."""
    return (
        "default-src 'none'; "
        f"script-src 'self' 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        "connect-src 'self'; media-src 'self' blob:; worker-src blob:; "
        "img-src 'self' data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )


def clock(seconds: float) -> str:
    """``41:12`` or ``1:02:03``: a position as people read it."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def player_page(
    asset_id: str,
    title: str,
    token: str,
    expires: int,
    nonce: str,
    *,
    resume_s: float | None = None,
    track: bool = False,
    poster: str | None = None,
) -> str:
    """The HTML of the player page for one asset; ``resume_s`` offers to resume there,
    ``track`` reports progress to ``/api/progress/{asset}`` (signed-in members),
    ``poster`` is the ``/art`` URL of its picture."""
    config = json.dumps(
        {
            "asset": asset_id,
            "token": token,
            "expires": expires,
            "resume": resume_s,
            "resumeLabel": clock(resume_s) if resume_s else None,
            "track": track,
        }
    ).replace("</", "<\\/")
    return (
        _PAGE.replace("@TITLE@", html.escape(title))
        .replace("@NONCE@", nonce)
        .replace("@HLSJS@", f"/watch/{asset_id}/hls.min.js?t={token}")
        .replace("@CONFIG@", config)
        .replace("@POSTER@", f' poster="{html.escape(poster)}"' if poster else "")
    )


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>@TITLE@ · medialake</title>
<style nonce="@NONCE@">
body{margin:0;background:#111;color:#eee;font:14px system-ui,sans-serif}
main{max-width:960px;margin:0 auto;padding:12px}
video{width:100%;background:#000;aspect-ratio:16/9}
[hidden]{display:none!important}
.bar{display:flex;gap:12px;align-items:center;margin-top:8px;flex-wrap:wrap}
#status{color:#aaa}
</style></head>
<body><main>
<h1>@TITLE@</h1>
<video id="video" controls playsinline@POSTER@></video>
<div class="bar">
 <label>Quality <select id="quality"><option value="-1">Auto</option></select></label>
 <label>Subtitles
  <select id="subtitles"><option value="-1">Off</option></select></label>
 <span id="status">loading…</span>
</div>
<div class="bar" id="resume" hidden>
 <button id="resume-go"></button> <button id="resume-start">Start over</button>
</div>
</main>
<script nonce="@NONCE@" src="@HLSJS@"></script>
<script nonce="@NONCE@">
(function () {
  "use strict";
  const cfg = @CONFIG@;
  const video = document.getElementById("video");
  const quality = document.getElementById("quality");
  const subtitles = document.getElementById("subtitles");
  const status = document.getElementById("status");
  const say = (text) => { status.textContent = text; };
  let token = cfg.token;
  const withToken = (url) => {
    const u = new URL(url, location.href);
    u.searchParams.set("t", token);
    return u.toString();
  };
  async function renew() {
    const r = await fetch(
      "/renew/" + cfg.asset + "?t=" + encodeURIComponent(token),
      {method: "POST", cache: "no-store", referrerPolicy: "no-referrer"});
    if (!r.ok) {
      say("this link has expired: sign in and open the title again");
      return;
    }
    const body = await r.json();
    token = body.token;
    schedule(body.expires);
  }
  function schedule(expires) {
    const wait = Math.max(5, (expires - Date.now() / 1000) / 2);
    setTimeout(() => renew().catch(() => setTimeout(renew, 5000)), wait * 1000);
  }
  schedule(cfg.expires);
  window.player = {video: video, renew: renew, token: () => token, hls: null};
  let lastSent = -1;
  function report(force) {
    if (!cfg.track || !video.duration || video.currentTime < 1) return;
    if (!force && Math.abs(video.currentTime - lastSent) < 1) return;
    lastSent = video.currentTime;
    fetch("/api/progress/" + cfg.asset, {
      method: "POST", keepalive: true, cache: "no-store",
      referrerPolicy: "no-referrer",
      headers: {"content-type": "application/json"},
      body: JSON.stringify({position_s: video.currentTime,
        duration_s: video.duration, finished: video.ended}),
    }).catch(() => {});
  }
  window.player.report = report;
  if (cfg.track) {
    setInterval(() => { if (!video.paused) report(false); }, 5000);
    video.addEventListener("pause", () => report(true));
    video.addEventListener("ended", () => report(true));
    window.addEventListener("pagehide", () => report(true));
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") report(true);
    });
  }
  if (cfg.resume) {
    const box = document.getElementById("resume");
    const go = document.getElementById("resume-go");
    go.textContent = "Resume at " + cfg.resumeLabel;
    box.hidden = false;
    go.addEventListener("click", () => {
      video.currentTime = cfg.resume;
      box.hidden = true;
      video.play().catch(() => {});
    });
    document.getElementById("resume-start").addEventListener("click", () => {
      box.hidden = true;
      video.currentTime = 0;
      video.play().catch(() => {});
    });
  }
  if (!window.Hls || !Hls.isSupported()) {
    say("this browser cannot play HLS here");
    return;
  }
  const hls = new Hls({
    xhrSetup: (xhr, url) => { xhr.open("GET", withToken(url), true); },
    enableWorker: true,
  });
  window.player.hls = hls;
  hls.on(Hls.Events.MANIFEST_PARSED, (_e, data) => {
    data.levels.forEach((level, i) => {
      const o = document.createElement("option");
      o.value = String(i);
      o.textContent = (level.height ? level.height + "p" : "audio") + " · " +
        Math.round(level.bitrate / 1000) + " kb/s";
      quality.appendChild(o);
    });
    say("ready");
  });
  hls.on(Hls.Events.SUBTITLE_TRACKS_UPDATED, (_e, data) => {
    data.subtitleTracks.forEach((track, i) => {
      const o = document.createElement("option");
      o.value = String(i);
      o.textContent = track.name || track.lang || "track " + (i + 1);
      subtitles.appendChild(o);
    });
  });
  hls.on(Hls.Events.LEVEL_SWITCHED, (_e, data) => {
    const level = hls.levels[data.level];
    say("playing " + (level && level.height ? level.height + "p" : "audio"));
  });
  hls.on(Hls.Events.ERROR, (_e, data) => {
    if (data.fatal) say("error: " + data.details);
  });
  quality.addEventListener("change", () => {
    hls.currentLevel = Number(quality.value);
  });
  subtitles.addEventListener("change", () => {
    hls.subtitleTrack = Number(subtitles.value);
    hls.subtitleDisplay = Number(subtitles.value) >= 0;
  });
  hls.loadSource(withToken("/hls/" + cfg.asset + "/master.m3u8"));
  hls.attachMedia(video);
})();
</script>
<script nonce="@NONCE@" src="/sessions/sync.js" defer></script>
</body></html>
"""
