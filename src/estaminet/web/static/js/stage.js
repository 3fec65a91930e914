// La scène: draws the stage from its `stage:<slug>` frames (docs/protocol.md), watches every
// live performer through Janus VideoRoom (./stage-janus.js), lets a named performer preview
// and go live, an animator name and cut performers, and everyone applaud (a wave, sent by
// the server at most twice a second). docs/stage.md.

import { showTextToast } from "./ops.js";

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
  const audioOnlyBox = section.querySelector("[data-stage-audio-only]");
  const performerBox = section.querySelector("[data-stage-performer]");
  const preview = section.querySelector("[data-stage-preview]");
  const meter = section.querySelector("[data-stage-level]");
  const goLive = section.querySelector("[data-stage-go-live]");
  const stopButton = section.querySelector("[data-stage-stop]");
  const undo = [];
  let watchSession = null;
  let watchOpening = null;
  const subs = new Map(); // feed -> {sub, tile} (or {pending})
  let previewStream = null;
  let meterTimer = null;
  let audioContext = null;
  let publishing = null; // {session, pub}
  let state = null;
  let closed = false;
  let watchLost = false; // Janus went away: "la scène revient…" until a feed comes back

  const say = (text) => { if (status) status.textContent = text || ""; };
  const refused = (frame) => showTextToast(frame?.message || String(frame));

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
    tile.append(video, caption);
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
        audioOnly: !!audioOnlyBox?.checked,
        onStream: (stream) => { if (video.srcObject !== stream) video.srcObject = stream; video.play().catch(() => {}); },
      });
      if (closed || !subs.has(feed)) { sub.close(); tile.remove(); return; }
      subs.set(feed, { sub, tile });
      if (watchLost) { watchLost = false; say(""); }
    } catch (error) {
      subs.delete(feed);
      section.querySelector(`[data-feed="${feed}"]`)?.remove();
      if (error?.message) refused(error);
    }
  }

  function drop(feed) {
    const entry = subs.get(feed);
    subs.delete(feed);
    entry?.sub?.close();
    entry?.tile?.remove();
  }

  function render(next) {
    state = next;
    const count = section.querySelector("[data-stage-watchers]");
    if (count) count.textContent = String(next.watchers);
    const onStage = next.performers.filter((p) => p.live && !p.cut && p.id !== me);
    const wanted = new Set(onStage.map((p) => p.feed));
    for (const feed of [...subs.keys()]) if (!wanted.has(feed)) drop(feed);
    if (next.janus) for (const p of onStage) if (!subs.has(p.feed)) add(p);
    if (empty) {
      const selfOnly = !onStage.length && next.performers.some((p) => p.id === me && p.live && !p.cut);
      empty.hidden = onStage.length > 0;
      if (!empty.dataset.nobody) empty.dataset.nobody = empty.textContent;
      empty.textContent = selfOnly ? strings.selfLive : empty.dataset.nobody;
    }
    const mine = next.performers.find((p) => p.id === me);
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
  }

  undo.push(live.on(topic, (frame) => {
    if (frame.stage) render(frame.stage);
    if (frame.kind === "reactions") showWave(frame.reactions || {});
  }));

  for (const b of section.querySelectorAll("[data-stage-react]")) {
    const onClick = () => live.act("stage.react", { room: slug, reaction: b.dataset.stageReact }).catch(refused);
    b.addEventListener("click", onClick);
  }

  audioOnlyBox?.addEventListener("change", () => {
    for (const { sub, tile } of subs.values()) {
      sub?.setAudioOnly(audioOnlyBox.checked).catch(() => {});
      if (tile) tile.classList.toggle("stage-feed--audio", audioOnlyBox.checked);
    }
  });

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
      if (goLive) goLive.disabled = !!publishing;
    } catch (error) {
      say(strings.refused);
    }
  }

  // Janus went away (stopped, restarted): the performer goes back on stage by themselves
  // as soon as it answers again, unless they left or the animator cut them meanwhile.
  let comeback = null;
  let comebackTries = 0;

  function lostJanus() {
    stopPublishing(true);
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
    if (!previewStream || publishing || closed) return;
    const mine = state?.performers.find((p) => p.id === me);
    if (retrying && (!mine || mine.cut)) { say(""); return; }
    goLive.disabled = true;
    if (!retrying) say(strings.connecting);
    let session = null;
    try {
      const data = await live.act("stage.ticket", { room: slug, role: "perform" });
      session = await openStage(data.ticket, { iceServers: data.ice_servers, onGone: lostJanus });
      const pub = await session.publish(previewStream, { onEnded: () => stopPublishing(true) });
      publishing = { session, pub };
      await live.act("stage.live", { room: slug, live: true });
      comebackTries = 0;
      say(strings.youLive);
      stopButton.hidden = false;
      goLive.hidden = true;
    } catch (error) {
      if (!publishing) session?.close();
      stopPublishing(true);
      if (retrying) {
        say(strings.back);
        scheduleComeback();
      } else {
        refused(error);
      }
    }
  }

  function stopPublishing(tell) {
    const was = publishing;
    publishing = null;
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

  // For tests and the curious: what the stage carries in this tab.
  window.estaminetStage = {
    async stats() {
      const feeds = {};
      for (const [feed, { sub }] of subs) if (sub) feeds[feed] = await sub.stats();
      return { feeds, publishing: publishing ? await publishing.pub.stats() : null, state };
    },
  };

  return () => {
    closed = true;
    for (const fn of undo) fn();
    for (const feed of [...subs.keys()]) drop(feed);
    clearTimeout(comeback);
    stopPublishing(!!publishing);
    stopPreview();
    watchSession?.close();
  };
}
