/* medialake watch sessions: the player's side of the sync.
 *
 * Active only when the page's fragment names a session (#session=...&invite=...).
 * The server holds the truth: (state, position, rate, reference) where reference is a
 * time on the SERVER's clock. This script
 *  - estimates the offset between the local clock and the server's NTP-style, from
 *    many ping/pong exchanges, keeping the lowest-delay samples and refreshing them;
 *  - follows the group: holds (paused, positioned, reporting "ready") until a start
 *    that is scheduled on the server's clock, then starts at that instant;
 *  - corrects drift: a small one with a gentle playbackRate change, a large one with a
 *    seek that lands slightly ahead and starts when the group reaches that point;
 *  - reports "buffering" after a real stall, answers the server's pings with its drift,
 *    and reconnects (same member) after a disconnect or a service restart.
 * It never sends its own clock to the server: a skewed clock only changes the offset.
 */
(function () {
  "use strict";
  const fragment = new URLSearchParams(location.hash.slice(1));
  const sessionId = fragment.get("session");
  if (!sessionId || !window.player || !window.player.video) return;
  const video = window.player.video;
  const storeKey = "medialake-session-" + sessionId;
  const local = () => performance.now() / 1000;
  const cfg = {
    drift_small_ms: 20, drift_large_ms: 800, max_rate_change: 0.1, rate_gain: 1.5,
    clock_samples: 2, clock_window: 48, clock_refresh_s: 1, buffer_grace_s: 1,
  };
  const S = {
    ws: null, connected: false, member: null, role: null, canControl: false,
    session: null, state: null, members: [], offset: null, rtt: null, samples: [],
    pending: new Map(), pingNo: 0, drift: null, errors: [], readySent: -1,
    bufferingSent: -1, hard: null, seekCost: 0.6, startFor: -1, startBias: 0.0,
    biasCheck: null, correcting: false, stallSince: null, retries: 0, closed: null,
    pinger: 0, leaving: false,
  };

  // -- transport -------------------------------------------------------------------
  function send(message) {
    if (S.ws && S.ws.readyState === 1) S.ws.send(JSON.stringify(message));
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    let ws;
    try { ws = new WebSocket(scheme + location.host + "/sessions/ws"); }
    catch (e) { retry(); return; }
    S.ws = ws;
    ws.onopen = function () {
      const saved = JSON.parse(sessionStorage.getItem(storeKey) || "null") || {};
      send({type: "join", session: sessionId, invite: fragment.get("invite") || "",
        host: fragment.get("host") || undefined, name: fragment.get("name") || "",
        member: saved.member, key: saved.key});
    };
    ws.onmessage = function (event) {
      let message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      onMessage(message);
    };
    ws.onclose = function (event) {
      if (S.ws !== ws) return;
      S.ws = null; S.connected = false;
      if (S.leaving || event.code === 4403 || event.code === 4001 || event.code === 1008) {
        S.closed = S.leaving ? "left" : event.code === 4001 ? "the session has ended" : "refused";
        return;
      }
      retry();
    };
    ws.onerror = function () {};
  }

  function retry() {
    const wait = Math.min(500, 100 * Math.pow(2, S.retries++)) * (0.8 + 0.4 * Math.random());
    setTimeout(connect, wait);
  }

  function onMessage(m) {
    switch (m.type) {
      case "welcome": return welcome(m);
      case "state": return applyState(m);
      case "pong": return onPong(m);
      case "ping":
        return send({type: "pong", id: m.id,
          drift_ms: S.drift === null ? null : Math.round(S.drift * 10000) / 10});
      case "members": S.members = m.members; return undefined;
      case "error":
        S.errors.push(m);
        if (S.errors.length > 20) S.errors.shift();
        return undefined;
      default: return undefined;
    }
  }

  function welcome(m) {
    S.member = m.member_id; S.role = m.role; S.canControl = m.can_control;
    S.session = m.session; S.connected = true; S.retries = 0;
    S.readySent = -1; S.bufferingSent = -1;
    Object.assign(cfg, m.config || {});
    sessionStorage.setItem(storeKey, JSON.stringify({member: m.member_id, key: m.key}));
    applyState(m.state);
    for (let i = 0; i < 8; i++) setTimeout(ping, i * 100);
    pingLater(++S.pinger);
    controls();
  }

  function applyState(st) {
    const previous = S.state;
    S.state = st;
    if (!previous || previous.seq !== st.seq) {
      S.hard = null;
      S.bufferingSent = -1;
    }
    loop();
  }

  // -- clock -----------------------------------------------------------------------
  // Four times faster until the window is half full, so a fresh member is accurate
  // within seconds; one chain of timers per connection.
  function pingLater(chain) {
    const fast = S.samples.length < cfg.clock_window / 2;
    setTimeout(function () {
      if (chain !== S.pinger || !S.connected) return;
      ping();
      pingLater(chain);
    }, cfg.clock_refresh_s * (fast ? 250 : 1000));
  }

  function ping() {
    const id = ++S.pingNo;
    S.pending.set(id, local());
    if (S.pending.size > 64) S.pending.delete(S.pending.keys().next().value);
    send({type: "ping", id: id});
  }

  function onPong(m) {
    const t0 = S.pending.get(m.id);
    if (t0 === undefined) return;
    S.pending.delete(m.id);
    const t3 = local();
    // up = offset + delay out, down = offset - delay back (NTP's two halves)
    S.samples.push({up: m.received - t0, down: m.sent - t3,
      delay: (t3 - t0) - (m.sent - m.received)});
    while (S.samples.length > cfg.clock_window) S.samples.shift();
    // The lowest-delay samples of each direction bound the offset from both sides:
    // average the clock_samples tightest bounds of each, and take the midpoint.
    const n = Math.min(cfg.clock_samples, S.samples.length);
    const ups = S.samples.map((s) => s.up).sort((a, b) => a - b).slice(0, n);
    const downs = S.samples.map((s) => s.down).sort((a, b) => b - a).slice(0, n);
    const mean = (xs) => xs.reduce((sum, x) => sum + x, 0) / xs.length;
    S.offset = (mean(ups) + mean(downs)) / 2;
    S.rtt = Math.min(...S.samples.map((s) => s.delay));
  }

  const serverNow = () => local() + S.offset;

  function expectedAt(ts) {
    const s = S.state;
    if (!s) return null;
    if (s.state !== "playing" || ts <= s.reference) return s.position;
    const p = s.position + (ts - s.reference) * s.rate;
    const d = S.session && S.session.duration;
    return d ? Math.min(p, d) : p;
  }

  // -- following the group -----------------------------------------------------------
  function loop() {
    const s = S.state;
    if (!s || S.offset === null || video.readyState < 1) return;
    const ts = serverNow();
    if (s.state === "ended") { if (!video.paused) video.pause(); return; }
    if (s.state !== "playing") { hold(s); return; }
    if (ts < s.reference) {
      if (S.startFor !== s.seq) hold(s);  // else: the start is armed
      return;
    }
    follow(s, ts);
  }

  function setRate(rate) {
    if (Math.abs(video.playbackRate - rate) > 0.0005) video.playbackRate = rate;
  }

  function play() {
    const started = video.play();
    if (started && started.catch) started.catch(blocked);
  }

  function hold(s) {
    S.hard = null;
    if (!video.paused) video.pause();
    setRate(s.rate);
    if (Math.abs(video.currentTime - s.position) > 0.02 && !video.seeking) {
      video.currentTime = s.position;
      return;
    }
    if (!video.seeking && video.readyState >= 3 && S.readySent !== s.epoch) {
      send({type: "ready", epoch: s.epoch});
      S.readySent = s.epoch;
    }
    if (s.state === "playing") armStart(s);
  }

  function armStart(s) {
    const wait = s.reference - serverNow();
    if (S.startFor === s.seq || wait > 0.25) return;
    S.startFor = s.seq;
    at(s.reference - S.startBias, function () {
      if (S.state !== s || video.seeking) return;
      setRate(s.rate);
      play();
      S.biasCheck = {at: local() + 0.2};
    });
  }

  function at(serverTime, action) {
    setTimeout(action, Math.max(0, (serverTime - serverNow()) * 1000));
  }

  function follow(s, ts) {
    if (S.hard) { stepHard(s); return; }
    if (video.ended) return;
    const expected = expectedAt(ts);
    const drift = video.currentTime - expected;
    S.drift = drift;
    const large = cfg.drift_large_ms / 1000;
    if (video.paused) {
      if (Math.abs(drift) > large) startHard(s, ts); else play();
      return;
    }
    if (video.seeking || video.readyState < 3) { stalled(s, drift, ts); return; }
    S.stallSince = null;
    if (S.biasCheck && local() >= S.biasCheck.at) {
      S.startBias = Math.max(0, Math.min(0.3, S.startBias - drift * 0.5));
      S.biasCheck = null;
    }
    if (Math.abs(drift) > large) { startHard(s, ts); return; }
    const small = cfg.drift_small_ms / 1000;
    if (Math.abs(drift) > small || (S.correcting && Math.abs(drift) > small / 4)) {
      S.correcting = true;
      const change = Math.max(-cfg.max_rate_change,
        Math.min(cfg.max_rate_change, drift * cfg.rate_gain));
      setRate(s.rate * (1 - change));
    } else {
      S.correcting = false;
      setRate(s.rate);
    }
  }

  function stalled(s, drift, ts) {
    if (S.stallSince === null) S.stallSince = local();
    const long = local() - S.stallSince > cfg.buffer_grace_s;
    if (long && S.bufferingSent !== s.epoch) {
      send({type: "buffering", epoch: s.epoch});
      S.bufferingSent = s.epoch;
    }
    if (long && Math.abs(drift) > cfg.drift_large_ms / 1000) startHard(s, ts);
  }

  // A seek that lands a little ahead of the group, then starts when it gets there.
  function startHard(s, ts) {
    const target = expectedAt(ts + S.seekCost);
    S.hard = {seq: s.seq, target: target, began: local(), armed: false};
    S.stallSince = null;
    video.pause();
    video.currentTime = target;
  }

  function stepHard(s) {
    const h = S.hard;
    if (h.seq !== s.seq) { S.hard = null; return; }
    if (h.armed) return;
    if (video.seeking || video.readyState < 3) {
      if (local() - h.began > 10) S.hard = null;
      return;
    }
    const took = local() - h.began;
    S.seekCost = Math.max(0.2, Math.min(4, 0.5 * S.seekCost + 0.5 * (took * 1.3 + 0.1)));
    const wait = (h.target - expectedAt(serverNow())) / s.rate;
    if (wait < -0.05) { S.seekCost = Math.min(4, S.seekCost * 1.5); S.hard = null; return; }
    h.armed = true;
    at(serverNow() + wait - S.startBias, function () {
      if (S.hard !== h) return;
      setRate(s.rate);
      play();
      S.biasCheck = {at: local() + 0.2};
      S.hard = null;
    });
  }

  function blocked() {
    say("press play to join the session (the browser blocked autoplay)");
    video.controls = true;
  }

  // -- page: status, controls, API for tests and people -----------------------------------
  let bar = null;
  function say(text) {
    if (!bar) return;
    bar.status.textContent = text;
  }

  function controls() {
    if (bar) { bar.root.style.display = S.canControl ? "" : "none"; return; }
    video.controls = false;
    const root = document.createElement("div");
    root.className = "bar";
    const toggle = document.createElement("button");
    toggle.textContent = "Play / pause";
    toggle.addEventListener("click", function () {
      const s = S.state;
      request(s && s.state !== "paused" ? "pause" : "play");
    });
    const seek = document.createElement("input");
    seek.type = "range"; seek.min = "0"; seek.step = "0.1";
    seek.max = String((S.session && S.session.duration) || 0);
    seek.addEventListener("change", () => request("seek", Number(seek.value)));
    const status = document.createElement("span");
    status.id = "sync-status";
    root.append(toggle, seek);
    const holder = document.querySelector("main") || document.body;
    holder.append(root, status);
    bar = {root: root, seek: seek, status: status};
    root.style.display = S.canControl ? "" : "none";
    setInterval(render, 500);
  }

  function render() {
    const s = S.state;
    if (!s) return;
    if (document.activeElement !== bar.seek) bar.seek.value = String(expectedAt(serverNow()) || 0);
    const drift = S.drift === null ? "–" : Math.round(S.drift * 1000) + " ms";
    const rtt = S.rtt === null ? "–" : Math.round(S.rtt * 1000) + " ms";
    const who = S.members.filter((m) => m.connected).length;
    say(S.closed ? "session: " + S.closed :
      "session · " + (S.role || "?") + (S.canControl ? "" : " (the host controls)") +
      " · " + s.state + (S.connected ? "" : " (reconnecting)") +
      " · drift " + drift + " · rtt " + rtt + " · " + who + " watching");
  }

  function request(action, position) {
    const message = {type: action};
    if (position !== undefined) message.position = position;
    send(message);
  }

  window.sync = {
    request: request,
    info: function () {
      return {member: S.member, role: S.role, connected: S.connected, state: S.state,
        offset: S.offset, rtt: S.rtt, drift: S.drift, errors: S.errors.slice(),
        members: S.members, closed: S.closed, seekCost: S.seekCost,
        startBias: S.startBias, expected: S.offset === null ? null : expectedAt(serverNow())};
    },
    leave: function () { S.leaving = true; send({type: "leave"}); },
  };
  ["seeked", "canplay", "canplaythrough", "loadedmetadata"].forEach(
    (name) => video.addEventListener(name, loop));
  setInterval(loop, 50);
  connect();
})();
