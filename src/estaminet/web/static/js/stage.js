// La scène: draws the stage from its `stage:<slug>` frames (docs/protocol.md), watches every
// live performer through Janus VideoRoom (./stage-janus.js), lets a named performer preview
// and go live, an animator name and cut performers, and everyone applaud (a wave, sent by
// the server at most twice a second). Raised hands: ./stage-hands.js; the performer's link,
// the watchers' layer and dropped feeds: ./stage-quality.js. docs/stage.md.

import { showTextToast } from "./ops.js";
import { meshStage } from "./stage-mesh.js";
import { fill, setupHands } from "./stage-hands.js";
import { grade, layerFor, stalled } from "./stage-quality.js";

// The Janus adapter is loaded only when a stage is actually used (like voice's).
const openStage = async (...args) => (await import("./stage-janus.js")).openStage(...args);

// Glyphs every system has (DejaVu on Debian too): a star burst stands for the applause.
const WAVE = { applause: "★", heart: "❤", laugh: "😂", wow: "😮" };

export function setupStage(live, section) {
  const slug = section.dataset.stage;
  const topic = section.dataset.topic;
  const me = document.body.dataset.me;
  const strings = section.querySelector("[data-stage-strings]")?.dataset || {};
  const feedsBox = section.querySelector("[data-stage-feeds]");
  const empty = section.querySelector("[data-stage-empty]");
  const wave = section.querySelector("[data-stage-wave]");
  const status = section.querySelector("[data-stage-status]");
  const qualityChoice = section.querySelector("[data-stage-quality-choice]");
  const qualityBox = section.querySelector("[data-stage-quality]");
  const performerBox = section.querySelector("[data-stage-performer]");
  const preview = section.querySelector("[data-stage-preview]");
  const meter = section.querySelector("[data-stage-level]");
  const goLive = section.querySelector("[data-stage-go-live]");
  const stopButton = section.querySelector("[data-stage-stop]");
  const undo = [];
  let watchSession = null;
  let watchOpening = null;
  const subs = new Map(); // feed -> {sub, tile} (or {pending})
  const ghosts = new Map(); // feed -> tile of a performer said dropped by the server
  const seen = new Map(); // feed -> {bytes, since}: media still coming?
  const lost = new Map(); // feed -> {lost, received}: packets lost, for « auto »
  let previewStream = null;
  let meterTimer = null;
  let audioContext = null;
  let publishing = null; // {session, pub}
  let state = null;
  let closed = false;
  let watchLost = false; // Janus went away: "la scène revient…" until a feed comes back
  let connecting = null; // the preview's publishing to Janus, under way
  let qualityTimer = null;
  let feedTimer = null;
  let lossy = false;

  const say = (text) => { if (status) status.textContent = text || ""; };
  // Without Janus: browser to browser, a few seats then a line (./stage-mesh.js).
  const mesh = "stageMesh" in section.dataset ? meshStage(live, section, slug, tileFor) : null;
  const refused = (frame) => showTextToast(frame?.message || String(frame));
  const hands = setupHands(live, section, { slug, strings, refused });
  const choice = () => qualityChoice?.value || "auto";
  const narrow = () => window.matchMedia("(max-width: 600px)").matches;

  async function watching() {
    if (watchSession && !watchSession.ended) return watchSession;
    if (!watchOpening) {
      watchOpening = live.act("stage.ticket", { room: slug, role: "watch" }).then(async (data) => {
        const session = await openStage(data.ticket, {
          iceServers: data.ice_servers,
          onGone: () => {
            watchSession = null;
            watchLost = true;
            for (const feed of [...subs.keys()]) drop(feed);
            say(strings.back);
          },
        });
        watchSession = session;
        return session;
      }).finally(() => { watchOpening = null; });
    }
    return watchOpening;
  }

  function tileFor(performer) {
    const tile = document.createElement("figure");
    tile.className = "stage-feed";
    tile.dataset.feed = String(performer.feed);
    const video = document.createElement("video");
    video.autoplay = true;
    video.playsInline = true;
    video.setAttribute("aria-label", performer.name);
    const caption = document.createElement("figcaption");
    caption.textContent = performer.name;
    const dropped = document.createElement("p");
    dropped.className = "stage-feed-dropped";
    dropped.dataset.stageDropped = "";
    dropped.setAttribute("role", "status");
    dropped.hidden = true;
    dropped.textContent = fill(strings.dropped, { name: performer.name });
    tile.append(video, caption, dropped);
    feedsBox.insertBefore(tile, wave);
    return tile;
  }

  async function add(performer) {
    const feed = performer.feed;
    subs.set(feed, { pending: true });
    try {
      const session = await watching();
      const tile = tileFor(performer);
      const video = tile.querySelector("video");
      const sub = await session.subscribe(feed, {
        audioOnly: choice() === "audio",
        layer: layerFor(choice(), { narrow: narrow(), lossy }),
        onStream: (stream) => { if (video.srcObject !== stream) video.srcObject = stream; video.play().catch(() => {}); },
      });
      if (closed || !subs.has(feed)) { sub.close(); tile.remove(); return; }
      subs.set(feed, { sub, tile });
      tile.classList.toggle("stage-feed--audio", choice() === "audio");
      applyLayer(sub);
      watchFeeds();
      if (watchLost) { watchLost = false; say(""); }
    } catch (error) {
      subs.delete(feed);
      section.querySelector(`[data-feed="${feed}"]`)?.remove();
      if (closed) return;
      if (watchSession && !watchSession.ended && stillLive(feed)) {
        // Live on the bill but not in Janus (their network dropped, they are coming back):
        // say so over their place and try again shortly, without a toast each time.
        ghost(performer);
        retrySoon();
      } else if (error?.message) refused(error);
    }
  }

  const stillLive = (feed) => !!state?.performers.some((p) => p.feed === feed && p.live && !p.cut);
  let retryTimer = null;
  function retrySoon() {
    if (retryTimer) return;
    retryTimer = setTimeout(() => { retryTimer = null; if (state && !closed) render(state); }, 3000);
  }

  function ghost(performer) {
    if (ghosts.has(performer.feed)) return;
    const tile = tileFor(performer);
    tile.classList.add("stage-feed--dropped");
    tile.querySelector("[data-stage-dropped]").hidden = false;
    ghosts.set(performer.feed, tile);
  }

  function drop(feed) {
    const entry = subs.get(feed);
    subs.delete(feed);
    seen.delete(feed);
    entry?.sub?.close();
    entry?.tile?.remove();
  }

  function render(next) {
    state = next;
    const count = section.querySelector("[data-stage-watchers]");
    if (count) count.textContent = String(next.watchers);
    const onStage = next.performers.filter((p) => p.live && !p.cut && !p.dropped && p.id !== me);
    const wanted = new Set(onStage.map((p) => p.feed));
    for (const feed of [...subs.keys()]) if (!wanted.has(feed)) drop(feed);
    if (next.janus) for (const p of onStage) if (!subs.has(p.feed)) add(p);
    // A live performer whose connection dropped (said by the server): the picture goes,
    // the words stay, until they are back or taken off.
    const gone = next.performers.filter((p) => p.live && !p.cut && p.dropped && p.id !== me);
    const goneFeeds = new Set(gone.map((p) => p.feed));
    for (const [feed, tile] of ghosts) if (!goneFeeds.has(feed)) { tile.remove(); ghosts.delete(feed); }
    for (const p of gone) ghost(p);
    if (empty) {
      const selfOnly = !onStage.length && next.performers.some((p) => p.id === me && p.live && !p.cut);
      empty.hidden = onStage.length + gone.length > 0;
      if (!empty.dataset.nobody) empty.dataset.nobody = empty.textContent;
      empty.textContent = selfOnly ? strings.selfLive : empty.dataset.nobody;
    }
    const mine = next.performers.find((p) => p.id === me);
    hands.render(next, me);
    if (performerBox) performerBox.hidden = !mine || mine.cut;
    if ((!mine || mine.cut) && publishing) stopPublishing(false);
    if ((!mine || mine.cut) && previewStream && !publishing) stopPreview();
    renderAnimator(next);
  }

  function button(label, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "button";
    b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }

  function renderAnimator(next) {
    const performers = section.querySelector("[data-stage-performers]");
    const audience = section.querySelector("[data-stage-audience]");
    if (!performers || !audience) return;
    performers.replaceChildren(...next.performers.map((p) => {
      const li = document.createElement("li");
      const name = document.createElement("span");
      name.textContent = p.live ? `${p.name} · ${strings.live}` : p.name;
      li.append(
        name,
        button(p.cut ? strings.bringBack : strings.cut, () =>
          live.act("stage.cut", { room: slug, user: p.id, cut: !p.cut }).catch(refused)),
        button(strings.unname, () =>
          live.act("stage.perform", { room: slug, user: p.id, performer: false }).catch(refused)),
      );
      return li;
    }));
    const people = next.audience.map((p) => {
      const li = document.createElement("li");
      const name = document.createElement("span");
      name.textContent = p.name;
      li.append(name, button(strings.name, () =>
        live.act("stage.perform", { room: slug, user: p.id, performer: true }).catch(refused)));
      return li;
    });
    if (!people.length) {
      const li = document.createElement("li");
      li.className = "hint";
      li.textContent = strings.nobody;
      people.push(li);
    }
    audience.replaceChildren(...people);
  }

  function showWave(counts) {
    if (!wave) return;
    for (const [reaction, n] of Object.entries(counts)) {
      for (let i = 0; i < Math.min(n, 12); i++) {
        const span = document.createElement("span");
        span.className = `stage-wave-item stage-wave-item--${reaction}`;
        span.textContent = WAVE[reaction] || "★";
        span.style.left = `${5 + Math.random() * 90}%`;
        span.style.animationDelay = `${Math.random() * 400}ms`;
        wave.append(span);
        setTimeout(() => span.remove(), 2600);
      }
    }
    wave.dataset.last = JSON.stringify(counts);
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    wave.dataset.total = String(Number(wave.dataset.total || 0) + total);
  }

  undo.push(live.on(topic, (frame) => {
    if (frame.stage) render(frame.stage);
    if (frame.kind === "reactions") showWave(frame.reactions || {});
  }));

  for (const b of section.querySelectorAll("[data-stage-react]")) {
    const onClick = () => live.act("stage.react", { room: slug, reaction: b.dataset.stageReact }).catch(refused);
    b.addEventListener("click", onClick);
  }

  // « Qualité : auto / basse / haute / audio seulement »: auto takes the low layer on a
  // phone or when packets get lost, the high one otherwise.
  function applyLayer(sub) {
    const layer = layerFor(choice(), { narrow: narrow(), lossy });
    if (layer === null) return sub.setAudioOnly(true).catch(() => {});
    return sub.setAudioOnly(false).then(() => sub.setLayer(layer)).catch(() => {});
  }

  qualityChoice?.addEventListener("change", () => {
    for (const { sub, tile } of subs.values()) {
      if (sub) applyLayer(sub);
      if (tile) tile.classList.toggle("stage-feed--audio", choice() === "audio");
    }
  });

  // A feed whose media stopped coming (the performer's network dropped) says so over the
  // picture instead of freezing; it clears as soon as packets come again.
  function watchFeeds() {
    if (feedTimer) return;
    feedTimer = setInterval(async () => {
      if (!subs.size) { clearInterval(feedTimer); feedTimer = null; seen.clear(); return; }
      let worst = 0;
      for (const [feed, { sub, tile }] of subs) {
        if (!sub) continue;
        const s = await sub.stats().catch(() => null);
        if (!s) continue;
        const bytes = s.audioBytes + (choice() === "audio" ? 0 : s.videoBytes);
        const now = performance.now();
        const { record, dropped } = stalled(seen.get(feed), bytes, now);
        seen.set(feed, record);
        if (dropped && now - record.since > 12000 && stillLive(feed)) {
          // Long gone: the performer may be publishing again by now; subscribe afresh.
          drop(feed);
          const p = state.performers.find((x) => x.feed === feed);
          if (p) ghost(p);
          retrySoon();
          continue;
        }
        tile.classList.toggle("stage-feed--dropped", dropped);
        const note = tile.querySelector("[data-stage-dropped]");
        if (note && note.hidden !== !dropped) note.hidden = !dropped;
        const before = lost.get(feed) || { lost: 0, received: 0 };
        const got = s.packetsReceived - before.received;
        if (got > 0) worst = Math.max(worst, (s.packetsLost - before.lost) / (got + s.packetsLost - before.lost));
        lost.set(feed, { lost: s.packetsLost, received: s.packetsReceived });
      }
      const nowLossy = worst > 0.05;
      if (nowLossy !== lossy && choice() === "auto") {
        lossy = nowLossy;
        for (const { sub } of subs.values()) if (sub) applyLayer(sub);
      }
    }, 1000);
  }

  // -- the performer's side -----------------------------------------------------------

  function stopPreview() {
    clearInterval(meterTimer);
    meterTimer = null;
    audioContext?.close().catch(() => {});
    audioContext = null;
    for (const t of previewStream?.getTracks() || []) t.stop();
    previewStream = null;
    if (preview) preview.srcObject = null;
    if (goLive) goLive.disabled = true;
  }

  function meterOn(stream) {
    clearInterval(meterTimer);
    audioContext?.close().catch(() => {});
    audioContext = null;
    if (!meter || !stream.getAudioTracks().length) return;
    audioContext = new AudioContext();
    const analyser = audioContext.createAnalyser();
    analyser.fftSize = 512;
    audioContext.createMediaStreamSource(stream).connect(analyser);
    const data = new Float32Array(analyser.fftSize);
    meterTimer = setInterval(() => {
      analyser.getFloatTimeDomainData(data);
      let sum = 0;
      for (const v of data) sum += v * v;
      meter.value = Math.min(1, Math.sqrt(sum / data.length) * 4);
    }, 100);
  }

  async function startPreview(screen) {
    try {
      let stream;
      if (screen) {
        const shown = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: true });
        if (!shown.getAudioTracks().length) {
          const mic = await navigator.mediaDevices.getUserMedia({ audio: true }).catch(() => null);
          for (const t of mic?.getAudioTracks() || []) shown.addTrack(t);
        }
        stream = shown;
      } else {
        stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 1280, height: 720 } });
      }
      const old = previewStream;
      previewStream = stream;
      if (preview) preview.srcObject = stream;
      meterOn(stream);
      if (publishing) await publishing.pub.replaceTracks(stream);
      for (const t of old?.getTracks() || []) t.stop();
      if (goLive) goLive.disabled = !!publishing?.live;
    } catch (error) {
      say(strings.refused);
      return;
    }
    // Publish to Janus already, hidden from the watchers, to measure the link (without
    // Janus there is no server to measure against: the mesh starts at « Passer en direct »).
    if (!publishing && !mesh) connect().catch(() => {});
  }

  // The preview's link to Janus: « Connexion : bonne / moyenne / faible ».
  function qualityOn() {
    clearInterval(qualityTimer);
    qualityTimer = setInterval(async () => {
      const q = await publishing?.pub.quality().catch(() => null);
      if (!q || !qualityBox) return;
      const level = grade(q);
      if (!level) return;
      qualityBox.hidden = false;
      qualityBox.dataset.level = level;
      qualityBox.querySelector("[data-stage-quality-word]").textContent =
        { good: strings.qualityGood, fair: strings.qualityFair, poor: strings.qualityPoor }[level];
      qualityBox.querySelector("[data-stage-quality-detail]").textContent = `(${fill(strings.qualityDetail, {
        rtt: Math.round((q.rtt ?? 0) * 1000), loss: `${Math.round((q.loss ?? 0) * 100)} %`, kbps: q.kbps,
      })})`;
    }, 2000);
  }

  function qualityOff() {
    clearInterval(qualityTimer);
    qualityTimer = null;
    if (qualityBox) qualityBox.hidden = true;
  }

  // Publishes the preview to Janus, hidden (watchers get nothing until « Passer en direct »).
  function connect() {
    if (publishing) return Promise.resolve(publishing);
    if (!connecting) {
      connecting = (async () => {
        const data = await live.act("stage.ticket", { room: slug, role: "perform" });
        const session = await openStage(data.ticket, { iceServers: data.ice_servers, onGone: lostJanus });
        try {
          // One layer while hidden: VideoRoom (1.1) does not relay simulcast layers once
          // they were hidden and shown again, so going live publishes the layers afresh.
          const pub = await session.publish(previewStream, { hidden: true, simulcast: false, onEnded: () => stopPublishing(true) });
          if (closed || !previewStream) { pub.close().catch(() => {}); session.close(); throw new Error("closed"); }
          publishing = { session, pub, live: false };
          qualityOn();
          return publishing;
        } catch (error) {
          session.close();
          throw error;
        }
      })().finally(() => { connecting = null; });
    }
    return connecting;
  }

  // Janus went away (stopped, restarted): the performer goes back on stage by themselves
  // as soon as it answers again, unless they left or the animator cut them meanwhile.
  let comeback = null;
  let comebackTries = 0;

  function lostJanus() {
    const wasLive = !!publishing?.live;
    stopPublishing(true);
    if (!wasLive) return;
    say(strings.back);
    scheduleComeback();
  }

  function scheduleComeback() {
    clearTimeout(comeback);
    if (comebackTries >= 60) { say(""); return; }
    comebackTries += 1;
    comeback = setTimeout(() => startPublishing(true), 3000);
  }

  async function startPublishing(retrying = false) {
    if (!previewStream || publishing?.live || closed) return;
    if (mesh) return startMesh();
    const mine = state?.performers.find((p) => p.id === me);
    if (retrying && (!mine || mine.cut)) { say(""); return; }
    goLive.disabled = true;
    if (!retrying) say(strings.connecting);
    try {
      const { session, pub } = await connect();
      await pub.close();
      // Taken off by Janus while live (the venue released her feed when her connection
      // dropped, or Janus restarted): back on stage by herself, unless cut meanwhile.
      publishing.pub = await session.publish(previewStream, { onEnded: () => lostJanus() });
      publishing.live = true;
      await live.act("stage.live", { room: slug, live: true });
      comebackTries = 0;
      say(strings.youLive);
      stopButton.hidden = false;
      goLive.hidden = true;
    } catch (error) {
      stopPublishing(true);
      if (retrying) {
        console.warn("stage: not back on stage yet:", error?.code ?? "", error?.message ?? error);
        say(strings.back);
        scheduleComeback();
      } else {
        refused(error);
        if (error?.message) say(error.message);
      }
    }
  }

  async function startMesh() {
    goLive.disabled = true;
    mesh.publish(previewStream);
    const pub = {
      close: async () => mesh.unpublish(),
      replaceTracks: (stream) => mesh.replaceTracks(stream),
      stats: () => mesh.stats(),
    };
    publishing = { session: { close() {} }, pub, live: true };
    try {
      await live.act("stage.live", { room: slug, live: true });
      say(strings.youLive);
      stopButton.hidden = false;
      goLive.hidden = true;
    } catch (error) {
      stopPublishing(false);
      refused(error);
    }
  }

  function stopPublishing(tell) {
    const was = publishing;
    publishing = null;
    qualityOff();
    if (was) { was.pub.close().catch(() => {}); was.session.close(); }
    if (tell) live.act("stage.live", { room: slug, live: false }).catch(() => {});
    if (stopButton) stopButton.hidden = true;
    if (goLive) { goLive.hidden = false; goLive.disabled = !previewStream; }
    say("");
  }

  section.querySelector("[data-stage-preview-camera]")?.addEventListener("click", () => startPreview(false));
  section.querySelector("[data-stage-preview-screen]")?.addEventListener("click", () => startPreview(true));
  goLive?.addEventListener("click", () => startPublishing(false));
  stopButton?.addEventListener("click", () => { clearTimeout(comeback); stopPublishing(true); });
  section.querySelector("[data-stage-step-down]")?.addEventListener("click", () =>
    live.act("stage.perform", { room: slug, user: me, performer: false }).catch(refused));

  // For tests and the curious: what the stage carries in this tab.
  window.estaminetStage = {
    async stats() {
      const feeds = {};
      for (const [feed, { sub }] of subs) if (sub) feeds[feed] = await sub.stats();
      if (mesh) Object.assign(feeds, (await mesh.stats()).feeds);
      return {
        feeds,
        publishing: publishing ? { ...(await publishing.pub.stats()), live: publishing.live, simulcast: publishing.pub.simulcast } : null,
        state,
      };
    },
  };

  return () => {
    closed = true;
    for (const fn of undo) fn();
    hands.close();
    clearInterval(feedTimer);
    clearTimeout(retryTimer);
    for (const feed of [...subs.keys()]) drop(feed);
    clearTimeout(comeback);
    stopPublishing(!!publishing);
    stopPreview();
    watchSession?.close();
    mesh?.close();
  };
}
