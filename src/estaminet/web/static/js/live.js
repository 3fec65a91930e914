// The live connection: one WebSocket per tab, topics with resume, actions with acks.
// Protocol: docs/protocol.md.

import { applyOps, showTextToast } from "./ops.js";

const PING_EVERY = 25000;
const PONG_WITHIN = 10000;

export class Live {
  constructor() {
    this.last = new Map();      // topic -> last seq applied (null: none yet, send no "after")
    this.eras = new Map();      // topic -> the era of its last seq (docs/protocol.md)
    this.kept = new Map();      // topic -> sessionStorage key keeping its last seq (a reload)
    this.pending = new Map();   // action id -> {resolve, reject, frame}
    this.outbox = [];           // actions waiting for the connection
    this.nextId = 1;
    this.attempt = 0;
    this.ws = null;
    this.listeners = new Map(); // topic -> [fn(frame)]
    this.handlers = new Map();  // other frame type (e.g. "voice") -> [fn(frame)]
    this.openers = [];          // fn() after each (re)connection
    this.downers = [];          // fn() when the connection is lost
    this.status = document.getElementById("connection");
    this.wasDown = false;
    this.stale = new Set();     // topics whose patch could not be applied: a catch-up comes
  }

  follow(topic, seq) {
    if (!this.last.has(topic)) {
      this.last.set(topic, seq === null ? null : Number(seq) || 0);
      this.setEra(topic);
    }
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.sub(topic);
  }

  // Keep a topic's last seq in sessionStorage under `key`: after a reload, this tab
  // resumes from it (the inbox shows what arrived meanwhile, and nothing twice).
  keep(topic, key) {
    this.kept.set(topic, key);
  }

  unkeep(topic) {
    this.kept.delete(topic);
  }

  setLast(topic, seq) {
    this.last.set(topic, seq);
    const key = this.kept.get(topic);
    if (key) {
      try { sessionStorage.setItem(key, String(seq)); } catch { /* private mode: memory only */ }
    }
  }

  // Follow topics that arrived with new fragments (a game that starts shows its view).
  followNew() {
    for (const el of document.querySelectorAll("[data-topic]")) {
      if (!this.last.has(el.dataset.topic)) this.follow(el.dataset.topic, el.dataset.seq);
    }
  }

  // A page showing this topic was just rendered at `seq` (the shell swapped it in): ask for
  // what changed since, even if this tab followed the topic already.
  resume(topic, seq) {
    this.last.set(topic, seq === null ? null : Number(seq) || 0);
    this.setEra(topic);
    if (this.online) this.sub(topic);
  }

  setEra(topic, era = document.body.dataset.era) {
    if (era) this.eras.set(topic, era);
  }

  // Stop following a topic (the page that showed it is gone): the server forgets it too.
  unfollow(topic) {
    this.eras.delete(topic);
    if (!this.last.delete(topic)) return;
    if (this.online) this.ws.send(JSON.stringify({ type: "unsub", topic }));
  }

  // Each of these returns a function that removes what it added (a page's scripts undo
  // their listeners when the shell swaps the page: ./shell.js).

  // Frames of a type the connection itself does not know (features' direct messages).
  onFrame(type, fn) {
    if (!this.handlers.has(type)) this.handlers.set(type, []);
    return added(this.handlers.get(type), fn);
  }

  onOpen(fn) { return added(this.openers, fn); }

  onDown(fn) { return added(this.downers, fn); }

  on(topic, fn) {
    if (!this.listeners.has(topic)) this.listeners.set(topic, []);
    return added(this.listeners.get(topic), fn);
  }

