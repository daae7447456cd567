"""Headless Chromium members of one watch session, with a bad network and a bad clock.

Each member is a page in its own browser context (one shared browser). Faults are
injected in the page, before any of its scripts run:

- latency and jitter: ``WebSocket`` is wrapped so every message in each direction is
  delivered ``lo..hi`` ms late, strictly in order (as TCP would: a late message holds
  up the ones behind it); ``__net.cut(ms)`` drops the connection and refuses new
  ones for a while;
- a skewed clock: ``Date.now`` and ``performance.now`` run ``skew_s`` ahead.

What the test measures never comes from the code under test: every page keeps the real
clock (``__truth``, captured before the skew), and the spread is computed from each
member's ``video.currentTime`` extrapolated to one common real instant.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--mute-audio",
    "--autoplay-policy=no-user-gesture-required",
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]

TRUTH = """
(() => {
  const perf = performance.now.bind(performance);
  const origin = performance.timeOrigin;
  Object.defineProperty(window, "__truth", {value: () => origin + perf()});
})();
"""

SKEW = """
(() => {
  const skew = @SKEW_MS@;
  const perf = performance.now.bind(performance);
  const date = Date.now;
  performance.now = () => perf() + skew;
  Date.now = () => date() + skew;
})();
"""

NET = """
(() => {
  const lo = @LO@, hi = @HI@;
  const Native = window.WebSocket;
  const clock = performance.now.bind(performance);
  const live = new Set();
  let cutUntil = 0;
  const later = () => lo + Math.random() * (hi - lo);
  // Timers round their delay to whole milliseconds, so two messages due at one
  // instant could fire in either order: each timer delivers everything queued before
  // its own message first, and a message is never delivered twice.
  const deliver = (queue, due, action) => {
    const item = {action: action, done: false};
    queue.push(item);
    setTimeout(() => {
      while (!item.done) {
        const first = queue.shift();
        first.done = true;
        first.action();
      }
    }, Math.max(0, due - clock()));
  };
  class DelayedSocket extends EventTarget {
    constructor(url, protocols) {
      super();
      this.onopen = this.onmessage = this.onclose = this.onerror = null;
      this._in = 0; this._out = 0; this._ws = null;
      this._inbox = []; this._outbox = [];
      if (clock() < cutUntil) {
        setTimeout(() => this._emit("close", {code: 1006, reason: "", wasClean: false}),
          50);
        return;
      }
      const ws = new Native(url, protocols);
      this._ws = ws;
      live.add(this);
      for (const type of ["open", "message", "close", "error"]) {
        ws.addEventListener(type, (event) => {
          if (type === "close") live.delete(this);
          this._in = Math.max(this._in, clock() + later());
          deliver(this._inbox, this._in, () => this._emit(type, event));
        });
      }
    }
    get readyState() { return this._ws ? this._ws.readyState : 3; }
    send(data) {
      this._out = Math.max(this._out, clock() + later());
      deliver(this._outbox, this._out, () => {
        if (this._ws && this._ws.readyState === 1) this._ws.send(data);
      });
    }
    close(code, reason) { if (this._ws) this._ws.close(code, reason); }
    _emit(type, event) {
      let copy;
      if (type === "message") copy = new MessageEvent("message", {data: event.data});
      else if (type === "close") copy = new CloseEvent("close",
        {code: event.code, reason: event.reason, wasClean: event.wasClean});
      else copy = new Event(type);
      const handler = this["on" + type];
      if (handler) handler.call(this, copy);
      this.dispatchEvent(copy);
    }
  }
  Object.assign(DelayedSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
  window.WebSocket = DelayedSocket;
  window.__net = {
    cut(ms) {
      cutUntil = clock() + ms;
      for (const socket of live) socket._ws.close(3001, "network cut");
    },
  };
})();
"""

SAMPLE = """() => {
  const v = window.player && window.player.video;
  if (!v) return null;
  return {t: window.__truth(), pos: v.currentTime, rate: v.playbackRate,
    paused: v.paused, ready: v.readyState,
    sync: window.sync ? window.sync.info() : null};
}"""


@dataclass
class Member:
    """One page in the session and the faults it was given."""

    name: str
    context: Any
    page: Any
    lo_ms: float = 0
    hi_ms: float = 0
    skew_s: float = 0
    errors: list[str] = field(default_factory=list)

    def sample(self) -> dict[str, Any] | None:
        return self.page.evaluate(SAMPLE)  # type: ignore[no-any-return]

    def info(self) -> dict[str, Any]:
        return self.page.evaluate("() => window.sync ? window.sync.info() : null")  # type: ignore[no-any-return]

    def request(self, action: str, position: float | None = None) -> None:
        if position is None:
            self.page.evaluate("(a) => window.sync.request(a)", action)
        else:
            self.page.evaluate(
                "([a, p]) => window.sync.request(a, p)", [action, position]
            )


def open_member(
    browser: Any,
    url: str,
    name: str,
    lo_ms: float = 0,
    hi_ms: float = 0,
    skew_s: float = 0,
) -> Member:
    """A new context and page that opens ``url`` with the given faults."""
    context = browser.new_context()
    context.add_init_script(TRUTH)
    if skew_s:
        context.add_init_script(SKEW.replace("@SKEW_MS@", str(skew_s * 1000)))
    if hi_ms:
        context.add_init_script(
            NET.replace("@LO@", str(lo_ms)).replace("@HI@", str(hi_ms))
        )
    page = context.new_page()
    member = Member(name, context, page, lo_ms, hi_ms, skew_s)
    page.on("pageerror", lambda exc: member.errors.append(str(exc)))
    page.goto(f"{url}&name={name}")
    return member


# The five members of tests and bench: (name, latency low ms, high ms, clock skew s)
MEMBERS = [
    ("host", 0, 0, 0),
    ("near", 50, 100, 0),
    ("far", 100, 300, 0),
    ("skewed", 20, 60, 5),
    ("jittery", 50, 300, 0),
]


def open_group(browser: Any, session: dict[str, Any]) -> list[Member]:
    """Open the host and four guests with the faults of ``MEMBERS``; wait until every
    one has joined."""
    members = [
        open_member(
            browser,
            session["host_url" if name == "host" else "invite_url"],
            name,
            lo,
            hi,
            skew,
        )
        for name, lo, hi, skew in MEMBERS
    ]
    wait_until(
        lambda: all((m.info() or {}).get("connected") for m in members),
        30,
        what="every member to join",
    )
    return members


def positions(members: list[Member]) -> list[float] | None:
    """Every member's position at one real instant (None while one is not ready)."""
    samples = [m.sample() for m in members]
    if any(s is None or s["ready"] < 2 for s in samples):
        return None
    common = max(s["t"] for s in samples if s)
    return [
        s["pos"] + (0 if s["paused"] else (common - s["t"]) / 1000 * s["rate"])
        for s in samples
        if s
    ]


def spread(members: list[Member]) -> float | None:
    """Largest position difference between members, in seconds."""
    found = positions(members)
    return None if found is None else max(found) - min(found)


def wait_until(
    check: Any, timeout_s: float, interval_s: float = 0.1, what: str = "condition"
) -> float:
    """Poll ``check()`` until true; return the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if check():
            return time.monotonic() - started
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def converge_time(
    members: list[Member],
    within_s: float = 0.1,
    timeout_s: float = 10.0,
    moving: bool = True,
    hold: int = 3,
) -> float:
    """Seconds until every member is within ``within_s`` of the others for ``hold``
    samples in a row (and, when ``moving``, all of them playing)."""
    started = time.monotonic()
    good = 0
    first_good = None
    while time.monotonic() - started < timeout_s:
        samples = [m.sample() for m in members]
        found = positions(members) if all(samples) else None
        playing = all(s and not s["paused"] for s in samples) or not moving
        if found is not None and playing and max(found) - min(found) <= within_s:
            good += 1
            first_good = first_good if first_good is not None else time.monotonic()
            if good >= hold:
                return first_good - started
        else:
            good, first_good = 0, None
        time.sleep(0.05)
    raise AssertionError(
        f"no convergence within {timeout_s} s: {positions(members)} "
        f"{[m.info() for m in members]}"
    )


def measure_spread(members: list[Member], seconds: float) -> list[float]:
    """Spreads sampled for ``seconds`` while playing."""
    found: list[float] = []
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        value = spread(members)
        if value is not None:
            found.append(value)
        time.sleep(0.1)
    return found


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p95 and max of a list of seconds, in milliseconds."""
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "p50": statistics.median(ordered) * 1000,
        "p95": p95 * 1000,
        "max": ordered[-1] * 1000,
        "n": len(ordered),
    }
