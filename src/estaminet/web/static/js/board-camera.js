// A game table's board (docs/stage.md, « ma caméra sur le plateau »): a seated player points a
// phone or webcam at a physical board and shares it (video only); the narrator may send their
// voice to a stage showing the table (audio only). Everyone allowed to watch the table sees
// the cameras, through the table's own Janus VideoRoom room (./stage-janus.js). The `board:<id>`
// topic says which feeds are live. Also the animator's « Montrer sur la scène » buttons.
//
//   setupBoard(live, section)   section[data-board] (table page), or one the stage builds
//                               with data-board-hear (the stage also plays the narrator).

import { passFocus, showTextToast } from "./ops.js";

const openStage = async (...args) => (await import("./stage-janus.js")).openStage(...args);

const boards = (window.estaminetBoards = window.estaminetBoards || {});

const UP = ["connected", "completed"];

function connected(pc, ms = 10000) {
  if (UP.includes(pc.iceConnectionState)) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    pc.addEventListener("iceconnectionstatechange", () => {
      if (UP.includes(pc.iceConnectionState)) { clearTimeout(timer); resolve(); }
    });
  });
}

export function setupBoard(live, section) {
  const table = Number(section.dataset.board);
  const topic = section.dataset.topic || `board:${table}`;
  const hear = section.hasAttribute("data-board-hear");
  const me = document.body.dataset.me;
  const strings = section.querySelector("[data-board-strings]")?.dataset || {};
  const feedsBox = section.querySelector("[data-board-feeds]");
  const empty = section.querySelector("[data-board-empty]");
  const status = section.querySelector("[data-board-status]");
  const undo = [];
  const subs = new Map(); // feed -> {sub, tile} | {pending}
  const tries = new Map(); // feed -> failed subscriptions in a row
  let watchSession = null;
  let watchOpening = null;
  let closed = false;
  const sending = {}; // kind -> {session, pub, stream}

  const say = (text) => { if (status) status.textContent = text || ""; };
  const refused = (frame) => showTextToast(frame?.message || String(frame));

  // -- the animator's « Montrer sur la scène » -----------------------------------------
  for (const b of section.querySelectorAll("[data-stage-show]")) {
    b.addEventListener("click", () => {
      const room = b.dataset.stageShow;
      live.act("stage.show_table", { room, table }).then(() => {
        b.hidden = true;
        const hide = section.querySelector(`[data-stage-hide="${CSS.escape(room)}"]`);
        if (hide) { hide.hidden = false; passFocus(b, hide); }
        showTextToast(strings.shown);
      }).catch(refused);
    });
  }
  for (const b of section.querySelectorAll("[data-stage-hide]")) {
    b.addEventListener("click", () => {
      const room = b.dataset.stageHide;
      live.act("stage.hide_table", { room }).then(() => {
        b.hidden = true;
        const show = section.querySelector(`[data-stage-show="${CSS.escape(room)}"]`);
        if (show) { show.hidden = false; passFocus(b, show); }
        showTextToast(strings.hidden);
      }).catch(refused);
    });
  }
  if (!feedsBox) return () => {};

  // -- watching ------------------------------------------------------------------------
  async function watching() {
    if (watchSession && !watchSession.ended) return watchSession;
    if (!watchOpening) {
      watchOpening = live.act("board.ticket", { table, role: "watch" }).then(async (data) => {
        watchSession = await openStage(data.ticket, {
          iceServers: data.ice_servers,
          onGone: () => {
            watchSession = null;
            for (const feed of [...subs.keys()]) drop(feed);
            say(strings.back);
          },
        });
        return watchSession;
      }).finally(() => { watchOpening = null; });
    }
    return watchOpening;
  }

  function tileFor(feed) {
    const tile = document.createElement("figure");
    tile.className = `board-feed board-feed--${feed.kind}`;
    tile.dataset.feed = String(feed.feed);
    const video = document.createElement("video");
    video.autoplay = true;
    video.playsInline = true;
    const what = feed.kind === "voice" ? strings.voice : strings.camera;
    const label = feed.name ? `${what} · ${feed.name}` : what;
    video.setAttribute("aria-label", label);
    const caption = document.createElement("figcaption");
    caption.textContent = label;
    tile.append(video, caption);
    feedsBox.append(tile);
    return tile;
  }

  async function add(feed) {
    subs.set(feed.feed, { pending: true });
    try {
      const session = await watching();
      const tile = tileFor(feed);
      const video = tile.querySelector("video");
      const sub = await session.subscribe(feed.feed, {
        onStream: (stream) => { if (video.srcObject !== stream) video.srcObject = stream; video.play().catch(() => {}); },
      });
      if (closed || !subs.has(feed.feed)) { sub.close(); tile.remove(); return; }
      subs.set(feed.feed, { sub, tile });
      tries.delete(feed.feed);
      say("");
    } catch (error) {
      subs.delete(feed.feed);
      feedsBox.querySelector(`[data-feed="${feed.feed}"]`)?.remove();
      // Janus knows a feed only once its media is up ("no such feed" just after it is
      // announced): try again a few times before saying anything.
      const n = (tries.get(feed.feed) || 0) + 1;
      tries.set(feed.feed, n);
      if (n < 10 && !closed) setTimeout(() => { if (state && !closed) render(state); }, 1500);
      else if (error?.message) refused(error);
    }
  }

  function drop(feed) {
    const entry = subs.get(feed);
    subs.delete(feed);
    entry?.sub?.close();
    entry?.tile?.remove();
  }

  let state = null;
  function render(next) {
    state = next;
    const shown = next.feeds.filter((f) => f.id !== me && (hear || f.kind === "camera"));
    const wanted = new Set(shown.map((f) => f.feed));
    for (const feed of [...subs.keys()]) if (!wanted.has(feed)) drop(feed);
    if (next.janus) for (const f of shown) if (!subs.has(f.feed)) add(f);
    if (empty) empty.hidden = shown.some((f) => f.kind === "camera") || Object.keys(sending).length > 0;
  }

  undo.push(live.on(topic, (frame) => { if (frame.board) render(frame.board); }));

  // -- sharing (a seated player's camera, the narrator's voice) -------------------------
  async function share(kind) {
    if (sending[kind]) return;
    const startButton = section.querySelector(`[data-board-share="${kind}"]`);
    const stopButton = section.querySelector(`[data-board-stop="${kind}"]`);
    let stream;
    try {
      stream = kind === "camera"
        ? await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment", width: 1280, height: 720 }, audio: false })
        : await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
    } catch {
      say(strings.refused);
      return;
    }
    if (startButton) startButton.disabled = true;
    say(strings.connecting);
    let session = null;
    try {
      const data = await live.act("board.ticket", { table, role: kind });
      session = await openStage(data.ticket, { iceServers: data.ice_servers, onGone: () => stop(kind, false, "gone") });
      const pub = await session.publish(stream, { onEnded: () => stop(kind, true, "ended") });
      sending[kind] = { session, pub, stream };
      await connected(pub.pc); // others can watch a feed once its media is up
      await live.act("board.live", { table, live: true, kind });
      if (kind === "camera") showOwn(stream);
      say(kind === "camera" ? strings.sharing : strings.voicing);
      if (startButton) startButton.hidden = true;
      if (stopButton) { stopButton.hidden = false; passFocus(startButton, stopButton); }
    } catch (error) {
      session?.close();
      for (const t of stream.getTracks()) t.stop();
      delete sending[kind];
      say(error?.message || strings.refused);
      if (error?.code && String(error.code).includes("/")) refused(error);
    } finally {
      if (startButton) startButton.disabled = false;
    }
  }

  let ownTile = null;
  function showOwn(stream) {
    ownTile?.remove();
    ownTile = tileFor({ feed: "own", kind: "camera", name: "" });
    const video = ownTile.querySelector("video");
    video.muted = true;
    video.srcObject = stream;
    if (empty) empty.hidden = true;
  }

  function stop(kind, tell, why = "asked") {
    const was = sending[kind];
    section.dataset.boardStopped = `${kind} ${why}`; // for the curious (and the tests)
    delete sending[kind];
    if (was) {
      was.pub.close().catch(() => {});
      was.session.close();
      for (const t of was.stream.getTracks()) t.stop();
    }
    if (kind === "camera") { ownTile?.remove(); ownTile = null; }
    if (tell) live.act("board.live", { table, live: false, kind }).catch(() => {});
    const startButton = section.querySelector(`[data-board-share="${kind}"]`);
    const stopButton = section.querySelector(`[data-board-stop="${kind}"]`);
    if (startButton) startButton.hidden = false;
    if (stopButton) stopButton.hidden = true;
    say("");
    if (state) render(state);
  }

  for (const b of section.querySelectorAll("[data-board-share]")) {
    b.addEventListener("click", () => share(b.dataset.boardShare));
  }
  for (const b of section.querySelectorAll("[data-board-stop]")) {
    b.addEventListener("click", () => stop(b.dataset.boardStop, true));
  }

  // For tests and the curious: what this board carries in this tab.
  boards[table] = {
    async stats() {
      const feeds = {};
      for (const [feed, { sub }] of subs) if (sub) feeds[feed] = await sub.stats();
      const out = {};
      for (const [kind, { pub }] of Object.entries(sending)) out[kind] = await pub.stats();
      return { feeds, sending: out, state };
    },
  };

  return () => {
    closed = true;
    for (const fn of undo) fn();
    for (const feed of [...subs.keys()]) drop(feed);
    for (const kind of Object.keys(sending)) stop(kind, true);
    watchSession?.close();
    if (boards[table]) delete boards[table];
  };
}