  // The socket is gone or unusable: say so at once and try again (the close event can
  // take a minute to arrive when the network has vanished).
  markDown() {
    const ws = this.ws;
    if (!ws || this.ended) return;
    this.ws = null;
    clearTimeout(this.pingTimer);
    clearTimeout(this.pongTimer);
    try { ws.close(); } catch { /* already closing */ }
    this.setStatus(true);
    for (const fn of [...this.downers]) fn();
    this.outbox = [...this.pending.values()].map((p) => p.frame);
    const delay = Math.min(15000, 500 * 2 ** this.attempt) * (0.75 + Math.random() / 2);
    this.attempt += 1;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), navigator.onLine === false ? 60000 : delay);
  }

  watchNetwork() {
    window.addEventListener("offline", () => this.markDown());
    window.addEventListener("online", () => {
      if (this.ws) return;
      clearTimeout(this.retryTimer);
      this.attempt = 0;
      this.connect();
    });
  }

  connect() {
    if (this.ws || this.ended) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/ws`);
    this.ws = ws;
    ws.addEventListener("open", () => {
      this.attempt = 0;
      this.setStatus(false);
      for (const topic of this.last.keys()) this.sub(topic);
      const waiting = this.outbox.splice(0);
      for (const frame of waiting) this.send(frame);
      this.heartbeat();
      for (const fn of [...this.openers]) fn();
    });
    ws.addEventListener("message", (e) => this.receive(e.data));
    ws.addEventListener("close", (e) => {
      if (this.ws !== ws) return;
      if (e.code === 4401 || e.code === 4403) {
        this.end(e.code);
        return;
      }
      // Actions sent but not acknowledged go back to the outbox (they carry ids: no doubles).
      this.markDown();
    });
  }

  // The server refused this tab for good (signed out: 4401; banned or foreign: 4403):
  // trying again would loop, so stop, say why, and that what was not sent stays unsent.
  end(code) {
    this.ws = null;
    this.ended = code;
    clearTimeout(this.pingTimer);
    clearTimeout(this.pongTimer);
    clearTimeout(this.retryTimer);
    const body = document.body.dataset;
    const unsent = this.pending.size + this.outbox.length;
    let text = code === 4401 ? body.tSignedOut : body.tRefused;
    if (unsent) text += " " + body.tUnsent;
    document.body.dataset.live = "ended";
    for (const fn of [...this.downers]) fn();
    if (!this.status) return;
    this.status.textContent = text;
    this.status.hidden = false;
    this.status.classList.remove("connection--ok");
    this.status.classList.add("connection--ended");
  }

  heartbeat() {
    clearTimeout(this.pingTimer);
    this.pingTimer = setTimeout(() => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
      this.ws.send(JSON.stringify({ type: "ping" }));
      this.pongTimer = setTimeout(() => this.markDown(), PONG_WITHIN);
    }, PING_EVERY);
  }

  setStatus(down) {
    document.body.dataset.live = down ? "offline" : "online";
    if (!this.status) return;
    const body = document.body.dataset;
    if (down) {
      this.wasDown = true;
      this.status.textContent = body.tOffline;
      this.status.hidden = false;
      this.status.classList.remove("connection--ok");
    } else if (this.wasDown) {
      this.status.textContent = body.tOnline;
      this.status.classList.add("connection--ok");
      setTimeout(() => { this.status.hidden = true; }, 2500);
    }
  }

  sub(topic) {
    const after = this.last.get(topic);
    const frame = { type: "sub", topic };
    if (after !== null) frame.after = after || 0;
    const era = this.eras.get(topic);
    if (after !== null && era) frame.era = era;
    this.ws.send(JSON.stringify(frame));
  }

  send(frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(frame));
    } else {
      this.outbox.push(frame);
    }
  }

  // Run a named action; resolves with the ack's data, rejects with {code, message}.
  act(name, data) {
    const id = `a${this.nextId++}`;
    const frame = { type: "act", id, name, data };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, frame });
      this.send(frame);
    });
  }

  get online() {
    return !!this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  receive(raw) {
    let frame;
    try { frame = JSON.parse(raw); } catch { return; }
    switch (frame.type) {
      case "event": return this.event(frame);
      case "subscribed": {
        if (frame.era) this.setEra(frame.topic, (document.body.dataset.era = frame.era));
        const last = this.last.get(frame.topic) || 0;
        if (frame.seq > last) this.setLast(frame.topic, frame.seq);
        return;
      }
      case "ack": {
        const p = this.pending.get(frame.id);
        this.pending.delete(frame.id);
        p?.resolve(frame.data || {});
        return;
      }
      case "error": {
        const p = frame.id !== undefined && this.pending.get(frame.id);
        if (p) {
          this.pending.delete(frame.id);
          p.reject(frame);
        } else {
          showTextToast(frame.message);
        }
        return;
      }
      case "resync":
        for (const topic of frame.topics || []) if (this.last.has(topic)) this.sub(topic);
        return;
      case "left": {
        this.last.delete(frame.topic);
        this.eras.delete(frame.topic);
        const here = document.querySelectorAll(`[data-topic="${CSS.escape(frame.topic)}"]`);
        if (frame.reason === "access") {
          // Access was taken away (role, team, room): the page stays, says so, and stops.
          accessLost(here);
          return;
        }
        showTextToast(document.body.dataset.tRemoved);
        if (here.length) setTimeout(() => { location.href = "/"; }, 1500);
        return;
      }
      case "pong":
        clearTimeout(this.pongTimer);
        this.heartbeat();
        return;
      default:
        for (const fn of [...(this.handlers.get(frame.type) || [])]) fn(frame);
    }
  }

  event(frame) {
    const { topic, seq } = frame;
    const last = this.last.get(topic);
    if (last === undefined && !topic.startsWith("user:")) return;
    const catchUp = frame.kind === "catch_up" || frame.kind === "reset";
    if (catchUp) {
      this.stale.delete(topic);
    } else if (this.stale.has(topic)) {
      return;                                  // the catch-up asked for will bring it all
    }
    if (last !== undefined && last !== null && !catchUp) {
      if (seq <= last) return;                 // already seen
      if (seq > last + 1) {                    // a gap: ask for what we missed
        this.sub(topic);
        return;
      }
    }
    // A catch-up is authoritative (after a server restart, numbers may start again).
    if (!applyOps(frame.ops) && !catchUp) {
      // A patch without its base (this page's copy of the view differs): ask for the whole
      // topic once, and let the frames before its catch-up go.
      this.stale.add(topic);
      this.sub(topic);
      return;
    }
    this.followNew();
    this.setLast(topic, seq);
    for (const fn of [...(this.listeners.get(topic) || [])]) fn(frame);
  }
}

function added(list, fn) {
  list.push(fn);
  return () => {
    const at = list.indexOf(fn);
    if (at >= 0) list.splice(at, 1);
  };
}

/** The page follows a topic this person may no longer follow: one notice at the top, forms off. */
function accessLost(elements) {
  const text = document.body.dataset.tAccessLost;
  if (!elements.length) return;
  for (const el of elements) {
    for (const field of el.querySelectorAll("textarea, input, select, button")) field.disabled = true;
  }
  const main = document.getElementById("main");
  if (!main || main.querySelector("[data-access-lost]")) return;
  const banner = document.createElement("div");
  banner.className = "banner banner--warning";
  banner.dataset.accessLost = "";
  banner.setAttribute("role", "alert");
  const p = document.createElement("p");
  p.textContent = text + " ";
  const back = document.createElement("a");
  back.href = "/";
  back.textContent = document.body.dataset.tBackToVenue;
  p.append(back);
  banner.append(p);
  main.prepend(banner);
}
